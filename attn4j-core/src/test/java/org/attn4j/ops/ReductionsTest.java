package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.GradCheck;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Reductions against libtorch over random shapes (0-d to 4-d, size-1 dims), layouts, dim sets (one,
 * several, all, negative) and keepdim, forward and gradient; ties and NaN separately.
 *
 * <p>Tolerance of sums: we accumulate in double and round once; libtorch accumulates float32 in a
 * cascade, whose error grows like sqrt(n) ulps of the partial sums. For n reduced values of order one
 * that is below 1.2e-7 · sqrt(n) · 4, so atol = 5e-7 · sqrt(n) and rtol 1e-6. mean divides that by n.
 * max/min select a value: exact.
 */
class ReductionsTest {
    /** A random set of distinct dims of a rank-r tensor, some written negative; null means "all dims". */
    private static int[] dims(Generator g, int r) {
        if (r == 0 || g.nextInt(6) == 0) return null;
        int k = 1 + g.nextInt(r);
        int[] all = Reductions.allDims(r);
        for (int i = r - 1; i > 0; i--) {
            int j = g.nextInt(i + 1), t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] d = Arrays.copyOf(all, k);
        for (int i = 0; i < k; i++) if (g.nextInt(2) == 0) d[i] -= r;
        return d;
    }

    private static int reducedCount(int[] shape, int[] dims) {
        if (dims == null) return Shape.numel(shape);
        int n = 1;
        for (int d : dims) n *= shape[d < 0 ? d + shape.length : d];
        return n;
    }

    /** Libtorch's sum over dims (null: all; on a 0-d tensor there is nothing to reduce). */
    private static NDArray torchSum(NDArray x, int[] dims, boolean keep) {
        if (dims == null) {
            if (!keep) return x.sum();
            return x.sum(Reductions.allDims(x.getShape().dimension()), true);
        }
        return x.sum(dims, keep);
    }

    /** Libtorch's amax/amin over several dims, one dim at a time (from the last, so the others keep their
     * index) — valid for ties-free inputs, where max and amax route the gradient identically. */
    private static NDArray torchExtremum(NDArray x, int[] dims, boolean keep, boolean max) {
        int r = x.getShape().dimension();
        if (r == 0) return max ? x.max() : x.min();
        int[] ds = dims == null ? Reductions.allDims(r) : dims.clone();
        for (int i = 0; i < ds.length; i++) if (ds[i] < 0) ds[i] += r;
        Arrays.sort(ds);
        NDArray y = x;
        for (int i = ds.length - 1; i >= 0; i--) {
            y = max ? y.max(new int[] {ds[i]}, keep) : y.min(new int[] {ds[i]}, keep);
        }
        return y;
    }

    private static String what(String op, Tensor x, int[] dims, boolean keep) {
        return op + " " + Shape.str(x.shape()) + " strides " + Shape.str(x.strides()) + " dims "
                + (dims == null ? "all" : Arrays.toString(dims)) + " keepdim " + keep;
    }

    @Test
    void sumAndMeanMatchTorch() {
        Generator g = new Generator(21);
        for (int c = 0; c < 50; c++) {
            int[] shape = c == 0 ? new int[] {3, 23_339} : Layouts.shape(g, 0, 4, 7);
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
            int[] dims = dims(g, shape.length);
            boolean keep = g.nextInt(2) == 0;
            int n = reducedCount(shape, dims);
            double atol = 5e-7 * Math.sqrt(n);
            Torch.check(what("sum", x, dims, keep), List.of(x), t -> dims == null && !keep ? t.get(0).sum()
                    : Reductions.sum(t.get(0), dims, keep), t -> torchSum(t.get(0), dims, keep), atol, 1e-6, c);
            Torch.check(what("mean", x, dims, keep), List.of(x), t -> Reductions.mean(t.get(0), dims, keep),
                    t -> torchSum(t.get(0), dims, keep).div(Torch.scalar(t.get(0), Math.max(n, 1))), atol / Math.max(n, 1), 1e-6, c);
        }
    }

    @Test
    void varMatchesTorchWithBothCorrections() {
        Generator g = new Generator(22);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 7);
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
            int[] dims = dims(g, shape.length);
            boolean keep = g.nextInt(2) == 0;
            int correction = g.nextInt(2);
            int n = reducedCount(shape, dims);
            if (n - correction <= 0) continue;
            // libtorch's reference is composed from its float ops (DJL has no var): sum((x - mean)²) / (n - c).
            // Both are two-pass; ours accumulates in double: atol 1e-6 · sqrt(n) for values of order one.
            Torch.check(what("var c=" + correction, x, dims, keep), List.of(x),
                    t -> Reductions.var(t.get(0), dims, correction, keep),
                    t -> {
                        NDArray mean = torchSum(t.get(0), dims, true).div(n);
                        NDArray sq = t.get(0).sub(mean).square();
                        return torchSum(sq, dims, keep).div(n - correction);
                    }, 1e-6 * Math.sqrt(n), 1e-6, c);
        }
        // One value with Bessel's correction: 0/0, NaN, as torch.var.
        assertEquals(Float.NaN, Reductions.var(Tensor.vector(3f), null, 1, false).item());
        assertEquals(0f, Reductions.var(Tensor.vector(3f), null, 0, false).item());
    }

    @Test
    void varGradientMatchesFiniteDifferences() {
        Tensor x = Tensor.randn(new Generator(23), 3, 4, 5).requiresGrad(true);
        GradCheck.check("var over dims [0, 2]", List.of(x), t -> Reductions.var(t.get(0), new int[] {0, -1}, 1, true),
                1e-2, 1e-3, 1e-2, 1);
    }

    @Test
    void amaxAndAminMatchTorch() {
        Generator g = new Generator(24);
        for (int c = 0; c < 50; c++) {
            int[] shape = Layouts.shape(g, 0, 4, 7);
            // Random normal values: ties have probability 0, so libtorch's max(dim) chains are a valid oracle.
            Tensor x = Layouts.randn(g, Layouts.Layout.CONTIGUOUS, shape).requiresGrad(true);
            if (g.nextInt(2) == 0 && shape.length >= 2) x = Layouts.randn(g, Layouts.Layout.TRANSPOSED, shape).requiresGrad(true);
            int[] dims = dims(g, shape.length);
            boolean keep = g.nextInt(2) == 0;
            Torch.check(what("amax", x, dims, keep), List.of(x), t -> Reductions.amax(t.get(0), dims, keep),
                    t -> torchExtremum(t.get(0), dims, keep, true), 0, 0, c);
            Torch.check(what("amin", x, dims, keep), List.of(x), t -> Reductions.amin(t.get(0), dims, keep),
                    t -> torchExtremum(t.get(0), dims, keep, false), 0, 0, c);
        }
    }

    @Test
    void maxMinWithIndicesAndArgmaxMatchTorch() {
        Generator g = new Generator(25);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 7);
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
            int d = g.nextInt(shape.length) - (g.nextInt(2) == 0 ? 0 : shape.length);
            int dd = d < 0 ? d + shape.length : d;
            boolean keep = g.nextInt(2) == 0;
            Torch.check("max " + Shape.str(shape) + " dim " + d + " keepdim " + keep, List.of(x),
                    t -> Reductions.max(t.get(0), d, keep).values(), t -> t.get(0).max(new int[] {dd}, keep), 0, 0, c);
            Torch.check("min " + Shape.str(shape) + " dim " + d + " keepdim " + keep, List.of(x),
                    t -> Reductions.min(t.get(0), d, keep).values(), t -> t.get(0).min(new int[] {dd}, keep), 0, 0, c);
            Tensor xd = x.detach();
            try (var m = Torch.scope()) {
                NDArray nx = Torch.nd(m, xd);
                int[] expectedMax = Torch.tensor(nx.argMax(dd)).toIntArray();
                int[] expectedMin = Torch.tensor(nx.argMin(dd)).toIntArray();
                assertArrayEquals(expectedMax, Reductions.max(xd, d, false).indices().toIntArray(), "max indices");
                assertArrayEquals(expectedMin, Reductions.min(xd, d, false).indices().toIntArray(), "min indices");
                assertArrayEquals(expectedMax, xd.argmax(d, false).toIntArray(), "argmax");
                Tensor kept = xd.argmax(d, true);
                int[] keptShape = shape.clone();
                keptShape[dd] = 1;
                assertArrayEquals(keptShape, kept.shape(), "argmax keepdim shape");
                assertEquals(org.attn4j.tensor.DType.INT64, kept.dtype());
            }
        }
    }

    @Test
    void tiesShareTheGradientInAmaxAndGoToTheFirstIndexInMax() {
        // Full reduction: libtorch's max() shares the gradient evenly among ties, as amax does.
        Tensor x = Tensor.of(new float[] {1, 3, 3, 0, 3, 2}, 2, 3).requiresGrad(true);
        Torch.check("amax all with ties", List.of(x), t -> t.get(0).max(), t -> t.get(0).max(), 0, 0, 1);
        Torch.check("amin all with ties", List.of(x), t -> t.get(0).min(), t -> t.get(0).min(), 0, 0, 2);
        // Per-dim ties: row 0 has two maxima (3, 3): each gets half; row 1 one (3).
        Tensor leaf = x.detach().requiresGrad(true);
        Reductions.amax(leaf, new int[] {1}, false).sum().backward();
        assertArrayEquals(new float[] {0, 0.5f, 0.5f, 0, 1, 0}, leaf.grad().toFloatArray());
        // max(dim) and argmax pick the first of tied maxima, and max(dim) sends the gradient only there,
        // as libtorch does.
        Torch.check("max dim with ties", List.of(x), t -> Reductions.max(t.get(0), 1, false).values(),
                t -> t.get(0).max(new int[] {1}, false), 0, 0, 3);
        assertArrayEquals(new int[] {1, 1}, x.detach().argmax(1, false).toIntArray());
        assertArrayEquals(new int[] {0, 0, 0}, x.detach().argmax(0, false).toIntArray());
        assertArrayEquals(new int[] {1, 0, 1}, Reductions.min(x.detach(), 0, false).indices().toIntArray());
    }

    @Test
    void nanPropagatesThroughMaxAndItsIndex() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 5, 7, 2, Float.NaN}, 2, 3);
        try (var m = Torch.scope()) {
            NDArray nx = Torch.nd(m, x);
            Assertions2.assertClose("amax NaN", Torch.tensor(nx.max(new int[] {1}, false)), Reductions.amax(x, new int[] {1}, false), 0, 0);
            Assertions2.assertClose("amin NaN", Torch.tensor(nx.min(new int[] {1}, false)), Reductions.amin(x, new int[] {1}, false), 0, 0);
            assertArrayEquals(Torch.tensor(nx.argMax(1)).toIntArray(), x.argmax(1, false).toIntArray());
            Assertions2.assertClose("max all NaN", Torch.tensor(nx.max()), x.max(), 0, 0);
        }
    }

    @Test
    void anEmptyDimListReducesEveryDimAsInLibtorch() {
        Tensor x = Tensor.randn(new Generator(27), 2, 3, 4).requiresGrad(true);
        Torch.check("sum dims []", List.of(x), t -> Reductions.sum(t.get(0), new int[0], false),
                t -> t.get(0).sum(new int[0], false), 5e-7 * Math.sqrt(24), 1e-6, 1);
        Torch.check("sum dims [] keepdim", List.of(x), t -> Reductions.sum(t.get(0), new int[0], true),
                t -> t.get(0).sum(new int[0], true), 5e-7 * Math.sqrt(24), 1e-6, 2);
        assertArrayEquals(new int[] {1, 1, 1}, Reductions.amax(x.detach(), new int[0], true).shape());
    }

    @Test
    void zeroDimensionalTensorsReduceOverDimZero() {
        Tensor s = Tensor.scalar(-1.5f).requiresGrad(true);
        Torch.check("0-d sum dim 0", List.of(s), t -> t.get(0).sum(0, false), t -> t.get(0).sum(new int[] {0}, false), 0, 0, 1);
        Torch.check("0-d sum dim -1 keepdim", List.of(s), t -> t.get(0).sum(-1, true), t -> t.get(0).sum(new int[] {0}, true), 0, 0, 2);
        Torch.check("0-d mean", List.of(s), t -> t.get(0).mean(0, false), t -> t.get(0).mean(), 0, 0, 3);
        Torch.check("0-d amax", List.of(s), t -> t.get(0).amax(0, false), t -> t.get(0).max(), 0, 0, 4);
        assertEquals(0, s.detach().argmax(0, false).item());
        assertEquals(0, s.detach().argmax(0, false).dim());
    }

    @Test
    void sumToShapeIsTheAdjointOfBroadcasting() {
        Generator g = new Generator(26);
        Tensor big = Tensor.randn(g, 4, 3, 5);
        Assertions2.assertClose("sumToShape [3, 1]", big.sum(new int[] {0, 2}, false).reshape(3, 1),
                Reductions.sumToShape(big, new int[] {3, 1}), 1e-6, 1e-6);
        Assertions2.assertClose("sumToShape [5]", big.sum(new int[] {0, 1}, false),
                Reductions.sumToShape(big, new int[] {5}), 1e-6, 1e-6);
        Assertions2.assertClose("sumToShape []", big.sum(), Reductions.sumToShape(big, new int[0]), 1e-6, 1e-6);
        Assertions2.assertClose("sumToShape [1, 1, 1]", big.sum().reshape(1, 1, 1), Reductions.sumToShape(big, new int[] {1, 1, 1}), 1e-6, 1e-6);
        assertEquals(big, Reductions.sumToShape(big, new int[] {4, 3, 5}));
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        Tensor x = Tensor.zeros(2, 3);
        assertEquals("sum: dim 2 is out of range for a tensor of rank 2 (expected in [-2, 1])",
                assertThrows(IllegalArgumentException.class, () -> x.sum(2, false)).getMessage());
        assertEquals("mean: dim 1 appears more than once in the reduction",
                assertThrows(IllegalArgumentException.class, () -> x.mean(new int[] {1, -1}, false)).getMessage());
        assertEquals("amax: cannot reduce an empty tensor [0, 3]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0, 3).amax(0, false)).getMessage());
        assertEquals("argmax: cannot reduce over dimension 0 of size 0 in [0, 3]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0, 3).argmax(0, false)).getMessage());
        assertEquals("sum: expected a float32 tensor, got int64 of shape [4]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.arange(4).sum()).getMessage());
    }

    /**
     * Reducing a middle block of a contiguous tensor takes a copy-free path: it must agree with libtorch
     * (values, indices, gradients), including ties (the first index wins) and NaN (it wins and stays).
     * Tolerance 1e-6: sums of at most 20 unit values, in double on both sides of the comparison.
     */
    @Test
    void middleDimReductionsMatchTorch() {
        Generator g = new Generator(77);
        Tensor x = Tensor.randn(g, 3, 5, 4, 6).requiresGrad(true);
        List<Tensor> in = List.of(x);
        Torch.check("sum dim 1", in, t -> t.get(0).sum(new int[] {1}, true), t -> t.get(0).sum(new int[] {1}, true), 1e-6, 1e-6, 1);
        Torch.check("sum dims 1,2", in, t -> t.get(0).sum(new int[] {1, 2}, false), t -> t.get(0).sum(new int[] {1, 2}), 1e-6, 1e-6, 2);
        Torch.check("mean dim 1", in, t -> t.get(0).mean(1, true), t -> t.get(0).mean(new int[] {1}, true), 1e-6, 1e-6, 3);
        Torch.check("max dim 1", in, t -> Reductions.max(t.get(0), 1, true).values(),
                t -> t.get(0).max(new int[] {1}, true), 0, 0, 4);
        // Ties and NaN along dim 1 of [2, 3, 4]: column q of batch 0 is {1, 1, 0} (tie), {NaN, 5, 7}, {2, NaN, 9}, {-1, -1, -1}.
        float nan = Float.NaN;
        Tensor t = Tensor.of(new float[] {1, nan, 2, -1, 1, 5, nan, -1, 0, 7, 9, -1,
                                          3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 4, 5}, 2, 3, 4);
        Reductions.ValuesIndices mx = Reductions.max(t, 1, false);
        assertArrayEquals(new float[] {1, nan, nan, -1, 4, 5, 4, 5}, mx.values().toFloatArray());
        assertArrayEquals(new float[] {0, 0, 1, 0, 1, 2, 1, 2}, mx.indices().toFloatArray());
        Reductions.ValuesIndices mn = Reductions.min(t, 1, false);
        assertArrayEquals(new float[] {0, nan, nan, -1, 3, 3, 3, 3}, mn.values().toFloatArray());
        assertArrayEquals(new float[] {2, 0, 1, 0, 0, 0, 0, 0}, mn.indices().toFloatArray());
        // Signed zeros tie: the first keeps its sign ({-0, +0} and {+0, -0} along dim 1 of [1, 2, 2]).
        Tensor z = Tensor.of(new float[] {-0f, 0f, 0f, -0f}, 1, 2, 2);
        assertArrayEquals(new float[] {-0f, 0f}, Reductions.max(z, 1, false).values().toFloatArray());
        assertArrayEquals(new float[] {-0f, 0f}, Reductions.min(z, 1, false).values().toFloatArray());
        assertArrayEquals(new float[] {0, 0}, Reductions.max(z, 1, false).indices().toFloatArray());
    }

    @Test
    void sumProductToShapeIsTheTwoStepFormBitForBit() {
        // The fused gradient of a broadcast product (CBAM's channel and spatial weights, a row scale, a block in
        // the middle) must equal sumToShape(g * a) exactly; other layouts fall back to that form.
        Generator g = new Generator(5);
        int[][][] cases = {
                {{4, 6, 5, 7}, {4, 6, 1, 1}},
                {{4, 6, 5, 7}, {4, 1, 5, 7}},
                {{3, 9, 11}, {3, 9, 1}},
                {{2, 3, 4, 5}, {2, 1, 1, 5}},
                {{2, 3, 4, 5}, {1, 3, 1, 5}},   // not one block: the fallback
                {{6, 5}, {5}},                  // a leading dim: the fallback
        };
        for (int[][] c : cases) {
            Tensor up = Tensor.randn(g, c[0]), a = Tensor.randn(g, c[0]);
            float[] fused = Reductions.sumProductToShape(up, a, c[1]).toFloatArray();
            float[] twoStep = Reductions.sumToShape(up.mul(a), c[1]).toFloatArray();
            assertArrayEquals(twoStep, fused, 0f, Arrays.toString(c[0]) + " -> " + Arrays.toString(c[1]));
            assertArrayEquals(c[1], Reductions.sumProductToShape(up, a, c[1]).shape());
        }
    }
}
