package org.attn4j.optim;

import static org.attn4j.optim.SGDTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.LongFunction;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@link Adam} (both factories) against {@code torch.optim.Adam} and {@code torch.optim.AdamW}: their update
 * ({@code _single_tensor_adam}, the path torch takes for CPU tensors; AdamW is the same function with
 * {@code decoupled_weight_decay=True}) is replayed below in libtorch op by op, for 20 steps with random gradients
 * of different scales on parameters of several shapes. Parameters and the whole state (exp_avg, exp_avg_sq,
 * step) are compared after every step.
 *
 * <p>Tolerance: parameters rtol 1e-5, atol 1e-6 (about 80 float32 ulps of O(1) values); the moments rtol 4e-6
 * (about 30 ulps), exp_avg with atol 1e-6 times the gradient scale (a moment can cancel to near 0), exp_avg_sq
 * with atol 0 (a sum of squares does not cancel); step exactly. A step is a dozen float32 roundings; torch's
 * {@code lerp_}, {@code add(alpha=)}, {@code addcmul_} and {@code addcdiv_} kernels may fuse a multiply-add
 * into one FMA where the replay (DJL has no such ops) and attn4j round twice: about an ulp per op and step,
 * over 20 steps. A misplaced epsilon, a missing bias correction or coupled instead of decoupled decay is off
 * by percents; even {@code 1 - β2} computed from a float32 β2 (0.999f is 0.99900001) shows, 1.3e-5 relative
 * in exp_avg_sq.
 */
class AdamTest {
    private static final int[][] SHAPES = {{4, 3}, {5}, {2, 3, 2}, {1}};
    /** Gradient scale per parameter: Adam normalises it away, but epsilon and the moments see it. */
    private static final float[] GRAD_SCALE = {1f, 1e-3f, 10f, 1f};
    private static final int STEPS = 20;
    private static final double ATOL = 1e-6, RTOL = 1e-5, STATE_RTOL = 4e-6;

    /**
     * {@code torch.optim.Adam/AdamW} for one parameter list, as {@code _single_tensor_adam} computes it (torch
     * 2.x, non-amsgrad, not maximize, not capturable), on libtorch arrays living in {@code m}. The step count
     * is a float32 tensor in torch; the bias corrections are Python floats (doubles) computed from it.
     */
    private static final class TorchAdam {
        final List<NDArray> params = new ArrayList<>();
        final Map<Integer, NDArray> expAvg = new HashMap<>(), expAvgSq = new HashMap<>();
        final Map<Integer, Float> step = new HashMap<>();
        final NDManager m;
        final double beta1, beta2, eps;
        final boolean decoupled;

        TorchAdam(NDManager m, List<Tensor> initial, double beta1, double beta2, double eps, boolean decoupled) {
            this.m = m;
            for (Tensor p : initial) params.add(Torch.nd(m, p));
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.decoupled = decoupled;
        }

        void update(int i, NDArray grad, double lr, double weightDecay) {
            NDArray param = params.get(i);
            if (!step.containsKey(i)) {                          // lazy state initialisation
                step.put(i, 0f);
                expAvg.put(i, m.zeros(param.getShape()));
                expAvgSq.put(i, m.zeros(param.getShape()));
            }
            float stepT = step.get(i) + 1f;                      // step_t += 1
            step.put(i, stepT);
            if (weightDecay != 0) {
                if (decoupled) {
                    param = param.mul((float) (1 - lr * weightDecay));        // param.mul_(1 - lr * weight_decay)
                } else {
                    grad = grad.add(param.mul((float) weightDecay));          // grad.add(param, alpha=weight_decay)
                }
            }
            NDArray mt = expAvg.get(i), vt = expAvgSq.get(i);
            // exp_avg.lerp_(grad, 1 - beta1): weight < 0.5, so ATen computes exp_avg + w * (grad - exp_avg).
            mt = mt.add(grad.sub(mt).mul((float) (1 - beta1)));
            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2): self + value * t1 * t2.
            vt = vt.mul((float) beta2).add(grad.mul((float) (1 - beta2)).mul(grad));
            double stepD = stepT;                                // step = _get_value(step_t)
            double biasCorrection1 = 1 - Math.pow(beta1, stepD);
            double biasCorrection2 = 1 - Math.pow(beta2, stepD);
            double stepSize = lr / biasCorrection1;
            double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
            NDArray denom = vt.sqrt().div((float) biasCorrection2Sqrt).add((float) eps);
            param = param.add(mt.mul((float) -stepSize).div(denom)); // param.addcdiv_(exp_avg, denom, value=-step_size)
            params.set(i, param);
            expAvg.put(i, mt);
            expAvgSq.put(i, vt);
        }
    }

    private static List<Tensor> parameters(long seed) {
        Generator g = new Generator(seed);
        List<Tensor> ps = new ArrayList<>();
        for (int[] s : SHAPES) ps.add(Tensor.randn(g, s).requiresGrad(true));
        return ps;
    }

    private static List<Tensor> copies(List<Tensor> ps) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : ps) out.add(p.detach().contiguousCopy().requiresGrad(true));
        return out;
    }

    /**
     * Steps {@code adam} and the libtorch replay side by side for {@link #STEPS} steps, comparing parameters and
     * state after each. {@code lrAt}: each step's learning rate for every group (null: keep the groups');
     * {@code noGrad.test(step, i)}: parameter {@code i} has no gradient at {@code step}.
     */
    private static void runAgainstTorch(String what, Adam adam, double beta1, double beta2, double eps,
                                        LongFunction<Double> lrAt, BiPredicate<Integer, Integer> noGrad) {
        List<Tensor> params = new ArrayList<>();
        List<ParamGroup> groupOf = new ArrayList<>();
        for (ParamGroup group : adam.paramGroups()) {
            for (Tensor p : group.params()) {
                params.add(p);
                groupOf.add(group);
            }
        }
        Generator g = new Generator(what.hashCode());
        try (NDManager m = Torch.scope()) {
            TorchAdam torch = new TorchAdam(m, params, beta1, beta2, eps, adam.isDecoupled());
            for (int step = 0; step < STEPS; step++) {
                if (lrAt != null) adam.setLr(lrAt.apply(step));
                adam.zeroGrad();
                for (int i = 0; i < params.size(); i++) {
                    Tensor grad = Tensor.randn(g, params.get(i).shape()).mul(GRAD_SCALE[i % GRAD_SCALE.length]);
                    if (noGrad.test(step, i)) continue;
                    params.get(i).setGrad(grad);
                    torch.update(i, Torch.nd(m, grad), groupOf.get(i).lr(), groupOf.get(i).weightDecay());
                }
                adam.step();
                Map<String, Tensor> state = adam.stateDict();
                for (int i = 0; i < params.size(); i++) {
                    String at = what + ", step " + (step + 1) + ", parameter " + i;
                    Assertions2.assertClose(at, Torch.tensor(torch.params.get(i)), params.get(i), ATOL, RTOL);
                    if (!torch.step.containsKey(i)) {
                        assertFalse(state.containsKey("state." + i + ".step"), at + ": attn4j has state torch has not");
                        continue;
                    }
                    double scale = GRAD_SCALE[i % GRAD_SCALE.length];
                    Assertions2.assertClose(at + " exp_avg", Torch.tensor(torch.expAvg.get(i)), state.get("state." + i + ".exp_avg"),
                            ATOL * scale, STATE_RTOL);
                    Assertions2.assertClose(at + " exp_avg_sq", Torch.tensor(torch.expAvgSq.get(i)),
                            state.get("state." + i + ".exp_avg_sq"), 0, STATE_RTOL);
                    assertEquals(torch.step.get(i), state.get("state." + i + ".step").item(), at + " step");
                }
            }
        }
    }

    private static Adam adam(boolean decoupled, List<ParamGroup> groups, double beta1, double beta2, double eps) {
        return decoupled ? Adam.adamW(groups, beta1, beta2, eps) : Adam.adam(groups, beta1, beta2, eps);
    }

    private static void runAgainstTorch(String what, boolean decoupled, double lr, double wd, double beta1, double beta2, double eps) {
        Adam a = adam(decoupled, List.of(new ParamGroup(parameters(7), lr, wd)), beta1, beta2, eps);
        runAgainstTorch(what, a, beta1, beta2, eps, null, (step, i) -> false);
    }

    @Test
    void adamMatchesTorch() {
        runAgainstTorch("adam", false, 0.05, 0, 0.9, 0.999, 1e-8);
        runAgainstTorch("adam, betas (0.8, 0.99)", false, 0.05, 0, 0.8, 0.99, 1e-8);
    }

    @Test
    void adamWeightDecayIsL2AddedToTheGradient() {
        runAgainstTorch("adam, weight decay", false, 0.05, 0.1, 0.9, 0.999, 1e-8);
    }

    @Test
    void adamWDecaysTheParameterBeforeTheAdamStep() {
        runAgainstTorch("adamW, weight decay", true, 0.05, 0.1, 0.9, 0.999, 1e-8);
        runAgainstTorch("adamW, betas (0.8, 0.99)", true, 0.05, 0.05, 0.8, 0.99, 1e-8);
    }

    @Test
    void withoutWeightDecayAdamAndAdamWAreTheSameBitForBit() {
        List<Tensor> p1 = parameters(12), p2 = copies(p1);
        Adam adam = Adam.adam(List.of(new ParamGroup(p1, 1e-2, 0)), 0.9, 0.999, 1e-8);
        Adam adamW = Adam.adamW(List.of(new ParamGroup(p2, 1e-2, 0)), 0.9, 0.999, 1e-8);
        Generator g = new Generator(12);
        for (int s = 0; s < 5; s++) {
            for (int i = 0; i < p1.size(); i++) {
                Tensor grad = Tensor.randn(g, p1.get(i).shape());
                p1.get(i).setGrad(grad);
                p2.get(i).setGrad(grad);
            }
            adam.step();
            adamW.step();
        }
        for (int i = 0; i < p1.size(); i++) assertArrayEquals(p1.get(i).toFloatArray(), p2.get(i).toFloatArray());
    }

    @Test
    void epsilonIsAddedAfterTheBiasCorrectedSquareRoot() {
        // With eps comparable to sqrt(v̂) (gradients of 1e-3 on parameter 1, eps 1e-3), the placement shows:
        // torch divides sqrt(v) by sqrt(1 - β2^t) first, then adds eps; sqrt(v̂ + eps) or (sqrt(v) + eps) / sqrt(bc2)
        // differ by tens of percent in the first steps, where 1 - β2^t is small.
        runAgainstTorch("adam, eps 1e-3", false, 0.05, 0, 0.9, 0.999, 1e-3);
        runAgainstTorch("adamW, eps 1e-3", true, 0.05, 0.01, 0.9, 0.999, 1e-3);
    }

    @Test
    void theFirstStepMovesEveryElementByLrAgainstItsGradient() {
        // Bias correction at t = 1: m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g), whatever
        // the gradient's scale: what makes Adam's first steps neither tiny (uncorrected m = 0.1·g) nor huge.
        Tensor p = Tensor.zeros(6).requiresGrad(true);
        Adam adam = Adam.adam(List.of(new ParamGroup(List.of(p), 0.01, 0)), 0.9, 0.999, 1e-8);
        float[] g = {3f, -2e-3f, 1e2f, -0.5f, 7e-4f, -40f};
        p.setGrad(Tensor.vector(g));
        adam.step();
        for (int i = 0; i < g.length; i++) assertEquals(-0.01 * Math.signum(g[i]), p.get(i), 1e-6, "element " + i); // eps/|g| <= 1.5e-5
    }

    @Test
    void aParameterWithoutGradientIsSkippedAndCountsItsOwnSteps() {
        // Parameter 1 first gets a gradient at step 6 and misses step 12; parameter 3 never gets one. Torch skips
        // them, and each parameter's bias correction uses its own step count (state['step']), not the
        // optimizer's: parameter 1 ends at step 14 of the optimizer's 20.
        List<Tensor> params = parameters(3);
        float[] never = params.get(3).toFloatArray();
        Adam adam = Adam.adamW(List.of(new ParamGroup(params, 0.05, 0.01)), 0.9, 0.999, 1e-8);
        runAgainstTorch("null grads", adam, 0.9, 0.999, 1e-8, null, (step, i) -> (i == 1 && (step < 5 || step == 12)) || i == 3);
        assertEquals(14f, adam.stateDict().get("state.1.step").item());
        assertEquals(20f, adam.stateDict().get("state.0.step").item());
        assertArrayEquals(never, params.get(3).toFloatArray(), "a parameter that never had a gradient must not move");
        assertFalse(adam.stateDict().containsKey("state.3.exp_avg"), "no state for a parameter never updated");
    }

    @Test
    void eachGroupUsesItsOwnLrAndWeightDecay() {
        for (boolean decoupled : new boolean[] {false, true}) {
            List<Tensor> ps = parameters(5);
            ParamGroup decay = new ParamGroup(List.of(ps.get(0), ps.get(2)), 0.05, 0.1);
            ParamGroup noDecay = new ParamGroup(List.of(ps.get(1), ps.get(3)), 0.02, 0);
            Adam a = adam(decoupled, List.of(decay, noDecay), 0.9, 0.999, 1e-8);
            runAgainstTorch((decoupled ? "adamW" : "adam") + ", two groups", a, 0.9, 0.999, 1e-8, null, (step, i) -> false);
        }
    }

    @Test
    void aLearningRateChangedBetweenStepsTakesEffect() {
        // What Trainer does: the warm-up + cosine schedule's lr set before each step; AdamW's decay uses it too.
        LRScheduler schedule = LRScheduler.cosineWithWarmup(1e-3, 5, 1e-3, STEPS);
        Adam adam = Adam.adamW(List.of(new ParamGroup(parameters(6), 0.05, 0.05)), 0.9, 0.999, 1e-8);
        runAgainstTorch("scheduled lr", adam, 0.9, 0.999, 1e-8, step -> schedule.lr(step, 0.05), (step, i) -> false);
    }

    private static Map<String, Tensor> snapshot(Optimizer o) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        o.stateDict().forEach((k, v) -> out.put(k, v.contiguousCopy()));
        return out;
    }

    private static void stepWith(Optimizer o, List<Tensor> params, List<Tensor> grads) {
        o.zeroGrad();
        for (int i = 0; i < params.size(); i++) params.get(i).setGrad(grads.get(i));
        o.step();
    }

    @Test
    void aRestoredStateDictContinuesBitwiseLikeAnUninterruptedRun() {
        for (boolean decoupled : new boolean[] {false, true}) {
            // lr 1e-3 and weight decay 0.05 (no float32 holds either exactly), constant: nothing re-sets the lr
            // after the load, so the restored optimizer must carry the saved one exactly.
            double lr = 1e-3, wd = 0.05;
            List<Tensor> straight = parameters(8);
            List<Tensor> resumed = copies(straight);
            Adam a = adam(decoupled, List.of(new ParamGroup(straight, lr, wd)), 0.9, 0.999, 1e-8);
            Adam b = adam(decoupled, List.of(new ParamGroup(resumed, lr, wd)), 0.9, 0.999, 1e-8);
            Generator g = new Generator(11);
            List<List<Tensor>> grads = new ArrayList<>();
            for (int s = 0; s < STEPS; s++) grads.add(straight.stream().map(p -> Tensor.randn(g, p.shape())).toList());

            for (int s = 0; s < STEPS; s++) stepWith(a, straight, grads.get(s));
            for (int s = 0; s < STEPS / 2; s++) stepWith(b, resumed, grads.get(s));
            Map<String, Tensor> checkpoint = snapshot(b);
            // A new process: the optimizer is built again (here with another lr, which the state dict overrides).
            List<Tensor> restored = copies(resumed);
            Adam c = adam(decoupled, List.of(new ParamGroup(restored, 0.5, wd)), 0.9, 0.999, 1e-8);
            c.loadStateDict(checkpoint);
            assertEquals(lr, c.paramGroups().get(0).lr(), 0, "the lr of the saved run, exactly");
            for (int s = STEPS / 2; s < STEPS; s++) stepWith(c, restored, grads.get(s));

            Map<String, Tensor> sa = a.stateDict(), sc = c.stateDict();
            assertEquals(sa.keySet(), sc.keySet());
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i).toFloatArray(), restored.get(i).toFloatArray(), "parameter " + i);
            }
            for (String k : sa.keySet()) assertArrayEquals(sa.get(k).toFloatArray(), sc.get(k).toFloatArray(), k);
        }
    }

    @Test
    void badHyperParametersAreRefusedAsTorchRefusesThem() {
        List<ParamGroup> groups = List.of(new ParamGroup(parameters(10), 1e-3, 0));
        // torch.optim.Adam/AdamW raise ValueError for each of these.
        assertMessage(() -> Adam.adam(groups, 1.0, 0.999, 1e-8), "Adam", "beta1", "1.0");
        assertMessage(() -> Adam.adam(groups, -0.1, 0.999, 1e-8), "Adam", "beta1", "-0.1");
        assertMessage(() -> Adam.adamW(groups, 0.9, 1.5, 1e-8), "AdamW", "beta2", "1.5");
        assertMessage(() -> Adam.adamW(groups, 0.9, Double.NaN, 1e-8), "AdamW", "beta2", "NaN");
        assertMessage(() -> Adam.adam(groups, 0.9, 0.999, -1e-8), "Adam", "epsilon", "-1.0E-8");
        assertMessage(() -> new ParamGroup(parameters(10), -1e-3, 0), "learning rate", "-0.001");
        assertMessage(() -> Adam.adamW(List.of(), 0.9, 0.999, 1e-8), "AdamW", "empty");
        // β = 0 is allowed (torch's interval is [0, 1)): Adam without momentum.
        assertTrue(Adam.adam(groups, 0, 0, 0).paramGroups().size() == 1);
    }
}
