package org.attn4j.testing;

/**
 * Attention computed in float64 with plain loops, straight from the definition — the golden that both the
 * fused kernel and the composed path (and libtorch) are measured against, as PyTorch's SDPA tests measure
 * their fused kernels against a float64 math reference.
 *
 * <p>Per item b (row-major {@code [batch, l, e]} q, {@code [batch, s, e]} k, {@code [batch, s, ev]} v), per
 * query row i: scores {@code x_j = scale · q_i·k_j}; causal or a KEEP mask replaces excluded scores by the masked
 * value, an ADD mask is added; {@code P = softmax(x)} (a row of -inf gives P = 0, PyTorch's
 * {@code _safe_softmax}); {@code O_i = Σ_j P_j Z_j v_j} with Z the dropout factor (0 or 1/(1-p), from a given
 * keep mask). Backward: {@code dP_j = Z_j dO_i·v_j}, {@code dS_j = P_j (dP_j - Σ_t P_t dP_t)}; a replaced score
 * passes no gradient; {@code dq = scale Σ dS k}, {@code dk = scale Σ dS q}, {@code dv = Σ P Z dO}, and an ADD
 * mask gets dS summed over the items and rows that share its elements.
 */
public final class AttentionGolden {
    private AttentionGolden() {}

    /** Mask element of item b, row i, key j: {@code mask[maskOffs[b] + i * rowStride + j]}. */
    public record Mask(boolean additive, float[] values, int[] offs, int rowStride) {}

    /** The result: forward output and, when a dOut was given, the input gradients (dMask null without an ADD mask). */
    public record Result(double[] out, double[] dq, double[] dk, double[] dv, double[] dMask) {}

    /**
     * @param keep      dropout keep mask {@code [batch, l, s]} or null; {@code keepScale} multiplies kept weights
     * @param dOut      output gradient {@code [batch, l, ev]} or null for forward only
     */
    public static Result compute(int batch, int l, int s, int e, int ev, float[] q, float[] k, float[] v, double scale,
                                 Mask mask, boolean causal, float maskedValue, boolean[] keep, double keepScale,
                                 float[] dOut) {
        double[] out = new double[batch * l * ev];
        boolean grad = dOut != null;
        double[] dq = grad ? new double[batch * l * e] : null, dk = grad ? new double[batch * s * e] : null;
        double[] dv = grad ? new double[batch * s * ev] : null;
        double[] dMask = grad && mask != null && mask.additive() ? new double[mask.values().length] : null;
        double[] x = new double[s], pr = new double[s], dp = new double[s];
        boolean[] replaced = new boolean[s];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < l; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    double dot = 0;
                    for (int c = 0; c < e; c++) dot += (double) q[(b * l + i) * e + c] * k[(b * s + j) * e + c];
                    double xj = scale * dot;
                    replaced[j] = false;
                    if (causal && j > i) {
                        xj = maskedValue;
                        replaced[j] = true;
                    } else if (mask != null) {
                        float m = mask.values()[mask.offs()[b] + i * mask.rowStride() + j];
                        if (mask.additive()) {
                            xj += m;
                        } else if (m == 0f) {
                            xj = maskedValue;
                            replaced[j] = true;
                        }
                    }
                    x[j] = xj;
                    max = Math.max(max, xj);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;        // fully masked: zero output and gradients
                double sum = 0;
                for (int j = 0; j < s; j++) sum += pr[j] = Math.exp(x[j] - max);
                for (int j = 0; j < s; j++) pr[j] /= sum;
                for (int j = 0; j < s; j++) {
                    double w = pr[j] * z(keep, keepScale, b, i, j, l, s);
                    for (int c = 0; c < ev; c++) out[(b * l + i) * ev + c] += w * v[(b * s + j) * ev + c];
                }
                if (!grad) continue;
                double dsum = 0;
                for (int j = 0; j < s; j++) {
                    double dot = 0;
                    for (int c = 0; c < ev; c++) dot += (double) dOut[(b * l + i) * ev + c] * v[(b * s + j) * ev + c];
                    dp[j] = dot * z(keep, keepScale, b, i, j, l, s);
                    dsum += pr[j] * dp[j];
                }
                for (int j = 0; j < s; j++) {
                    double wz = pr[j] * z(keep, keepScale, b, i, j, l, s);
                    for (int c = 0; c < ev; c++) dv[(b * s + j) * ev + c] += wz * dOut[(b * l + i) * ev + c];
                    if (replaced[j]) continue;
                    double ds = pr[j] * (dp[j] - dsum);
                    if (dMask != null) dMask[mask.offs()[b] + i * mask.rowStride() + j] += ds;
                    for (int c = 0; c < e; c++) {
                        dq[(b * l + i) * e + c] += scale * ds * k[(b * s + j) * e + c];
                        dk[(b * s + j) * e + c] += scale * ds * q[(b * l + i) * e + c];
                    }
                }
            }
        }
        return new Result(out, dq, dk, dv, dMask);
    }

    private static double z(boolean[] keep, double keepScale, int b, int i, int j, int l, int s) {
        return keep == null ? 1 : keep[(b * l + i) * s + j] ? keepScale : 0;
    }

    /** Largest |a - golden| (infinite when a is NaN or infinite where the golden is finite). */
    public static double maxError(float[] a, double[] golden) {
        double m = 0;
        for (int i = 0; i < golden.length; i++) {
            double d = Math.abs(a[i] - golden[i]);
            if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
            m = Math.max(m, d);
        }
        return m;
    }
}
