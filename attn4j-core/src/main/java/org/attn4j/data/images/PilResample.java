package org.attn4j.data.images;

/**
 * {@code PIL.Image.resize(size, resample)} for 8-bit RGB images, bit for bit: the convolution resampling of
 * Pillow's {@code libImaging/Resample.c} ({@code ImagingResample}, Pillow 4.0 and later), which is what
 * torchvision's {@code Resize} and timm's eval transforms run on PIL images.
 *
 * <p>The algorithm, per axis (horizontal pass first, then vertical, as Pillow orders them):
 * <ul>
 * <li>{@code scale = in / out}; {@code filterscale = max(scale, 1)}: when downsampling, the filter is
 *     stretched by the scale (this is the antialiasing), when upsampling it is used as is;</li>
 * <li>{@code support = filter.support * filterscale} (2 for bicubic, 1 for bilinear);</li>
 * <li>output pixel {@code i} has centre {@code (i + 0.5) * scale} in input coordinates; it reads inputs
 *     {@code xmin = (int)(center - support + 0.5)} (at least 0) up to {@code (int)(center + support + 0.5)} (at
 *     most {@code in}), with weights {@code filter((j + xmin - center + 0.5) / filterscale)} normalised to sum
 *     1 — so the image edge is handled by renormalising, not by replicating pixels;</li>
 * <li>the weights are rounded to 22-bit fixed point ({@code PRECISION_BITS = 32 - 8 - 2}); each sum starts at
 *     half a unit, and the result is shifted back and clamped to 0..255 after <em>each</em> pass (the
 *     horizontal pass's output is stored as 8-bit, as Pillow does).</li>
 * </ul>
 * Bicubic is Keys' cubic convolution with {@code a = -0.5} (PyTorch's non-antialiased bicubic uses
 * {@code a = -0.75}: the two differ). An axis whose size does not change is not resampled.
 */
public final class PilResample {
    private PilResample() {}

    /** The resampling filters of Pillow's {@code Image.Resampling}. */
    public enum Filter {
        /** {@code Image.BILINEAR}: the triangle filter, support 1. */
        BILINEAR(1.0),
        /** {@code Image.BICUBIC}: cubic convolution with a = -0.5, support 2. */
        BICUBIC(2.0);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        /** The filter's value at {@code x}, in double precision, with Pillow's expressions. */
        double at(double x) {
            if (x < 0.0) x = -x;
            if (this == BILINEAR) return x < 1.0 ? 1.0 - x : 0.0;
            final double a = -0.5;
            if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
            return 0.0;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /**
     * Fixed-point weights of one axis: output pixel {@code i} reads {@code count[i]} inputs from {@code first[i]},
     * with weights {@code weights[i * kernelSize + j]} (Pillow's {@code precompute_coeffs} followed by
     * {@code normalize_coeffs_8bpc}).
     */
    record Coefficients(int[] first, int[] count, int[] weights, int kernelSize) {}

    static Coefficients coefficients(int inSize, int outSize, Filter filter) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = filter.support * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        double ss = 1.0 / filterscale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = filter.at((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? k[x] / ww : k[x];
                // normalize_coeffs_8bpc: round half away from zero to 22 fractional bits.
                weights[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(first, count, weights, ksize);
    }

    /** Pillow's {@code clip8}: drop the fraction bits, clamp to a byte. */
    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * Resizes {@code image} to {@code width x height} as {@code image.resize((width, height), filter)}.
     *
     * @throws IllegalArgumentException when a target size is below 1
     */
    public static RgbImage resize(RgbImage image, int width, int height, Filter filter) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("PilResample.resize: target size must be >= 1x1, got " + width + "x" + height
                    + " for " + image);
        }
        RgbImage out = image;
        if (width != image.width()) out = horizontal(out, width, coefficients(image.width(), width, filter));
        if (height != image.height()) out = vertical(out, height, coefficients(image.height(), height, filter));
        return out == image ? new RgbImage(image.width(), image.height(), image.rgb().clone()) : out;
    }

    /** Bicubic resize, the interpolation of timm's ViT configs. */
    public static RgbImage resize(RgbImage image, int width, int height) {
        return resize(image, width, height, Filter.BICUBIC);
    }

    private static RgbImage horizontal(RgbImage in, int outW, Coefficients c) {
        int inW = in.width(), h = in.height();
        byte[] src = in.rgb();
        byte[] dst = new byte[outW * h * 3];
        int ks = c.kernelSize();
        for (int y = 0; y < h; y++) {
            int row = y * inW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.first()[xx], n = c.count()[xx], kb = xx * ks;
                int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                for (int x = 0; x < n; x++) {
                    int k = c.weights()[kb + x];
                    int p = row + (x + xmin) * 3;
                    s0 += (src[p] & 0xFF) * k;
                    s1 += (src[p + 1] & 0xFF) * k;
                    s2 += (src[p + 2] & 0xFF) * k;
                }
                int o = (y * outW + xx) * 3;
                dst[o] = (byte) clip8(s0);
                dst[o + 1] = (byte) clip8(s1);
                dst[o + 2] = (byte) clip8(s2);
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH, Coefficients c) {
        int w = in.width();
        byte[] src = in.rgb();
        byte[] dst = new byte[w * outH * 3];
        int ks = c.kernelSize();
        int stride = w * 3;
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.first()[yy], n = c.count()[yy], kb = yy * ks;
            for (int xx = 0; xx < w; xx++) {
                int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                for (int y = 0; y < n; y++) {
                    int k = c.weights()[kb + y];
                    int p = (y + ymin) * stride + xx * 3;
                    s0 += (src[p] & 0xFF) * k;
                    s1 += (src[p + 1] & 0xFF) * k;
                    s2 += (src[p + 2] & 0xFF) * k;
                }
                int o = (yy * w + xx) * 3;
                dst[o] = (byte) clip8(s0);
                dst[o + 1] = (byte) clip8(s1);
                dst[o + 2] = (byte) clip8(s2);
            }
        }
        return new RgbImage(w, outH, dst);
    }
}
