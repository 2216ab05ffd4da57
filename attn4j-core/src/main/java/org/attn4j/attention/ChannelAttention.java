package org.attn4j.attention;

import org.attn4j.nn.AdaptiveAvgPool2d;
import org.attn4j.nn.AdaptiveMaxPool2d;
import org.attn4j.nn.Conv2d;
import org.attn4j.nn.ReLU;
import org.attn4j.nn.Sigmoid;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * CBAM's channel attention (Woo et al., 2018), as the reference's {@code ChannelAttention}: the average- and
 * max-pooled descriptors go through one shared bottleneck of 1×1 convolutions ({@code fc1}, {@code fc2}, no
 * bias), are summed and squashed by a sigmoid. Returns the weights, not the reweighted input.
 *
 * <p>{@code [B, C, H, W] -> [B, C, 1, 1]}. Keys: {@code fc1.weight} {@code [C/ratio, C, 1, 1]},
 * {@code fc2.weight} {@code [C, C/ratio, 1, 1]}.
 */
public final class ChannelAttention extends UnaryModule {
    private final int inPlanes;
    private final AdaptiveAvgPool2d avgPool;
    private final AdaptiveMaxPool2d maxPool;
    private final Conv2d fc1, fc2;
    private final ReLU relu1;
    private final Sigmoid sigmoid;

    public ChannelAttention(int inPlanes, int ratio, Generator g) {
        if (inPlanes <= 0 || ratio <= 0 || inPlanes / ratio < 1) {
            throw new IllegalArgumentException("ChannelAttention: in_planes " + inPlanes + " // ratio " + ratio
                    + " must leave at least one hidden channel");
        }
        this.inPlanes = inPlanes;
        avgPool = registerModule("avg_pool", new AdaptiveAvgPool2d(1));
        maxPool = registerModule("max_pool", new AdaptiveMaxPool2d(1));
        fc1 = registerModule("fc1", new Conv2d(inPlanes, inPlanes / ratio, 1, 1, 0, 1, 1, false, g));
        relu1 = registerModule("relu1", new ReLU());
        fc2 = registerModule("fc2", new Conv2d(inPlanes / ratio, inPlanes, 1, 1, 0, 1, 1, false, g));
        sigmoid = registerModule("sigmoid", new Sigmoid());
    }

    @Override
    public Tensor forward(Tensor x) {
        ChannelChecks.requireNchw("ChannelAttention", x, inPlanes);
        Tensor avgOut = fc2.forward(relu1.forward(fc1.forward(avgPool.forward(x))));   // [B, C, 1, 1]
        Tensor maxOut = fc2.forward(relu1.forward(fc1.forward(maxPool.forward(x))));   // [B, C, 1, 1]
        return sigmoid.forward(avgOut.add(maxOut));
    }
}
