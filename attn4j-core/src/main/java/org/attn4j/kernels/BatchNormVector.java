package org.attn4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link BatchNormKernel}'s loops. A reduction sums each row (one image's plane of the
 * channel, e.g. 784 values) in float lanes, then adds the rows' sums in double; the scalar tail of a row runs
 * in double. The lanes are summed with {@link VectorMath#sumLanes} (one fixed order), not
 * {@code reduceLanes(ADD)}, whose order differs between interpreted and compiled code and made batch
 * statistics, hence training runs, depend on when the JIT compiled this class. Elementwise passes compute
 * the reference's float expression lane by lane (bit-equal). Only load this class when
 * {@link VectorSupport#ENABLED} is true.
 */
final class BatchNormVector {
    private BatchNormVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    static double sum(float[] x, int off, int rowStride, int rows, int n) {
        int bound = S.loopBound(n);
        double s = 0;
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride, i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += L) acc = acc.add(FloatVector.fromArray(S, x, o + i));
            double row = VectorMath.sumLanes(acc);
            for (; i < n; i++) row += x[o + i];
            s += row;
        }
        return s;
    }

    static double sumSquaredDeviations(float[] x, int off, int rowStride, int rows, int n, double mean) {
        int bound = S.loopBound(n);
        float m = (float) mean;
        FloatVector mv = FloatVector.broadcast(S, m);
        double ss = 0;
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride, i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += L) {
                FloatVector d = FloatVector.fromArray(S, x, o + i).sub(mv);
                acc = d.fma(d, acc);
            }
            double row = VectorMath.sumLanes(acc);
            for (; i < n; i++) {
                double d = x[o + i] - mean;
                row += d * d;
            }
            ss += row;
        }
        return ss;
    }

    static void normalize(float[] x, float[] y, int off, int rowStride, int rows, int n, float mean, float invstd,
                          float w, float b) {
        int bound = S.loopBound(n);
        FloatVector mv = FloatVector.broadcast(S, mean), iv = FloatVector.broadcast(S, invstd);
        FloatVector wv = FloatVector.broadcast(S, w), bv = FloatVector.broadcast(S, b);
        for (int r = 0; r < rows; r++) {
            int o = off + r * rowStride, i = 0;
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, x, o + i).sub(mv).mul(iv).mul(wv).add(bv).intoArray(y, o + i);
            }
            for (; i < n; i++) y[o + i] = ((x[o + i] - mean) * invstd) * w + b;
        }
    }

    static double[] gradSums(float[] x, float[] g, int off, int rowStride, int rows, int n, float mean) {
        int bound = S.loopBound(n);
        FloatVector mv = FloatVector.broadcast(S, mean);
        double sumG = 0, dot = 0;
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride, i = 0;
            FloatVector sg = FloatVector.zero(S), sd = sg;
            for (; i < bound; i += L) {
                FloatVector gv = FloatVector.fromArray(S, g, o + i);
                sg = sg.add(gv);
                sd = FloatVector.fromArray(S, x, o + i).sub(mv).fma(gv, sd);
            }
            double rowG = VectorMath.sumLanes(sg), rowD = VectorMath.sumLanes(sd);
            for (; i < n; i++) {
                float gv = g[o + i];
                rowG += gv;
                rowD += (double) (x[o + i] - mean) * gv;
            }
            sumG += rowG;
            dot += rowD;
        }
        return new double[] {sumG, dot};
    }

    static void inputGrad(float[] x, float[] g, float[] dx, int off, int rowStride, int rows, int n, float mean,
                          float gMean, float k, float scale) {
        int bound = S.loopBound(n);
        FloatVector mv = FloatVector.broadcast(S, mean), gm = FloatVector.broadcast(S, gMean);
        FloatVector kv = FloatVector.broadcast(S, k), sv = FloatVector.broadcast(S, scale);
        for (int b = 0; b < rows; b++) {
            int o = off + b * rowStride, i = 0;
            for (; i < bound; i += L) {
                FloatVector xh = FloatVector.fromArray(S, x, o + i).sub(mv).mul(kv);
                FloatVector.fromArray(S, g, o + i).sub(gm).sub(xh).mul(sv).intoArray(dx, o + i);
            }
            for (; i < n; i++) dx[o + i] = (g[o + i] - gMean - (x[o + i] - mean) * k) * scale;
        }
    }
}
