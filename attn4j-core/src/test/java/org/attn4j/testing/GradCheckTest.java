package org.attn4j.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The gradient checker must accept correct backward functions and catch wrong ones. */
class GradCheckTest {
    @Test
    void acceptsACorrectBackward() {
        Generator g = new Generator(1);
        Tensor a = Tensor.randn(g, 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(g, 4).requiresGrad(true);
        // tanh(a * b) / (1 + b²): products, broadcasting and a smooth nonlinearity.
        GradCheck.check("tanh(a*b)/(1+b^2)", List.of(a, b),
                t -> t.get(0).mul(t.get(1)).tanh().div(t.get(1).mul(t.get(1)).add(1f)), 1e-2, 1e-2, 1e-2, 2);
    }

    @Test
    void catchesAWrongBackward() {
        Tensor x = Tensor.randn(new Generator(3), 5).requiresGrad(true);
        // x² with the factor 2 forgotten in its backward.
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("bad square", List.of(x),
                t -> {
                    Tensor in = t.get(0);
                    float[] d = in.toFloatArray();
                    for (int i = 0; i < d.length; i++) d[i] *= d[i];
                    return Tensor.result(d, in.shape(), "bad_square", gr -> new Tensor[] {gr.mul(in.detach())}, in);
                }, 1e-2, 1e-2, 1e-2, 4));
        assertTrue(e.getMessage().contains("bad square d/d input 0"), e.getMessage());
    }
}
