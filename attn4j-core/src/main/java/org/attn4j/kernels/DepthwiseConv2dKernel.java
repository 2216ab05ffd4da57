package org.attn4j.kernels;

import java.util.Arrays;

/**
 * Convolution where every group has a single input channel ({@code groups == C}: depthwise, with
 * {@code Cout/C} output channels per input channel), computed directly instead of by im2col + GEMM.
 *
 * <p>With one input channel per group the GEMM degenerates to a matrix-vector product over {@code kH*kW}
 * taps, and im2col would copy every input {@code kH*kW} times to feed it. Here each output plane is instead
 * accumulated tap by tap: {@code out[oh, ow] += w[i, j] * x[oh*sH - pH + i*dH, ow*sW - pW + j*dW]}, a
 * shifted row times a scalar, whose inner loop the JIT vectorises for stride 1. The backward passes are the
 * same loops read the other way. Output channel {@code co} reads input channel {@code co / (Cout/C)}, as
 * PyTorch's grouped convolution does.
 */
public final class DepthwiseConv2dKernel {
    private DepthwiseConv2dKernel() {}

    /**
     * True when {@code d} has one input channel per group, the case this kernel computes — except a single
     * group (one input channel) with the Vector API on, which {@link Conv2dVector} runs as one GEMM over every
     * pixel of the batch (Fashion-MNIST's first 1 -> 32 layer, batch 128, one thread: forward 60 ms here
     * against about 11 ms there, weight gradient 82 against about 10).
     */
    public static boolean applies(Conv2dKernel.Dims d) {
        return d.cg() == 1 && (d.groups() > 1 || !VectorSupport.ENABLED);
    }

    /** As {@link Conv2dKernel#forward}. */
    public static void forward(Conv2dKernel.Dims d, float[] x, int xOff, float[] w, int wOff, float[] bias, int bOff,
                               float[] out) {
        final Window2d g = d.win();
        final int C = d.C(), Cout = d.Cout(), mult = d.og();
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), dH = g.dH(), dW = g.dW(), Ho = g.Ho(), Wo = g.Wo();
        final int inPlane = H * W, P = Ho * Wo, taps = kH * kW;
        Parallel.forRangeByCost(d.N() * Cout, 2L * P * taps, (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                final int n = plane / Cout, co = plane % Cout;
                final int xb = xOff + (n * C + co / mult) * inPlane, ob = plane * P, wb = wOff + co * taps;
                Arrays.fill(out, ob, ob + P, bias == null ? 0f : bias[bOff + co]);
                for (int i = 0; i < kH; i++) {
                    for (int j = 0; j < kW; j++) {
                        final float wv = w[wb + i * kW + j];
                        final int iw0 = j * dW - pW;
                        final int lo = Im2col.validLo(iw0, sW, Wo), hi = Im2col.validHi(iw0, sW, W, Wo, lo);
                        for (int oh = 0; oh < Ho; oh++) {
                            final int ih = oh * sH - pH + i * dH;
                            if (ih < 0 || ih >= H) continue;
                            final int src = xb + ih * W + iw0, dst = ob + oh * Wo;
                            if (sW == 1) {
                                for (int ow = lo; ow < hi; ow++) out[dst + ow] += wv * x[src + ow];
                            } else {
                                for (int ow = lo; ow < hi; ow++) out[dst + ow] += wv * x[src + ow * sW];
                            }
                        }
                    }
                }
            }
        });
    }

    /** As {@link Conv2dKernel#backward}: {@code gx} zero on entry, {@code gw} overwritten; either may be null. */
    public static void backward(Conv2dKernel.Dims d, float[] x, int xOff, float[] w, int wOff, float[] gOut, int gOff,
                                float[] gx, float[] gw) {
        final Window2d g = d.win();
        final int N = d.N(), C = d.C(), Cout = d.Cout(), mult = d.og();
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), dH = g.dH(), dW = g.dW(), Ho = g.Ho(), Wo = g.Wo();
        final int inPlane = H * W, P = Ho * Wo, taps = kH * kW;
        if (gx != null) {
            // Input plane (n, c) collects from its mult output channels; planes are independent.
            Parallel.forRangeByCost(N * C, 2L * mult * P * taps, (from, to) -> {
                for (int plane = from; plane < to; plane++) {
                    final int n = plane / C, c = plane % C, xb = plane * inPlane;
                    for (int m = 0; m < mult; m++) {
                        final int co = c * mult + m, gb = gOff + (n * Cout + co) * P, wb = wOff + co * taps;
                        for (int i = 0; i < kH; i++) {
                            for (int j = 0; j < kW; j++) {
                                final float wv = w[wb + i * kW + j];
                                final int iw0 = j * dW - pW;
                                final int lo = Im2col.validLo(iw0, sW, Wo), hi = Im2col.validHi(iw0, sW, W, Wo, lo);
                                for (int oh = 0; oh < Ho; oh++) {
                                    final int ih = oh * sH - pH + i * dH;
                                    if (ih < 0 || ih >= H) continue;
                                    final int dst = xb + ih * W + iw0, src = gb + oh * Wo;
                                    if (sW == 1) {
                                        for (int ow = lo; ow < hi; ow++) gx[dst + ow] += wv * gOut[src + ow];
                                    } else {
                                        for (int ow = lo; ow < hi; ow++) gx[dst + ow * sW] += wv * gOut[src + ow];
                                    }
                                }
                            }
                        }
                    }
                }
            });
        }
        if (gw != null) {
            // Each output channel owns its taps; the batch is summed inside, in double.
            Parallel.forRangeByCost(Cout, 2L * N * P * taps, (from, to) -> {
                for (int co = from; co < to; co++) {
                    final int c = co / mult;
                    for (int i = 0; i < kH; i++) {
                        for (int j = 0; j < kW; j++) {
                            final int iw0 = j * dW - pW;
                            final int lo = Im2col.validLo(iw0, sW, Wo), hi = Im2col.validHi(iw0, sW, W, Wo, lo);
                            double acc = 0;
                            for (int n = 0; n < N; n++) {
                                final int xb = xOff + (n * C + c) * inPlane, gb = gOff + (n * Cout + co) * P;
                                for (int oh = 0; oh < Ho; oh++) {
                                    final int ih = oh * sH - pH + i * dH;
                                    if (ih < 0 || ih >= H) continue;
                                    final int src = xb + ih * W + iw0, go = gb + oh * Wo;
                                    float row = 0f;
                                    for (int ow = lo; ow < hi; ow++) row += gOut[go + ow] * x[src + ow * sW];
                                    acc += row;
                                }
                            }
                            gw[co * taps + i * kW + j] = (float) acc;
                        }
                    }
                }
            });
        }
    }
}
