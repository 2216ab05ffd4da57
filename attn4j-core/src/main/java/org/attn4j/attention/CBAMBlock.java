package org.attn4j.attention;

import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Convolutional Block Attention Module (Woo et al., 2018), as the reference's {@code cbam_block}: channel
 * attention then spatial attention, each multiplied into the features.
 *
 * <p>{@code [B, C, H, W] -> [B, C, H, W]}. Keys: {@code channelattention.fc1.weight},
 * {@code channelattention.fc2.weight}, {@code spatialattention.conv1.weight}.
 */
public final class CBAMBlock extends UnaryModule {
    private final ChannelAttention channelattention;
    private final SpatialAttention spatialattention;

    public CBAMBlock(int channel) {
        this(channel, 8, 7, Generator.defaultGenerator());
    }

    public CBAMBlock(int channel, int ratio, int kernelSize, Generator g) {
        channelattention = registerModule("channelattention", new ChannelAttention(channel, ratio, g));
        spatialattention = registerModule("spatialattention", new SpatialAttention(kernelSize, g));
    }

    /** The spatial attention map {@code [B, 1, H, W]} this block applies to {@code x} (for pictures). */
    public Tensor spatialMap(Tensor x) {
        return spatialattention.forward(x.mul(channelattention.forward(x)));
    }

    @Override
    public Tensor forward(Tensor x) {
        x = x.mul(channelattention.forward(x));      // [B, C, H, W] * [B, C, 1, 1]
        return x.mul(spatialattention.forward(x));   // [B, C, H, W] * [B, 1, H, W]
    }
}
