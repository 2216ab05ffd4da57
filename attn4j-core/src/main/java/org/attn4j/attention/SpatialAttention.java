package org.attn4j.attention;

import java.util.List;
import org.attn4j.nn.Conv2d;
import org.attn4j.nn.Sigmoid;
import org.attn4j.nn.UnaryModule;
import org.attn4j.ops.Joining;
import org.attn4j.ops.Reductions;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * CBAM's spatial attention, as the reference's {@code SpatialAttention}: the channel-wise mean and max maps
 * are stacked and convolved to one channel ({@code conv1}, kernel 3 or 7, same padding, no bias), then
 * squashed by a sigmoid. Returns the weights.
 *
 * <p>{@code [B, C, H, W] -> [B, 1, H, W]}. Key: {@code conv1.weight} {@code [1, 2, k, k]}.
 */
public final class SpatialAttention extends UnaryModule {
    private final Conv2d conv1;
    private final Sigmoid sigmoid;

    public SpatialAttention(int kernelSize, Generator g) {
        if (kernelSize != 3 && kernelSize != 7) {
            throw new IllegalArgumentException("SpatialAttention: kernel size must be 3 or 7, got " + kernelSize);
        }
        int padding = kernelSize == 7 ? 3 : 1;
        conv1 = registerModule("conv1", new Conv2d(2, 1, kernelSize, 1, padding, 1, 1, false, g));
        sigmoid = registerModule("sigmoid", new Sigmoid());
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("SpatialAttention: expected input [B, C, H, W], got " + Shape.str(x.shape()));
        }
        Tensor avgOut = x.mean(1, true);                                   // [B, 1, H, W]
        Tensor maxOut = Reductions.max(x, 1, true).values();               // [B, 1, H, W]
        Tensor both = Joining.cat(List.of(avgOut, maxOut), 1);             // [B, 2, H, W]
        return sigmoid.forward(conv1.forward(both));
    }
}
