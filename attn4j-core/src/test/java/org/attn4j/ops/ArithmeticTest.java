package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Broadcasting arithmetic against libtorch, forward and backward. Tolerance: these are single float32
 * operations, so results agree to rounding (atol 1e-6 for values of order 1, rtol 1.3e-6 — PyTorch's own
 * float32 defaults); gradients that sum over broadcast dims accumulate a few roundings more (rtol 1e-5).
 */
class ArithmeticTest {
    private static final int[][][] SHAPE_PAIRS = {
        {{3, 4}, {3, 4}},
        {{2, 3, 5}, {5}},
        {{2, 1, 5}, {1, 4, 1}},
        {{4, 1}, {3}},
        {{}, {2, 3}},
        {{17}, {1}},
        {{2, 3, 4, 33}, {3, 1, 33}},
    };

    private static Tensor input(Generator g, int[] shape, boolean grad) {
        return Tensor.randn(g, shape).requiresGrad(grad);
    }

    @Test
    void addSubMulDivMatchTorch() {
        Generator g = new Generator(1);
        for (int[][] pair : SHAPE_PAIRS) {
            Tensor a = input(g, pair[0], true), b = input(g, pair[1], true);
            Torch.check("add", List.of(a, b), t -> t.get(0).add(t.get(1)), t -> t.get(0).add(t.get(1)), 1e-6, 1e-5, 1);
            Torch.check("sub", List.of(a, b), t -> t.get(0).sub(t.get(1)), t -> t.get(0).sub(t.get(1)), 1e-6, 1e-5, 2);
            Torch.check("mul", List.of(a, b), t -> t.get(0).mul(t.get(1)), t -> t.get(0).mul(t.get(1)), 1e-6, 1e-5, 3);
            // Keep divisors away from 0 so the comparison measures rounding, not conditioning.
            Tensor bPos = b.detach().abs().add(0.5f).requiresGrad(true);
            Torch.check("div", List.of(a, bPos), t -> t.get(0).div(t.get(1)), t -> t.get(0).div(t.get(1)), 1e-6, 1e-5, 4);
        }
    }

    @Test
    void powMaximumMinimumMatchTorch() {
        Generator g = new Generator(2);
        for (int[][] pair : SHAPE_PAIRS) {
            Tensor base = Tensor.rand(g, pair[0]).add(0.1f).requiresGrad(true);
            Tensor exp = input(g, pair[1], true);
            Torch.check("pow", List.of(base, exp), t -> t.get(0).pow(t.get(1)), t -> t.get(0).pow(t.get(1)), 1e-5, 1e-5, 5);
            Tensor a = input(g, pair[0], true), b = input(g, pair[1], true);
            Torch.check("maximum", List.of(a, b), t -> t.get(0).maximum(t.get(1)), t -> t.get(0).maximum(t.get(1)), 1e-6, 1e-5, 6);
            Torch.check("minimum", List.of(a, b), t -> t.get(0).minimum(t.get(1)), t -> t.get(0).minimum(t.get(1)), 1e-6, 1e-5, 7);
        }
    }

    @Test
    void tiesInMaximumSplitTheGradient() {
        Tensor a = Tensor.vector(1f, 2f, 3f).requiresGrad(true);
        Tensor b = Tensor.vector(1f, 5f, 0f).requiresGrad(true);
        Tensor.vector(1, 1, 1);
        List<Tensor> in = List.of(a, b);
        Torch.check("maximum ties", in, t -> t.get(0).maximum(t.get(1)), t -> t.get(0).maximum(t.get(1)), 0, 0, 8);
    }

    @Test
    void scalarOperandsAndPowConstant() {
        Generator g = new Generator(3);
        Tensor x = Tensor.rand(g, 3, 7).add(0.2f).requiresGrad(true);
        Torch.check("add scalar", List.of(x), t -> t.get(0).add(2.5f), t -> t.get(0).add(2.5f), 1e-6, 1e-6, 9);
        Torch.check("mul scalar", List.of(x), t -> t.get(0).mul(-3f), t -> t.get(0).mul(Torch.scalar(t.get(0), -3)), 1e-6, 1e-6, 10);
        Torch.check("pow 2", List.of(x), t -> t.get(0).pow(2f), t -> t.get(0).pow(Torch.scalar(t.get(0), 2)), 1e-6, 1e-6, 11);
        Torch.check("pow -1.5", List.of(x), t -> t.get(0).pow(-1.5f), t -> t.get(0).pow(Torch.scalar(t.get(0), -1.5)), 1e-5, 1e-5, 12);
    }

    @Test
    void divisionByAScalarIsATrueDivision() {
        // x / 3 and x * (1/3) differ in the last bit for many x; torch.div divides, so the results are
        // bit-equal (tolerance 0) only for a true division.
        Tensor x = Tensor.randn(new Generator(5), 1000).requiresGrad(true);
        Torch.check("div scalar", List.of(x), t -> t.get(0).div(3f), t -> t.get(0).div(Torch.scalar(t.get(0), 3)), 0, 0, 15);
        Torch.check("div scalar 0.1", List.of(x), t -> t.get(0).div(0.1f), t -> t.get(0).div(Torch.scalar(t.get(0), 0.1f)), 0, 0, 16);
    }

    @Test
    void nonContiguousOperandsAreReadInPlace() {
        Generator g = new Generator(4);
        Tensor a = Tensor.randn(g, 5, 6).requiresGrad(true);
        Tensor b = Tensor.randn(g, 6, 5).requiresGrad(true);
        Torch.check("add transposed", List.of(a, b), t -> t.get(0).add(t.get(1).t()),
                t -> t.get(0).add(t.get(1).transpose(1, 0)), 1e-6, 1e-6, 13);
        Torch.check("mul narrowed", List.of(a, b), t -> t.get(0).narrow(1, 1, 3).mul(t.get(1).t().narrow(1, 2, 3)),
                t -> t.get(0).get(":, 1:4").mul(t.get(1).transpose(1, 0).get(":, 2:5")), 1e-6, 1e-6, 14);
    }

    @Test
    void shapesThatCannotBroadcastAreNamed() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertEquals("add: shapes [2, 3] and [4, 3] cannot be broadcast (dimension 0: 2 vs 4)", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> a.mul(Tensor.arange(3)));
        assertEquals("mul: expected a float32 tensor, got int64 of shape [3]", e2.getMessage());
    }

    @Test
    void longSameShapeOperandsAreSplitBetweenThreadsExactly() {
        // Same-shape operands fold into one run, which Broadcast cuts into blocks for the threads.
        int saved = org.attn4j.kernels.Parallel.threads();
        org.attn4j.kernels.Parallel.setThreads(2);
        try {
            Generator g = new Generator(8);
            int n = 9 * org.attn4j.kernels.Parallel.BLOCK + 5;
            Tensor a = Tensor.randn(g, n + 1).narrow(0, 1, n), b = Tensor.randn(g, n);   // a at an offset
            float[] ad = a.toFloatArray(), bd = b.toFloatArray(), sum = a.add(b).toFloatArray(), prod = a.mul(b).toFloatArray();
            float[] plusTwo = b.add(Tensor.scalar(2f)).toFloatArray();
            for (int i = 0; i < ad.length; i++) {
                assertEquals(ad[i] + bd[i], sum[i], 0f, "sum at " + i);
                assertEquals(ad[i] * bd[i], prod[i], 0f, "product at " + i);
                assertEquals(bd[i] + 2f, plusTwo[i], 0f, "b + 2 at " + i);
            }
        } finally {
            org.attn4j.kernels.Parallel.setThreads(saved);
        }
    }
}
