package org.attn4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link LayerNormKernel}'s row kernels, same contracts. Loaded only when
 * {@link VectorSupport#ENABLED}.
 *
 * <p>The moments are taken in one pass with Welford's update in every lane (as PyTorch's
 * {@code RowwiseMoments} does): all lanes see the same count, so the step {@code 1/k} is one scalar, and the
 * lanes are merged at the end with Chan et al.'s pairwise formula in double. Welford never subtracts two
 * large sums, so a row with a large mean keeps its variance. Column sums for dw and db run in float lanes
 * over blocks of {@link #FLUSH_ROWS} rows and are flushed into double, which keeps their error near the
 * scalar reference's.
 */
public final class LayerNormVector {
    private LayerNormVector() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows summed in float before a flush into the double column accumulators. */
    static final int FLUSH_ROWS = 128;

    /** Forward over rows {@code [from, to)}. */
    public static void forwardRows(float[] x, float[] w, float[] b, float[] y, float[] mean, float[] rstd,
                                   int n, float eps, int from, int to) {
        int upper = F.loopBound(n);
        int k = upper / L;
        float[] laneMean = new float[L], laneM2 = new float[L];
        for (int r = from; r < to; r++) {
            int o = r * n;
            FloatVector mu = FloatVector.zero(F), m2 = FloatVector.zero(F);
            for (int i = 0, step = 1; i < upper; i += L, step++) {
                FloatVector v = FloatVector.fromArray(F, x, o + i);
                FloatVector delta = v.sub(mu);
                mu = delta.fma(FloatVector.broadcast(F, 1f / step), mu);
                m2 = delta.fma(v.sub(mu), m2);
            }
            // Merge the L lanes (k values each), then fold in the tail one element at a time, in double.
            double m = 0, s2 = 0;
            long count = 0;
            if (k > 0) {
                mu.intoArray(laneMean, 0);
                m2.intoArray(laneM2, 0);
                for (int l = 0; l < L; l++) m += laneMean[l];
                m /= L;
                for (int l = 0; l < L; l++) {
                    double d = laneMean[l] - m;
                    s2 += laneM2[l] + (double) k * d * d;
                }
                count = (long) k * L;
            }
            for (int i = upper; i < n; i++) {
                double v = x[o + i];
                count++;
                double d = v - m;
                m += d / count;
                s2 += d * (v - m);
            }
            double var = Math.max(s2 / n, 0.0);
            float mf = (float) m;
            float rs = (float) (1.0 / Math.sqrt(var + eps));
            mean[r] = mf;
            rstd[r] = rs;
            normalizeRow(x, w, b, y, o, n, upper, mf, rs);
        }
    }

    private static void normalizeRow(float[] x, float[] w, float[] b, float[] y, int o, int n, int upper,
                                     float m, float rs) {
        int i = 0;
        if (w != null && b != null) {
            for (; i < upper; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, o + i).sub(m).mul(rs);
                v.mul(FloatVector.fromArray(F, w, i)).add(FloatVector.fromArray(F, b, i)).intoArray(y, o + i);
            }
        } else if (w != null) {
            for (; i < upper; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, o + i).sub(m).mul(rs);
                v.mul(FloatVector.fromArray(F, w, i)).intoArray(y, o + i);
            }
        } else if (b != null) {
            for (; i < upper; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, o + i).sub(m).mul(rs);
                v.add(FloatVector.fromArray(F, b, i)).intoArray(y, o + i);
            }
        } else {
            for (; i < upper; i += L) {
                FloatVector.fromArray(F, x, o + i).sub(m).mul(rs).intoArray(y, o + i);
            }
        }
        for (; i < n; i++) {
            float h = (x[o + i] - m) * rs;
            if (w != null) h *= w[i];
            if (b != null) h += b[i];
            y[o + i] = h;
        }
    }

    /** dx over rows {@code [from, to)}; row sums in float lanes. */
    public static void backwardInputRows(float[] x, float[] g, float[] w, float[] mean, float[] rstd, float[] dx,
                                         int n, int from, int to) {
        int upper = F.loopBound(n);
        for (int r = from; r < to; r++) {
            int o = r * n;
            float m = mean[r], rs = rstd[r];
            FloatVector accDy = FloatVector.zero(F), accDyXhat = FloatVector.zero(F);
            int i = 0;
            for (; i < upper; i += L) {
                FloatVector dy = FloatVector.fromArray(F, g, o + i);
                if (w != null) dy = dy.mul(FloatVector.fromArray(F, w, i));
                FloatVector xhat = FloatVector.fromArray(F, x, o + i).sub(m).mul(rs);
                accDy = accDy.add(dy);
                accDyXhat = dy.fma(xhat, accDyXhat);
            }
            double sumDy = VectorMath.sumLanes(accDy);
            double sumDyXhat = VectorMath.sumLanes(accDyXhat);
            for (; i < n; i++) {
                float dy = w == null ? g[o + i] : g[o + i] * w[i];
                sumDy += dy;
                sumDyXhat += (double) dy * ((x[o + i] - m) * rs);
            }
            float a = (float) (sumDy / n), c = (float) (sumDyXhat / n);
            i = 0;
            for (; i < upper; i += L) {
                FloatVector dy = FloatVector.fromArray(F, g, o + i);
                if (w != null) dy = dy.mul(FloatVector.fromArray(F, w, i));
                FloatVector xhat = FloatVector.fromArray(F, x, o + i).sub(m).mul(rs);
                dy.sub(a).sub(xhat.mul(c)).mul(rs).intoArray(dx, o + i);
            }
            for (; i < n; i++) {
                float dy = w == null ? g[o + i] : g[o + i] * w[i];
                float xhat = (x[o + i] - m) * rs;
                dx[o + i] = rs * (dy - a - xhat * c);
            }
        }
    }

    /** dw and db for columns {@code [from, to)}. */
    public static void backwardParamColumns(float[] x, float[] g, float[] mean, float[] rstd, float[] dw, float[] db,
                                            int rows, int n, int from, int to) {
        int len = to - from;
        int upper = F.loopBound(len);
        float[] blockW = new float[len], blockB = new float[len];
        double[] accW = new double[len], accB = new double[len];
        for (int r0 = 0; r0 < rows; r0 += FLUSH_ROWS) {
            int r1 = Math.min(rows, r0 + FLUSH_ROWS);
            for (int r = r0; r < r1; r++) {
                int o = r * n + from;
                float m = mean[r], rs = rstd[r];
                int j = 0;
                for (; j < upper; j += L) {
                    FloatVector gv = FloatVector.fromArray(F, g, o + j);
                    FloatVector xhat = FloatVector.fromArray(F, x, o + j).sub(m).mul(rs);
                    gv.fma(xhat, FloatVector.fromArray(F, blockW, j)).intoArray(blockW, j);
                    gv.add(FloatVector.fromArray(F, blockB, j)).intoArray(blockB, j);
                }
                for (; j < len; j++) {
                    // fma as in the lanes: a column sums the same way whichever chunk (thread) it falls in.
                    float gv = g[o + j];
                    blockW[j] = Math.fma(gv, (x[o + j] - m) * rs, blockW[j]);
                    blockB[j] += gv;
                }
            }
            for (int j = 0; j < len; j++) {
                accW[j] += blockW[j];
                accB[j] += blockB[j];
                blockW[j] = 0f;
                blockB[j] = 0f;
            }
        }
        for (int j = 0; j < len; j++) {
            if (dw != null) dw[from + j] = (float) accW[j];
            if (db != null) db[from + j] = (float) accB[j];
        }
    }
}
