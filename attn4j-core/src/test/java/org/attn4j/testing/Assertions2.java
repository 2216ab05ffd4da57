package org.attn4j.testing;

import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/** Numeric comparisons with stated tolerances, reporting the worst element. */
public final class Assertions2 {
    private Assertions2() {}

    /**
     * Asserts {@code |actual - expected| <= atol + rtol * |expected|} elementwise (torch.testing's rule), with
     * equal shapes; NaN must match NaN and infinities must match exactly.
     */
    public static void assertClose(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        if (!Shape.equal(expected.shape(), actual.shape())) {
            throw new AssertionError(what + ": shape " + Shape.str(actual.shape()) + " != expected " + Shape.str(expected.shape()));
        }
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        int worst = -1;
        double worstExcess = 0;
        int bad = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isNaN(a[i])) {
                if (Float.isNaN(e[i]) != Float.isNaN(a[i])) { bad++; if (worst < 0) worst = i; worstExcess = Double.POSITIVE_INFINITY; }
                continue;
            }
            if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                if (e[i] != a[i]) { bad++; worst = i; worstExcess = Double.POSITIVE_INFINITY; }
                continue;
            }
            double diff = Math.abs((double) a[i] - e[i]);
            double allowed = atol + rtol * Math.abs(e[i]);
            if (diff > allowed) {
                bad++;
                if (diff - allowed > worstExcess || worst < 0) {
                    worstExcess = diff - allowed;
                    worst = i;
                }
            }
        }
        if (bad > 0) {
            throw new AssertionError(String.format("%s: %d of %d elements differ beyond atol=%g rtol=%g; worst at flat index %d: "
                    + "actual %s, expected %s (shape %s)", what, bad, e.length, atol, rtol, worst, a[worst], e[worst],
                    Shape.str(expected.shape())));
        }
    }

    /** Largest absolute difference, for reporting. */
    public static double maxAbsDiff(Tensor expected, Tensor actual) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double m = 0;
        for (int i = 0; i < e.length; i++) m = Math.max(m, Math.abs((double) a[i] - e[i]));
        return m;
    }
}
