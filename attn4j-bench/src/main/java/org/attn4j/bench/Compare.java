package org.attn4j.bench;

/**
 * The benchmarks' check that attn4j and libtorch computed the same thing, so that a timing compares like with
 * like: the largest absolute difference between two results of the same shape.
 */
final class Compare {
    private Compare() {}

    /** {@code max |a[i] - b[i]|}; NaN anywhere makes it NaN (a result with NaN does not agree with anything). */
    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("bench compare: results differ in size, " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) return Double.NaN;
            max = Math.max(max, d);
        }
        return max;
    }
}
