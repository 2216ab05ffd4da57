package org.attn4j.nn;

import org.attn4j.ops.Pooling;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)}: the mean of
 * each window ({@link Pooling#avgPool2d}); stride defaults to the kernel size. Sizes are {@code {v}} or
 * {@code {vH, vW}} and print as given. ({@code divisor_override} is not offered.)
 */
public final class AvgPool2d extends UnaryModule {
    private final int[] kernelSize, stride, padding;
    private final boolean ceilMode, countIncludePad;

    /** Non-overlapping windows: stride = kernel size. */
    public AvgPool2d(int kernelSize) {
        this(new int[] {kernelSize}, null, new int[] {0}, false, true);
    }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, false, true);
    }

    /** {@code stride} null means the kernel size. */
    public AvgPool2d(int[] kernelSize, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        this.kernelSize = Pools.size("AvgPool2d", "kernel_size", kernelSize, 1);
        this.stride = stride == null ? this.kernelSize.clone() : Pools.size("AvgPool2d", "stride", stride, 1);
        this.padding = Pools.size("AvgPool2d", "padding", padding, 0);
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    /** {@code [N, C, H, W]} or {@code [C, H, W]}. */
    @Override
    public Tensor forward(Tensor x) {
        Pools.check2d(this, x);
        return Pooling.avgPool2d(x, kernelSize, stride, padding, ceilMode, countIncludePad);
    }

    /** PyTorch's {@code AvgPool2d.extra_repr}: kernel_size, stride and padding only. */
    @Override
    public String extraRepr() {
        return "kernel_size=" + Repr.asGiven(kernelSize) + ", stride=" + Repr.asGiven(stride) + ", padding="
                + Repr.asGiven(padding);
    }
}
