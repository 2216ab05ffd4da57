package org.attn4j.attention;

import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/** Input checks shared by the convolutional attention blocks. */
final class ChannelChecks {
    private ChannelChecks() {}

    /** Requires {@code [B, C, H, W]} with {@code C == channels}. */
    static void requireNchw(String module, Tensor x, int channels) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException(module + ": expected input [B, C, H, W], got " + Shape.str(x.shape()));
        }
        if (x.size(1) != channels) {
            throw new IllegalArgumentException(module + ": input " + Shape.str(x.shape()) + " has " + x.size(1)
                    + " channels but the block was built for " + channels);
        }
    }
}
