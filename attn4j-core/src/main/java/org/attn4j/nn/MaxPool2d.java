package org.attn4j.nn;

import org.attn4j.ops.Pooling;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)}: the maximum of each
 * window ({@link Pooling#maxPool2d}); stride defaults to the kernel size. Sizes are {@code {v}} or
 * {@code {vH, vW}} and print as given, as in PyTorch ({@code kernel_size=2} or {@code kernel_size=(2, 2)}).
 */
public final class MaxPool2d extends UnaryModule {
    private final int[] kernelSize, stride, padding, dilation;
    private final boolean ceilMode;

    /** Non-overlapping windows: stride = kernel size. */
    public MaxPool2d(int kernelSize) {
        this(new int[] {kernelSize}, null, new int[] {0}, new int[] {1}, false);
    }

    public MaxPool2d(int kernelSize, int stride, int padding) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, new int[] {1}, false);
    }

    /** {@code stride} null means the kernel size. */
    public MaxPool2d(int[] kernelSize, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        this.kernelSize = Pools.size("MaxPool2d", "kernel_size", kernelSize, 1);
        this.stride = stride == null ? this.kernelSize.clone() : Pools.size("MaxPool2d", "stride", stride, 1);
        this.padding = Pools.size("MaxPool2d", "padding", padding, 0);
        this.dilation = Pools.size("MaxPool2d", "dilation", dilation, 1);
        this.ceilMode = ceilMode;
    }

    /** {@code [N, C, H, W]} or {@code [C, H, W]}. */
    @Override
    public Tensor forward(Tensor x) {
        Pools.check2d(this, x);
        return Pooling.maxPool2d(x, kernelSize, stride, padding, dilation, ceilMode);
    }

    @Override
    public String extraRepr() {
        return "kernel_size=" + Repr.asGiven(kernelSize) + ", stride=" + Repr.asGiven(stride) + ", padding="
                + Repr.asGiven(padding) + ", dilation=" + Repr.asGiven(dilation) + ", ceil_mode=" + Repr.bool(ceilMode);
    }
}
