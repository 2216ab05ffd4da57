package org.attn4j.kernels;

/**
 * The per-channel loops of batch normalization ({@code org.attn4j.ops.Normalization.batchNorm}) over an
 * {@code [N, C, S]} float array: channel c is {@code N} rows of {@code S} values, row b at
 * {@code off + b*rowStride}. Runs {@link BatchNormVector} when the Vector API is on; the plain loops here
 * ({@code *Scalar}) are its reference (BatchNormVectorTest holds them together). Sums over a channel
 * accumulate in double, as PyTorch's CPU kernel accumulates in a wider type; the vector kernels sum each
 * row in float lanes and add the rows in double.
 */
public final class BatchNormKernel {
    private BatchNormKernel() {}

    /** {@code sum(x)} over the channel's rows. */
    public static double sum(float[] x, int off, int rowStride, int rows, int n) {
        return VectorSupport.ENABLED ? BatchNormVector.sum(x, off, rowStride, rows, n) : sumScalar(x, off, rowStride, rows, n);
    }

    /** {@code sum((x - mean)^2)} over the channel's rows. */
    public static double sumSquaredDeviations(float[] x, int off, int rowStride, int rows, int n, double mean) {
        return VectorSupport.ENABLED
                ? BatchNormVector.sumSquaredDeviations(x, off, rowStride, rows, n, mean)
                : sumSquaredDeviationsScalar(x, off, rowStride, rows, n, mean);
    }

    /** {@code y = ((x - mean) * invstd) * w + b} over the channel's rows (same offsets in x and y). */
    public static void normalize(float[] x, float[] y, int off, int rowStride, int rows, int n, float mean, float invstd,
                                 float w, float b) {
        if (VectorSupport.ENABLED) BatchNormVector.normalize(x, y, off, rowStride, rows, n, mean, invstd, w, b);
        else normalizeScalar(x, y, off, rowStride, rows, n, mean, invstd, w, b);
    }

    /** {@code {sum(g), sum((x - mean) * g)}} over the channel's rows: the backward's two reductions. */
    public static double[] gradSums(float[] x, float[] g, int off, int rowStride, int rows, int n, float mean) {
        return VectorSupport.ENABLED
                ? BatchNormVector.gradSums(x, g, off, rowStride, rows, n, mean)
                : gradSumsScalar(x, g, off, rowStride, rows, n, mean);
    }

    /** Training-mode input gradient {@code dx = (g - gMean - (x - mean) * k) * scale} over the channel's rows. */
    public static void inputGrad(float[] x, float[] g, float[] dx, int off, int rowStride, int rows, int n, float mean,
                                 float gMean, float k, float scale) {
        if (VectorSupport.ENABLED) BatchNormVector.inputGrad(x, g, dx, off, rowStride, rows, n, mean, gMean, k, scale);
        else inputGradScalar(x, g, dx, off, rowStride, rows, n, mean, gMean, k, scale);
    }

    public static double sumScalar(float[] x, int off, int rowStride, int rows, int n) {
        double s = 0;
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride;
            for (int i = 0; i < n; i++) s += x[o + i];
        }
        return s;
    }

    public static double sumSquaredDeviationsScalar(float[] x, int off, int rowStride, int rows, int n, double mean) {
        double ss = 0;
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride;
            for (int i = 0; i < n; i++) {
                double d = x[o + i] - mean;
                ss += d * d;
            }
        }
        return ss;
    }

    public static void normalizeScalar(float[] x, float[] y, int off, int rowStride, int rows, int n, float mean,
                                       float invstd, float w, float b) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * rowStride;
            for (int i = 0; i < n; i++) y[o + i] = ((x[o + i] - mean) * invstd) * w + b;
        }
    }

    public static double[] gradSumsScalar(float[] x, float[] g, int off, int rowStride, int rows, int n, float mean) {
        double sumG = 0, dot = 0;
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride;
            for (int i = 0; i < n; i++) {
                float gv = g[o + i];
                sumG += gv;
                dot += (double) (x[o + i] - mean) * gv;
            }
        }
        return new double[] {sumG, dot};
    }

    public static void inputGradScalar(float[] x, float[] g, float[] dx, int off, int rowStride, int rows, int n,
                                       float mean, float gMean, float k, float scale) {
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride;
            for (int i = 0; i < n; i++) dx[o + i] = (g[o + i] - gMean - (x[o + i] - mean) * k) * scale;
        }
    }
}
