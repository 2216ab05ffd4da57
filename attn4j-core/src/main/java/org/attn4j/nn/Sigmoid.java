package org.attn4j.nn;

import org.attn4j.ops.Activations;
import org.attn4j.tensor.Tensor;

/** {@code nn.Sigmoid()}: 1 / (1 + e^-x) elementwise, any shape. */
public final class Sigmoid extends UnaryModule {
    @Override
    public Tensor forward(Tensor x) {
        return Activations.sigmoid(x);
    }
}
