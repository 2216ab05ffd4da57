package org.attn4j.nn;

import org.attn4j.ops.Activations;
import org.attn4j.tensor.Tensor;

/** {@code nn.Tanh()}: tanh elementwise, any shape. */
public final class Tanh extends UnaryModule {
    @Override
    public Tensor forward(Tensor x) {
        return Activations.tanh(x);
    }
}
