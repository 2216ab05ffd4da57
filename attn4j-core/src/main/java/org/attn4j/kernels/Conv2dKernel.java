package org.attn4j.kernels;

import java.util.Arrays;

/**
 * Grouped 2-D convolution (cross-correlation, as {@code torch.nn.functional.conv2d}) forward and backward as
 * im2col + GEMM, on row-major float arrays. With the Vector API on, {@link #forward} and {@link #backward} run
 * {@link Conv2dVector} (the same products with the column matrix gathered straight into the GEMM's packed
 * panels, over every pixel of the batch at once); the loops here ({@link #forwardReference},
 * {@link #backwardReference}) are its reference and the plain-Java path.
 *
 * <p>Per sample {@code n} and group {@code g}, with {@code Cg = C/groups} input and {@code Og = Cout/groups}
 * output channels, {@code K = Cg*kH*kW} and {@code P = Ho*Wo}:
 * <ul>
 *   <li>forward: {@code out[n, g] (Og x P) = W[g] (Og x K) . col(x[n, g]) (K x P) + bias};
 *   <li>weight gradient: {@code dW[g] += dOut[n, g] . col(x[n, g])^T} summed over the batch;
 *   <li>input gradient: {@code dx[n, g] = col2im(W[g]^T . dOut[n, g])}.
 * </ul>
 * A 1x1 kernel with stride 1 and no padding has {@code col(x) = x}, so it skips im2col and multiplies the
 * input in place. ViT's patchify (kernel == stride, no padding) needs no case of its own: its im2col is a
 * pure rearrangement measured at about 0.2 ms per 224x224 image (patch 16), against a GEMM of 231 MFLOP
 * per image for 768 channels. Work is split over the batch with {@link Parallel} (each chunk owns one column buffer and,
 * for the weight gradient, one partial sum that is added in chunk order, so results are reproducible for a
 * given thread count); with a single sample the GEMM itself is called from the caller's thread and may
 * parallelise internally.
 */
public final class Conv2dKernel {
    private Conv2dKernel() {}

    /** Sizes of one convolution: batch {@code N}, channels {@code C -> Cout} in {@code groups}, and the window. */
    public record Dims(int N, int C, int Cout, int groups, Window2d win) {
        /** Input channels per group. */
        public int cg() { return C / groups; }
        /** Output channels per group. */
        public int og() { return Cout / groups; }
        /** Rows of the column matrix (the GEMM's inner dimension): {@code Cg*kH*kW}. */
        public int k() { return cg() * win.taps(); }
        /** True when the column matrix is the input itself (1x1 kernel, stride 1, no padding). */
        public boolean pointwise() {
            return win.kH() == 1 && win.kW() == 1 && win.sH() == 1 && win.sW() == 1 && win.pH() == 0 && win.pW() == 0;
        }
    }

    /** Number of batch chunks worth forking for {@code flopsPerSample}; 1 when the whole job is small. */
    private static int chunks(int n, long flopsPerSample) {
        if (n <= 1 || (long) n * flopsPerSample < 131_072) return 1;
        return Math.min(n, Parallel.threads());
    }

    /**
     * {@code out = conv2d(x, w) + bias}: x {@code [N, C, H, W]} at {@code xOff}, w {@code [Cout, Cg, kH, kW]}
     * at {@code wOff}, bias {@code [Cout]} at {@code bOff} or null; out {@code [N, Cout, Ho, Wo]} is overwritten.
     */
    public static void forward(Dims d, float[] x, int xOff, float[] w, int wOff, float[] bias, int bOff, float[] out) {
        if (VectorSupport.ENABLED) {
            Conv2dVector.forward(d, x, xOff, w, wOff, bias, bOff, out);
        } else {
            forwardReference(d, x, xOff, w, wOff, bias, bOff, out);
        }
    }

    /** {@link #forward} by im2col + {@link Gemm#sgemm} per sample and group: the reference of {@link Conv2dVector}. */
    public static void forwardReference(Dims d, float[] x, int xOff, float[] w, int wOff, float[] bias, int bOff,
                                        float[] out) {
        final Window2d win = d.win();
        final int N = d.N(), C = d.C(), Cout = d.Cout(), groups = d.groups(), Cg = d.cg(), Og = d.og(), K = d.k();
        final int P = win.outPlane(), plane = win.inPlane();
        final boolean direct = d.pointwise();
        final int nChunks = chunks(N, 2L * Cout * K * P);
        Parallel.forRange(nChunks, 1, (cFrom, cTo) -> {
            float[] col = direct ? null : new float[K * P];
            for (int chunk = cFrom; chunk < cTo; chunk++) {
                int nFrom = (int) ((long) N * chunk / nChunks), nTo = (int) ((long) N * (chunk + 1) / nChunks);
                for (int n = nFrom; n < nTo; n++) {
                    for (int g = 0; g < groups; g++) {
                        int xo = xOff + (n * C + g * Cg) * plane;
                        int oo = (n * Cout + g * Og) * P;
                        if (bias != null) {
                            for (int o = 0; o < Og; o++) Arrays.fill(out, oo + o * P, oo + (o + 1) * P, bias[bOff + g * Og + o]);
                        }
                        float[] b = x;
                        int bo = xo;
                        if (!direct) {
                            Im2col.im2col(win, Cg, x, xo, col, 0);
                            b = col;
                            bo = 0;
                        }
                        Gemm.sgemm(false, false, Og, P, K, 1f, w, wOff + g * Og * K, K, b, bo, P,
                                bias != null ? 1f : 0f, out, oo, P);
                    }
                }
            }
        });
    }

    /**
     * Gradients of {@link #forward} given {@code gOut [N, Cout, Ho, Wo]} at {@code gOff}: the input gradient
     * into {@code gx} ({@code [N, C, H, W]}, must be zero on entry) and the weight gradient into {@code gw}
     * ({@code [Cout, Cg, kH, kW]}, overwritten); either may be null when not wanted.
     */
    public static void backward(Dims d, float[] x, int xOff, float[] w, int wOff, float[] gOut, int gOff,
                                float[] gx, float[] gw) {
        if (gx == null && gw == null) return;
        if (VectorSupport.ENABLED) {
            Conv2dVector.backward(d, x, xOff, w, wOff, gOut, gOff, gx, gw);
        } else {
            backwardReference(d, x, xOff, w, wOff, gOut, gOff, gx, gw);
        }
    }

    /** {@link #backward} by im2col, GEMMs and col2im per sample and group: the reference of {@link Conv2dVector}. */
    public static void backwardReference(Dims d, float[] x, int xOff, float[] w, int wOff, float[] gOut, int gOff,
                                         float[] gx, float[] gw) {
        if (gx == null && gw == null) return;
        final Window2d win = d.win();
        final int N = d.N(), C = d.C(), Cout = d.Cout(), groups = d.groups(), Cg = d.cg(), Og = d.og(), K = d.k();
        final int P = win.outPlane(), plane = win.inPlane();
        final boolean direct = d.pointwise();
        final int nChunks = chunks(N, (gx != null ? 2L : 0L) * Cout * K * P + (gw != null ? 2L : 0L) * Cout * K * P);
        final float[][] partial = new float[nChunks][];
        if (gw != null) {
            Arrays.fill(gw, 0f);
            partial[0] = gw;
            for (int c = 1; c < nChunks; c++) partial[c] = new float[gw.length];
        }
        Parallel.forRange(nChunks, 1, (cFrom, cTo) -> {
            float[] col = direct ? null : new float[K * P];
            for (int chunk = cFrom; chunk < cTo; chunk++) {
                float[] dW = partial[chunk];
                int nFrom = (int) ((long) N * chunk / nChunks), nTo = (int) ((long) N * (chunk + 1) / nChunks);
                for (int n = nFrom; n < nTo; n++) {
                    for (int g = 0; g < groups; g++) {
                        int xo = xOff + (n * C + g * Cg) * plane;
                        int go = gOff + (n * Cout + g * Og) * P;
                        int wo = wOff + g * Og * K;
                        if (dW != null) {
                            float[] b = x;
                            int bo = xo;
                            if (!direct) {
                                Im2col.im2col(win, Cg, x, xo, col, 0);
                                b = col;
                                bo = 0;
                            }
                            Gemm.sgemm(false, true, Og, K, P, 1f, gOut, go, P, b, bo, P, 1f, dW, g * Og * K, K);
                        }
                        if (gx != null) {
                            int gxo = (n * C + g * Cg) * plane;
                            if (direct) {
                                Gemm.sgemm(true, false, K, P, Og, 1f, w, wo, K, gOut, go, P, 0f, gx, gxo, P);
                            } else {
                                Gemm.sgemm(true, false, K, P, Og, 1f, w, wo, K, gOut, go, P, 0f, col, 0, P);
                                Im2col.col2im(win, Cg, col, 0, gx, gxo);
                            }
                        }
                    }
                }
            }
        });
        if (gw != null) {
            for (int c = 1; c < nChunks; c++) {
                float[] p = partial[c];
                for (int i = 0; i < gw.length; i++) gw[i] += p[i];
            }
        }
    }

    /** Bias gradient: {@code gb[co] = sum over n, p of gOut[n, co, p]} (double accumulation), overwriting gb. */
    public static void biasBackward(int N, int Cout, int P, float[] gOut, int gOff, float[] gb) {
        Parallel.forRangeByCost(Cout, (long) N * P, (from, to) -> {
            for (int co = from; co < to; co++) {
                double acc = 0;
                for (int n = 0; n < N; n++) {
                    int s = gOff + (n * Cout + co) * P;
                    for (int p = 0; p < P; p++) acc += gOut[s + p];
                }
                gb[co] = (float) acc;
            }
        });
    }
}
