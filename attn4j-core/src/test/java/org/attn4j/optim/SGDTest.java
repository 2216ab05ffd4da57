package org.attn4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@link SGD} against {@code torch.optim.SGD}, whose update ({@code _single_tensor_sgd}, the path torch takes for
 * CPU tensors) is replayed below in libtorch, tensor op by tensor op, for 20 steps with random gradients on
 * parameters of several shapes; parameters and momentum buffers are compared after every step.
 *
 * <p>Tolerance: rtol 1e-5, atol 1e-6 (about 80 float32 ulps). Each step is a handful of float32 roundings; where
 * torch passes {@code alpha=} ({@code d_p.add(param, alpha=wd)}, {@code add_(d_p, alpha=1-dampening)},
 * {@code param.add_(d_p, alpha=-lr)}) ATen's AVX2 kernels fuse multiply and add into one FMA, while the replay
 * (DJL has no {@code alpha}) and attn4j round the product first; that is at most an ulp per op, accumulated
 * over 20 steps of O(1) values. A wrong rule (momentum applied before weight decay, a missing first-step buffer
 * copy, Nesterov's look-ahead left out) is off by O(lr) = 1e-2..1e-1, far outside.
 */
class SGDTest {
    /** The parameters of every run: a weight matrix, a bias, a conv-like kernel and a single element. */
    private static final int[][] SHAPES = {{4, 3}, {5}, {2, 3, 2}, {1}};
    private static final int STEPS = 20;
    private static final double ATOL = 1e-6, RTOL = 1e-5;

    /**
     * {@code torch.optim.SGD} for one parameter list, as {@code _single_tensor_sgd} computes it, on libtorch
     * arrays that live in {@code m}. Hyper-parameters per call, as torch reads them from the param group at
     * each step.
     */
    private static final class TorchSgd {
        final List<NDArray> params = new ArrayList<>();
        final Map<Integer, NDArray> momentumBuffers = new HashMap<>();
        final double momentum, dampening;
        final boolean nesterov;

        TorchSgd(NDManager m, List<Tensor> initial, double momentum, double dampening, boolean nesterov) {
            for (Tensor p : initial) params.add(Torch.nd(m, p));
            this.momentum = momentum;
            this.dampening = dampening;
            this.nesterov = nesterov;
        }

        /** One update of parameter {@code i}; torch skips parameters whose {@code grad} is None. */
        void update(int i, NDArray grad, double lr, double weightDecay) {
            NDArray param = params.get(i);
            NDArray dp = grad;
            if (weightDecay != 0) dp = dp.add(param.mul((float) weightDecay));           // d_p.add(param, alpha=wd)
            if (momentum != 0) {
                NDArray buf = momentumBuffers.get(i);
                if (buf == null) {
                    buf = dp.duplicate();                                                    // torch.clone(d_p).detach()
                } else {
                    buf = buf.mul((float) momentum).add(dp.mul((float) (1 - dampening))); // buf.mul_(μ).add_(d_p, alpha=1-τ)
                }
                momentumBuffers.put(i, buf);
                dp = nesterov ? dp.add(buf.mul((float) momentum)) : buf;                     // d_p.add(buf, alpha=μ) or buf
            }
            params.set(i, param.add(dp.mul((float) -lr)));                                  // param.add_(d_p, alpha=-lr)
        }
    }

    private static List<Tensor> parameters(long seed) {
        Generator g = new Generator(seed);
        List<Tensor> ps = new ArrayList<>();
        for (int[] s : SHAPES) ps.add(Tensor.randn(g, s).requiresGrad(true));
        return ps;
    }

    /** Independent copies of {@code ps} (same values, own storage), for a second optimizer. */
    private static List<Tensor> copies(List<Tensor> ps) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : ps) out.add(p.detach().contiguousCopy().requiresGrad(true));
        return out;
    }

    /**
     * Runs {@code sgd} and the libtorch replay side by side: each step draws a gradient per parameter (scaled
     * by {@code gradScale}; null where {@code noGrad} says so), steps both, and compares every parameter and
     * momentum buffer. {@code lrAt} gives each step's learning rate for every group (null: keep the groups').
     */
    private static void runAgainstTorch(String what, SGD sgd, double momentum, double dampening, boolean nesterov,
                                        java.util.function.LongFunction<Double> lrAt,
                                        java.util.function.BiPredicate<Integer, Integer> noGrad) {
        List<Tensor> params = new ArrayList<>();
        List<ParamGroup> groupOf = new ArrayList<>();
        for (ParamGroup group : sgd.paramGroups()) {
            for (Tensor p : group.params()) {
                params.add(p);
                groupOf.add(group);
            }
        }
        Generator g = new Generator(what.hashCode());
        try (NDManager m = Torch.scope()) {
            TorchSgd torch = new TorchSgd(m, params, momentum, dampening, nesterov);
            for (int step = 0; step < STEPS; step++) {
                if (lrAt != null) sgd.setLr(lrAt.apply(step));
                sgd.zeroGrad();
                for (int i = 0; i < params.size(); i++) {
                    Tensor p = params.get(i);
                    Tensor grad = Tensor.randn(g, p.shape());
                    if (noGrad.test(step, i)) continue;
                    p.setGrad(grad);
                    torch.update(i, Torch.nd(m, grad), groupOf.get(i).lr(), groupOf.get(i).weightDecay());
                }
                sgd.step();
                for (int i = 0; i < params.size(); i++) {
                    String at = what + ", step " + (step + 1) + ", parameter " + i;
                    Assertions2.assertClose(at, Torch.tensor(torch.params.get(i)), params.get(i), ATOL, RTOL);
                    NDArray buf = torch.momentumBuffers.get(i);
                    Tensor ours = sgd.stateDict().get("state." + i + ".momentum_buffer");
                    if (buf == null) {
                        assertNull(ours, at + ": torch has no momentum buffer yet, attn4j has one");
                    } else {
                        Assertions2.assertClose(at + " momentum_buffer", Torch.tensor(buf), ours, ATOL, RTOL);
                    }
                }
            }
        }
    }

    private static void runAgainstTorch(String what, double lr, double momentum, double dampening, boolean nesterov,
                                        double weightDecay) {
        SGD sgd = new SGD(List.of(new ParamGroup(parameters(7), lr, weightDecay)), momentum, dampening, nesterov);
        runAgainstTorch(what, sgd, momentum, dampening, nesterov, null, (step, i) -> false);
    }

    @Test
    void plainSgdIsPMinusLrTimesGrad() {
        runAgainstTorch("plain", 0.1, 0, 0, false, 0);
        // No momentum, no state: torch keeps momentum_buffer None, attn4j keeps no buffer at all.
        SGD sgd = new SGD(parameters(1), 0.1);
        sgd.paramGroups().get(0).params().forEach(p -> p.setGrad(Tensor.onesLike(p)));
        sgd.step();
        assertTrue(sgd.stateDict().keySet().stream().noneMatch(k -> k.startsWith("state.")), sgd.stateDict().keySet().toString());
    }

    @Test
    void momentumWithoutDampeningMatchesTorch() {
        runAgainstTorch("momentum 0.9", 0.05, 0.9, 0, false, 0);
    }

    @Test
    void momentumWithDampeningMatchesTorch() {
        runAgainstTorch("momentum 0.9, dampening 0.3", 0.05, 0.9, 0.3, false, 0);
    }

    @Test
    void nesterovMatchesTorch() {
        runAgainstTorch("nesterov 0.9", 0.05, 0.9, 0, true, 0);
    }

    @Test
    void weightDecayIsAddedToTheGradientBeforeMomentum() {
        runAgainstTorch("weight decay, no momentum", 0.1, 0, 0, false, 0.05);
        runAgainstTorch("weight decay, momentum", 0.05, 0.9, 0, false, 0.05);
        runAgainstTorch("weight decay, nesterov", 0.05, 0.9, 0, true, 0.05);
    }

    @Test
    void aParameterWithoutGradientIsSkipped() {
        // Parameter 1 gets no gradient for its first 5 steps and on step 12; parameter 3 never gets one. Torch
        // skips them (p.grad is None): no update, and the momentum buffer starts at the first real gradient.
        List<Tensor> params = parameters(3);
        float[] never = params.get(3).toFloatArray();
        SGD sgd = new SGD(List.of(new ParamGroup(params, 0.05, 0.01)), 0.9, 0, true);
        runAgainstTorch("null grads", sgd, 0.9, 0, true, null, (step, i) -> (i == 1 && (step < 5 || step == 12)) || i == 3);
        assertArrayEquals(never, params.get(3).toFloatArray(), "a parameter that never had a gradient must not move");
        assertFalse(sgd.stateDict().containsKey("state.3.momentum_buffer"), "no state for a parameter never updated");
    }

    @Test
    void zeroGradThenStepChangesNothing() {
        List<Tensor> params = parameters(4);
        SGD sgd = new SGD(List.of(new ParamGroup(params, 0.1, 0.1)), 0.9, 0, false);
        params.forEach(p -> p.setGrad(Tensor.onesLike(p)));
        sgd.step();
        List<float[]> before = params.stream().map(Tensor::toFloatArray).toList();
        sgd.zeroGrad();                                    // set_to_none: grads become null
        params.forEach(p -> assertNull(p.grad()));
        sgd.step();                                        // ... so even momentum and weight decay do nothing
        for (int i = 0; i < params.size(); i++) assertArrayEquals(before.get(i), params.get(i).toFloatArray());
    }

    @Test
    void eachGroupUsesItsOwnLrAndWeightDecay() {
        List<Tensor> ps = parameters(5);
        // As timm builds them: weights with decay, the bias and the scalar without, and a different lr.
        ParamGroup decay = new ParamGroup(List.of(ps.get(0), ps.get(2)), 0.05, 0.1);
        ParamGroup noDecay = new ParamGroup(List.of(ps.get(1), ps.get(3)), 0.02, 0);
        SGD sgd = new SGD(List.of(decay, noDecay), 0.9, 0, false);
        runAgainstTorch("two groups", sgd, 0.9, 0, false, null, (step, i) -> false);
    }

    @Test
    void aLearningRateChangedBetweenStepsTakesEffect() {
        // What a scheduler does: StepLR halving 0.1 every 4 steps, set before each step.
        LRScheduler schedule = LRScheduler.step(4, 0.5);
        SGD sgd = new SGD(List.of(new ParamGroup(parameters(6), 0.1, 0.01)), 0.9, 0, true);
        runAgainstTorch("scheduled lr", sgd, 0.9, 0, true, step -> schedule.lr(step, 0.1), (step, i) -> false);
        assertEquals(0.1 * Math.pow(0.5, (STEPS - 1) / 4), sgd.paramGroups().get(0).lr(), 0);
    }

    /** The state dict as a checkpoint file holds it: copies, so later steps cannot reach into it. */
    private static Map<String, Tensor> snapshot(Optimizer o) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        o.stateDict().forEach((k, v) -> out.put(k, v.contiguousCopy()));
        return out;
    }

    @Test
    void aRestoredStateDictContinuesBitwiseLikeAnUninterruptedRun() {
        List<Tensor> straight = parameters(8);
        List<Tensor> resumed = copies(straight);
        SGD a = new SGD(List.of(new ParamGroup(straight, 0.03, 0.01)), 0.9, 0, true);
        SGD b = new SGD(List.of(new ParamGroup(resumed, 0.03, 0.01)), 0.9, 0, true);
        Generator g = new Generator(11);
        List<List<Tensor>> grads = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) grads.add(straight.stream().map(p -> Tensor.randn(g, p.shape())).toList());

        for (int s = 0; s < STEPS; s++) stepWith(a, straight, grads.get(s));
        for (int s = 0; s < STEPS / 2; s++) stepWith(b, resumed, grads.get(s));
        Map<String, Tensor> checkpoint = snapshot(b);
        // A new process: parameters restored from the model checkpoint, a fresh optimizer, its state loaded.
        List<Tensor> restored = copies(resumed);
        SGD c = new SGD(List.of(new ParamGroup(restored, 0.03, 0.01)), 0.9, 0, true);
        c.loadStateDict(checkpoint);
        assertEquals(STEPS / 2, c.steps());
        for (int s = STEPS / 2; s < STEPS; s++) stepWith(c, restored, grads.get(s));

        for (int i = 0; i < straight.size(); i++) {
            assertArrayEquals(straight.get(i).toFloatArray(), restored.get(i).toFloatArray(), "parameter " + i);
            assertArrayEquals(a.stateDict().get("state." + i + ".momentum_buffer").toFloatArray(),
                    c.stateDict().get("state." + i + ".momentum_buffer").toFloatArray(), "momentum buffer " + i);
        }
        assertEquals(a.steps(), c.steps());
    }

    private static void stepWith(Optimizer o, List<Tensor> params, List<Tensor> grads) {
        o.zeroGrad();
        for (int i = 0; i < params.size(); i++) params.get(i).setGrad(grads.get(i));
        o.step();
    }

    @Test
    void loadingAStateDictOfOtherShapesFailsClearly() {
        SGD sgd = new SGD(List.of(new ParamGroup(parameters(9), 0.1, 0)), 0.9, 0, false);
        var e = assertThrows(IllegalArgumentException.class,
                () -> sgd.loadStateDict(Map.of("state.0.momentum_buffer", Tensor.zeros(3, 4))));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[4, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sgd.loadStateDict(Map.of("state.9.momentum_buffer", Tensor.zeros(1))));
        assertTrue(e.getMessage().contains("parameter 9"), e.getMessage());
    }

    @Test
    void badHyperParametersAreRefusedAsTorchRefusesThem() {
        List<Tensor> ps = parameters(10);
        // torch.optim.SGD raises ValueError for each of these.
        assertMessage(() -> new SGD(ps, -0.1), "SGD", "-0.1");
        assertMessage(() -> new SGD(List.of(new ParamGroup(ps, 0.1, 0)), -0.5, 0, false), "SGD", "momentum", "-0.5");
        assertMessage(() -> new SGD(List.of(new ParamGroup(ps, 0.1, 0)), 0, 0, true), "SGD", "nesterov", "momentum 0.0");
        assertMessage(() -> new SGD(List.of(new ParamGroup(ps, 0.1, 0)), 0.9, 0.1, true), "SGD", "nesterov", "dampening 0.1");
        assertMessage(() -> new ParamGroup(ps, 0.1, -1e-4), "weight_decay", "-1.0E-4");
        assertMessage(() -> new SGD(List.of(), 0.9, 0, false), "SGD", "empty");
        SGD sgd = new SGD(ps, 0.1);
        assertMessage(() -> sgd.setLr(Double.NaN), "learning rate", "NaN");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable bad, String... parts) {
        var e = assertThrows(IllegalArgumentException.class, bad);
        for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
    }
}
