package org.attn4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API version of {@link Softmax#rowScalar}: three passes (max, exp and sum, scale), each over
 * {@link FloatVector#SPECIES_PREFERRED} with a scalar tail. The sum is kept in four float vector
 * accumulators (libtorch also sums in float), so each lane adds about n/32 terms. Loaded only when
 * {@link VectorSupport#ENABLED}.
 */
final class SoftmaxVector {
    private SoftmaxVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static void row(float[] in, int s, float[] out, int o, int n, boolean log) {
        int step = S.length(), bound = S.loopBound(n);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += step) vmax = vmax.max(FloatVector.fromArray(S, in, s + i));   // Math.max: NaN wins
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, in[s + i]);

        FloatVector m = FloatVector.broadcast(S, max);
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int bound4 = n - n % (4 * step);
        i = 0;
        for (; i < bound4; i += 4 * step) {
            acc0 = acc0.add(expInto(in, s + i, m, out, o + i));
            acc1 = acc1.add(expInto(in, s + i + step, m, out, o + i + step));
            acc2 = acc2.add(expInto(in, s + i + 2 * step, m, out, o + i + 2 * step));
            acc3 = acc3.add(expInto(in, s + i + 3 * step, m, out, o + i + 3 * step));
        }
        for (; i < bound; i += step) acc0 = acc0.add(expInto(in, s + i, m, out, o + i));
        double sum = VectorMath.sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            float e = (float) Math.exp(in[s + i] - max);
            out[o + i] = e;
            sum += e;
        }

        i = 0;
        if (log) {
            float lse = (float) Math.log(sum);
            for (; i < bound; i += step) FloatVector.fromArray(S, in, s + i).sub(m).sub(lse).intoArray(out, o + i);
            for (; i < n; i++) out[o + i] = in[s + i] - max - lse;
        } else {
            float inv = (float) (1.0 / sum);
            for (; i < bound; i += step) FloatVector.fromArray(S, out, o + i).mul(inv).intoArray(out, o + i);
            for (; i < n; i++) out[o + i] *= inv;
        }
    }

    /** Stores exp(in - max) for one vector of the row and returns it for the sum. */
    private static FloatVector expInto(float[] in, int at, FloatVector max, float[] out, int to) {
        FloatVector e = VectorMath.expNoOverflow(FloatVector.fromArray(S, in, at).sub(max));   // x - max <= 0
        e.intoArray(out, to);
        return e;
    }
}
