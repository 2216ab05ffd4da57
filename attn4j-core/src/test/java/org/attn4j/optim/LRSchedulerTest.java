package org.attn4j.optim;

import static org.attn4j.optim.SGDTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The schedules against the formulas of the libraries they follow: {@code torch.optim.lr_scheduler.StepLR}'s
 * closed form, and timm's {@code CosineLRScheduler._get_lr} (transcribed below) with the arguments our Javadoc
 * names, at every step and at the boundaries: step 0, the end of the warm-up, the last step, past the end.
 *
 * <p>Tolerance: 1e-14 of the base lr. Both sides compute in double with the same functions (pow, cos) but
 * group the operations differently (timm: {@code init + t·((base - init)/warmup_t)}, {@code π·t_curr/t_i};
 * ours: {@code init + (base - init)·t/warmup}, {@code π·(t_curr/t_i)}): a few double ulps of the base lr (near
 * the floor, where {@code 1 + cos} cancels, that is more than a few ulps of the small lr itself). The boundary
 * values that need no rounding (start, peak, floor) are compared exactly.
 */
class LRSchedulerTest {
    private static final double RTOL = 1e-14;

    private static void assertNear(double expected, double actual, double baseLr, String what) {
        assertEquals(expected, actual, RTOL * baseLr, what);
    }

    /**
     * timm.scheduler.CosineLRScheduler._get_lr for one group with cycle_mul = cycle_decay = k_decay = 1,
     * cycle_limit = 1 and no noise: the reference the cosine schedule is checked against.
     */
    private static double timmCosine(long t, double baseLr, double lrMin, long tInitial, long warmupT, double warmupLrInit,
                                     boolean warmupPrefix) {
        if (t < warmupT) {
            double warmupStep = (baseLr - warmupLrInit) / warmupT;   // self.warmup_steps
            return warmupLrInit + t * warmupStep;
        }
        if (warmupPrefix) t = t - warmupT;
        long i = Math.floorDiv(t, tInitial);                         // t // self.t_initial
        double tI = tInitial;
        double tCurr = t - tInitial * i;
        if (i < 1) return lrMin + 0.5 * (baseLr - lrMin) * (1 + Math.cos(Math.PI * tCurr / tI));
        return lrMin;
    }

    private static void assertRel(double expected, double actual, String what) {
        assertEquals(expected, actual, RTOL * Math.abs(expected), what);
    }

    @Test
    void cosineWithWarmupIsTimmsCosineLRSchedulerWithWarmupPrefix() {
        double base = 5e-4, min = 1e-6, init = 1e-7;
        long[][] warmupAndTotal = {{10, 100}, {0, 50}, {1, 7}, {37, 38}, {3000, 46_900}};
        for (long[] wt : warmupAndTotal) {
            long warmup = wt[0], total = wt[1];
            LRScheduler s = LRScheduler.cosineWithWarmup(min, warmup, init, total);
            for (long step = 0; step < total + 20; step += Math.max(1, total / 500)) {
                double expected = timmCosine(step, base, min, total - warmup, warmup, init, true);
                assertNear(expected, s.lr(step, base), base, "warm-up " + warmup + ", total " + total + ", step " + step);
                // A second group created with a fifth of the lr: timm's base_values entry for it, same floor.
                double second = timmCosine(step, base / 5, min, total - warmup, warmup, init, true);
                assertNear(second, s.lr(step, base / 5), base, "second group, warm-up " + warmup + ", step " + step);
            }
        }
    }

    @Test
    void cosineWithWarmupAtItsBoundaries() {
        double base = 1e-3, min = 1e-5, init = 1e-6;
        LRScheduler s = LRScheduler.cosineWithWarmup(min, 5, init, 25);
        java.util.function.LongToDoubleFunction lr = step -> s.lr(step, base);
        assertEquals(init, lr.applyAsDouble(0), 0, "step 0: the warm-up's start");
        assertRel(init + (base - init) * 4 / 5, lr.applyAsDouble(4), "last warm-up step: 4/5 of the way");
        assertEquals(base, lr.applyAsDouble(5), 0, "end of warm-up: the peak (cos 0 = 1)");
        assertRel((base + min) / 2, lr.applyAsDouble(15), "half-way through the cosine");
        double last = min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * 19 / 20));
        assertRel(last, lr.applyAsDouble(24), "last training step: one step short of the floor");
        assertTrue(lr.applyAsDouble(24) > min);
        assertEquals(min, lr.applyAsDouble(25), 0, "at total steps: the floor");
        assertEquals(min, lr.applyAsDouble(1_000), 0, "past the end: stays at the floor (timm: cycle_limit reached)");
        // Monotone: up during warm-up, down after.
        for (int i = 1; i <= 5; i++) assertTrue(lr.applyAsDouble(i) > lr.applyAsDouble(i - 1), "warm-up rises at " + i);
        for (int i = 6; i <= 25; i++) assertTrue(lr.applyAsDouble(i) < lr.applyAsDouble(i - 1), "cosine falls at " + i);
    }

    @Test
    void withoutWarmupTheCosineStartsAtTheBaseAndAllWarmupEndsAtTheFloor() {
        LRScheduler none = LRScheduler.cosineWithWarmup(0.001, 0, 0.0, 10);
        assertEquals(0.1, none.lr(0, 0.1), 0);
        assertEquals(0.001, none.lr(10, 0.1), 0);
        // The CLI caps the warm-up at the run's length: then the whole run warms up, and past it is the floor.
        LRScheduler all = LRScheduler.cosineWithWarmup(0.001, 10, 0.001, 10);
        assertRel(0.001 + 0.099 * 9 / 10, all.lr(9, 0.1), "last step of an all-warm-up run");
        assertEquals(0.001, all.lr(10, 0.1), 0);
    }

    @Test
    void stepDecayIsStepLRsClosedForm() {
        double base = 0.1, gamma = 0.1;
        LRScheduler s = LRScheduler.step(30, gamma);
        for (long epoch = 0; epoch < 200; epoch++) {
            double closedForm = base * Math.pow(gamma, Math.floorDiv(epoch, 30)); // base_lr * gamma ** (last_epoch // step_size)
            assertRel(closedForm, s.lr(epoch, base), "step " + epoch);
        }
        assertEquals(0.1, s.lr(0, base), 0);
        assertEquals(0.1, s.lr(29, base), 0, "last step before the first decay");
        assertRel(0.01, s.lr(30, base), "first decay");
        assertRel(0.001, s.lr(60, base), "second decay");
        // torch's StepLR.step() multiplies the group's lr by gamma at each boundary instead: the same up to
        // a double rounding per decay.
        double chained = base;
        for (int k = 1; k <= 6; k++) {
            chained *= gamma;
            assertEquals(chained, s.lr(30L * k, base), 1e-15 * k * chained, "after " + k + " decays");
        }
    }

    @Test
    void applyScalesEachGroupFromItsOwnInitialLr() {
        // torch: StepLR(SGD([{'params': a, 'lr': 0.5, 'weight_decay': 0.1}, {'params': b, 'lr': 0.2}]), 2, 0.5)
        // after 5 steps: each group's lr is its own initial lr times 0.5 ** (5 // 2).
        ParamGroup a = new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true)), 0.5, 0.1);
        ParamGroup b = new ParamGroup(List.of(Tensor.zeros(3).requiresGrad(true)), 0.2, 0);
        SGD sgd = new SGD(List.of(a, b), 0.9, 0, false);
        LRScheduler.step(2, 0.5).apply(sgd, 5);
        assertEquals(0.125, a.lr(), 0);
        assertEquals(0.05, b.lr(), 0);
        assertEquals(0.5, a.initialLr(), 0, "the initial lr stays what the group was created with");
        assertEquals(0.1, a.weightDecay(), 0, "weight decay is per group and not scheduled");
        LRScheduler.constant().apply(sgd, 1_000_000);
        assertEquals(0.5, a.lr(), 0);
        assertEquals(0.2, b.lr(), 0);
    }

    @Test
    void badSchedulesAreRefused() {
        assertMessage(() -> LRScheduler.step(0, 0.5), "StepLR", "step_size", "0");
        assertMessage(() -> LRScheduler.cosineWithWarmup(0, 0, 0, 0), "cosine", "total steps", "0");
        assertMessage(() -> LRScheduler.cosineWithWarmup(0, 11, 0, 10), "cosine", "warm-up steps 11", "[0, 10]");
        assertMessage(() -> LRScheduler.cosineWithWarmup(0, -1, 0, 10), "cosine", "-1");
    }
}
