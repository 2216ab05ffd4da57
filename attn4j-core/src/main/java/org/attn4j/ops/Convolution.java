package org.attn4j.ops;

import org.attn4j.kernels.Conv2dKernel;
import org.attn4j.kernels.DepthwiseConv2dKernel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.kernels.Window2d;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Convolutions with PyTorch semantics: {@code torch.nn.functional.conv2d} and {@code conv1d} (cross-correlation,
 * zero padding, dilation, groups), with backward for input, weight and bias.
 *
 * <p>Output size per spatial dim: {@code floor((in + 2*padding - dilation*(k-1) - 1) / stride) + 1}. A batched
 * input {@code [N, C_in, ...]} or an unbatched one {@code [C_in, ...]} is accepted, as in PyTorch; the output
 * has the same batchedness. The work is done by {@link Conv2dKernel} (im2col + GEMM), or by
 * {@link DepthwiseConv2dKernel} when each group has a single input channel (depthwise); a 1-D convolution is
 * the 2-D one over a height-1 plane.
 */
public final class Convolution {
    private Convolution() {}

    /**
     * {@code F.conv2d(x, weight, bias, stride, padding, dilation, groups)}.
     *
     * @param x        {@code [N, C_in, H, W]} or unbatched {@code [C_in, H, W]}
     * @param weight   {@code [C_out, C_in/groups, kH, kW]}
     * @param bias     {@code [C_out]}, or null for none
     * @param stride   {@code {s}} or {@code {sH, sW}}, each {@code >= 1}
     * @param padding  {@code {p}} or {@code {pH, pW}}, each {@code >= 0} (zeros on both sides)
     * @param dilation {@code {d}} or {@code {dH, dW}}, each {@code >= 1}
     * @param groups   divides both C_in and C_out; C_in groups is a depthwise convolution
     * @return {@code [N, C_out, Ho, Wo]} (or {@code [C_out, Ho, Wo]} for an unbatched input)
     * @throws IllegalArgumentException naming the shapes when ranks, channel counts, groups, bias or the
     *                                  stride/padding/dilation values do not fit, or the output would be empty
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        final String op = "conv2d";
        Arithmetic.requireFloat(op, x);
        Arithmetic.requireFloat(op, weight);
        if (bias != null) Arithmetic.requireFloat(op, bias);
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expected a 3-D (unbatched) or 4-D (batched) input, got "
                    + Shape.str(x.shape()));
        }
        if (weight.dim() != 4) {
            throw new IllegalArgumentException(op + ": weight must be 4-D [out_channels, in_channels/groups, kH, kW], got "
                    + Shape.str(weight.shape()));
        }
        int[] s = pair(op, "stride", stride, 1), p = pair(op, "padding", padding, 0), d = pair(op, "dilation", dilation, 1);
        boolean batched = x.dim() == 4;
        int N = batched ? x.size(0) : 1;
        int C = x.size(-3), H = x.size(-2), W = x.size(-1);
        int Cout = checkChannels(op, x, weight, bias, C, groups);
        int kH = weight.size(2), kW = weight.size(3);
        int Ho = Window2d.convOutSize(H, kH, s[0], p[0], d[0]), Wo = Window2d.convOutSize(W, kW, s[1], p[1], d[1]);
        if (Ho < 1 || Wo < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape()) + " padded by " + Shape.str(p) + " is "
                    + (H + 2 * p[0]) + "x" + (W + 2 * p[1]) + ", smaller than the kernel " + ((kH - 1) * d[0] + 1) + "x"
                    + ((kW - 1) * d[1] + 1) + " of weight " + Shape.str(weight.shape()) + " with dilation " + Shape.str(d));
        }
        Window2d win = new Window2d(H, W, kH, kW, s[0], s[1], p[0], p[1], d[0], d[1], Ho, Wo);
        int[] outShape = batched ? new int[] {N, Cout, Ho, Wo} : new int[] {Cout, Ho, Wo};
        return run(op, x, weight, bias, new Conv2dKernel.Dims(N, C, Cout, groups, win), outShape);
    }

    /** {@code F.conv2d(x, weight, bias)} with stride 1, no padding, dilation 1 and one group. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        return conv2d(x, weight, bias, new int[] {1}, new int[] {0}, new int[] {1}, 1);
    }

    /**
     * {@code F.conv1d(x, weight, bias, stride, padding, dilation, groups)}.
     *
     * @param x      {@code [N, C_in, L]} or unbatched {@code [C_in, L]}
     * @param weight {@code [C_out, C_in/groups, k]}
     * @param bias   {@code [C_out]}, or null
     * @return {@code [N, C_out, Lo]} (or {@code [C_out, Lo]}), {@code Lo = floor((L + 2p - d(k-1) - 1)/s) + 1}
     * @throws IllegalArgumentException as {@link #conv2d}, naming conv1d
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        final String op = "conv1d";
        Arithmetic.requireFloat(op, x);
        Arithmetic.requireFloat(op, weight);
        if (bias != null) Arithmetic.requireFloat(op, bias);
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException(op + ": expected a 2-D (unbatched) or 3-D (batched) input, got "
                    + Shape.str(x.shape()));
        }
        if (weight.dim() != 3) {
            throw new IllegalArgumentException(op + ": weight must be 3-D [out_channels, in_channels/groups, k], got "
                    + Shape.str(weight.shape()));
        }
        int s = pair(op, "stride", new int[] {stride}, 1)[0];
        int p = pair(op, "padding", new int[] {padding}, 0)[0];
        int d = pair(op, "dilation", new int[] {dilation}, 1)[0];
        boolean batched = x.dim() == 3;
        int N = batched ? x.size(0) : 1;
        int C = x.size(-2), L = x.size(-1);
        int Cout = checkChannels(op, x, weight, bias, C, groups);
        int k = weight.size(2);
        int Lo = Window2d.convOutSize(L, k, s, p, d);
        if (Lo < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape()) + " padded by " + p + " has length "
                    + (L + 2 * p) + ", shorter than the kernel " + ((k - 1) * d + 1) + " of weight "
                    + Shape.str(weight.shape()) + " with dilation " + d);
        }
        Window2d win = new Window2d(1, L, 1, k, 1, s, 0, p, 1, d, 1, Lo);
        int[] outShape = batched ? new int[] {N, Cout, Lo} : new int[] {Cout, Lo};
        return run(op, x, weight, bias, new Conv2dKernel.Dims(N, C, Cout, groups, win), outShape);
    }

    /** {@code F.conv1d(x, weight, bias)} with stride 1, no padding, dilation 1 and one group. */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias) {
        return conv1d(x, weight, bias, 1, 0, 1, 1);
    }

    /** Checks weight vs input channels, groups and bias; returns C_out. */
    private static int checkChannels(String op, Tensor x, Tensor weight, Tensor bias, int C, int groups) {
        String xs = Shape.str(x.shape()), ws = Shape.str(weight.shape());
        if (groups < 1) throw new IllegalArgumentException(op + ": groups must be positive, got " + groups);
        for (int i = 0; i < weight.dim(); i++) {
            if (weight.size(i) < 1) throw new IllegalArgumentException(op + ": weight " + ws + " has an empty dimension");
        }
        int Cout = weight.size(0), Cw = weight.size(1);
        if ((long) Cw * groups != C) {
            throw new IllegalArgumentException(op + ": input " + xs + " has " + C + " channels but weight " + ws
                    + " expects " + ((long) Cw * groups) + " (groups=" + groups + ")");
        }
        if (Cout % groups != 0) {
            throw new IllegalArgumentException(op + ": weight " + ws + " has " + Cout
                    + " output channels, which groups=" + groups + " does not divide");
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != Cout)) {
            throw new IllegalArgumentException(op + ": bias " + Shape.str(bias.shape()) + " must be [" + Cout + "] for weight " + ws);
        }
        return Cout;
    }

    /**
     * A per-dimension parameter given as one value (used for both dims) or two; {@code min} is its least legal
     * value (1 for stride and dilation, 0 for padding).
     */
    static int[] pair(String op, String name, int[] v, int min) {
        if (v == null || v.length < 1 || v.length > 2) {
            throw new IllegalArgumentException(op + ": " + name + " must have 1 or 2 values, got "
                    + (v == null ? "null" : Shape.str(v)));
        }
        int[] r = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
        for (int e : r) {
            if (e < min) {
                throw new IllegalArgumentException(op + ": " + name + " must be " + (min == 0 ? "non-negative" : "positive")
                        + ", got " + Shape.str(v));
            }
        }
        return r;
    }

    private static Tensor run(String op, Tensor x, Tensor weight, Tensor bias, Conv2dKernel.Dims dims, int[] outShape) {
        Tensor xc = x.detach().contiguous(), wc = weight.detach().contiguous();
        Tensor bc = bias == null ? null : bias.detach().contiguous();
        float[] out = PrezeroedArrays.floats(Shape.numel(outShape));
        boolean depthwise = DepthwiseConv2dKernel.applies(dims);
        if (depthwise) {
            DepthwiseConv2dKernel.forward(dims, xc.data(), xc.offset(), wc.data(), wc.offset(),
                    bc == null ? null : bc.data(), bc == null ? 0 : bc.offset(), out);
        } else {
            Conv2dKernel.forward(dims, xc.data(), xc.offset(), wc.data(), wc.offset(),
                    bc == null ? null : bc.data(), bc == null ? 0 : bc.offset(), out);
        }
        Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
        return Tensor.result(out, outShape, op, g -> {
            Tensor gc = g.contiguous();
            float[] gx = x.requiresGrad() ? PrezeroedArrays.floats(x.numel()) : null;
            float[] gw = weight.requiresGrad() ? new float[weight.numel()] : null;
            if (depthwise) {
                DepthwiseConv2dKernel.backward(dims, xc.data(), xc.offset(), wc.data(), wc.offset(), gc.data(), gc.offset(), gx, gw);
            } else {
                Conv2dKernel.backward(dims, xc.data(), xc.offset(), wc.data(), wc.offset(), gc.data(), gc.offset(), gx, gw);
            }
            Tensor tx = gx == null ? null : Tensor.ofOwned(gx, x.shape());
            Tensor tw = gw == null ? null : Tensor.ofOwned(gw, weight.shape());
            if (bias == null) return new Tensor[] {tx, tw};
            Tensor tb = null;
            if (bias.requiresGrad()) {
                float[] gb = new float[dims.Cout()];
                Conv2dKernel.biasBackward(dims.N(), dims.Cout(), dims.win().outPlane(), gc.data(), gc.offset(), gb);
                tb = Tensor.ofOwned(gb, bias.shape());
            }
            return new Tensor[] {tx, tw, tb};
        }, inputs);
    }
}
