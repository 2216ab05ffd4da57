package org.attn4j.models;

import java.util.function.IntFunction;
import org.attn4j.nn.BatchNorm2d;
import org.attn4j.nn.Conv2d;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.Flatten;
import org.attn4j.nn.Linear;
import org.attn4j.nn.MaxPool2d;
import org.attn4j.nn.ReLU;
import org.attn4j.nn.Sequential;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The small convolutional network of attn4j's Fashion-MNIST job, with an optional attention block at the
 * end of each stage — the SE / CBAM / ECA ablation the reference tutorial is about:
 * <pre>
 *   stage1: conv3x3(1→32)-BN-ReLU, conv3x3(32→32)-BN-ReLU, [attention(32)], maxpool 2   [B, 32, 14, 14]
 *   stage2: conv3x3(32→64)-BN-ReLU, conv3x3(64→64)-BN-ReLU, [attention(64)], maxpool 2  [B, 64, 7, 7]
 *   head:   flatten, dropout 0.3, linear(3136→256), ReLU, dropout 0.3, linear(256→classes)
 * </pre>
 * {@code [B, 1, 28, 28] -> [B, classes]} logits.
 */
public final class FashionCnn extends UnaryModule {
    private final Sequential stage1, stage2, head;
    private final UnaryModule attention1, attention2;

    /**
     * @param attention builds the attention block for a stage's channel count, or null for the plain network
     */
    public FashionCnn(int numClasses, IntFunction<UnaryModule> attention, Generator g) {
        attention1 = attention == null ? null : attention.apply(32);
        attention2 = attention == null ? null : attention.apply(64);
        stage1 = registerModule("stage1", stage(1, 32, attention1, g));
        stage2 = registerModule("stage2", stage(32, 64, attention2, g));
        head = registerModule("head", new Sequential(
                new Flatten(),
                new Dropout(0.3, g),
                new Linear(64 * 7 * 7, 256, true, g),
                new ReLU(),
                new Dropout(0.3, g),
                new Linear(256, numClasses, true, g)));
    }

    private static Sequential stage(int in, int out, UnaryModule attention, Generator g) {
        Sequential s = new Sequential(
                new Conv2d(in, out, 3, 1, 1, 1, 1, false, g), new BatchNorm2d(out), new ReLU(),
                new Conv2d(out, out, 3, 1, 1, 1, 1, false, g), new BatchNorm2d(out), new ReLU());
        if (attention != null) s.append(attention);
        return s.append(new MaxPool2d(2));
    }

    /** The attention block of stage 1 or 2 (null for the plain network), e.g. for attention maps. */
    public UnaryModule attention(int stage) {
        return stage == 1 ? attention1 : attention2;
    }

    /** The input of stage 2's attention block for {@code x} (the features it reweights). */
    public Tensor featuresBeforeAttention(Tensor x, int stage) {
        Tensor h = x;
        Sequential s = stage == 1 ? stage1 : stage2;
        if (stage == 2) h = stage1.forward(h);
        for (int i = 0; i < 6; i++) h = s.get(i).forward(h);
        return h;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4 || x.size(1) != 1 || x.size(2) != 28 || x.size(3) != 28) {
            throw new IllegalArgumentException("FashionCnn: expected images [B, 1, 28, 28], got " + Shape.str(x.shape()));
        }
        return head.forward(stage2.forward(stage1.forward(x)));
    }
}
