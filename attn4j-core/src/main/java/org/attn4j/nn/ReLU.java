package org.attn4j.nn;

import org.attn4j.ops.Activations;
import org.attn4j.tensor.Tensor;

/** {@code nn.ReLU()}: max(x, 0) elementwise, any shape. */
public final class ReLU extends UnaryModule {
    @Override
    public Tensor forward(Tensor x) {
        return Activations.relu(x);
    }
}
