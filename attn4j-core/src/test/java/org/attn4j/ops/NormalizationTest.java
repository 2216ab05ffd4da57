package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * layer_norm and batch_norm against libtorch's own kernels (through DJL's NDArrayEx), forward and backward,
 * over seeded random configurations.
 *
 * <p>Tolerances (measured, then given about 4x room). Our statistics are accumulated in double (or float
 * Welford lanes), libtorch's in float cascades, so values of order 1 differ by a few float ulps: the worst
 * layer_norm difference seen was 1.4e-6 on a weight gradient (a sum over 40 rows), so layer_norm uses atol
 * 5e-6, rtol 1e-5. Rows with a large common offset (mean 40, std 3) lose about log2(40/3) bits to the
 * centring in float on both sides (2.3e-6 seen): atol 1e-5. batch_norm agreed within 1e-6 everywhere: atol
 * and rtol 2e-6; the running statistics 1e-6.
 */
class NormalizationTest {

    // ---------------------------------------------------------------- layer_norm

    private static void checkLayerNorm(String what, Tensor x, int[] ns, boolean weight, boolean bias, float eps,
                                       double atol, long seed) {
        Generator g = new Generator(seed);
        List<Tensor> in = new ArrayList<>();
        in.add(x.requiresGrad(true));
        Tensor w = Tensor.randn(g, ns).mul(0.5f).add(1f).requiresGrad(true);
        Tensor b = Tensor.randn(g, ns).mul(0.5f).requiresGrad(true);
        if (weight) in.add(w);
        if (bias) in.add(b);
        Torch.check(what, in,
                t -> Normalization.layerNorm(t.get(0), ns, weight ? t.get(1) : null,
                        bias ? t.get(weight ? 2 : 1) : null, eps),
                t -> {
                    NDArray xn = t.get(0);
                    NDManager m = xn.getManager();
                    // DJL's layerNorm needs both affine arrays; ones/zeros are exactly "no affine".
                    NDArray wn = weight ? t.get(1) : m.ones(Torch.shapeOf(ns));
                    NDArray bn = bias ? t.get(weight ? 2 : 1) : m.zeros(Torch.shapeOf(ns));
                    return xn.getNDArrayInternal().layerNorm(xn, Torch.shapeOf(ns), wn, bn, eps).singletonOrThrow();
                }, atol, 1e-5, seed);
    }

    @Test
    void layerNormMatchesTorchOverRandomConfigurations() {
        Generator g = new Generator(11);
        for (int trial = 0; trial < 24; trial++) {
            int rank = 1 + g.nextInt(4);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) shape[i] = 1 + g.nextInt(i == rank - 1 ? 70 : 6);
            int k = 1 + g.nextInt(Math.min(rank, 2));
            int[] ns = Arrays.copyOfRange(shape, rank - k, rank);
            boolean weight = g.nextInt(4) != 0, bias = g.nextInt(4) != 0;
            float eps = trial % 3 == 0 ? 1e-6f : 1e-5f;
            Tensor x = Tensor.randn(g, shape).mul(1f + g.nextInt(3));
            checkLayerNorm("layer_norm " + Arrays.toString(shape) + " over " + Arrays.toString(ns) + " w=" + weight
                    + " b=" + bias, x, ns, weight, bias, eps, 5e-6, 100 + trial);
        }
    }

    @Test
    void layerNormTransformerWidthAndOffsetRows() {
        Generator g = new Generator(12);
        checkLayerNorm("layer_norm [3, 5, 768]", Tensor.randn(g, 3, 5, 768), new int[] {768}, true, true, 1e-6f, 5e-6, 1);
        // A large shared offset: the centring must not lose the variance (one-pass E[x²]-E[x]² in float would).
        checkLayerNorm("layer_norm offset rows", Tensor.randn(g, 6, 97).mul(3f).add(40f), new int[] {97}, true, true,
                1e-5f, 1e-5, 2);
        // A constant row: variance 0, so the output is bias and the input gradient is finite.
        checkLayerNorm("layer_norm constant row", Tensor.full(2.5f, 2, 16), new int[] {16}, true, true, 1e-5f, 5e-6, 3);
    }

    @Test
    void layerNormReadsNonContiguousInput() {
        Generator g = new Generator(13);
        Tensor base = Tensor.randn(g, 9, 4, 3);
        Tensor xt = base.transpose(0, 2).detach();   // [3, 4, 9], strided
        checkLayerNorm("layer_norm transposed", xt, new int[] {9}, true, true, 1e-5f, 5e-6, 4);
    }

    @Test
    void layerNormRejectsMismatchedShapes() {
        Tensor x = Tensor.zeros(2, 3, 5);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.layerNorm(x, new int[] {4}, null, null, 1e-5f));
        assertEquals("layer_norm: given normalized_shape [4], expected an input of shape [*, 4] but got input of shape"
                + " [2, 3, 5]", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Normalization.layerNorm(x, new int[] {5}, Tensor.ones(4), null, 1e-5f));
        assertEquals("layer_norm: weight of shape [4] does not match the expected shape [5]", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> Normalization.layerNorm(Tensor.arange(5), new int[] {5}, null, null, 1e-5f));
        assertTrue(e3.getMessage().startsWith("layer_norm: expected a float32 tensor, got int64"), e3.getMessage());
    }

    // ---------------------------------------------------------------- batch_norm

    /**
     * One batch_norm call on both sides with the same inputs and the same upstream gradient: compares the
     * output, the gradients of x, weight and bias, and the running statistics after the call.
     */
    private static void checkBatchNorm(String what, int[] shape, boolean affine, boolean track, boolean training,
                                       float momentum, float eps, long seed) {
        checkBatchNorm(what, shape, affine, track, training, momentum, eps, seed, false);
    }

    /** {@link #checkBatchNorm} of batch_norm alone, or (with {@code relu}) of batchNormRelu against relu(batch_norm). */
    private static void checkBatchNorm(String what, int[] shape, boolean affine, boolean track, boolean training,
                                       float momentum, float eps, long seed, boolean relu) {
        Generator g = new Generator(seed);
        int c = shape[1];
        Tensor x = Tensor.randn(g, shape).mul(2f).add(0.5f);
        Tensor w = Tensor.randn(g, c).mul(0.3f).add(1f);
        Tensor b = Tensor.randn(g, c).mul(0.3f);
        Tensor rm0 = Tensor.randn(g, c).mul(0.2f);
        Tensor rv0 = Tensor.rand(g, c).add(0.5f);
        Tensor up = Tensor.randn(g, shape);

        // attn4j
        Tensor xl = x.detach().requiresGrad(true);
        Tensor wl = affine ? w.detach().requiresGrad(true) : null;
        Tensor bl = affine ? b.detach().requiresGrad(true) : null;
        Tensor rm = track ? rm0.contiguousCopy() : null, rv = track ? rv0.contiguousCopy() : null;
        Tensor y = relu
                ? Normalization.batchNormRelu(xl, rm, rv, wl, bl, training, momentum, eps)
                : Normalization.batchNorm(xl, rm, rv, wl, bl, training, momentum, eps);
        y.backward(up);

        // libtorch
        try (NDManager m = Torch.scope()) {
            NDArray xn = Torch.nd(m, x), wn = Torch.nd(m, affine ? w : Tensor.ones(c));
            NDArray bn = Torch.nd(m, affine ? b : Tensor.zeros(c));
            // DJL needs running arrays even when not tracking; in training they do not affect the output.
            NDArray rmn = Torch.nd(m, rm0), rvn = Torch.nd(m, rv0);
            xn.setRequiresGradient(true);
            if (affine) {
                wn.setRequiresGradient(true);
                bn.setRequiresGradient(true);
            }
            NDArray yn;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                // DJL's momentum is MXNet's (weight of the old value): it hands libtorch 1 - momentum, so we pass
                // 1 - momentum to get PyTorch's. Axis -1 makes DJL call torch.batch_norm on the layout as is.
                yn = xn.getNDArrayInternal().batchNorm(xn, rmn, rvn, wn, bn, -1, 1f - momentum, eps, training)
                        .singletonOrThrow();
                if (relu) yn = ai.djl.nn.Activation.relu(yn);
                gc.backward(yn.mul(Torch.nd(m, up)).sum());
            }
            double atol = 2e-6, rtol = 2e-6;
            Assertions2.assertClose(what + " forward", Torch.tensor(yn), y.detach(), atol, rtol);
            Assertions2.assertClose(what + " grad x", Torch.tensor(xn.getGradient()), xl.grad(), atol, rtol);
            if (affine) {
                Assertions2.assertClose(what + " grad weight", Torch.tensor(wn.getGradient()), wl.grad(), atol, rtol);
                Assertions2.assertClose(what + " grad bias", Torch.tensor(bn.getGradient()), bl.grad(), atol, rtol);
            }
            if (track) {
                // 1 - (1 - momentum) in float is momentum to 2.4e-7 relative: the running stats agree to 1e-6.
                Assertions2.assertClose(what + " running_mean", Torch.tensor(rmn), rm, 1e-6, 1e-6);
                Assertions2.assertClose(what + " running_var", Torch.tensor(rvn), rv, 1e-6, 1e-6);
                if (training) {
                    // The update really happened (libtorch's arrays moved away from the initial values).
                    assertTrue(Assertions2.maxAbsDiff(rm0, rm) > 1e-3, what + ": running_mean was not updated");
                } else {
                    assertEquals(0.0, Assertions2.maxAbsDiff(rm0, rm), what + ": eval must not touch running_mean");
                    assertEquals(0.0, Assertions2.maxAbsDiff(rv0, rv), what + ": eval must not touch running_var");
                }
            }
        }
    }

    @Test
    void batchNormMatchesTorchOverRandomConfigurations() {
        Generator g = new Generator(21);
        int[][] shapes = {{8, 5}, {4, 3, 7}, {2, 4, 5, 6}, {3, 2, 1, 9}, {16, 1}, {1, 3, 5}};
        int trial = 0;
        for (int[] shape : shapes) {
            for (int mode = 0; mode < 4; mode++) {
                boolean training = mode < 3;
                boolean affine = mode != 1;
                boolean track = mode != 2;
                float momentum = 0.05f + g.nextInt(5) * 0.1f;
                checkBatchNorm("batch_norm " + Arrays.toString(shape) + " training=" + training + " affine=" + affine
                        + " track=" + track, shape, affine, track, training, momentum, 1e-5f, 200 + trial++);
            }
        }
    }

    @Test
    void batchNormReluMatchesTorch() {
        Generator g = new Generator(23);
        int[][] shapes = {{8, 5}, {4, 3, 7}, {2, 4, 5, 6}, {3, 2, 1, 9}};
        int trial = 0;
        for (int[] shape : shapes) {
            for (int mode = 0; mode < 3; mode++) {
                boolean training = mode < 2, affine = mode != 1;
                checkBatchNorm("batch_norm_relu " + Arrays.toString(shape) + " training=" + training + " affine=" + affine,
                        shape, affine, true, training, 0.05f + g.nextInt(5) * 0.1f, 1e-5f, 300 + trial++, true);
            }
        }
    }

    /**
     * The fused op against the two ops composed, on [16, 8, 12, 12] (long channels, so the vector loops and
     * the parallel split run): output and every gradient equal bit for bit, in training and evaluation, and
     * with x not requiring a gradient (the masked gradient then needs a buffer of its own).
     */
    @Test
    void batchNormReluIsBatchNormThenReluBitForBit() {
        Generator g = new Generator(24);
        int[] shape = {16, 8, 12, 12};
        Tensor x = Tensor.randn(g, shape), w = Tensor.randn(g, 8).add(1f), b = Tensor.randn(g, 8).mul(0.5f);
        Tensor up = Tensor.randn(g, shape);
        for (int mode = 0; mode < 3; mode++) {
            boolean training = mode != 1, xGrad = mode != 2;
            Tensor[] fused = batchNormReluRun(x, w, b, up, training, xGrad, true);
            Tensor[] composed = batchNormReluRun(x, w, b, up, training, xGrad, false);
            String[] names = {"output", "grad x", "grad weight", "grad bias", "running_mean", "running_var"};
            for (int i = 0; i < names.length; i++) {
                if (composed[i] == null) continue;
                assertEquals(0.0, Assertions2.maxAbsDiff(composed[i], fused[i]),
                        "batch_norm_relu " + names[i] + " (training=" + training + ", x grad=" + xGrad + ")");
            }
        }
    }

    /** Output, grads of x, weight, bias and the running stats after one call, fused or as relu(batch_norm). */
    private static Tensor[] batchNormReluRun(Tensor x, Tensor w, Tensor b, Tensor up, boolean training, boolean xGrad,
                                             boolean fused) {
        Tensor xl = x.detach().requiresGrad(xGrad), wl = w.detach().requiresGrad(true), bl = b.detach().requiresGrad(true);
        Tensor rm = Tensor.zeros(8), rv = Tensor.ones(8);
        Tensor y = fused
                ? Normalization.batchNormRelu(xl, rm, rv, wl, bl, training, 0.1f, 1e-5f)
                : Activations.relu(Normalization.batchNorm(xl, rm, rv, wl, bl, training, 0.1f, 1e-5f));
        y.backward(up);
        return new Tensor[] {y.detach(), xGrad ? xl.grad() : null, wl.grad(), bl.grad(), rm, rv};
    }

    @Test
    void batchNormRepeatedTrainingStepsTrackTorchRunningStats() {
        // Five training steps on fresh batches: the running stats must follow libtorch's step by step.
        Generator g = new Generator(22);
        int c = 4;
        Tensor rm = Tensor.zeros(c), rv = Tensor.ones(c);
        try (NDManager m = Torch.scope()) {
            NDArray rmn = Torch.nd(m, rm), rvn = Torch.nd(m, rv);
            NDArray wn = m.ones(Torch.shapeOf(c)), bn = m.zeros(Torch.shapeOf(c));
            for (int step = 0; step < 5; step++) {
                Tensor x = Tensor.randn(g, 6, c, 3).mul(1.5f).add(step);
                Normalization.batchNorm(x, rm, rv, null, null, true, 0.1f, 1e-5f);
                NDArray xn = Torch.nd(m, x);
                xn.getNDArrayInternal().batchNorm(xn, rmn, rvn, wn, bn, -1, 1f - 0.1f, 1e-5f, true);
                Assertions2.assertClose("running_mean step " + step, Torch.tensor(rmn), rm, 1e-6, 1e-6);
                Assertions2.assertClose("running_var step " + step, Torch.tensor(rvn), rv, 1e-6, 1e-6);
            }
        }
    }

    @Test
    void batchNormRunningStatsUseUnbiasedVarianceAndNoGraph() {
        // Two values per channel: batch var (biased) 1, unbiased 2. momentum 0.5 from running (0, 1):
        // running_mean = 0.5 * 1 = 0.5, running_var = 0.5 * 1 + 0.5 * 2 = 1.5.
        Tensor x = Tensor.of(new float[] {0f, 2f}, 2, 1).requiresGrad(true);
        Tensor rm = Tensor.zeros(1), rv = Tensor.ones(1);
        Tensor y = Normalization.batchNorm(x, rm, rv, null, null, true, 0.5f, 0f);
        assertEquals(0.5f, rm.item());
        assertEquals(1.5f, rv.item());
        assertEquals(-1f, y.get(0, 0), 1e-6);
        assertEquals(1f, y.get(1, 0), 1e-6);
        assertTrue(rm.gradFn() == null && !rm.requiresGrad(), "running stats are buffers, outside the graph");
        try (var ignored = GradMode.noGrad()) {
            assertTrue(!Normalization.batchNorm(x, rm, rv, null, null, true, 0.5f, 0f).requiresGrad());
        }
    }

    @Test
    void batchNormRejectsBadArguments() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(1, 3), null, null, null, null, true, 0.1f, 1e-5f));
        assertEquals("batch_norm: expected more than 1 value per channel when training, got input of shape [1, 3]",
                e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(4, 3), null, null, null, null, false, 0.1f, 1e-5f));
        assertEquals("batch_norm: running_mean and running_var must be given in evaluation mode (input [4, 3])",
                e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(4, 3, 2), Tensor.zeros(2), Tensor.ones(3), null, null, true,
                        0.1f, 1e-5f));
        assertEquals("batch_norm: running_mean of shape [2] does not match the expected shape [3]", e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(4), null, null, null, null, true, 0.1f, 1e-5f));
        assertEquals("batch_norm: expected an input of shape [N, C, *] with at least 2 dims, got [4]", e4.getMessage());
    }
}
