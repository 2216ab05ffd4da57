package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** ReLU, Sigmoid, Tanh and Identity modules against libtorch (tolerance 1e-6: one float32 function each). */
class ReLUTest {
    @Test
    void elementwiseModulesMatchTorch() {
        Tensor x = Tensor.randn(new Generator(1), 5, 6).mul(2f).requiresGrad(true);
        Torch.check("ReLU", List.of(x), t -> new ReLU().forward(t.get(0)), t -> ai.djl.nn.Activation.relu(t.get(0)), 1e-6, 1e-6, 2);
        Torch.check("Sigmoid", List.of(x), t -> new Sigmoid().forward(t.get(0)), t -> ai.djl.nn.Activation.sigmoid(t.get(0)),
                1e-6, 1e-6, 3);
        Torch.check("Tanh", List.of(x), t -> new Tanh().forward(t.get(0)), t -> ai.djl.nn.Activation.tanh(t.get(0)), 1e-6, 1e-6, 4);
        Torch.check("Identity", List.of(x), t -> new Identity().forward(t.get(0)), t -> t.get(0), 0, 0, 5);
        assertEquals("ReLU()", new ReLU().toString());
        assertEquals("Sigmoid()", new Sigmoid().toString());
        assertEquals("Tanh()", new Tanh().toString());
        assertEquals("Identity()", new Identity().toString());
    }
}
