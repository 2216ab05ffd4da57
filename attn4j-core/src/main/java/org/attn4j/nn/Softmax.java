package org.attn4j.nn;

import org.attn4j.ops.SoftmaxOps;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Softmax(dim)}: exp(x_i) / Σ_j exp(x_j) along {@code dim} (negative counts from the end), computed
 * stably. PyTorch's implicit-dim form ({@code dim=None}) is deprecated there and not offered here.
 */
public final class Softmax extends UnaryModule {
    private final int dim;

    public Softmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return SoftmaxOps.softmax(x, dim);
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim;
    }
}
