package org.attn4j.kernels;

/**
 * Row kernels of layer normalization ({@code F.layer_norm}) over a row-major {@code [rows, n]} array:
 * each row is normalized by its own mean and biased variance, {@code y = (x - mean) * rstd * w + b} with
 * {@code rstd = 1 / sqrt(var + eps)}.
 *
 * <p>This class holds the plain scalar reference and dispatches to {@link LayerNormVector} when
 * {@link VectorSupport#ENABLED}; {@code LayerNormVectorTest} holds the two together. The scalar forward
 * accumulates the sum and the sum of squares of a row in double in one pass (float inputs squared are exact
 * in double, so {@code E[x²] - E[x]²} only loses what double's 53 bits lose, far below float32 resolution for
 * any row a network produces).
 *
 * <p>Backward is the closed form (PyTorch's {@code layer_norm_backward_cpu}, written with x̂):
 * <pre>
 *   x̂ = (x - mean) * rstd,  dŷ = g ⊙ w
 *   dx = rstd * (dŷ - mean(dŷ) - x̂ ⊙ mean(dŷ ⊙ x̂))          per row
 *   dw = Σ_rows g ⊙ x̂,  db = Σ_rows g                          per column
 * </pre>
 * Rows are split across threads for the forward and for dx; dw and db are split by columns, so every sum is
 * taken in the same order whatever the thread count.
 */
public final class LayerNormKernel {
    private LayerNormKernel() {}

    /**
     * Normalizes every row of {@code x} into {@code y} and stores each row's mean and rstd (for backward).
     * {@code w} and {@code b} ({@code [n]}) may each be null (no scale / no shift).
     */
    public static void forward(float[] x, float[] w, float[] b, float[] y, float[] mean, float[] rstd,
                               int rows, int n, float eps) {
        Parallel.forRangeByCost(rows, 6L * n, (from, to) -> {
            if (VectorSupport.ENABLED) {
                LayerNormVector.forwardRows(x, w, b, y, mean, rstd, n, eps, from, to);
            } else {
                forwardRows(x, w, b, y, mean, rstd, n, eps, from, to);
            }
        });
    }

    /** Input gradient {@code dx} ({@code [rows, n]}) from the upstream gradient {@code g}. */
    public static void backwardInput(float[] x, float[] g, float[] w, float[] mean, float[] rstd, float[] dx,
                                     int rows, int n) {
        Parallel.forRangeByCost(rows, 8L * n, (from, to) -> {
            if (VectorSupport.ENABLED) {
                LayerNormVector.backwardInputRows(x, g, w, mean, rstd, dx, n, from, to);
            } else {
                backwardInputRows(x, g, w, mean, rstd, dx, n, from, to);
            }
        });
    }

    /** Weight and bias gradients ({@code [n]} each; either may be null when not wanted). */
    public static void backwardParams(float[] x, float[] g, float[] mean, float[] rstd, float[] dw, float[] db,
                                      int rows, int n) {
        Parallel.forRangeByCost(n, 4L * rows, (from, to) -> {
            if (VectorSupport.ENABLED) {
                LayerNormVector.backwardParamColumns(x, g, mean, rstd, dw, db, rows, n, from, to);
            } else {
                backwardParamColumns(x, g, mean, rstd, dw, db, rows, n, from, to);
            }
        });
    }

    // ---------------------------------------------------------------- scalar reference

    /** Forward over rows {@code [from, to)}: one pass for the moments in double, one to normalize. */
    public static void forwardRows(float[] x, float[] w, float[] b, float[] y, float[] mean, float[] rstd,
                                   int n, float eps, int from, int to) {
        for (int r = from; r < to; r++) {
            int o = r * n;
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++) {
                double v = x[o + i];
                s += v;
                ss += v * v;
            }
            double mu = s / n;
            // Rounding can take E[x²] - E[x]² a hair below 0 for a constant row; the variance is >= 0.
            double var = Math.max(ss / n - mu * mu, 0.0);
            float m = (float) mu;
            float rs = (float) (1.0 / Math.sqrt(var + eps));
            mean[r] = m;
            rstd[r] = rs;
            normalizeRow(x, w, b, y, o, n, m, rs);
        }
    }

    /** {@code y = (x - m) * rs [* w] [+ b]} for one row, in float as PyTorch's kernel does. */
    static void normalizeRow(float[] x, float[] w, float[] b, float[] y, int o, int n, float m, float rs) {
        if (w != null && b != null) {
            for (int i = 0; i < n; i++) y[o + i] = (x[o + i] - m) * rs * w[i] + b[i];
        } else if (w != null) {
            for (int i = 0; i < n; i++) y[o + i] = (x[o + i] - m) * rs * w[i];
        } else if (b != null) {
            for (int i = 0; i < n; i++) y[o + i] = (x[o + i] - m) * rs + b[i];
        } else {
            for (int i = 0; i < n; i++) y[o + i] = (x[o + i] - m) * rs;
        }
    }

    /** dx over rows {@code [from, to)}; the two row sums are taken in double. */
    public static void backwardInputRows(float[] x, float[] g, float[] w, float[] mean, float[] rstd, float[] dx,
                                         int n, int from, int to) {
        for (int r = from; r < to; r++) {
            int o = r * n;
            float m = mean[r], rs = rstd[r];
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < n; i++) {
                float dy = w == null ? g[o + i] : g[o + i] * w[i];
                float xhat = (x[o + i] - m) * rs;
                sumDy += dy;
                sumDyXhat += (double) dy * xhat;
            }
            float a = (float) (sumDy / n), c = (float) (sumDyXhat / n);
            for (int i = 0; i < n; i++) {
                float dy = w == null ? g[o + i] : g[o + i] * w[i];
                float xhat = (x[o + i] - m) * rs;
                dx[o + i] = rs * (dy - a - xhat * c);
            }
        }
    }

    /** dw and db for columns {@code [from, to)}, summed over all rows in double. */
    public static void backwardParamColumns(float[] x, float[] g, float[] mean, float[] rstd, float[] dw, float[] db,
                                            int rows, int n, int from, int to) {
        int len = to - from;
        double[] accW = new double[len], accB = new double[len];
        for (int r = 0; r < rows; r++) {
            int o = r * n + from;
            float m = mean[r], rs = rstd[r];
            for (int j = 0; j < len; j++) {
                float gv = g[o + j];
                accW[j] += gv * ((x[o + j] - m) * rs);
                accB[j] += gv;
            }
        }
        for (int j = 0; j < len; j++) {
            if (dw != null) dw[from + j] = (float) accW[j];
            if (db != null) db[from + j] = (float) accB[j];
        }
    }
}
