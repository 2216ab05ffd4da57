package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * conv2d / conv1d against libtorch ({@code Conv2d.conv2d} / {@code Conv1d.conv1d} through DJL): forward and the
 * gradients of input, weight and bias over many seeded random configurations (strides 1-3, padding 0-2,
 * dilation 1-2, groups 1 / 2 / depthwise, odd sizes, with and without bias, batched and unbatched).
 *
 * <p>Tolerance, from a float64-golden argument. Every element we compare is a sum of {@code n} float32
 * products: the forward output sums {@code n = C_in/groups*kH*kW} products {@code x*w} (plus the bias), the
 * input gradient {@code n = C_out/groups*kH*kW} products {@code g*w}, the weight and bias gradients
 * {@code n = N*Ho*Wo} products {@code g*x} (resp. values {@code g}). Summed in any order, with or without
 * FMA, a float32 result is within {@code gamma_n * S} of the exact (float64) value, where
 * {@code gamma_n = n*u/(1 - n*u)}, {@code u = 2^-24}, and {@code S} is the same sum over absolute values
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., eq. 3.5). attn4j and libtorch sum in
 * different orders, so each element may differ by up to {@code 2 * gamma_n * S}. {@code S} is computed per
 * element by libtorch itself: the same convolution of {@code |x|}, {@code |w|}, {@code |b|} backpropagating
 * {@code |upstream|} yields exactly the absolute sums of the forward and of each gradient. An indexing or
 * padding mistake changes an element by a whole product, about {@code S/n}, far beyond that bound. The
 * Winograd F(2x2, 3x3) path (3x3, stride 1, at least 8 channels in and out) is not a reordering of the same
 * products, so the argument does not strictly cover it; its extra rounding (sums of at most nine transformed
 * values) stays far inside the same bound on the cases below that take it.
 */
class ConvolutionTest {
    private static final double U = Math.ulp(1.0f) / 2; // 2^-24, float32 unit roundoff
    private static double worstRatio;

    private static double gamma(long n) {
        return n * U / (1 - n * U);
    }

    /** Compares one output/gradient against libtorch with the per-element bound 2*gamma_n*S. */
    private static void assertWithinBound(String what, Tensor expected, Tensor actual, Tensor absSum, long n) {
        if (!Shape.equal(expected.shape(), actual.shape())) {
            throw new AssertionError(what + ": shape " + Shape.str(actual.shape()) + " != expected " + Shape.str(expected.shape()));
        }
        float[] e = expected.toFloatArray(), a = actual.toFloatArray(), s = absSum.toFloatArray();
        double g2 = 2 * gamma(n);
        for (int i = 0; i < e.length; i++) {
            double bound = g2 * s[i] + 1e-30;
            double diff = Math.abs((double) a[i] - e[i]);
            worstRatio = Math.max(worstRatio, diff / bound);
            if (!(diff <= bound)) {
                throw new AssertionError(String.format("%s: element %d is %s, libtorch says %s: |diff| %.3g exceeds 2*gamma_%d*S = %.3g",
                        what, i, a[i], e[i], diff, n, bound));
            }
        }
    }

    @AfterAll
    static void report() {
        System.out.printf("ConvolutionTest: worst |attn4j - libtorch| / (2 gamma_n S) = %.4f%n", worstRatio);
    }

    /** One configuration, compared in forward and every gradient; {@code oneD} uses conv1d on [.., C, W]. */
    private static void check(String what, Generator g, Tensor x, Tensor w, Tensor b, int[] s1, int[] p1, int[] d1, int groups,
                              boolean oneD) {
        // Our API takes one value for both dims; DJL wants one per spatial dim.
        int[] s = twice(s1, oneD), p = twice(p1, oneD), d = twice(d1, oneD);
        List<Tensor> inputs = new ArrayList<>(List.of(x, w));
        if (b != null) inputs.add(b);
        boolean unbatched = x.dim() == (oneD ? 2 : 3);
        Function<List<Tensor>, Tensor> ours = t -> {
            Tensor bias = t.size() > 2 ? t.get(2) : null;
            return oneD ? Convolution.conv1d(t.get(0), t.get(1), bias, s[0], p[0], d[0], groups)
                    : Convolution.conv2d(t.get(0), t.get(1), bias, s, p, d, groups);
        };
        Function<List<NDArray>, NDArray> theirs = t -> {
            NDArray in = unbatched ? t.get(0).expandDims(0) : t.get(0);
            NDArray bias = t.size() > 2 ? t.get(2) : null;
            NDArray out = oneD
                    ? Conv1d.conv1d(in, t.get(1), bias, Torch.shapeOf(s[0]), Torch.shapeOf(p[0]), Torch.shapeOf(d[0]), groups).singletonOrThrow()
                    : Conv2d.conv2d(in, t.get(1), bias, Torch.shapeOf(s), Torch.shapeOf(p), Torch.shapeOf(d), groups).singletonOrThrow();
            return unbatched ? out.squeeze(0) : out;
        };
        Tensor outShapeProbe = ours.apply(List.of(x.detach(), w.detach()));
        Tensor upstream = Tensor.randn(g, outShapeProbe.shape());
        Torch.Result mine = Torch.runOurs(inputs, ours, upstream);
        Torch.Result ref = Torch.run(inputs, theirs, upstream);
        List<Tensor> absInputs = new ArrayList<>();
        for (Tensor t : inputs) absInputs.add(t.detach().abs().requiresGrad(true));
        Torch.Result abs = Torch.run(absInputs, theirs, upstream.abs());

        int[] os = outShapeProbe.shape(), ws = w.shape();
        int taps = oneD ? ws[2] : ws[2] * ws[3];
        long outPositions = outShapeProbe.numel() / ws[0]; // N*Ho*Wo
        long nFwd = (long) ws[1] * taps + (b != null ? 1 : 0);
        long nGx = (long) (ws[0] / groups) * taps;
        assertWithinBound(what + " forward", ref.output(), mine.output(), abs.output(), nFwd);
        assertWithinBound(what + " grad input", ref.grads().get(0), mine.grads().get(0), abs.grads().get(0), nGx);
        assertWithinBound(what + " grad weight", ref.grads().get(1), mine.grads().get(1), abs.grads().get(1), outPositions);
        if (b != null) {
            assertWithinBound(what + " grad bias", ref.grads().get(2), mine.grads().get(2), abs.grads().get(2), outPositions);
        }
        assertEquals(Shape.str(os), Shape.str(ref.output().shape()), what + " output shape");
    }

    private static int[] twice(int[] v, boolean oneD) {
        return oneD || v.length == 2 ? v : new int[] {v[0], v[0]};
    }

    private static int pick(Generator g, int... options) {
        return options[g.nextInt(options.length)];
    }

    @Test
    void randomConv2dConfigurationsMatchTorch() {
        Generator g = new Generator(20240601);
        int done = 0;
        for (int trial = 0; done < 80; trial++) {
            int groupsKind = pick(g, 0, 0, 1, 2); // 0: groups 1, 1: groups 2, 2: depthwise
            int cg = pick(g, 1, 2, 3), og = pick(g, 1, 2, 3);
            int groups = groupsKind == 0 ? 1 : groupsKind == 1 ? 2 : pick(g, 2, 3, 4);
            if (groupsKind == 2) cg = 1; // depthwise: one input channel per group, og is the channel multiplier
            int C = cg * groups, Cout = og * groups;
            int kH = pick(g, 1, 2, 3), kW = pick(g, 1, 3, 3, 2);
            int[] s = {pick(g, 1, 2, 3), pick(g, 1, 2, 3)};
            int[] p = {pick(g, 0, 1, 2), pick(g, 0, 1, 2)};
            int[] d = {pick(g, 1, 2), pick(g, 1, 2)};
            int H = pick(g, 5, 7, 9, 11, 6), W = pick(g, 5, 7, 9, 13, 8);
            if (H + 2 * p[0] < d[0] * (kH - 1) + 1 || W + 2 * p[1] < d[1] * (kW - 1) + 1) continue;
            int N = pick(g, 1, 2, 3);
            boolean unbatched = pick(g, 0, 0, 0, 1) == 1;
            boolean withBias = pick(g, 0, 1) == 1;
            Tensor x = (unbatched ? Tensor.randn(g, C, H, W) : Tensor.randn(g, N, C, H, W)).requiresGrad(true);
            Tensor w = Tensor.randn(g, Cout, cg, kH, kW).requiresGrad(true);
            Tensor b = withBias ? Tensor.randn(g, Cout).requiresGrad(true) : null;
            String what = String.format("conv2d #%d x%s w%s bias=%b s%s p%s d%s groups=%d", trial, Shape.str(x.shape()),
                    Shape.str(w.shape()), withBias, Shape.str(s), Shape.str(p), Shape.str(d), groups);
            check(what, g, x, w, b, s, p, d, groups, false);
            done++;
        }
    }

    @Test
    void randomConv1dConfigurationsMatchTorch() {
        Generator g = new Generator(7);
        int done = 0;
        for (int trial = 0; done < 40; trial++) {
            int groupsKind = pick(g, 0, 0, 1, 2);
            int cg = pick(g, 1, 2, 3), og = pick(g, 1, 2);
            int groups = groupsKind == 0 ? 1 : groupsKind == 1 ? 2 : pick(g, 2, 3);
            if (groupsKind == 2) cg = 1;
            int C = cg * groups, Cout = og * groups;
            int k = pick(g, 1, 2, 3, 5), s = pick(g, 1, 2, 3), p = pick(g, 0, 1, 2), d = pick(g, 1, 2);
            int L = pick(g, 5, 7, 9, 16, 11);
            if (L + 2 * p < d * (k - 1) + 1) continue;
            boolean unbatched = pick(g, 0, 0, 0, 1) == 1;
            boolean withBias = pick(g, 0, 1) == 1;
            Tensor x = (unbatched ? Tensor.randn(g, C, L) : Tensor.randn(g, pick(g, 1, 2, 3), C, L)).requiresGrad(true);
            Tensor w = Tensor.randn(g, Cout, cg, k).requiresGrad(true);
            Tensor b = withBias ? Tensor.randn(g, Cout).requiresGrad(true) : null;
            String what = String.format("conv1d #%d x%s w%s bias=%b s%d p%d d%d groups=%d", trial, Shape.str(x.shape()),
                    Shape.str(w.shape()), withBias, s, p, d, groups);
            check(what, g, x, w, b, new int[] {s}, new int[] {p}, new int[] {d}, groups, true);
            done++;
        }
    }

    @Test
    void ecaConv1dOverChannelsMatchesTorch() {
        // ECA: the channel descriptor [N, 1, C] through a k-tap conv1d, padding (k-1)/2, no bias.
        Generator g = new Generator(11);
        for (int k : new int[] {3, 5, 7}) {
            Tensor y = Tensor.randn(g, 4, 1, 64).requiresGrad(true);
            Tensor w = Tensor.randn(g, 1, 1, k).requiresGrad(true);
            check("eca k=" + k, g, y, w, null, new int[] {1}, new int[] {(k - 1) / 2}, new int[] {1}, 1, true);
        }
    }

    @Test
    void fastPathsMatchTorch() {
        Generator g = new Generator(12);
        int[] one = {1}, zero = {0};
        // 1x1 convolution: the input is the column matrix (no im2col).
        check("1x1", g, Tensor.randn(g, 3, 16, 7, 5).requiresGrad(true), Tensor.randn(g, 24, 16, 1, 1).requiresGrad(true),
                Tensor.randn(g, 24).requiresGrad(true), one, zero, one, 1, false);
        check("1x1 grouped", g, Tensor.randn(g, 2, 8, 6, 6).requiresGrad(true), Tensor.randn(g, 12, 2, 1, 1).requiresGrad(true),
                null, one, zero, one, 4, false);
        // 1x1 with stride 2 is a subsampling: takes the im2col path.
        check("1x1 stride 2", g, Tensor.randn(g, 2, 8, 7, 7).requiresGrad(true), Tensor.randn(g, 4, 8, 1, 1).requiresGrad(true),
                null, new int[] {2}, zero, one, 1, false);
        // ViT PatchEmbed: kernel == stride, no padding.
        check("patchify", g, Tensor.randn(g, 2, 3, 16, 16).requiresGrad(true), Tensor.randn(g, 32, 3, 4, 4).requiresGrad(true),
                Tensor.randn(g, 32).requiresGrad(true), new int[] {4}, zero, one, 1, false);
        // Large enough to be split over the batch (partial weight gradients summed across chunks).
        check("batch-parallel", g, Tensor.randn(g, 6, 8, 12, 12).requiresGrad(true), Tensor.randn(g, 16, 8, 3, 3).requiresGrad(true),
                Tensor.randn(g, 16).requiresGrad(true), one, one, one, 1, false);
        // Winograd F(2x2, 3x3): 3x3 stride 1 with at least 8 channels each way (the Fashion-MNIST CNN's stage 2
        // shape, batch 2), forward and input gradient; an odd plane cuts the last tiles.
        check("winograd 32->24 @14", g, Tensor.randn(g, 2, 32, 14, 14).requiresGrad(true),
                Tensor.randn(g, 24, 32, 3, 3).requiresGrad(true), Tensor.randn(g, 24).requiresGrad(true), one, one, one, 1, false);
        check("winograd 8->9 @11x13 pad 2", g, Tensor.randn(g, 3, 8, 11, 13).requiresGrad(true),
                Tensor.randn(g, 9, 8, 3, 3).requiresGrad(true), null, one, new int[] {2}, one, 1, false);
        // Depthwise 7x7 as in ConvNeXt.
        check("depthwise 7x7", g, Tensor.randn(g, 2, 6, 9, 9).requiresGrad(true), Tensor.randn(g, 6, 1, 7, 7).requiresGrad(true),
                Tensor.randn(g, 6).requiresGrad(true), one, new int[] {3}, one, 6, false);
    }

    @Test
    void gradientOfOnlySomeInputs() {
        Generator g = new Generator(13);
        Tensor x = Tensor.randn(g, 2, 4, 6, 6);
        Tensor w = Tensor.randn(g, 5, 4, 3, 3).requiresGrad(true);
        Tensor b = Tensor.randn(g, 5);
        // Weight only: 72-term sums of N(0,1) products (|S| ~ 50): 2*gamma_72*S ~ 4e-4 bounds the difference.
        Torch.check("conv2d weight-only grad", List.of(x, w, b),
                t -> Convolution.conv2d(t.get(0), t.get(1), t.get(2), new int[] {1}, new int[] {1}, new int[] {1}, 1),
                t -> Conv2d.conv2d(t.get(0), t.get(1), t.get(2), Torch.shapeOf(1, 1), Torch.shapeOf(1, 1), Torch.shapeOf(1, 1), 1)
                        .singletonOrThrow(), 4e-4, 0, 14);
        Tensor xg = x.detach().requiresGrad(true);
        Tensor out = Convolution.conv2d(xg, w.detach(), b, new int[] {1}, new int[] {1}, new int[] {1}, 1);
        out.backward(Tensor.ones(out.shape()));
        assertEquals(Shape.str(xg.shape()), Shape.str(xg.grad().shape()));
    }

    @Test
    void nonContiguousInputIsReadCorrectly() {
        Generator g = new Generator(15);
        Tensor xt = Tensor.randn(g, 2, 3, 9, 7).requiresGrad(true); // used as x.transpose(2, 3): [2, 3, 7, 9]
        Tensor w = Tensor.randn(g, 4, 3, 3, 2).requiresGrad(true);
        Torch.check("conv2d transposed input", List.of(xt, w),
                t -> Convolution.conv2d(t.get(0).transpose(2, 3), t.get(1), null, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 2}, 1),
                t -> Conv2d.conv2d(t.get(0).transpose(0, 1, 3, 2), t.get(1), null, Torch.shapeOf(2, 1), Torch.shapeOf(1, 0),
                        Torch.shapeOf(1, 2), 1).singletonOrThrow(),
                // 27-term sums of N(0,1) products (|S| ~ 20): 2*gamma_27*S ~ 6e-5 bounds the difference.
                1e-4, 0, 16);
    }

    private static void assertMessage(String expected, Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(2, 3, 8, 8);
        int[] one = {1}, zero = {0};
        assertMessage("conv2d: input [2, 3, 8, 8] has 3 channels but weight [16, 4, 3, 3] expects 4 (groups=1)",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 4, 3, 3), null, one, zero, one, 1));
        assertMessage("conv2d: input [2, 3, 8, 8] has 3 channels but weight [16, 1, 3, 3] expects 2 (groups=2)",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 1, 3, 3), null, one, zero, one, 2));
        assertMessage("conv2d: weight [16, 1, 3, 3] has 16 output channels, which groups=3 does not divide",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 1, 3, 3), null, one, zero, one, 3));
        assertMessage("conv2d: groups must be positive, got 0",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 3, 3), null, one, zero, one, 0));
        assertMessage("conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got [3, 8]",
                () -> Convolution.conv2d(Tensor.zeros(3, 8), Tensor.zeros(16, 3, 3, 3), null, one, zero, one, 1));
        assertMessage("conv2d: weight must be 4-D [out_channels, in_channels/groups, kH, kW], got [16, 3, 3]",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 3), null, one, zero, one, 1));
        assertMessage("conv2d: bias [8] must be [16] for weight [16, 3, 3, 3]",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 3, 3), Tensor.zeros(8), one, zero, one, 1));
        assertMessage("conv2d: stride must be positive, got [1, 0]",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 3, 3), null, new int[] {1, 0}, zero, one, 1));
        assertMessage("conv2d: padding must be non-negative, got [-1]",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 3, 3), null, one, new int[] {-1}, one, 1));
        assertMessage("conv2d: dilation must have 1 or 2 values, got [1, 1, 1]",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 3, 3), null, one, zero, new int[] {1, 1, 1}, 1));
        assertMessage("conv2d: input [2, 3, 8, 8] padded by [0, 0] is 8x8, smaller than the kernel 9x9 of weight [16, 3, 5, 5] with dilation [2, 2]",
                () -> Convolution.conv2d(x, Tensor.zeros(16, 3, 5, 5), null, one, zero, new int[] {2}, 1));
        assertMessage("conv2d: expected a float32 tensor, got int64 of shape [3]",
                () -> Convolution.conv2d(x, Tensor.arange(3), null, one, zero, one, 1));
        assertMessage("conv1d: input [2, 3, 10] has 3 channels but weight [4, 2, 3] expects 2 (groups=1)",
                () -> Convolution.conv1d(Tensor.zeros(2, 3, 10), Tensor.zeros(4, 2, 3), null, 1, 0, 1, 1));
        assertMessage("conv1d: input [2, 3, 4] padded by 0 has length 4, shorter than the kernel 5 of weight [4, 3, 5] with dilation 1",
                () -> Convolution.conv1d(Tensor.zeros(2, 3, 4), Tensor.zeros(4, 3, 5), null, 1, 0, 1, 1));
        assertMessage("conv1d: weight must be 3-D [out_channels, in_channels/groups, k], got [4, 3, 3, 3]",
                () -> Convolution.conv1d(Tensor.zeros(2, 3, 10), Tensor.zeros(4, 3, 3, 3), null, 1, 0, 1, 1));
        assertMessage("conv1d: stride must be positive, got [0]",
                () -> Convolution.conv1d(Tensor.zeros(2, 3, 10), Tensor.zeros(4, 3, 3), null, 0, 0, 1, 1));
    }
}
