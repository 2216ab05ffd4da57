package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import java.util.Arrays;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@code torch.matmul} and {@code F.linear} against libtorch in every rank combination, with broadcast
 * batch dims and transposed, narrowed and expanded (stride-0) operands; and GEMM results against a
 * float64 golden.
 *
 * <p>Tolerance: a dot product of length k of N(0,1) values accumulated in float32 carries a rounding
 * error that grows with k (about u·k for u = 6e-8 in the worst realistic case; bounded by k·u·Σ|a||b|),
 * and libtorch's blocked GEMM rounds in another order. So atol = 3e-7 · K with K the longest sum behind
 * any compared value: k for the output, n for dA = g Bᵀ, m times the broadcast batch for dB = Aᵀ g.
 */
class MatMulTest {
    private static Tensor operand(Generator g, int... shape) {
        return Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
    }

    private static void check(String what, Tensor a, Tensor b, long seed) {
        int k = a.size(-1);
        int n = b.dim() == 1 ? 1 : b.size(-1);
        int m = a.dim() == 1 ? 1 : a.size(-2);
        // Output size (to size the tolerance only; Torch.check compares the shapes themselves).
        int out = Math.max(1, a.detach().matmul(b.detach()).numel());
        // Longest sum: k (output), n (dA), and for dB every output row that used it: out / n.
        int longest = Math.max(k, Math.max(n, out / Math.max(n, 1)));
        Torch.check(what + " " + Shape.str(a.shape()) + " @ " + Shape.str(b.shape()) + " strides "
                        + Shape.str(a.strides()) + " / " + Shape.str(b.strides()),
                List.of(a, b), t -> t.get(0).matmul(t.get(1)), t -> t.get(0).matMul(t.get(1)), 3e-7 * longest, 1e-6, seed);
    }

    @Test
    void everyRankCombinationMatchesTorch() {
        Generator g = new Generator(31);
        for (int c = 0; c < 12; c++) {
            int m = 1 + g.nextInt(13), k = 1 + g.nextInt(19), n = 1 + g.nextInt(11), b = 1 + g.nextInt(4);
            check("1-D.1-D", operand(g, k), operand(g, k), c);
            check("1-D.2-D", operand(g, k), operand(g, k, n), c);
            check("2-D.1-D", operand(g, m, k), operand(g, k), c);
            check("2-D.2-D", operand(g, m, k), operand(g, k, n), c);
            check("1-D.3-D", operand(g, k), operand(g, b, k, n), c);
            check("3-D.1-D", operand(g, b, m, k), operand(g, k), c);
            check("3-D.3-D", operand(g, b, m, k), operand(g, b, k, n), c);
            check("2-D.3-D", operand(g, m, k), operand(g, b, k, n), c);
            check("4-D.2-D", operand(g, 2, b, m, k), operand(g, k, n), c);
        }
    }

    @Test
    void batchDimsBroadcastLikeTorch() {
        Generator g = new Generator(32);
        int[][][] batches = {
            {{2, 1}, {3}}, {{1}, {4}}, {{3, 1, 2}, {1, 5, 1}}, {{}, {2, 2}}, {{1, 1}, {}}, {{2, 3}, {2, 3}},
        };
        for (int c = 0; c < batches.length; c++) {
            int m = 1 + g.nextInt(9), k = 1 + g.nextInt(17), n = 1 + g.nextInt(9);
            int[] sa = concat(batches[c][0], m, k), sb = concat(batches[c][1], k, n);
            check("broadcast batch", operand(g, sa), operand(g, sb), c);
        }
    }

    private static int[] concat(int[] batch, int x, int y) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = x;
        s[batch.length + 1] = y;
        return s;
    }

    @Test
    void viewOperandsAreReadCorrectly() {
        Generator g = new Generator(33);
        for (int c = 0; c < 8; c++) {
            int m = 2 + g.nextInt(11), k = 2 + g.nextInt(17), n = 2 + g.nextInt(11);
            Tensor a = Tensor.randn(g, k, m).requiresGrad(true), bt = Tensor.randn(g, n, k).requiresGrad(true);
            // Transposed views (attention's q @ k.mT), inside the function so gradients flow through the view.
            Torch.check("A^T @ B^T", List.of(a, bt), t -> t.get(0).t().matmul(t.get(1).t()),
                    t -> t.get(0).transpose(1, 0).matMul(t.get(1).transpose(1, 0)), 3e-7 * Math.max(k, Math.max(m, n)), 1e-6, c);
            Tensor q = Tensor.randn(g, 2, 3, m, k).requiresGrad(true), kk = Tensor.randn(g, 2, 3, n, k).requiresGrad(true);
            Torch.check("q @ k.mT", List.of(q, kk), t -> t.get(0).matmul(t.get(1).mT()),
                    t -> t.get(0).matMul(t.get(1).swapAxes(-1, -2)), 3e-7 * Math.max(k, Math.max(m, n)), 1e-6, c);
            // Expanded operands with stride 0: a broadcast row, a broadcast column, a broadcast batch.
            Tensor row = Tensor.randn(g, 1, k).requiresGrad(true), col = Tensor.randn(g, k, 1).requiresGrad(true);
            Torch.check("expanded row @ expanded col", List.of(row, col),
                    t -> t.get(0).expand(m, k).matmul(t.get(1).expand(k, n)),
                    t -> t.get(0).broadcast(m, k).matMul(t.get(1).broadcast(k, n)), 3e-7 * Math.max(k, m * n), 1e-6, c);
            Tensor one = Tensor.randn(g, 1, m, k).requiresGrad(true), many = Tensor.randn(g, 4, k, n).requiresGrad(true);
            Torch.check("expanded batch", List.of(one, many), t -> t.get(0).expand(4, m, k).matmul(t.get(1)),
                    t -> t.get(0).broadcast(4, m, k).matMul(t.get(1)), 3e-7 * Math.max(k, 4 * m), 1e-6, c);
            // Narrowed operands: row stride larger than the row, a storage offset.
            Tensor wideA = Tensor.randn(g, m + 2, k + 5).requiresGrad(true), wideB = Tensor.randn(g, k + 1, n + 3).requiresGrad(true);
            Torch.check("narrowed", List.of(wideA, wideB), t -> t.get(0).narrow(0, 1, m).narrow(1, 2, k).matmul(t.get(1).narrow(0, 1, k)),
                    t -> t.get(0).get("1:" + (m + 1) + ",2:" + (k + 2)).matMul(t.get(1).get("1:" + (k + 1))),
                    3e-7 * Math.max(k, Math.max(m, n + 3)), 1e-6, c);
            // Strided leaves (no view inside the function): the kernel reads the leaf's own layout.
            check("strided leaves", Layouts.randn(g, Layouts.Layout.TRANSPOSED, m, k).requiresGrad(true),
                    Layouts.randn(g, Layouts.Layout.EXPANDED, k, n).requiresGrad(true), c);
        }
    }

    @Test
    void emptyDimsGiveEmptyOrZeroResults() {
        Tensor a = Tensor.zeros(3, 0), b = Tensor.zeros(0, 4);
        Tensor c = a.matmul(b);
        assertEquals(List.of(3, 4), Arrays.stream(c.shape()).boxed().toList());
        for (float v : c.toFloatArray()) assertEquals(0f, v);
        assertEquals(0, Tensor.zeros(0, 5).matmul(Tensor.zeros(5, 2)).numel());
    }

    /** C in float64 from the float32 operands, and the forward error bound k·u·Σ|a||b| of each entry. */
    private static double[][] golden(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n], bound = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * k + p] * b[p * n + j];
                    s += t;
                    abs += Math.abs(t);
                }
                c[i * n + j] = s;
                bound[i * n + j] = k * 0x1p-24 * abs;
            }
        }
        return new double[][] {c, bound};
    }

    @Test
    void gemmStaysWithinTheFloat32ErrorBoundOfAFloat64Golden() {
        Generator g = new Generator(34);
        int[][] sizes = {{7, 1, 5}, {33, 64, 17}, {16, 255, 9}, {5, 1000, 3}, {3, 4099, 2}};
        for (int[] s : sizes) {
            int m = s[0], k = s[1], n = s[2];
            Tensor a = Tensor.randn(g, m, k), b = Tensor.randn(g, k, n);
            double[][] gb = golden(a.toFloatArray(), b.toFloatArray(), m, k, n);
            float[] ours = a.matmul(b).toFloatArray();
            float[] theirs;
            try (var mg = Torch.scope()) {
                theirs = Torch.tensor(Torch.nd(mg, a).matMul(Torch.nd(mg, b))).toFloatArray();
            }
            double ourWorst = 0, theirWorst = 0;
            for (int i = 0; i < ours.length; i++) {
                double e = Math.abs(ours[i] - gb[0][i]);
                assertTrue(e <= gb[1][i], "m,k,n=" + Arrays.toString(s) + " entry " + i + ": error " + e
                        + " exceeds the bound k·u·Σ|a||b| = " + gb[1][i]);
                ourWorst = Math.max(ourWorst, e);
                theirWorst = Math.max(theirWorst, Math.abs(theirs[i] - gb[0][i]));
            }
            // PyTorch's own rule for reordered kernels: within a fudge factor (5x) of the reference's error,
            // with a floor of one float32 ulp at the output's scale so exact cases do not divide by zero.
            double floor = Math.ulp((float) Math.sqrt(k));
            assertTrue(ourWorst <= 5 * Math.max(theirWorst, floor), "m,k,n=" + Arrays.toString(s) + ": worst error "
                    + ourWorst + " vs libtorch's " + theirWorst);
        }
    }

    @Test
    void linearMatchesTorch() {
        Generator g = new Generator(35);
        for (int c = 0; c < 16; c++) {
            int in = 1 + g.nextInt(23), out = 1 + g.nextInt(13);
            int[] lead = Layouts.shape(g, 0, 3, 5);
            int[] xs = Arrays.copyOf(lead, lead.length + 1);
            xs[lead.length] = in;
            Tensor x = operand(g, xs);
            Tensor w = operand(g, out, in);
            Tensor bias = operand(g, out);
            int rows = Shape.numel(lead);
            double atol = 3e-7 * Math.max(in, Math.max(out, rows));
            String what = "linear x " + Shape.str(xs) + " w " + Shape.str(w.shape()) + " strides " + Shape.str(w.strides());
            Torch.check(what + " with bias", List.of(x, w, bias), t -> MatMul.linear(t.get(0), t.get(1), t.get(2)),
                    t -> Linear.linear(t.get(0), t.get(1), t.get(2)).singletonOrThrow(), atol, 1e-6, c);
            Torch.check(what + " without bias", List.of(x, w), t -> MatMul.linear(t.get(0), t.get(1), null),
                    t -> Linear.linear(t.get(0), t.get(1)).singletonOrThrow(), atol, 1e-6, c);
        }
        // Only some inputs require grad (a frozen weight; a constant input).
        Tensor x = Tensor.randn(g, 2, 3, 6).requiresGrad(true), w = Tensor.randn(g, 4, 6), b = Tensor.randn(g, 4).requiresGrad(true);
        Torch.check("linear frozen weight", List.of(x, w, b), t -> MatMul.linear(t.get(0), t.get(1), t.get(2)),
                t -> Linear.linear(t.get(0), t.get(1), t.get(2)).singletonOrThrow(), 2e-6, 1e-6, 99);
    }

    @Test
    void badShapesAreNamed() {
        assertEquals("matmul: cannot multiply [2, 3] by [4, 5] (3 != 4)",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5))).getMessage());
        assertEquals("matmul: cannot multiply [3] by [4, 5] (3 != 4)",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4, 5))).getMessage());
        assertEquals("matmul: cannot multiply [2, 2, 3] by [2] (3 != 2)",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(2))).getMessage());
        assertEquals("matmul: inconsistent sizes for a dot product of [3] and [4]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4))).getMessage());
        assertEquals("matmul: both arguments need at least 1 dimension, got [] and [3]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.scalar(1).matmul(Tensor.zeros(3))).getMessage());
        assertEquals("matmul: batch dims [2] of [2, 3, 4] and [3] of [3, 4, 5] cannot be broadcast",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5))).getMessage());
        assertEquals("linear: input [2, 5] does not end in in_features=4 of weight [3, 4]",
                assertThrows(IllegalArgumentException.class, () -> MatMul.linear(Tensor.zeros(2, 5), Tensor.zeros(3, 4), null)).getMessage());
        assertEquals("linear: bias [4] must be [3] for weight [3, 4]",
                assertThrows(IllegalArgumentException.class, () -> MatMul.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 4), Tensor.zeros(4))).getMessage());
        assertEquals("linear: weight must be 2-D [out_features, in_features], got [4]",
                assertThrows(IllegalArgumentException.class, () -> MatMul.linear(Tensor.zeros(2, 4), Tensor.zeros(4), null)).getMessage());
    }
}
