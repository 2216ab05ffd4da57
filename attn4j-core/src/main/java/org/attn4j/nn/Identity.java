package org.attn4j.nn;

import org.attn4j.tensor.Tensor;

/** {@code nn.Identity()}: returns its input unchanged (a placeholder, e.g. ViT's head when num_classes is 0). */
public final class Identity extends UnaryModule {
    @Override
    public Tensor forward(Tensor x) {
        return x;
    }
}
