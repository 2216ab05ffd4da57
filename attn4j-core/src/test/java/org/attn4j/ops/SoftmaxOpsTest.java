package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * softmax and log_softmax against libtorch on every dim of random shapes and layouts, with masked
 * (-inf) entries, fully masked rows and large logits.
 *
 * <p>Tolerance: softmax outputs lie in [0, 1]; libtorch exponentiates and sums in float, we exponentiate
 * with a rounding to float and sum in double, so outputs differ by a few ulps of 1 at most: atol 2.4e-7,
 * rtol 1e-6. log_softmax is x - max - log Σ: absolute errors of a few ulps of |x - max| (up to ~30 for
 * logits spread as here): atol 2e-6, rtol 1e-6. Gradients y(g - Σ g y) and g - e^y Σ g carry the same
 * errors scaled by |g| ≤ 4.5 and the row length: atol 2e-6 for both.
 */
class SoftmaxOpsTest {
    private static final double ATOL = 2e-6, RTOL = 1e-6;

    @Test
    void everyDimMatchesTorch() {
        Generator g = new Generator(41);
        for (int c = 0; c < 40; c++) {
            int[] shape = c == 0 ? new int[] {3, 10_007} : Layouts.shape(g, 0, 4, 9);
            Layouts.Layout layout = Layouts.layout(g);
            Tensor x = Layouts.randn(g, layout, shape).mul(3f).detach().requiresGrad(true);
            int r = shape.length;
            int d = r == 0 ? 0 : g.nextInt(r) - (g.nextInt(2) == 0 ? 0 : r);
            String what = Shape.str(shape) + " " + layout + " dim " + d;
            Torch.check("softmax " + what, List.of(x), t -> t.get(0).softmax(d), t -> t.get(0).softmax(d), ATOL, RTOL, c);
            Torch.check("log_softmax " + what, List.of(x), t -> t.get(0).logSoftmax(d), t -> t.get(0).logSoftmax(d), ATOL, RTOL, c);
        }
    }

    @Test
    void stridedLeavesKeepTheirLayout() {
        // mul(3f).detach() above makes the leaf row-major; here the leaf itself is transposed/expanded.
        Generator g = new Generator(42);
        for (Layouts.Layout layout : Layouts.ALL) {
            Tensor x = Layouts.randn(g, layout, 4, 5, 6).requiresGrad(true);
            for (int d = 0; d < 3; d++) {
                int dd = d;
                Torch.check("softmax " + layout + " dim " + d, List.of(x), t -> t.get(0).softmax(dd), t -> t.get(0).softmax(dd), ATOL, RTOL, d);
                Torch.check("log_softmax " + layout + " dim " + d, List.of(x), t -> t.get(0).logSoftmax(dd),
                        t -> t.get(0).logSoftmax(dd), ATOL, RTOL, d);
            }
        }
    }

    @Test
    void maskedEntriesAndFullyMaskedRows() {
        float ninf = Float.NEGATIVE_INFINITY;
        // Row 0: ordinary; row 1: two masked entries; row 2: one survivor; row 3: all masked -> NaN in
        // PyTorch (0/0), which attention code relies on noticing rather than silently averaging.
        Tensor x = Tensor.of(new float[] {
            0.5f, -1f, 2f, 0f,
            ninf, 1f, ninf, 3f,
            ninf, ninf, 4f, ninf,
            ninf, ninf, ninf, ninf}, 4, 4).requiresGrad(true);
        Torch.check("softmax masked forward", List.of(x.detach()), t -> t.get(0).softmax(-1), t -> t.get(0).softmax(-1), 2.4e-7, 1e-6, 1);
        Torch.check("log_softmax masked forward", List.of(x.detach()), t -> t.get(0).logSoftmax(-1), t -> t.get(0).logSoftmax(-1), ATOL, RTOL, 1);
        // Gradients through rows that are not fully masked (the NaN row would poison every comparison).
        Tensor partial = x.detach().narrow(0, 0, 3).contiguous().requiresGrad(true);
        Torch.check("softmax masked", List.of(partial), t -> t.get(0).softmax(1), t -> t.get(0).softmax(1), ATOL, RTOL, 2);
        Torch.check("log_softmax masked", List.of(partial), t -> t.get(0).logSoftmax(1), t -> t.get(0).logSoftmax(1), ATOL, RTOL, 3);
        Torch.check("softmax masked dim 0", List.of(partial), t -> t.get(0).softmax(0), t -> t.get(0).softmax(0), ATOL, RTOL, 4);
    }

    @Test
    void largeLogitsDoNotOverflow() {
        Generator g = new Generator(43);
        // exp(1000) overflows float and double: only max subtraction keeps these finite.
        Tensor x = Tensor.randn(g, 5, 17).mul(1000f).detach().requiresGrad(true);
        Torch.check("softmax large", List.of(x), t -> t.get(0).softmax(1), t -> t.get(0).softmax(1), 2.4e-7, 1e-6, 1);
        // log_softmax of logits 1000 apart: values near -3000, one ulp there is 2.4e-4.
        Torch.check("log_softmax large", List.of(x), t -> t.get(0).logSoftmax(1), t -> t.get(0).logSoftmax(1), 5e-4, 1e-6, 2);
        Tensor equal = Tensor.full(3e38f, 2, 8).requiresGrad(true);
        // Exactly 1/8 each (max subtraction leaves zeros); the gradient's Σ g y rounds differently: ATOL.
        Torch.check("softmax of equal huge logits", List.of(equal), t -> t.get(0).softmax(1), t -> t.get(0).softmax(1), ATOL, RTOL, 3);
        assertEquals(0.125f, equal.detach().softmax(1).get(1, 7));
    }

    @Test
    void badArgumentsNameTheOp() {
        assertEquals("softmax: dim 2 is out of range for a tensor of rank 2 (expected in [-2, 1])",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).softmax(2)).getMessage());
        assertEquals("log_softmax: expected a float32 tensor, got int64 of shape [3]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.arange(3).logSoftmax(0)).getMessage());
    }
}
