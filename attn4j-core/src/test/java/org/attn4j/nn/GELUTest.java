package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** GELU against libtorch's gelu (exact erf form; DJL exposes no tanh variant, checked against its formula). */
class GELUTest {
    @Test
    void matchesTorch() {
        Tensor x = Tensor.randn(new Generator(1), 4, 9).mul(3f).requiresGrad(true);
        // tolerance 1e-6: one elementwise function in float32 (values and derivatives of order 1)
        Torch.check("GELU", List.of(x), t -> new GELU().forward(t.get(0)), t -> ai.djl.nn.Activation.gelu(t.get(0)),
                1e-6, 1e-6, 2);
        // approximate='tanh': 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), composed in libtorch
        Torch.check("GELU tanh", List.of(x), t -> new GELU("tanh").forward(t.get(0)), t -> {
            var v = t.get(0);
            var inner = v.add(v.pow(Torch.scalar(v, 3)).mul(Torch.scalar(v, 0.044715))).mul(Torch.scalar(v, Math.sqrt(2 / Math.PI)));
            return v.mul(Torch.scalar(v, 0.5)).mul(inner.tanh().add(1f));
        }, 1e-6, 1e-5, 3);
    }

    @Test
    void reprAndValidation() {
        assertEquals("GELU(approximate='none')", new GELU().toString());
        assertEquals("GELU(approximate='tanh')", new GELU("tanh").toString());
        assertThrows(IllegalArgumentException.class, () -> new GELU("erf"));
    }
}
