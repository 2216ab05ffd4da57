package org.attn4j.kernels;

import java.util.Arrays;

/**
 * im2col and its adjoint col2im: the unfolding that turns a convolution into one GEMM (Caffe's
 * {@code im2col_cpu}, PyTorch's {@code Unfold}/{@code Fold}).
 *
 * <p>For {@code channels} planes {@code [channels, H, W]} the column matrix is
 * {@code col[(c*kH + i)*kW + j][oh*Wo + ow] = x[c][oh*sH - pH + i*dH][ow*sW - pW + j*dW]}, zero where the
 * position falls in the padding — a row-major {@code [channels*kH*kW, Ho*Wo]} matrix, so that
 * {@code weight[C_out, channels*kH*kW] x col} is the convolution output {@code [C_out, Ho*Wo]}.
 * For each kernel tap the valid output-column range is computed once, so the inner loops have no bounds tests
 * and a stride-1 row is one {@link System#arraycopy}.
 */
public final class Im2col {
    private Im2col() {}

    /** Unfolds {@code x[xOff ..]} ({@code [channels, H, W]}) into {@code col[colOff ..]} ({@code [channels*kH*kW, Ho*Wo]}). */
    public static void im2col(Window2d g, int channels, float[] x, int xOff, float[] col, int colOff) {
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), dH = g.dH(), dW = g.dW(), Ho = g.Ho(), Wo = g.Wo();
        final int P = Ho * Wo, plane = H * W;
        int row = 0;
        for (int c = 0; c < channels; c++) {
            final int xc = xOff + c * plane;
            for (int i = 0; i < kH; i++) {
                for (int j = 0; j < kW; j++, row++) {
                    final int dst = colOff + row * P;
                    final int iw0 = j * dW - pW;
                    final int owLo = validLo(iw0, sW, Wo), owHi = validHi(iw0, sW, W, Wo, owLo);
                    for (int oh = 0; oh < Ho; oh++) {
                        final int ih = oh * sH - pH + i * dH;
                        final int d = dst + oh * Wo;
                        if (ih < 0 || ih >= H) {
                            Arrays.fill(col, d, d + Wo, 0f);
                            continue;
                        }
                        if (owLo > 0) Arrays.fill(col, d, d + owLo, 0f);
                        final int src = xc + ih * W + iw0;
                        if (sW == 1) {
                            System.arraycopy(x, src + owLo, col, d + owLo, owHi - owLo);
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) col[d + ow] = x[src + ow * sW];
                        }
                        if (owHi < Wo) Arrays.fill(col, d + owHi, d + Wo, 0f);
                    }
                }
            }
        }
    }

    /**
     * Folds {@code col[colOff ..]} back, adding every column entry onto the input position it was read from
     * ({@code x[xOff ..] += fold(col)}); entries that came from the padding are dropped. This is the adjoint of
     * {@link #im2col}, i.e. the gradient of the input given the gradient of the column matrix.
     */
    public static void col2im(Window2d g, int channels, float[] col, int colOff, float[] x, int xOff) {
        final int H = g.H(), W = g.W(), kH = g.kH(), kW = g.kW(), sH = g.sH(), sW = g.sW();
        final int pH = g.pH(), pW = g.pW(), dH = g.dH(), dW = g.dW(), Ho = g.Ho(), Wo = g.Wo();
        final int P = Ho * Wo, plane = H * W;
        int row = 0;
        for (int c = 0; c < channels; c++) {
            final int xc = xOff + c * plane;
            for (int i = 0; i < kH; i++) {
                for (int j = 0; j < kW; j++, row++) {
                    final int src = colOff + row * P;
                    final int iw0 = j * dW - pW;
                    final int owLo = validLo(iw0, sW, Wo), owHi = validHi(iw0, sW, W, Wo, owLo);
                    for (int oh = 0; oh < Ho; oh++) {
                        final int ih = oh * sH - pH + i * dH;
                        if (ih < 0 || ih >= H) continue;
                        final int s = src + oh * Wo;
                        final int dst = xc + ih * W + iw0;
                        if (sW == 1) {
                            for (int ow = owLo; ow < owHi; ow++) x[dst + ow] += col[s + ow];
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) x[dst + ow * sW] += col[s + ow];
                        }
                    }
                }
            }
        }
    }

    /** First output column whose input column {@code ow*sW + iw0} is {@code >= 0}, at most {@code Wo}. */
    static int validLo(int iw0, int sW, int Wo) {
        int lo = iw0 >= 0 ? 0 : (-iw0 + sW - 1) / sW;
        return Math.min(lo, Wo);
    }

    /** One past the last output column whose input column {@code ow*sW + iw0} is {@code < W}, at least {@code lo}. */
    static int validHi(int iw0, int sW, int W, int Wo, int lo) {
        int hi = iw0 >= W ? 0 : (W - 1 - iw0) / sW + 1;
        return Math.max(lo, Math.min(hi, Wo));
    }
}
