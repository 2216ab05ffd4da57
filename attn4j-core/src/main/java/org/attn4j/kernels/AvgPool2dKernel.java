package org.attn4j.kernels;

/**
 * Average pooling over {@code planes} independent {@code H x W} planes (ATen's {@code cpu_avg_pool}) and its
 * backward.
 *
 * <p>Each window {@code [ih0, ih0+kH) x [iw0, iw0+kW)} is first clipped to the padded plane
 * {@code [-pH, H+pH) x [-pW, W+pW)} (in ceil mode the last window may reach past it), giving the
 * {@code count_include_pad} divisor; then to the plane itself, giving the summed elements and the divisor
 * when padding is not counted. Dilation is always 1, as in PyTorch.
 */
public final class AvgPool2dKernel {
    private AvgPool2dKernel() {}

    /** out {@code [planes, Ho, Wo]} from x {@code [planes, H, W]} at {@code xOff}. */
    public static void forward(Window2d g, int planes, boolean countIncludePad, float[] x, int xOff, float[] out) {
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), Ho = g.Ho(), Wo = g.Wo();
        final int inPlane = H * W, outPlane = Ho * Wo;
        Parallel.forRangeByCost(planes, (long) outPlane * kH * kW, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = xOff + pl * inPlane;
                int o = pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    int ih0 = oh * sH - pH, ih1 = Math.min(ih0 + kH, H + pH);
                    final int hPad = ih1 - ih0;
                    ih0 = Math.max(ih0, 0);
                    ih1 = Math.min(ih1, H);
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        int iw0 = ow * sW - pW, iw1 = Math.min(iw0 + kW, W + pW);
                        final int wPad = iw1 - iw0;
                        iw0 = Math.max(iw0, 0);
                        iw1 = Math.min(iw1, W);
                        if (ih0 >= ih1 || iw0 >= iw1) {
                            out[o] = 0f;
                            continue;
                        }
                        float sum = 0f;
                        for (int ih = ih0; ih < ih1; ih++) {
                            final int row = xb + ih * W;
                            for (int iw = iw0; iw < iw1; iw++) sum += x[row + iw];
                        }
                        int divisor = countIncludePad ? hPad * wPad : (ih1 - ih0) * (iw1 - iw0);
                        out[o] = sum / divisor;
                    }
                }
            }
        });
    }

    /** Adds {@code gOut / divisor} onto every element of each output's window ({@code gx} zero on entry). */
    public static void backward(Window2d g, int planes, boolean countIncludePad, float[] gOut, int gOff, float[] gx) {
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), Ho = g.Ho(), Wo = g.Wo();
        final int inPlane = H * W, outPlane = Ho * Wo;
        Parallel.forRangeByCost(planes, (long) outPlane * kH * kW, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = pl * inPlane;
                int o = gOff + pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    int ih0 = oh * sH - pH, ih1 = Math.min(ih0 + kH, H + pH);
                    final int hPad = ih1 - ih0;
                    ih0 = Math.max(ih0, 0);
                    ih1 = Math.min(ih1, H);
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        int iw0 = ow * sW - pW, iw1 = Math.min(iw0 + kW, W + pW);
                        final int wPad = iw1 - iw0;
                        iw0 = Math.max(iw0, 0);
                        iw1 = Math.min(iw1, W);
                        if (ih0 >= ih1 || iw0 >= iw1) continue;
                        int divisor = countIncludePad ? hPad * wPad : (ih1 - ih0) * (iw1 - iw0);
                        final float v = gOut[o] / divisor;
                        for (int ih = ih0; ih < ih1; ih++) {
                            final int row = xb + ih * W;
                            for (int iw = iw0; iw < iw1; iw++) gx[row + iw] += v;
                        }
                    }
                }
            }
        });
    }
}
