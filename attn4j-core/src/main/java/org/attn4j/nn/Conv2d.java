package org.attn4j.nn;

import org.attn4j.ops.Convolution;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
 * bias=True)}: 2-D cross-correlation ({@link Convolution#conv2d}),
 * {@code [N, C_in, H, W] -> [N, C_out, Ho, Wo]} with {@code Ho = floor((H + 2p - d(k-1) - 1)/s) + 1}.
 * Weight {@code [C_out, C_in/groups, kH, kW]}; see {@link ConvNd} for initialisation.
 */
public final class Conv2d extends ConvNd {
    /** Square kernel, stride 1, no padding, with bias, initialised from the default generator. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0, 1, 1, true, Generator.defaultGenerator());
    }

    /** Square kernel, stride, padding and dilation. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator generator) {
        this(inChannels, outChannels, new int[] {kernelSize}, new int[] {stride}, new int[] {padding},
                new int[] {dilation}, groups, bias, generator);
    }

    /** Each size as {@code {v}} (both dims) or {@code {vH, vW}}. */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
                  int groups, boolean bias, Generator generator) {
        super(inChannels, outChannels, ntuple("Conv2d", "kernel_size", kernelSize, 2), ntuple("Conv2d", "stride", stride, 2),
                ntuple("Conv2d", "padding", padding, 2), ntuple("Conv2d", "dilation", dilation, 2), groups, bias, generator);
    }

    /** {@code [N, C_in, H, W]} or {@code [C_in, H, W]}. */
    @Override
    public Tensor forward(Tensor x) {
        checkInput(x);
        return Convolution.conv2d(x, weight(), bias(), stride(), padding(), dilation(), groups());
    }
}
