package org.attn4j.nn;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * What {@link Conv1d} and {@link Conv2d} share, as PyTorch's {@code _ConvNd}: the hyper-parameters (one value
 * per spatial dim), the parameters {@code weight [out_channels, in_channels/groups, *kernel_size]} and
 * {@code bias [out_channels]}, their default initialisation and the printed form.
 *
 * <p>Initialisation as {@code _ConvNd.reset_parameters}: {@code kaiming_uniform_(weight, a=√5)}, which is
 * U(-1/√fan_in, 1/√fan_in) with {@code fan_in = in_channels/groups · prod(kernel_size)}, and the bias
 * U(-1/√fan_in, 1/√fan_in). Only zero padding ({@code padding_mode='zeros'}) with explicit sizes is offered.
 */
public abstract class ConvNd extends UnaryModule {
    private final int inChannels, outChannels, groups;
    private final int[] kernelSize, stride, padding, dilation;

    protected ConvNd(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
                     int groups, boolean bias, Generator generator) {
        String name = typeName();
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException(name + ": in_channels and out_channels must be positive, got " + inChannels
                    + " and " + outChannels);
        }
        if (groups <= 0) throw new IllegalArgumentException(name + ": groups must be a positive integer, got " + groups);
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException(name + ": in_channels " + inChannels + " must be divisible by groups " + groups);
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException(name + ": out_channels " + outChannels + " must be divisible by groups " + groups);
        }
        check(name, "kernel_size", kernelSize, 1);
        check(name, "stride", stride, 1);
        check(name, "padding", padding, 0);
        check(name, "dilation", dilation, 1);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        this.kernelSize = kernelSize.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        int[] wShape = new int[2 + kernelSize.length];
        wShape[0] = outChannels;
        wShape[1] = inChannels / groups;
        System.arraycopy(kernelSize, 0, wShape, 2, kernelSize.length);
        registerParameter("weight", Tensor.zeros(wShape));
        registerParameter("bias", bias ? Tensor.zeros(outChannels) : null);
        resetParameters(generator);
    }

    private static void check(String name, String what, int[] v, int min) {
        for (int x : v) {
            if (x < min) throw new IllegalArgumentException(name + ": " + what + " " + Shape.str(v) + " must be >= " + min);
        }
    }

    /** Spreads one value over {@code n} spatial dims, or checks that {@code n} were given (PyTorch's {@code _pair}). */
    static int[] ntuple(String name, String what, int[] v, int n) {
        if (v.length == 1 && n > 1) {
            int[] out = new int[n];
            java.util.Arrays.fill(out, v[0]);
            return out;
        }
        if (v.length != n) {
            throw new IllegalArgumentException(name + ": " + what + " must have 1 or " + n + " values, got " + Shape.str(v));
        }
        return v.clone();
    }

    /** Re-draws weight and bias with PyTorch's default initialisation. */
    public void resetParameters(Generator g) {
        Init.kaiming_uniform_(weight(), Math.sqrt(5), Init.Mode.FAN_IN, "leaky_relu", g);
        if (bias() != null) {
            int fanIn = Init.fanInAndFanOut(weight().shape())[0];
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            Init.uniform_(bias(), -bound, bound, g);
        }
    }

    public Tensor weight() { return parameter("weight"); }
    /** The bias, or null when the layer has none. */
    public Tensor bias() { return parameter("bias"); }
    public int inChannels() { return inChannels; }
    public int outChannels() { return outChannels; }
    public int groups() { return groups; }
    public int[] kernelSize() { return kernelSize.clone(); }
    public int[] stride() { return stride.clone(); }
    public int[] padding() { return padding.clone(); }
    public int[] dilation() { return dilation.clone(); }

    /**
     * Checks an input of {@code [N, C_in, *spatial]} or unbatched {@code [C_in, *spatial]} before the op runs, so
     * the error names this layer.
     */
    protected void checkInput(Tensor x) {
        int spatial = kernelSize.length;
        if ((x.dim() != spatial + 1 && x.dim() != spatial + 2) || x.size(x.dim() - spatial - 1) != inChannels) {
            String dims = spatial == 1 ? "L" : "H, W";
            throw new IllegalArgumentException(header() + ": expected input [N, " + inChannels + ", " + dims + "] or ["
                    + inChannels + ", " + dims + "], got " + Shape.str(x.shape()));
        }
    }

    /** PyTorch's {@code _ConvNd.extra_repr}: sizes as tuples, settings only where they differ from the defaults. */
    @Override
    public String extraRepr() {
        StringBuilder s = new StringBuilder().append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Repr.tuple(kernelSize)).append(", stride=").append(Repr.tuple(stride));
        if (java.util.Arrays.stream(padding).anyMatch(p -> p != 0)) s.append(", padding=").append(Repr.tuple(padding));
        if (java.util.Arrays.stream(dilation).anyMatch(d -> d != 1)) s.append(", dilation=").append(Repr.tuple(dilation));
        if (groups != 1) s.append(", groups=").append(groups);
        if (bias() == null) s.append(", bias=False");
        return s.toString();
    }
}
