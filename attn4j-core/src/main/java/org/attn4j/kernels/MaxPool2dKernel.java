package org.attn4j.kernels;

/**
 * Max pooling over {@code planes} independent {@code H x W} planes (ATen's {@code cpu_max_pool}), recording
 * for every output the flat in-plane index {@code ih*W + iw} of the element it took, and the backward that
 * routes each output gradient to that element.
 *
 * <p>Tie and NaN rule, as PyTorch: an element replaces the running maximum when it is strictly greater or
 * NaN, so among equal maxima the first in row-major window order wins, and a NaN anywhere in the window
 * wins (the last NaN). Padding never wins: only in-plane positions are visited.
 */
public final class MaxPool2dKernel {
    private MaxPool2dKernel() {}

    /** out/idx {@code [planes, Ho, Wo]} from x {@code [planes, H, W]} at {@code xOff}. */
    public static void forward(Window2d g, int planes, float[] x, int xOff, float[] out, int[] idx) {
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), dH = g.dH(), dW = g.dW(), Ho = g.Ho(), Wo = g.Wo();
        final int inPlane = H * W, outPlane = Ho * Wo;
        if (kH == 2 && kW == 2 && sH == 2 && sW == 2 && pH == 0 && pW == 0 && dH == 1 && dW == 1) {
            forward2x2(H, W, Ho, Wo, planes, x, xOff, out, idx);
            return;
        }
        Parallel.forRangeByCost(planes, (long) outPlane * kH * kW, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = xOff + pl * inPlane;
                int o = pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    int ih0 = oh * sH - pH;
                    final int ih1 = Math.min(ih0 + (kH - 1) * dH + 1, H);
                    while (ih0 < 0) ih0 += dH;
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        int iw0 = ow * sW - pW;
                        final int iw1 = Math.min(iw0 + (kW - 1) * dW + 1, W);
                        while (iw0 < 0) iw0 += dW;
                        int best = ih0 * W + iw0;
                        float max = Float.NEGATIVE_INFINITY;
                        for (int ih = ih0; ih < ih1; ih += dH) {
                            final int row = ih * W;
                            for (int iw = iw0; iw < iw1; iw += dW) {
                                final float v = x[xb + row + iw];
                                if (v > max || Float.isNaN(v)) {
                                    max = v;
                                    best = row + iw;
                                }
                            }
                        }
                        out[o] = max;
                        idx[o] = best;
                    }
                }
            }
        });
    }

    /**
     * {@link #forward} for the common 2x2 window with stride 2 and no padding: the four candidates in window
     * order, same rule (strictly greater or NaN replaces), without the general loop's bounds per output.
     */
    private static void forward2x2(int H, int W, int Ho, int Wo, int planes, float[] x, int xOff, float[] out, int[] idx) {
        final int inPlane = H * W, outPlane = Ho * Wo;
        Parallel.forRangeByCost(planes, 4L * outPlane, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = xOff + pl * inPlane;
                int o = pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    final int r0 = 2 * oh * W, r1 = r0 + W;
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        int c = 2 * ow, best = r0 + c;
                        float max = x[xb + best], v = x[xb + r0 + c + 1];
                        if (v > max || v != v) { max = v; best = r0 + c + 1; }
                        v = x[xb + r1 + c];
                        if (v > max || v != v) { max = v; best = r1 + c; }
                        v = x[xb + r1 + c + 1];
                        if (v > max || v != v) { max = v; best = r1 + c + 1; }
                        out[o] = max;
                        idx[o] = best;
                    }
                }
            }
        });
    }

    /**
     * Adds each output gradient onto the input element it was taken from: {@code gx[pl, idx[o]] += gOut[o]}
     * for {@code planes} planes of {@code inPlane} inputs and {@code outPlane} outputs ({@code gx} zero on entry).
     * Also the backward of the adaptive max pools, which record indices the same way.
     */
    public static void scatter(int planes, int inPlane, int outPlane, float[] gOut, int gOff, int[] idx, float[] gx) {
        Parallel.forRangeByCost(planes, outPlane, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int gb = pl * inPlane, ob = pl * outPlane;
                for (int o = 0; o < outPlane; o++) gx[gb + idx[ob + o]] += gOut[gOff + ob + o];
            }
        });
    }
}
