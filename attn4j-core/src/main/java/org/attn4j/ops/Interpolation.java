package org.attn4j.ops;

import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@code F.interpolate(x, size=(outH, outW), mode='bicubic', align_corners=False, antialias=...)} on
 * {@code [N, C, H, W]} float tensors, with autograd.
 *
 * <p>Bicubic resampling is separable and linear, so each axis is a fixed matrix: the output is
 * {@code Wy · x · Wxᵀ} with {@code Wy [outH, H]} and {@code Wx [outW, W]}, computed with {@link MatMul} (whose
 * backward gives the gradient {@code Wyᵀ · g · Wx}). The matrices follow PyTorch's two CPU kernels:
 * <ul>
 * <li>{@code antialias=False} ({@code upsample_bicubic2d}): output {@code i} samples the input at
 *     {@code s = scale·(i + 0.5) - 0.5}, {@code scale = in/out} (in float, as PyTorch), from the four inputs
 *     {@code floor(s) - 1 .. floor(s) + 2} clamped to the edge (edge pixels repeat), with Keys' cubic
 *     convolution weights for {@code A = -0.75} at {@code t = s - floor(s)}. Downsampling skips inputs (no
 *     antialiasing).</li>
 * <li>{@code antialias=True} ({@code _upsample_bicubic2d_aa}, the Pillow algorithm): the cubic with
 *     {@code a = -0.5} stretched by {@code max(scale, 1)}, centred at {@code scale·(i + 0.5)}, over inputs
 *     {@code max((int)(c - support + 0.5), 0)} to {@code min((int)(c + support + 0.5), in)} with
 *     {@code support = 2·max(scale, 1)}, weights normalised to sum 1 (the edge is handled by renormalising).</li>
 * </ul>
 * Only {@code align_corners=False} is provided: that is what {@code resample_abs_pos_embed} and image
 * resizing use.
 */
public final class Interpolation {
    private Interpolation() {}

    /**
     * Bicubic resize of the last two dims: {@code [N, C, H, W] -> [N, C, outH, outW]}.
     *
     * @throws IllegalArgumentException when x is not 4-D float or a size is below 1
     */
    public static Tensor bicubic(Tensor x, int outH, int outW, boolean antialias) {
        Arithmetic.requireFloat("interpolate", x);
        if (x.dim() != 4) {
            throw new IllegalArgumentException("interpolate(bicubic): input must be [N, C, H, W], got " + Shape.str(x.shape()));
        }
        if (outH < 1 || outW < 1 || x.size(2) < 1 || x.size(3) < 1) {
            throw new IllegalArgumentException("interpolate(bicubic): sizes must be >= 1, got input " + Shape.str(x.shape())
                    + " and output size [" + outH + ", " + outW + "]");
        }
        Tensor wy = Tensor.of(antialias ? antialiasWeights(x.size(2), outH) : cubicWeights(x.size(2), outH), outH, x.size(2));
        Tensor wx = Tensor.of(antialias ? antialiasWeights(x.size(3), outW) : cubicWeights(x.size(3), outW), outW, x.size(3));
        return MatMul.matmul(wy, MatMul.matmul(x, wx.t()));
    }

    /** PyTorch's {@code A} of {@code upsample_bicubic2d}. */
    private static final float A = -0.75f;

    private static float cubic1(float x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    private static float cubic2(float x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }

    /**
     * {@code [out, in]} weights of {@code upsample_bicubic2d(align_corners=False)}: four taps per output, indices
     * clamped to the edge (a clamped tap adds its weight to the edge pixel).
     */
    static float[] cubicWeights(int in, int out) {
        float[] w = new float[out * in];
        float scale = (float) in / out;
        for (int i = 0; i < out; i++) {
            float real = scale * (i + 0.5f) - 0.5f;
            int idx = (int) Math.floor(real);
            float t = real - idx;
            float[] c = {cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(1 - t + 1)};
            for (int k = 0; k < 4; k++) {
                int j = Math.min(Math.max(idx - 1 + k, 0), in - 1);
                w[i * in + j] += c[k];
            }
        }
        return w;
    }

    /**
     * Pillow's (and PyTorch's antialiased) bicubic kernel, {@code a = -0.5}. As in PyTorch's {@code aa_filter}
     * for float tensors, the argument is a float and the polynomial is evaluated in double.
     */
    private static float aaFilter(float xf) {
        final double a = -0.5;
        double x = Math.abs((double) xf);
        if (x < 1) return (float) (((a + 2) * x - (a + 3)) * x * x + 1);
        if (x < 2) return (float) ((((x - 5) * x + 8) * x - 4) * a);
        return 0f;
    }

    /**
     * {@code [out, in]} weights of {@code _upsample_bicubic2d_aa(align_corners=False)}, computed in float with
     * PyTorch's operation order ({@code _compute_weights_aa} with {@code opmath_t = float}).
     */
    static float[] antialiasWeights(int in, int out) {
        float[] w = new float[out * in];
        float scale = (float) in / out;
        float support = scale >= 1f ? 2f * scale : 2f;
        float invscale = scale >= 1f ? 1f / scale : 1f;
        float[] k = new float[(int) Math.ceil(support) * 2 + 1];
        for (int i = 0; i < out; i++) {
            float center = scale * (float) (i + 0.5);
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xsize = Math.min((int) (center + support + 0.5), in) - xmin;
            float total = 0f;
            for (int j = 0; j < xsize; j++) {
                k[j] = aaFilter((float) (((j + xmin) - center + 0.5) * invscale));
                total += k[j];
            }
            for (int j = 0; j < xsize; j++) w[i * in + xmin + j] = total != 0f ? k[j] / total : k[j];
        }
        return w;
    }
}
