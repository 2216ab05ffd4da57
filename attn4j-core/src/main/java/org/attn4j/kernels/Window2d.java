package org.attn4j.kernels;

/**
 * A kernel window sliding over one {@code H x W} plane: its size, stride, zero padding and dilation, and the
 * resulting output size {@code Ho x Wo}. Shared by convolution ({@link Im2col}, {@link Conv2dKernel}) and the
 * pooling kernels; a 1-D operation is the case {@code H = kH = sH = 1, pH = 0}.
 *
 * <p>Input position of output {@code (oh, ow)} and kernel tap {@code (i, j)}:
 * {@code (oh*sH - pH + i*dH, ow*sW - pW + j*dW)}; positions outside {@code [0,H) x [0,W)} are padding.
 * Callers validate the values (the ops in {@code org.attn4j.ops} do, with messages naming the op).
 */
public record Window2d(int H, int W, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW, int Ho, int Wo) {

    /** Elements of one input plane. */
    public int inPlane() {
        return H * W;
    }

    /** Elements of one output plane. */
    public int outPlane() {
        return Ho * Wo;
    }

    /** Taps of the kernel. */
    public int taps() {
        return kH * kW;
    }

    /**
     * PyTorch's convolution output size (floor mode): {@code floor((in + 2p - d(k-1) - 1) / s) + 1}, or a
     * value {@code <= 0} when the dilated kernel does not fit the padded input.
     */
    public static int convOutSize(int in, int k, int s, int p, int d) {
        int span = in + 2 * p - d * (k - 1) - 1;
        return span < 0 ? 0 : span / s + 1;
    }

    /**
     * PyTorch's pooling output size ({@code pooling_output_shape} in ATen's Pool.h): floor or ceil of
     * {@code (in + 2p - d(k-1) - 1) / s} plus one, where in ceil mode the last window must still start inside
     * the input or its left padding. May be {@code <= 0} when the window does not fit.
     */
    public static int poolOutSize(int in, int k, int s, int p, int d, boolean ceilMode) {
        int num = in + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0);
        int out = Math.floorDiv(num, s) + 1;
        if (ceilMode && (out - 1) * s >= in + p) out--;
        return out;
    }
}
