package org.attn4j.kernels;

/**
 * softmax and log_softmax of one contiguous row, computed stably: the row max is subtracted before
 * exponentiating, so large logits do not overflow and a row of -inf (fully masked) gives NaN, as
 * PyTorch does. {@link #row} runs {@link SoftmaxVector} when {@link VectorSupport#ENABLED}; {@link #rowScalar}
 * is the plain reference (SoftmaxVectorTest holds the two together).
 */
public final class Softmax {
    private Softmax() {}

    /** {@code out[o..o+n) = softmax(in[s..s+n))}, or log_softmax when {@code log}. */
    public static void row(float[] in, int s, float[] out, int o, int n, boolean log) {
        if (VectorSupport.ENABLED) {
            SoftmaxVector.row(in, s, out, o, n, log);
        } else {
            rowScalar(in, s, out, o, n, log);
        }
    }

    /** The scalar reference of {@link #row}: exponentials rounded to float, their sum in double. */
    public static void rowScalar(float[] in, int s, float[] out, int o, int n, boolean log) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, in[s + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(in[s + i] - max);
            out[o + i] = e;
            sum += e;
        }
        if (log) {
            float lse = (float) Math.log(sum);
            for (int i = 0; i < n; i++) out[o + i] = in[s + i] - max - lse;
        } else {
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < n; i++) out[o + i] *= inv;
        }
    }
}
