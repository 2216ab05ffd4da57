package org.attn4j.ops;

import org.attn4j.kernels.AdaptivePoolKernel;
import org.attn4j.kernels.AvgPool2dKernel;
import org.attn4j.kernels.MaxPool2dKernel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.kernels.Window2d;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Pooling with PyTorch semantics and backward: {@code F.max_pool2d}, {@code F.avg_pool2d},
 * {@code F.adaptive_avg_pool1d/2d} and {@code F.adaptive_max_pool1d/2d}.
 *
 * <p>Inputs are batched {@code [N, C, H, W]} (1-D: {@code [N, C, L]}) or unbatched {@code [C, H, W]}
 * ({@code [C, L]}); every plane is pooled independently and the output keeps the leading dims. Window
 * pools follow ATen's {@code pooling_output_shape}: floor or ceil mode, where in ceil mode the last window
 * must start inside the input or its left padding, and padding may be at most half the kernel.
 *
 * <p>Max pooling sends each output's gradient to the element it took — the first maximum in row-major
 * window order, as PyTorch; a NaN in the window wins. Adaptive pools use PyTorch's bins
 * {@code [floor(i*in/out), ceil((i+1)*in/out))}; output size 1 (global pooling, as in SE / CBAM / ECA) takes
 * a dedicated per-plane loop.
 */
public final class Pooling {
    private Pooling() {}

    /**
     * {@code F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)}.
     *
     * @param x        {@code [N, C, H, W]} or {@code [C, H, W]}
     * @param kernel   {@code {k}} or {@code {kH, kW}}, positive
     * @param stride   {@code {s}} or {@code {sH, sW}}, positive; null or empty means the kernel size
     * @param padding  {@code {p}} or {@code {pH, pW}}, at most half the kernel; padding never wins the max
     * @param dilation {@code {d}} or {@code {dH, dW}}, positive
     * @return {@code [N, C, Ho, Wo]} (or {@code [C, Ho, Wo]})
     */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        final String op = "max_pool2d";
        Window2d win = window(op, x, kernel, stride, padding, dilation, ceilMode);
        int planes = planes(x, 2), outPlane = win.outPlane();
        Tensor xc = x.detach().contiguous();
        float[] out = PrezeroedArrays.floats(planes * outPlane);
        int[] idx = new int[planes * outPlane];
        MaxPool2dKernel.forward(win, planes, xc.data(), xc.offset(), out, idx);
        return Tensor.result(out, outShape(x, 2, win.Ho(), win.Wo()), op, g -> {
            Tensor gc = g.contiguous();
            float[] gx = PrezeroedArrays.floats(x.numel());
            MaxPool2dKernel.scatter(planes, win.inPlane(), outPlane, gc.data(), gc.offset(), idx, gx);
            return new Tensor[] {Tensor.ofOwned(gx, x.shape())};
        }, x);
    }

    /** {@code F.max_pool2d(x, kernel_size, stride, padding)}: dilation 1, floor mode. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return maxPool2d(x, kernel, stride, padding, new int[] {1}, false);
    }

    /**
     * {@code F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)} (no divisor override).
     * With {@code countIncludePad} the divisor counts the zero padding a window covers (but not the part of a
     * ceil-mode window past the padding); without it, only the input elements.
     *
     * @param x       {@code [N, C, H, W]} or {@code [C, H, W]}
     * @param kernel  {@code {k}} or {@code {kH, kW}}, positive
     * @param stride  {@code {s}} or {@code {sH, sW}}, positive; null or empty means the kernel size
     * @param padding {@code {p}} or {@code {pH, pW}}, at most half the kernel
     * @return {@code [N, C, Ho, Wo]} (or {@code [C, Ho, Wo]})
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
        final String op = "avg_pool2d";
        Window2d win = window(op, x, kernel, stride, padding, new int[] {1}, ceilMode);
        int planes = planes(x, 2);
        Tensor xc = x.detach().contiguous();
        float[] out = PrezeroedArrays.floats(planes * win.outPlane());
        AvgPool2dKernel.forward(win, planes, countIncludePad, xc.data(), xc.offset(), out);
        return Tensor.result(out, outShape(x, 2, win.Ho(), win.Wo()), op, g -> {
            Tensor gc = g.contiguous();
            float[] gx = PrezeroedArrays.floats(x.numel());
            AvgPool2dKernel.backward(win, planes, countIncludePad, gc.data(), gc.offset(), gx);
            return new Tensor[] {Tensor.ofOwned(gx, x.shape())};
        }, x);
    }

    /** {@code F.avg_pool2d(x, kernel_size, stride, padding)}: floor mode, padding counted. */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return avgPool2d(x, kernel, stride, padding, false, true);
    }

    /**
     * {@code F.adaptive_avg_pool2d(x, output_size)}.
     *
     * @param x          {@code [N, C, H, W]} or {@code [C, H, W]}, H and W non-empty
     * @param outputSize {@code {s}} or {@code {Ho, Wo}}, positive ({@code {1}} is global average pooling)
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int[] outputSize) {
        final String op = "adaptive_avg_pool2d";
        checkRank(op, x, 2);
        int[] os = Convolution.pair(op, "output_size", outputSize, 1);
        return adaptiveAvg(op, x, 2, os[0], os[1]);
    }

    /** {@code F.adaptive_avg_pool1d(x, output_size)} for x {@code [N, C, L]} or {@code [C, L]}. */
    public static Tensor adaptiveAvgPool1d(Tensor x, int outputSize) {
        final String op = "adaptive_avg_pool1d";
        checkRank(op, x, 1);
        int os = Convolution.pair(op, "output_size", new int[] {outputSize}, 1)[0];
        return adaptiveAvg(op, x, 1, 1, os);
    }

    /**
     * {@code F.adaptive_max_pool2d(x, output_size)} (values only; the gradient goes to each bin's first maximum).
     *
     * @param x          {@code [N, C, H, W]} or {@code [C, H, W]}, H and W non-empty
     * @param outputSize {@code {s}} or {@code {Ho, Wo}}, positive ({@code {1}} is global max pooling)
     */
    public static Tensor adaptiveMaxPool2d(Tensor x, int[] outputSize) {
        final String op = "adaptive_max_pool2d";
        checkRank(op, x, 2);
        int[] os = Convolution.pair(op, "output_size", outputSize, 1);
        return adaptiveMax(op, x, 2, os[0], os[1]);
    }

    /** {@code F.adaptive_max_pool1d(x, output_size)} for x {@code [N, C, L]} or {@code [C, L]}. */
    public static Tensor adaptiveMaxPool1d(Tensor x, int outputSize) {
        final String op = "adaptive_max_pool1d";
        checkRank(op, x, 1);
        int os = Convolution.pair(op, "output_size", new int[] {outputSize}, 1)[0];
        return adaptiveMax(op, x, 1, 1, os);
    }

    // ---------------------------------------------------------------- shared

    private static Tensor adaptiveAvg(String op, Tensor x, int spatial, int Ho, int Wo) {
        int H = spatial == 2 ? x.size(-2) : 1, W = x.size(-1);
        int planes = planes(x, spatial);
        Tensor xc = x.detach().contiguous();
        float[] out = PrezeroedArrays.floats(planes * Ho * Wo);
        AdaptivePoolKernel.avgForward(planes, H, W, Ho, Wo, xc.data(), xc.offset(), out);
        return Tensor.result(out, outShape(x, spatial, Ho, Wo), op, g -> {
            Tensor gc = g.contiguous();
            float[] gx = PrezeroedArrays.floats(x.numel());
            AdaptivePoolKernel.avgBackward(planes, H, W, Ho, Wo, gc.data(), gc.offset(), gx);
            return new Tensor[] {Tensor.ofOwned(gx, x.shape())};
        }, x);
    }

    private static Tensor adaptiveMax(String op, Tensor x, int spatial, int Ho, int Wo) {
        int H = spatial == 2 ? x.size(-2) : 1, W = x.size(-1);
        int planes = planes(x, spatial);
        Tensor xc = x.detach().contiguous();
        float[] out = PrezeroedArrays.floats(planes * Ho * Wo);
        int[] idx = new int[planes * Ho * Wo];
        AdaptivePoolKernel.maxForward(planes, H, W, Ho, Wo, xc.data(), xc.offset(), out, idx);
        return Tensor.result(out, outShape(x, spatial, Ho, Wo), op, g -> {
            Tensor gc = g.contiguous();
            float[] gx = PrezeroedArrays.floats(x.numel());
            MaxPool2dKernel.scatter(planes, H * W, Ho * Wo, gc.data(), gc.offset(), idx, gx);
            return new Tensor[] {Tensor.ofOwned(gx, x.shape())};
        }, x);
    }

    /** Checks a float input of rank spatial+1 (unbatched) or spatial+2 (batched) with non-empty spatial dims. */
    private static void checkRank(String op, Tensor x, int spatial) {
        Arithmetic.requireFloat(op, x);
        if (x.dim() != spatial + 1 && x.dim() != spatial + 2) {
            throw new IllegalArgumentException(op + ": expected a " + (spatial + 1) + "-D (unbatched) or " + (spatial + 2)
                    + "-D (batched) input, got " + Shape.str(x.shape()));
        }
        for (int i = x.dim() - spatial; i < x.dim(); i++) {
            if (x.size(i) < 1) {
                throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape()) + " has an empty spatial dimension");
            }
        }
    }

    /** Validates a window pool's input and parameters and computes its output size. */
    private static Window2d window(String op, Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                   boolean ceilMode) {
        checkRank(op, x, 2);
        int[] k = Convolution.pair(op, "kernel_size", kernel, 1);
        int[] s = stride == null || stride.length == 0 ? k : Convolution.pair(op, "stride", stride, 1);
        int[] p = Convolution.pair(op, "padding", padding, 0);
        int[] d = Convolution.pair(op, "dilation", dilation, 1);
        if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
            throw new IllegalArgumentException(op + ": padding " + Shape.str(p) + " must be at most half the kernel_size "
                    + Shape.str(k));
        }
        int H = x.size(-2), W = x.size(-1);
        int Ho = Window2d.poolOutSize(H, k[0], s[0], p[0], d[0], ceilMode);
        int Wo = Window2d.poolOutSize(W, k[1], s[1], p[1], d[1], ceilMode);
        if (Ho < 1 || Wo < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape()) + " padded by " + Shape.str(p)
                    + " is too small for kernel_size " + Shape.str(k) + " with dilation " + Shape.str(d)
                    + " (output would be " + Ho + "x" + Wo + ")");
        }
        return new Window2d(H, W, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], Ho, Wo);
    }

    /** Number of independent planes: the product of the dims before the last {@code spatial}. */
    private static int planes(Tensor x, int spatial) {
        int n = 1;
        for (int i = 0; i < x.dim() - spatial; i++) n *= x.size(i);
        return n;
    }

    /** x's shape with the last {@code spatial} dims replaced by the output size. */
    private static int[] outShape(Tensor x, int spatial, int Ho, int Wo) {
        int[] s = x.shape();
        if (spatial == 2) s[s.length - 2] = Ho;
        s[s.length - 1] = Wo;
        return s;
    }
}
