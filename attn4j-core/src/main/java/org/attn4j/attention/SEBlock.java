package org.attn4j.attention;

import org.attn4j.nn.AdaptiveAvgPool2d;
import org.attn4j.nn.Linear;
import org.attn4j.nn.ReLU;
import org.attn4j.nn.Sequential;
import org.attn4j.nn.Sigmoid;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Squeeze-and-Excitation channel attention (Hu et al., 2018), as the reference's {@code se_block}: global
 * average pooling, a bottleneck MLP {@code C -> C/ratio -> C} without biases, a sigmoid, and a per-channel
 * rescale of the input. State-dict keys: {@code fc.0.weight} {@code [C/ratio, C]}, {@code fc.2.weight}
 * {@code [C, C/ratio]}.
 *
 * <p>{@code [B, C, H, W] -> [B, C, H, W]}.
 */
public final class SEBlock extends UnaryModule {
    private final int channel;
    private final AdaptiveAvgPool2d avgPool;
    private final Sequential fc;

    public SEBlock(int channel) {
        this(channel, 16, Generator.defaultGenerator());
    }

    public SEBlock(int channel, int ratio, Generator g) {
        if (channel <= 0 || ratio <= 0 || channel / ratio < 1) {
            throw new IllegalArgumentException("SEBlock: channel " + channel + " // ratio " + ratio
                    + " must leave at least one hidden unit");
        }
        this.channel = channel;
        avgPool = registerModule("avg_pool", new AdaptiveAvgPool2d(1));
        fc = registerModule("fc", new Sequential(
                new Linear(channel, channel / ratio, false, g),
                new ReLU(),
                new Linear(channel / ratio, channel, false, g),
                new Sigmoid()));
    }

    @Override
    public Tensor forward(Tensor x) {
        ChannelChecks.requireNchw("SEBlock", x, channel);
        int b = x.size(0), c = x.size(1);
        Tensor y = avgPool.forward(x).view(b, c);          // [B, C]
        y = fc.forward(y).view(b, c, 1, 1);                 // [B, C, 1, 1]
        return x.mul(y);
    }
}
