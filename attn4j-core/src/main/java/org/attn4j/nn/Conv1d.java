package org.attn4j.nn;

import org.attn4j.ops.Convolution;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
 * bias=True)}: 1-D cross-correlation ({@link Convolution#conv1d}), {@code [N, C_in, L] -> [N, C_out, Lo]} with
 * {@code Lo = floor((L + 2p - d(k-1) - 1)/s) + 1}. Weight {@code [C_out, C_in/groups, k]}; see {@link ConvNd}
 * for initialisation. (ECA's channel attention is a {@code Conv1d(1, 1, k, padding=(k-1)/2, bias=False)}.)
 */
public final class Conv1d extends ConvNd {
    /** Stride 1, no padding, with bias, initialised from the default generator. */
    public Conv1d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0, 1, 1, true, Generator.defaultGenerator());
    }

    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator generator) {
        super(inChannels, outChannels, new int[] {kernelSize}, new int[] {stride}, new int[] {padding},
                new int[] {dilation}, groups, bias, generator);
    }

    /** {@code [N, C_in, L]} or {@code [C_in, L]}. */
    @Override
    public Tensor forward(Tensor x) {
        checkInput(x);
        int[] s = stride(), p = padding(), d = dilation();
        return Convolution.conv1d(x, weight(), bias(), s[0], p[0], d[0], groups());
    }
}
