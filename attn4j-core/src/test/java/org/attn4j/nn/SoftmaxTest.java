package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    @Test
    void matchesTorchAlongTheGivenDim() {
        Tensor x = Tensor.randn(new Generator(1), 3, 4, 5).requiresGrad(true);
        // tolerance 1e-6: a normalised exponential of values of order 1, in float32
        Torch.check("Softmax(dim=1)", List.of(x), t -> new Softmax(1).forward(t.get(0)), t -> t.get(0).softmax(1),
                1e-6, 1e-5, 2);
        Torch.check("Softmax(dim=-1)", List.of(x), t -> new Softmax(-1).forward(t.get(0)), t -> t.get(0).softmax(-1),
                1e-6, 1e-5, 3);
        assertEquals("Softmax(dim=-1)", new Softmax(-1).toString());
    }
}
