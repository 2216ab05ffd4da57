package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.function.Function;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Pooling against libtorch through DJL, forward and input gradient, over seeded random configurations
 * (kernel 1-4, stride 1-3, padding up to half the kernel, dilation 1-2, floor and ceil mode, odd sizes,
 * batched and unbatched).
 *
 * <p>Oracles: {@code Pool.maxPool2d} / {@code Pool.avgPool2d} (libtorch's max_pool2d / avg_pool2d) for
 * dilation 1. DJL's max pool has no dilation argument and its native avg pool ignores count_include_pad, so dilated max pooling is compared against its
 * definition composed from libtorch ops (pad with -inf, take the strided slice of every kernel tap, and
 * reduce with {@code maximum}) and avg pooling without padding in the count against
 * {@code avg_pool(x) / avg_pool(ones)}. DJL's NDArray API has only global adaptive pooling, so adaptive pools call
 * libtorch's {@code adaptive_avg_pool} / {@code adaptive_max_pool} through DJL's {@code JniUtils} directly.
 *
 * <p>Tolerances: a max is exact (forward atol 0); a max-pool input gradient is the sum of the upstream values
 * of the windows that picked it. An average sums at most {@code n} window values. A float32 sum of {@code n}
 * terms in any order is within {@code gamma_n * sum|terms|} of the exact value ({@code gamma_n = n*u/(1-n*u)},
 * {@code u = 2^-24}), so two implementations differ by at most {@code 2*gamma_n*n*max|term|}; each check uses
 * that, with {@code n} the most terms any element sums, plus a 2u relative allowance for the final division.
 */
class PoolingTest {
    private static final double U = Math.ulp(1.0f) / 2;

    private static double sumBound(int n, double maxAbs) {
        return 2 * (n * U / (1 - n * U)) * n * maxAbs;
    }

    private static int pick(Generator g, int... options) {
        return options[g.nextInt(options.length)];
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.toFloatArray()) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** Runs theirs on a batched copy when x is unbatched, as ours accepts both. */
    private static Function<List<NDArray>, NDArray> batchedOnly(boolean unbatched, Function<NDArray, NDArray> f) {
        return t -> unbatched ? f.apply(t.get(0).expandDims(0)).squeeze(0) : f.apply(t.get(0));
    }

    private static Tensor input(Generator g, boolean unbatched, int N, int C, int H, int W) {
        return (unbatched ? Tensor.randn(g, C, H, W) : Tensor.randn(g, N, C, H, W)).requiresGrad(true);
    }

    @Test
    void maxPool2dMatchesTorch() {
        Generator g = new Generator(31);
        int done = 0;
        for (int trial = 0; done < 60; trial++) {
            int[] k = {pick(g, 1, 2, 3, 4), pick(g, 1, 2, 3, 4)};
            int[] s = {pick(g, 1, 2, 3), pick(g, 1, 2, 3)};
            int[] p = {g.nextInt(k[0] / 2 + 1), g.nextInt(k[1] / 2 + 1)};
            boolean ceil = pick(g, 0, 1) == 1, unbatched = pick(g, 0, 0, 0, 1) == 1;
            int H = pick(g, 5, 6, 7, 9, 11), W = pick(g, 4, 5, 7, 8, 13);
            if (org.attn4j.kernels.Window2d.poolOutSize(H, k[0], s[0], p[0], 1, ceil) < 1) continue;
            Tensor x = input(g, unbatched, pick(g, 1, 2), pick(g, 1, 3), H, W);
            // Upstream values are N(0,1) (|g| < 6 here); an input collects at most ceil(k/s)^2 <= 16 of them.
            double tol = sumBound(16, 6);
            Torch.check(String.format("max_pool2d #%d x%s k%s s%s p%s ceil=%b", trial, org.attn4j.tensor.Shape.str(x.shape()),
                            org.attn4j.tensor.Shape.str(k), org.attn4j.tensor.Shape.str(s), org.attn4j.tensor.Shape.str(p), ceil),
                    List.of(x), t -> Pooling.maxPool2d(t.get(0), k, s, p, new int[] {1}, ceil),
                    batchedOnly(unbatched, a -> Pool.maxPool2d(a, shape(k), shape(s), shape(p), ceil)), tol, 0, trial);
            done++;
        }
    }

    @Test
    void dilatedMaxPool2dMatchesItsDefinitionInTorch() {
        Generator g = new Generator(32);
        int done = 0;
        for (int trial = 0; done < 30; trial++) {
            int[] k = {pick(g, 2, 3), pick(g, 1, 2, 3)};
            int[] s = {pick(g, 1, 2, 3), pick(g, 1, 2)};
            int[] p = {g.nextInt(k[0] / 2 + 1), g.nextInt(k[1] / 2 + 1)};
            int[] d = {pick(g, 1, 2, 3), pick(g, 2)};
            boolean ceil = pick(g, 0, 1) == 1;
            int H = pick(g, 7, 9, 10), W = pick(g, 6, 7, 11);
            int Ho = org.attn4j.kernels.Window2d.poolOutSize(H, k[0], s[0], p[0], d[0], ceil);
            int Wo = org.attn4j.kernels.Window2d.poolOutSize(W, k[1], s[1], p[1], d[1], ceil);
            if (Ho < 1 || Wo < 1) continue;
            Tensor x = input(g, false, 2, 2, H, W);
            Torch.check(String.format("dilated max_pool2d #%d k%s s%s p%s d%s ceil=%b", trial, org.attn4j.tensor.Shape.str(k),
                            org.attn4j.tensor.Shape.str(s), org.attn4j.tensor.Shape.str(p), org.attn4j.tensor.Shape.str(d), ceil),
                    List.of(x), t -> Pooling.maxPool2d(t.get(0), k, s, p, d, ceil),
                    t -> dilatedMaxPoolByDefinition(t.get(0), k, s, p, d, Ho, Wo), sumBound(9, 6), 0, 100 + trial);
            done++;
        }
    }

    /** max over kernel taps of strided slices of the -inf-padded input (right padding extended for ceil mode). */
    private static NDArray dilatedMaxPoolByDefinition(NDArray x, int[] k, int[] s, int[] p, int[] d, int Ho, int Wo) {
        long H = x.getShape().get(2), W = x.getShape().get(3);
        long extraH = Math.max(0, (Ho - 1L) * s[0] + (k[0] - 1L) * d[0] + 1 - (H + 2L * p[0]));
        long extraW = Math.max(0, (Wo - 1L) * s[1] + (k[1] - 1L) * d[1] + 1 - (W + 2L * p[1]));
        // F.pad order: last dim first.
        NDArray xp = x.pad(new Shape(p[1], p[1] + extraW, p[0], p[0] + extraH), Double.NEGATIVE_INFINITY);
        NDArray out = null;
        for (int i = 0; i < k[0]; i++) {
            for (int j = 0; j < k[1]; j++) {
                NDArray tap = xp.get(String.format(":, :, %d:%d:%d, %d:%d:%d", i * d[0], i * d[0] + (Ho - 1) * s[0] + 1, s[0],
                        j * d[1], j * d[1] + (Wo - 1) * s[1] + 1, s[1]));
                out = out == null ? tap : out.maximum(tap);
            }
        }
        return out;
    }

    @Test
    void maxPoolTiesSendTheGradientToTheFirstMaximumAndNaNWins() {
        Generator g = new Generator(33);
        // Values in {0, 1, 2}: most windows hold tied maxima; libtorch takes the first in row-major order.
        Tensor x = Tensor.randint(g, 0, 3, 2, 3, 9, 9).withDType(org.attn4j.tensor.DType.FLOAT32).contiguousCopy().requiresGrad(true);
        int[] k = {3, 3}, s = {2, 2}, p = {1, 1};
        Torch.check("max_pool2d ties", List.of(x), t -> Pooling.maxPool2d(t.get(0), k, s, p, new int[] {1}, true),
                t -> Pool.maxPool2d(t.get(0), shape(k), shape(s), shape(p), true), sumBound(4, 6), 0, 200);
        Torch.check("adaptive_max_pool2d ties", List.of(x), t -> Pooling.adaptiveMaxPool2d(t.get(0), new int[] {4, 3}),
                t -> JniUtils.adaptiveMaxPool((PtNDArray) t.get(0), new Shape(4, 3)), sumBound(4, 6), 0, 201);
        Torch.check("global max ties", List.of(x), t -> Pooling.adaptiveMaxPool2d(t.get(0), new int[] {1}),
                t -> JniUtils.adaptiveMaxPool((PtNDArray) t.get(0), new Shape(1, 1)), 0, 0, 202);
        float[] v = Tensor.randn(g, 1, 1, 5, 5).toFloatArray();
        v[7] = Float.NaN;
        Tensor withNaN = Tensor.of(v, 1, 1, 5, 5).requiresGrad(true);
        Torch.check("max_pool2d NaN", List.of(withNaN), t -> Pooling.maxPool2d(t.get(0), new int[] {2}, new int[] {1}, new int[] {0}),
                t -> Pool.maxPool2d(t.get(0), shape(2, 2), shape(1, 1), shape(0, 0), false), sumBound(4, 6), 0, 203);
        // The 2x2 / stride 2 window has a path of its own: ties, and NaN in every window position (odd size: the
        // last row and column are dropped).
        Torch.check("max_pool2d 2x2 ties", List.of(x), t -> Pooling.maxPool2d(t.get(0), new int[] {2}, new int[] {2}, new int[] {0}),
                t -> Pool.maxPool2d(t.get(0), shape(2, 2), shape(2, 2), shape(0, 0), false), 0, 0, 204);
        float[] u = Tensor.randn(g, 1, 2, 5, 7).toFloatArray();
        u[0] = Float.NaN;
        u[3] = Float.NaN;
        u[9] = Float.NaN;
        u[16] = Float.NaN;
        u[35 + 7] = Float.NaN;
        u[35 + 8] = Float.NaN;
        Tensor nan2 = Tensor.of(u, 1, 2, 5, 7).requiresGrad(true);
        Torch.check("max_pool2d 2x2 NaN", List.of(nan2), t -> Pooling.maxPool2d(t.get(0), new int[] {2}, new int[] {2}, new int[] {0}),
                t -> Pool.maxPool2d(t.get(0), shape(2, 2), shape(2, 2), shape(0, 0), false), 0, 0, 205);
    }

    @Test
    void avgPool2dMatchesTorch() {
        Generator g = new Generator(34);
        int done = 0;
        for (int trial = 0; done < 60; trial++) {
            int[] k = {pick(g, 1, 2, 3, 4), pick(g, 1, 2, 3, 4)};
            int[] s = {pick(g, 1, 2, 3), pick(g, 1, 2, 3)};
            int[] p = {g.nextInt(k[0] / 2 + 1), g.nextInt(k[1] / 2 + 1)};
            boolean ceil = pick(g, 0, 1) == 1, countPad = pick(g, 0, 1) == 1, unbatched = pick(g, 0, 0, 0, 1) == 1;
            int H = pick(g, 5, 6, 7, 9, 11), W = pick(g, 4, 5, 7, 8, 13);
            if (org.attn4j.kernels.Window2d.poolOutSize(H, k[0], s[0], p[0], 1, ceil) < 1) continue;
            Tensor x = input(g, unbatched, pick(g, 1, 2), pick(g, 1, 3), H, W);
            // Forward: a mean of <= 16 N(0,1) inputs (|x| < 6); backward: <= 16 upstream values / divisor. rtol 4u:
            // our one division against the oracle's (one, or two for count_include_pad=false).
            double tol = sumBound(16, 6);
            Torch.check(String.format("avg_pool2d #%d x%s k%s s%s p%s ceil=%b count_include_pad=%b", trial,
                            org.attn4j.tensor.Shape.str(x.shape()), org.attn4j.tensor.Shape.str(k), org.attn4j.tensor.Shape.str(s),
                            org.attn4j.tensor.Shape.str(p), ceil, countPad),
                    List.of(x), t -> Pooling.avgPool2d(t.get(0), k, s, p, ceil, countPad),
                    batchedOnly(unbatched, a -> avgPoolOracle(a, k, s, p, ceil, countPad)), tol, 4 * U, 300 + trial);
            done++;
        }
    }

    /**
     * libtorch's avg_pool2d. DJL's native binding drops count_include_pad (always true), so the false case is
     * composed from its definition: avg_pool(x) / avg_pool(ones), both counting padding, is the window sum over
     * the number of input elements in the window (the padded-window divisors cancel).
     */
    private static NDArray avgPoolOracle(NDArray a, int[] k, int[] s, int[] p, boolean ceil, boolean countPad) {
        NDArray withPad = Pool.avgPool2d(a, shape(k), shape(s), shape(p), ceil, true);
        if (countPad) return withPad;
        return withPad.div(Pool.avgPool2d(a.onesLike(), shape(k), shape(s), shape(p), ceil, true));
    }

    @Test
    void adaptivePools2dMatchTorch() {
        Generator g = new Generator(35);
        for (int trial = 0; trial < 40; trial++) {
            int H = pick(g, 1, 3, 5, 7, 10, 13), W = pick(g, 2, 4, 7, 9, 14);
            int Ho = 1 + g.nextInt(H + 2), Wo = 1 + g.nextInt(W + 2); // output may exceed input: overlapping bins
            boolean unbatched = pick(g, 0, 0, 0, 1) == 1;
            Tensor x = input(g, unbatched, pick(g, 1, 2), pick(g, 1, 3), H, W);
            int binMax = (H / Ho + 2) * (W / Wo + 2);
            String what = String.format("#%d x%s out [%d, %d]", trial, org.attn4j.tensor.Shape.str(x.shape()), Ho, Wo);
            Torch.check("adaptive_avg_pool2d " + what, List.of(x), t -> Pooling.adaptiveAvgPool2d(t.get(0), new int[] {Ho, Wo}),
                    batchedOnly(unbatched, a -> JniUtils.adaptiveAvgPool((PtNDArray) a, new Shape(Ho, Wo))),
                    sumBound(binMax, maxAbs(x) + 6), 2 * U, 400 + trial);
            Torch.check("adaptive_max_pool2d " + what, List.of(x), t -> Pooling.adaptiveMaxPool2d(t.get(0), new int[] {Ho, Wo}),
                    batchedOnly(unbatched, a -> JniUtils.adaptiveMaxPool((PtNDArray) a, new Shape(Ho, Wo))),
                    sumBound(binMax, 6), 0, 500 + trial);
        }
    }

    @Test
    void adaptivePools1dMatchTorch() {
        Generator g = new Generator(36);
        for (int trial = 0; trial < 20; trial++) {
            int L = pick(g, 1, 4, 7, 16, 25), Lo = 1 + g.nextInt(L + 2);
            boolean unbatched = pick(g, 0, 0, 1) == 1;
            Tensor x = (unbatched ? Tensor.randn(g, 3, L) : Tensor.randn(g, 2, 3, L)).requiresGrad(true);
            int binMax = L / Lo + 2;
            Function<List<NDArray>, NDArray> avg = batchedOnly(unbatched, a -> JniUtils.adaptiveAvgPool((PtNDArray) a, new Shape(Lo)));
            Function<List<NDArray>, NDArray> max = batchedOnly(unbatched, a -> JniUtils.adaptiveMaxPool((PtNDArray) a, new Shape(Lo)));
            String what = String.format("#%d x%s out %d", trial, org.attn4j.tensor.Shape.str(x.shape()), Lo);
            Torch.check("adaptive_avg_pool1d " + what, List.of(x), t -> Pooling.adaptiveAvgPool1d(t.get(0), Lo),
                    avg, sumBound(binMax, maxAbs(x) + 6), 2 * U, 600 + trial);
            Torch.check("adaptive_max_pool1d " + what, List.of(x), t -> Pooling.adaptiveMaxPool1d(t.get(0), Lo),
                    max, sumBound(binMax, 6), 0, 700 + trial);
        }
    }

    @Test
    void globalPoolingAsInSqueezeExcitationMatchesTorch() {
        Generator g = new Generator(37);
        for (int[] s : new int[][] {{4, 64, 7, 7}, {2, 32, 14, 14}, {3, 5, 1, 1}, {1, 8, 56, 56}}) {
            Tensor x = Tensor.randn(g, s).requiresGrad(true);
            int n = s[2] * s[3];
            // libtorch sums the plane in float32: within gamma_n * n * max|x| of our double sum (then one division).
            Torch.check("global avg " + org.attn4j.tensor.Shape.str(s), List.of(x),
                    t -> Pooling.adaptiveAvgPool2d(t.get(0), new int[] {1}),
                    t -> JniUtils.adaptiveAvgPool((PtNDArray) t.get(0), new Shape(1, 1)), sumBound(n, maxAbs(x)) / n + 1e-7, 2 * U, 800);
            Torch.check("global max " + org.attn4j.tensor.Shape.str(s), List.of(x),
                    t -> Pooling.adaptiveMaxPool2d(t.get(0), new int[] {1}),
                    t -> JniUtils.adaptiveMaxPool((PtNDArray) t.get(0), new Shape(1, 1)), 0, 0, 801);
            Tensor x1 = Tensor.randn(g, s[0], s[1], n).requiresGrad(true);
            Torch.check("global avg 1d", List.of(x1), t -> Pooling.adaptiveAvgPool1d(t.get(0), 1),
                    t -> t.get(0).mean(new int[] {2}, true), sumBound(n, maxAbs(x1)) / n + 1e-7, 2 * U, 802);
        }
    }

    private static Shape shape(int... v) {
        return Torch.shapeOf(v);
    }

    private static void assertMessage(String expected, Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(2, 3, 8, 8);
        int[] one = {1}, zero = {0};
        assertMessage("max_pool2d: expected a 3-D (unbatched) or 4-D (batched) input, got [3, 8]",
                () -> Pooling.maxPool2d(Tensor.zeros(3, 8), new int[] {2}, null, zero));
        assertMessage("max_pool2d: padding [2, 2] must be at most half the kernel_size [3, 3]",
                () -> Pooling.maxPool2d(x, new int[] {3}, one, new int[] {2}));
        assertMessage("max_pool2d: stride must be positive, got [0]",
                () -> Pooling.maxPool2d(x, new int[] {3}, zero, zero));
        assertMessage("max_pool2d: kernel_size must be positive, got [0, 2]",
                () -> Pooling.maxPool2d(x, new int[] {0, 2}, one, zero));
        assertMessage("max_pool2d: dilation must be positive, got [0]",
                () -> Pooling.maxPool2d(x, new int[] {2}, one, zero, zero, false));
        assertMessage("max_pool2d: input [2, 3, 8, 8] padded by [0, 0] is too small for kernel_size [5, 5] with dilation [2, 2] (output would be 0x0)",
                () -> Pooling.maxPool2d(x, new int[] {5}, one, zero, new int[] {2}, false));
        assertMessage("avg_pool2d: padding [0, 3] must be at most half the kernel_size [4, 5]",
                () -> Pooling.avgPool2d(x, new int[] {4, 5}, one, new int[] {0, 3}));
        assertMessage("avg_pool2d: input [2, 3, 3, 3] padded by [0, 0] is too small for kernel_size [4, 4] with dilation [1, 1] (output would be 0x0)",
                () -> Pooling.avgPool2d(Tensor.zeros(2, 3, 3, 3), new int[] {4}, one, zero));
        assertMessage("adaptive_avg_pool2d: output_size must be positive, got [0, 2]",
                () -> Pooling.adaptiveAvgPool2d(x, new int[] {0, 2}));
        assertMessage("adaptive_avg_pool2d: input [2, 3, 0, 4] has an empty spatial dimension",
                () -> Pooling.adaptiveAvgPool2d(Tensor.zeros(2, 3, 0, 4), one));
        assertMessage("adaptive_max_pool2d: output_size must have 1 or 2 values, got [1, 1, 1]",
                () -> Pooling.adaptiveMaxPool2d(x, new int[] {1, 1, 1}));
        assertMessage("adaptive_avg_pool1d: expected a 2-D (unbatched) or 3-D (batched) input, got [2, 3, 8, 8]",
                () -> Pooling.adaptiveAvgPool1d(x, 1));
        assertMessage("adaptive_max_pool1d: output_size must be positive, got [-1]",
                () -> Pooling.adaptiveMaxPool1d(Tensor.zeros(2, 8), -1));
        assertMessage("max_pool2d: expected a float32 tensor, got int64 of shape [2, 3, 4, 4]",
                () -> Pooling.maxPool2d(Tensor.zeros(2, 3, 4, 4).withDType(org.attn4j.tensor.DType.INT64), new int[] {2}, null, zero));
    }
}
