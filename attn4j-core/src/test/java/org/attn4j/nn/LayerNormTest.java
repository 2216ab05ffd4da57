package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * LayerNorm against libtorch's layer_norm (forward, gradients of input, weight and bias). Tolerance atol 1e-5,
 * rtol 1e-5: a mean and variance over up to 40 float32 values, then a scale (outputs of order 1-3; measured at
 * most 7.2e-7 absolute).
 */
class LayerNormTest {
    @Test
    void matchesTorchLayerNorm() {
        Generator g = new Generator(1);
        LayerNorm ln = new LayerNorm(new int[] {5, 8}, 1e-6, true, true);
        // non-trivial affine parameters so their gradients and effect are checked
        try (var ignored = GradMode.noGrad()) {
            ln.weight().copy_(Tensor.randn(g, 5, 8));
            ln.bias().copy_(Tensor.randn(g, 5, 8));
        }
        ModuleCheck.check("LayerNorm((5, 8))", Tensor.randn(g, 3, 5, 8).mul(3f).add(1f), ln::forward,
                List.of(ln.weight(), ln.bias()),
                t -> ai.djl.nn.norm.LayerNorm.layerNorm(t.get(0), Torch.shapeOf(5, 8), t.get(1), t.get(2), 1e-6f)
                        .singletonOrThrow(), 1e-5, 1e-5, 2);
    }

    @Test
    void withoutAffineItIsThePlainNormalisation() {
        Generator g = new Generator(3);
        LayerNorm ln = new LayerNorm(new int[] {6}, 1e-5, false, true);
        assertEquals(List.of(), List.copyOf(ln.stateDict().keySet()));
        ModuleCheck.check("LayerNorm no affine", Tensor.randn(g, 4, 6), ln::forward, List.of(), t -> {
            var x = t.get(0);
            var mean = x.mean(new int[] {1}, true);
            var c = x.sub(mean);
            return c.div(c.square().mean(new int[] {1}, true).add(1e-5f).sqrt());
        }, 1e-5, 1e-5, 4);
    }

    @Test
    void parametersAndRepr() {
        LayerNorm ln = new LayerNorm(8);
        assertEquals(List.of("weight", "bias"), List.copyOf(ln.stateDict().keySet()));
        for (float v : ln.weight().toFloatArray()) assertEquals(1f, v);
        for (float v : ln.bias().toFloatArray()) assertEquals(0f, v);
        assertEquals("LayerNorm((8,), eps=1e-05, elementwise_affine=True)", ln.toString());
        assertEquals("LayerNorm((768,), eps=1e-06, elementwise_affine=True)", new LayerNorm(768, 1e-6).toString());
        LayerNorm noBias = new LayerNorm(new int[] {5, 8}, 1e-5, true, false);
        assertNull(noBias.bias());
        assertEquals(List.of("weight"), List.copyOf(noBias.stateDict().keySet()));
        assertEquals("LayerNorm((5, 8), eps=1e-05, elementwise_affine=True)", noBias.toString());
    }

    @Test
    void wrongTrailingShapeIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LayerNorm(8).forward(Tensor.zeros(2, 7)));
        assertEquals("LayerNorm((8,), eps=1e-05, elementwise_affine=True): input [2, 7] does not end in [8]", e.getMessage());
    }
}
