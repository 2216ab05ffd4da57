package org.attn4j.nn;

import org.attn4j.ops.Pooling;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.AdaptiveMaxPool2d(output_size)}: max pooling over PyTorch's adaptive bins
 * {@code [floor(i·in/out), ceil((i+1)·in/out))}, so any input size gives {@code output_size}
 * ({@link Pooling#adaptiveMaxPool2d}). Output size 1 is global max pooling (SE, CBAM, ECA).
 * The size prints as given: {@code output_size=1} or {@code output_size=(7, 7)}.
 */
public final class AdaptiveMaxPool2d extends UnaryModule {
    private final int[] outputSize;

    /** A square output {@code [outputSize, outputSize]}. */
    public AdaptiveMaxPool2d(int outputSize) {
        this(new int[] {outputSize});
    }

    /** {@code {s}} or {@code {Ho, Wo}}. */
    public AdaptiveMaxPool2d(int[] outputSize) {
        this.outputSize = Pools.size("AdaptiveMaxPool2d", "output_size", outputSize, 1);
    }

    /** {@code [N, C, H, W] -> [N, C, Ho, Wo]} (or unbatched {@code [C, H, W]}). */
    @Override
    public Tensor forward(Tensor x) {
        Pools.check2d(this, x);
        return Pooling.adaptiveMaxPool2d(x, outputSize);
    }

    @Override
    public String extraRepr() {
        return "output_size=" + Repr.asGiven(outputSize);
    }
}
