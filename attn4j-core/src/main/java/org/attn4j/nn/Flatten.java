package org.attn4j.nn;

import org.attn4j.ops.Views;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Flatten(start_dim=1, end_dim=-1)}: merges dims {@code start..end} into one, e.g.
 * {@code [B, C, H, W] -> [B, C·H·W]}; a view when the layout allows, as {@code torch.flatten}.
 */
public final class Flatten extends UnaryModule {
    private final int startDim, endDim;

    /** {@code start_dim=1, end_dim=-1}: keeps the batch dim. */
    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Views.flatten(x, startDim, endDim);
    }

    @Override
    public String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
