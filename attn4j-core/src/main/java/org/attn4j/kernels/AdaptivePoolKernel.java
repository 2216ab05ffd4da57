package org.attn4j.kernels;

import java.util.Arrays;

/**
 * Adaptive average and max pooling over {@code planes} independent {@code H x W} planes to a fixed
 * {@code Ho x Wo} output (ATen's {@code AdaptiveAvgPoolKernel} / {@code AdaptiveMaxPoolKernel}).
 *
 * <p>Output {@code i} of a dim of input size {@code in} and output size {@code out} covers
 * {@code [floor(i*in/out), ceil((i+1)*in/out))}, so bins may overlap when {@code in} is not a multiple of
 * {@code out}. A 1-D pool is the case {@code H = Ho = 1}.
 *
 * <p>The {@code Ho = Wo = 1} case (global pooling: what squeeze-and-excitation, CBAM and ECA do) has its own
 * loops over each contiguous plane. Averages accumulate in double, so a large plane loses nothing to float32
 * summation; max pooling follows {@link MaxPool2dKernel}'s tie and NaN rule and records the flat in-plane
 * index for {@link MaxPool2dKernel#scatter}.
 */
public final class AdaptivePoolKernel {
    private AdaptivePoolKernel() {}

    /** {@code floor(i*in/out)}. */
    public static int binStart(int i, int in, int out) {
        return (int) ((long) i * in / out);
    }

    /** {@code ceil((i+1)*in/out)}. */
    public static int binEnd(int i, int in, int out) {
        return (int) (((long) (i + 1) * in + out - 1) / out);
    }

    private static int[] starts(int in, int out) {
        int[] s = new int[out];
        for (int i = 0; i < out; i++) s[i] = binStart(i, in, out);
        return s;
    }

    private static int[] ends(int in, int out) {
        int[] e = new int[out];
        for (int i = 0; i < out; i++) e[i] = binEnd(i, in, out);
        return e;
    }

    /** out {@code [planes, Ho, Wo]} = bin means of x {@code [planes, H, W]} at {@code xOff}. */
    public static void avgForward(int planes, int H, int W, int Ho, int Wo, float[] x, int xOff, float[] out) {
        final int inPlane = H * W, outPlane = Ho * Wo;
        if (outPlane == 1) {
            Parallel.forRangeByCost(planes, inPlane, (from, to) -> {
                for (int pl = from; pl < to; pl++) out[pl] = (float) (planeSum(x, xOff + pl * inPlane, inPlane) / inPlane);
            });
            return;
        }
        final int[] hs = starts(H, Ho), he = ends(H, Ho), ws = starts(W, Wo), we = ends(W, Wo);
        Parallel.forRangeByCost(planes, (long) inPlane + outPlane, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = xOff + pl * inPlane;
                int o = pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        double sum = 0;
                        for (int ih = hs[oh]; ih < he[oh]; ih++) {
                            final int row = xb + ih * W;
                            for (int iw = ws[ow]; iw < we[ow]; iw++) sum += x[row + iw];
                        }
                        out[o] = (float) (sum / ((he[oh] - hs[oh]) * (we[ow] - ws[ow])));
                    }
                }
            }
        });
    }

    /** Sum of {@code n} contiguous values from {@code s}, in four double partial sums. */
    private static double planeSum(float[] x, int s, int n) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            a0 += x[s + i];
            a1 += x[s + i + 1];
            a2 += x[s + i + 2];
            a3 += x[s + i + 3];
        }
        for (; i < n; i++) a0 += x[s + i];
        return (a0 + a1) + (a2 + a3);
    }

    /** Adds each output gradient divided by its bin size onto every element of its bin ({@code gx} zero on entry). */
    public static void avgBackward(int planes, int H, int W, int Ho, int Wo, float[] gOut, int gOff, float[] gx) {
        final int inPlane = H * W, outPlane = Ho * Wo;
        if (outPlane == 1) {
            Parallel.forRangeByCost(planes, inPlane, (from, to) -> {
                for (int pl = from; pl < to; pl++) Arrays.fill(gx, pl * inPlane, (pl + 1) * inPlane, gOut[gOff + pl] / inPlane);
            });
            return;
        }
        final int[] hs = starts(H, Ho), he = ends(H, Ho), ws = starts(W, Wo), we = ends(W, Wo);
        Parallel.forRangeByCost(planes, (long) inPlane + outPlane, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = pl * inPlane;
                int o = gOff + pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        final float v = gOut[o] / ((he[oh] - hs[oh]) * (we[ow] - ws[ow]));
                        for (int ih = hs[oh]; ih < he[oh]; ih++) {
                            final int row = xb + ih * W;
                            for (int iw = ws[ow]; iw < we[ow]; iw++) gx[row + iw] += v;
                        }
                    }
                }
            }
        });
    }

    /** out/idx {@code [planes, Ho, Wo]}: bin maxima of x {@code [planes, H, W]} at {@code xOff} and their in-plane indices. */
    public static void maxForward(int planes, int H, int W, int Ho, int Wo, float[] x, int xOff, float[] out, int[] idx) {
        final int inPlane = H * W, outPlane = Ho * Wo;
        if (outPlane == 1) {
            Parallel.forRangeByCost(planes, inPlane, (from, to) -> {
                for (int pl = from; pl < to; pl++) {
                    final int s = xOff + pl * inPlane;
                    float max = Float.NEGATIVE_INFINITY;
                    int best = 0;
                    for (int i = 0; i < inPlane; i++) {
                        final float v = x[s + i];
                        if (v > max || v != v) {
                            max = v;
                            best = i;
                        }
                    }
                    out[pl] = max;
                    idx[pl] = best;
                }
            });
            return;
        }
        final int[] hs = starts(H, Ho), he = ends(H, Ho), ws = starts(W, Wo), we = ends(W, Wo);
        Parallel.forRangeByCost(planes, (long) inPlane + outPlane, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                final int xb = xOff + pl * inPlane;
                int o = pl * outPlane;
                for (int oh = 0; oh < Ho; oh++) {
                    for (int ow = 0; ow < Wo; ow++, o++) {
                        float max = Float.NEGATIVE_INFINITY;
                        int best = hs[oh] * W + ws[ow];
                        for (int ih = hs[oh]; ih < he[oh]; ih++) {
                            final int row = ih * W;
                            for (int iw = ws[ow]; iw < we[ow]; iw++) {
                                final float v = x[xb + row + iw];
                                if (v > max || v != v) {
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
}
