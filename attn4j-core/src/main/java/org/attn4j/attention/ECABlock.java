package org.attn4j.attention;

import org.attn4j.nn.AdaptiveAvgPool2d;
import org.attn4j.nn.Conv1d;
import org.attn4j.nn.Sigmoid;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Efficient Channel Attention (Wang et al., 2020), as the reference's {@code eca_block}: global average
 * pooling, a 1-D convolution across channels ({@code conv}, no bias) whose odd kernel size adapts to the
 * channel count, {@code k = int(|(log2 C + b) / gamma|)}, made odd by adding 1, then a sigmoid rescale.
 *
 * <p>{@code [B, C, H, W] -> [B, C, H, W]}. Key: {@code conv.weight} {@code [1, 1, k]}.
 */
public final class ECABlock extends UnaryModule {
    private final int channel;
    private final int kernelSize;
    private final AdaptiveAvgPool2d avgPool;
    private final Conv1d conv;
    private final Sigmoid sigmoid;

    public ECABlock(int channel) {
        this(channel, 1, 2, Generator.defaultGenerator());
    }

    public ECABlock(int channel, int b, int gamma, Generator g) {
        if (channel <= 0 || gamma == 0) {
            throw new IllegalArgumentException("ECABlock: need channel > 0 and gamma != 0, got channel " + channel + ", gamma " + gamma);
        }
        this.channel = channel;
        this.kernelSize = kernelSize(channel, b, gamma);
        avgPool = registerModule("avg_pool", new AdaptiveAvgPool2d(1));
        conv = registerModule("conv", new Conv1d(1, 1, kernelSize, 1, (kernelSize - 1) / 2, 1, 1, false, g));
        sigmoid = registerModule("sigmoid", new Sigmoid());
    }

    /** The reference's adaptive kernel size: {@code int(abs((log(C, 2) + b) / gamma))}, bumped to odd. */
    public static int kernelSize(int channel, int b, int gamma) {
        int k = (int) Math.abs((Math.log(channel) / Math.log(2) + b) / gamma);
        return k % 2 != 0 ? k : k + 1;
    }

    public int kernelSize() {
        return kernelSize;
    }

    @Override
    public Tensor forward(Tensor x) {
        ChannelChecks.requireNchw("ECABlock", x, channel);
        Tensor y = avgPool.forward(x);                                       // [B, C, 1, 1]
        y = conv.forward(y.squeeze(-1).transpose(-1, -2)).transpose(-1, -2)  // [B, 1, C] -> conv -> [B, C, 1]
                .unsqueeze(-1);                                              // [B, C, 1, 1]
        y = sigmoid.forward(y);
        return x.mul(y.expand(x.shape()));
    }
}
