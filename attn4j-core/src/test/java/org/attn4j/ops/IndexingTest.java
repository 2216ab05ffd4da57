package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import java.util.List;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.GradCheck;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Selection ops against libtorch (masked_fill, where, gather, index_select) over random shapes, layouts
 * and broadcast masks; triu/tril (not exposed by DJL) against a direct index test and finite differences.
 * Tolerance: these ops copy values and route gradients without arithmetic, so forward results are exact;
 * gradients are sums only where an index repeats (gather, index_select) or a dim is broadcast
 * (where, masked_fill's input does not broadcast): atol 1e-6, rtol 1e-6 there.
 */
class IndexingTest {
    private static final double ATOL = 1e-6, RTOL = 1e-6;

    /** A random shape that broadcasts to {@code shape} (dims dropped from the front or set to 1). */
    private static int[] broadcastable(Generator g, int[] shape) {
        int drop = g.nextInt(shape.length + 1);
        int[] ms = new int[shape.length - drop];
        for (int i = 0; i < ms.length; i++) ms[i] = g.nextInt(2) == 0 ? 1 : shape[drop + i];
        return ms;
    }

    /** A random bool mask whose shape broadcasts to {@code shape}. */
    private static Tensor mask(Generator g, int[] shape) {
        int[] ms = broadcastable(g, shape);
        boolean[] v = new boolean[Shape.numel(ms)];
        for (int i = 0; i < v.length; i++) v[i] = g.nextInt(3) == 0;
        return Tensor.ofBooleans(v, ms);
    }

    @Test
    void maskedFillMatchesTorchWithBroadcastMasks() {
        Generator g = new Generator(51);
        float[] values = {0f, -1e9f, Float.NEGATIVE_INFINITY, 2.5f};
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 0, 4, 6);
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
            Tensor m = mask(g, shape);
            if (m.dim() >= 2 && g.nextInt(2) == 0) m = m.mT().contiguous().mT();   // a strided mask
            float value = values[c % values.length];
            Torch.check("masked_fill " + Shape.str(shape) + " mask " + Shape.str(m.shape()) + " value " + value, List.of(x, m),
                    t -> t.get(0).maskedFill(t.get(1), value),
                    // DJL's where does not broadcast: expand the mask to x's shape first.
                    t -> NDArrays.where(t.get(1).broadcast(t.get(0).getShape()),
                            t.get(0).getManager().full(t.get(0).getShape(), value), t.get(0)), 0, 0, c);
        }
    }

    @Test
    void whereMatchesTorchWithThreeWayBroadcast() {
        Generator g = new Generator(52);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 0, 4, 5);
            Tensor cond = mask(g, shape);
            Tensor a = Layouts.randn(g, Layouts.layout(g), g.nextInt(2) == 0 ? shape : broadcastable(g, shape)).requiresGrad(true);
            Tensor b = Layouts.randn(g, Layouts.layout(g), broadcastable(g, shape)).requiresGrad(true);
            Torch.check("where cond " + Shape.str(cond.shape()) + " a " + Shape.str(a.shape()) + " b " + Shape.str(b.shape()),
                    List.of(cond, a, b), t -> Indexing.where(t.get(0), t.get(1), t.get(2)),
                    t -> {
                        // DJL's where does not broadcast: expand all three to the common shape first.
                        long[] out = Torch.shapeOf(Shape.broadcast("where", Shape.broadcast("where", cond.shape(), a.shape()),
                                b.shape())).getShape();
                        return NDArrays.where(t.get(0).broadcast(out), t.get(1).broadcast(out), t.get(2).broadcast(out));
                    }, ATOL, RTOL, c);
        }
    }

    /** Random int64 indices in [-size, size) (negative ones count from the end). */
    private static Tensor indices(Generator g, int size, boolean negatives, int... shape) {
        long[] v = new long[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = g.nextInt(size) - (negatives && g.nextInt(2) == 0 ? size : 0);
        return Tensor.ofLongs(v, shape);
    }

    @Test
    void gatherMatchesTorchIncludingRepeatedIndicesAndStridedInputs() {
        Generator g = new Generator(53);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 5);
            int r = shape.length;
            int d = g.nextInt(r);
            int[] is = shape.clone();
            for (int i = 0; i < r; i++) is[i] = i == d ? 1 + g.nextInt(7) : 1 + g.nextInt(shape[i]);
            Layouts.Layout layout = Layouts.layout(g);
            Tensor x = Layouts.randn(g, layout, shape).requiresGrad(true);
            Tensor idx = indices(g, shape[d], false, is);
            int dimArg = g.nextInt(2) == 0 ? d : d - r;
            Torch.check("gather " + Shape.str(shape) + " " + layout + " dim " + dimArg + " index " + Shape.str(is), List.of(x, idx),
                    t -> Indexing.gather(t.get(0), dimArg, t.get(1)), t -> t.get(0).gather(t.get(1), d), ATOL, RTOL, c);
        }
    }

    @Test
    void indexSelectMatchesTorch() {
        Generator g = new Generator(54);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 6);
            int r = shape.length;
            int d = g.nextInt(r);
            Layouts.Layout layout = Layouts.layout(g);
            Tensor x = Layouts.randn(g, layout, shape).requiresGrad(true);
            Tensor idx = indices(g, shape[d], true, 1 + g.nextInt(8));
            Tensor positive = Tensor.ofLongs(java.util.Arrays.stream(idx.toIntArray()).mapToLong(v -> v < 0 ? v + shape[d] : v).toArray(), idx.numel());
            Torch.check("index_select " + Shape.str(shape) + " " + layout + " dim " + d + " index " + java.util.Arrays.toString(idx.toIntArray()),
                    List.of(x, positive), t -> Indexing.indexSelect(t.get(0), d, idx),
                    t -> t.get(0).get(":,".repeat(d) + "{}", t.get(1)), ATOL, RTOL, c);
        }
        // Integer tables stay integer (a relative-position index looked up through an index tensor).
        Tensor table = Tensor.ofInts(new int[] {10, 11, 12, 13, 14, 15}, 3, 2);
        Tensor picked = Indexing.indexSelect(table, 0, Tensor.ofInts(new int[] {2, 0, 2}, 3));
        assertEquals(DType.INT64, picked.dtype());
        assertArrayEquals(new int[] {14, 15, 10, 11, 14, 15}, picked.toIntArray());
    }

    @Test
    void triuAndTrilKeepTheRightElements() {
        Generator g = new Generator(55);
        for (int c = 0; c < 30; c++) {
            int[] shape = Layouts.shape(g, 2, 4, 7);
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape);
            int diag = g.nextInt(9) - 4;
            float[] xv = x.toFloatArray(), up = Indexing.triu(x, diag).toFloatArray(), lo = Indexing.tril(x, diag).toFloatArray();
            int rows = shape[shape.length - 2], cols = shape[shape.length - 1];
            for (int e = 0; e < xv.length; e++) {
                int i = (e / cols) % rows, j = e % cols;
                assertEquals(j - i >= diag ? xv[e] : 0f, up[e], "triu diag " + diag + " at " + i + "," + j);
                assertEquals(j - i <= diag ? xv[e] : 0f, lo[e], "tril diag " + diag + " at " + i + "," + j);
            }
        }
    }

    @Test
    void triuOfInfinitiesIsACausalMask() {
        // The standard causal mask: torch.full((n, n), -inf).triu(1) has zeros below and on the diagonal.
        float ninf = Float.NEGATIVE_INFINITY;
        Tensor mask = Indexing.triu(Tensor.full(ninf, 3, 3), 1);
        assertArrayEquals(new float[] {0, ninf, ninf, 0, 0, ninf, 0, 0, 0}, mask.toFloatArray());
        Tensor nan = Indexing.tril(Tensor.full(Float.NaN, 2, 2), -1);
        assertArrayEquals(new float[] {0, 0, Float.NaN, 0}, nan.toFloatArray());
        Tensor ints = Indexing.tril(Tensor.ofInts(new int[] {1, 2, 3, 4}, 2, 2), 0);
        assertEquals(DType.INT64, ints.dtype());
        assertArrayEquals(new int[] {1, 0, 3, 4}, ints.toIntArray());
    }

    @Test
    void triuAndTrilGradientsMatchFiniteDifferences() {
        Generator g = new Generator(56);
        Tensor x = Tensor.randn(g, 2, 4, 5).requiresGrad(true);
        for (int diag = -2; diag <= 2; diag++) {
            int d = diag;
            GradCheck.check("triu " + d, List.of(x), t -> Indexing.triu(t.get(0), d), 1e-2, 1e-3, 1e-3, d + 10);
            GradCheck.check("tril " + d, List.of(x), t -> Indexing.tril(t.get(0), d), 1e-2, 1e-3, 1e-3, d + 20);
        }
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        Tensor x = Tensor.zeros(2, 3);
        assertEquals("masked_fill: mask must be bool, got float32 of shape [2, 3]",
                assertThrows(IllegalArgumentException.class, () -> x.maskedFill(Tensor.zeros(2, 3), 0)).getMessage());
        assertEquals("masked_fill: mask of shape [4, 2, 3] cannot be broadcast to the input's shape [2, 3]",
                assertThrows(IllegalArgumentException.class,
                        () -> x.maskedFill(Tensor.ofBooleans(new boolean[24], 4, 2, 3), 0)).getMessage());
        assertEquals("masked_fill: shapes [2, 3] and [2] cannot be broadcast (dimension 1: 3 vs 2)",
                assertThrows(IllegalArgumentException.class,
                        () -> x.maskedFill(Tensor.ofBooleans(new boolean[2], 2), 0)).getMessage());
        assertEquals("where: condition must be bool, got float32 of shape [2, 3]",
                assertThrows(IllegalArgumentException.class, () -> Indexing.where(x, x, x)).getMessage());
        assertEquals("gather: index [2] must have the same rank as input [2, 3]",
                assertThrows(IllegalArgumentException.class, () -> Indexing.gather(x, 1, Tensor.ofInts(new int[] {0, 1}, 2))).getMessage());
        assertEquals("gather: index 3 is out of bounds for dimension 1 with size 3",
                assertThrows(IllegalArgumentException.class,
                        () -> Indexing.gather(x, 1, Tensor.ofInts(new int[] {0, 3}, 2, 1))).getMessage());
        assertEquals("gather: index [3, 1] is larger than input [2, 3] at dimension 0",
                assertThrows(IllegalArgumentException.class,
                        () -> Indexing.gather(x, 1, Tensor.ofInts(new int[] {0, 1, 2}, 3, 1))).getMessage());
        assertEquals("index_select: index must be 1-D, got [1, 2]",
                assertThrows(IllegalArgumentException.class,
                        () -> Indexing.indexSelect(x, 0, Tensor.ofInts(new int[] {0, 1}, 1, 2))).getMessage());
        assertEquals("index_select: index -4 is out of bounds for dimension 1 with size 3",
                assertThrows(IllegalArgumentException.class,
                        () -> Indexing.indexSelect(x, 1, Tensor.ofInts(new int[] {-4}, 1))).getMessage());
        assertEquals("triu: input must have at least 2 dims, got [3]",
                assertThrows(IllegalArgumentException.class, () -> Indexing.triu(Tensor.zeros(3), 0)).getMessage());
    }
}
