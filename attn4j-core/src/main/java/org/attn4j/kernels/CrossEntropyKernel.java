package org.attn4j.kernels;

/**
 * Fused log-softmax + negative log-likelihood, forward and backward, over logits laid out as
 * {@code [B, C, S]} row-major (PyTorch's {@code [N, C, d1, ...]} with the trailing dims flattened into S; S = 1
 * for {@code [N, C]}). A "row" is one prediction {@code r = b * S + s}: its C logits sit at
 * {@code b*C*S + s + c*S}. Each row is read once for its max and log-sum-exp and once for its loss; backward
 * recomputes the softmax from the saved log-sum-exp, so no {@code [B, C, S]} intermediate is ever stored.
 *
 * <p>With class weights {@code w} (all ones when null), label smoothing ε and W = Σ_c w_c, PyTorch's
 * {@code cross_entropy} is, per non-ignored row with target t (LossNLL.cpp,
 * {@code cross_entropy_loss_label_smoothing}):
 * <pre>
 *   loss = (1 - ε) · (-w_t · lp_t) + ε/C · (-Σ_c w_c · lp_c),         lp = log_softmax(z)
 *   ∂loss/∂z_j = (1 - ε) · w_t · (p_j - [j = t]) + ε/C · (W · p_j - w_j)
 * </pre>
 * and with class probabilities q as the target ({@code cross_entropy_loss_prob_target}), after smoothing
 * {@code q ← (1 - ε) q + ε/C}:
 * <pre>
 *   loss = -Σ_c w_c q_c lp_c,   ∂loss/∂z_j = p_j · Σ_c w_c q_c - w_j q_j,   ∂loss/∂q_c = -(1 - ε) w_c lp_c
 * </pre>
 * Sums over a row are taken in double. Rows are split across threads; every row's result is independent.
 */
public final class CrossEntropyKernel {
    private CrossEntropyKernel() {}

    /** Marks a row whose target equals ignore_index in the {@code target} arrays below. */
    public static final int IGNORED = -1;

    /**
     * Class-index forward: {@code loss[r]} (0 for ignored rows) and {@code lse[r]} (saved for backward).
     * {@code target[r]} is a class in [0, C) or {@link #IGNORED}; {@code w} is {@code [C]} or null.
     */
    public static void forwardClass(float[] z, int rows, int c, int s, int[] target, float[] w, float smoothing,
                                    double[] lse, double[] loss) {
        Parallel.forRangeByCost(rows, 24L * c, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = (r / s) * c * s + r % s;
                double l = logSumExp(z, base, c, s);
                lse[r] = l;
                int t = target[r];
                if (t == IGNORED) {
                    loss[r] = 0;
                    continue;
                }
                double wt = w == null ? 1.0 : w[t];
                double value = (1.0 - smoothing) * wt * (l - z[base + t * s]);
                if (smoothing > 0) {
                    double smooth = 0;   // -Σ_c w_c lp_c
                    for (int k = 0; k < c; k++) {
                        double wk = w == null ? 1.0 : w[k];
                        smooth += wk * (l - z[base + k * s]);
                    }
                    value += (double) smoothing / c * smooth;
                }
                loss[r] = value;
            }
        });
    }

    /**
     * Class-index backward: {@code dz = scale[r] · ∂loss[r]/∂z} for every row ({@code dz} of ignored rows and
     * rows with scale 0 stay 0; {@code dz} must start zeroed).
     */
    public static void backwardClass(float[] z, int rows, int c, int s, int[] target, float[] w, float smoothing,
                                     double[] lse, float[] scale, float[] dz) {
        double wSum = 0;
        if (w != null) for (float v : w) wSum += v;
        else wSum = c;
        double bigW = wSum;
        Parallel.forRangeByCost(rows, 20L * c, (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = target[r];
                if (t == IGNORED) continue;
                int base = (r / s) * c * s + r % s;
                double l = lse[r];
                double g = scale[r];
                double wt = w == null ? 1.0 : w[t];
                double hard = (1.0 - smoothing) * wt;
                double soft = (double) smoothing / c;
                for (int k = 0; k < c; k++) {
                    double p = Math.exp(z[base + k * s] - l);
                    double wk = w == null ? 1.0 : w[k];
                    double d = hard * p + soft * (bigW * p - wk);
                    if (k == t) d -= hard;
                    dz[base + k * s] = (float) (g * d);
                }
            }
        });
    }

    /**
     * Probability-target forward: {@code q} has the logits' layout; it is smoothed on the fly.
     * Fills {@code loss[r]} and {@code lse[r]}.
     */
    public static void forwardProb(float[] z, float[] q, int rows, int c, int s, float[] w, float smoothing,
                                   double[] lse, double[] loss) {
        Parallel.forRangeByCost(rows, 24L * c, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = (r / s) * c * s + r % s;
                double l = logSumExp(z, base, c, s);
                lse[r] = l;
                double value = 0;
                for (int k = 0; k < c; k++) {
                    int i = base + k * s;
                    double qk = smoothed(q[i], smoothing, c);
                    double wk = w == null ? 1.0 : w[k];
                    value += wk * qk * (l - z[i]);
                }
                loss[r] = value;
            }
        });
    }

    /**
     * Probability-target backward: {@code dz} and/or {@code dq} (either may be null), scaled per row.
     */
    public static void backwardProb(float[] z, float[] q, int rows, int c, int s, float[] w, float smoothing,
                                    double[] lse, float[] scale, float[] dz, float[] dq) {
        Parallel.forRangeByCost(rows, 24L * c, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = (r / s) * c * s + r % s;
                double l = lse[r];
                double g = scale[r];
                if (dz != null) {
                    double wq = 0;
                    for (int k = 0; k < c; k++) {
                        int i = base + k * s;
                        wq += (w == null ? 1.0 : w[k]) * smoothed(q[i], smoothing, c);
                    }
                    for (int k = 0; k < c; k++) {
                        int i = base + k * s;
                        double wk = w == null ? 1.0 : w[k];
                        double p = Math.exp(z[i] - l);
                        dz[i] = (float) (g * (p * wq - wk * smoothed(q[i], smoothing, c)));
                    }
                }
                if (dq != null) {
                    for (int k = 0; k < c; k++) {
                        int i = base + k * s;
                        double wk = w == null ? 1.0 : w[k];
                        dq[i] = (float) (-g * (1.0 - smoothing) * wk * (z[i] - l));
                    }
                }
            }
        });
    }

    /** PyTorch's smoothing of a probability target: {@code q (1 - ε) + ε / C} (unchanged when ε = 0). */
    private static double smoothed(float q, float smoothing, int c) {
        return smoothing > 0 ? q * (1.0 - smoothing) + (double) smoothing / c : q;
    }

    /** {@code max + log Σ exp(z - max)} of one row (stride s), in double. A row of -inf gives NaN, as torch. */
    private static double logSumExp(float[] z, int base, int c, int s) {
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) max = Math.max(max, z[base + k * s]);
        double sum = 0;
        for (int k = 0; k < c; k++) sum += Math.exp(z[base + k * s] - (double) max);
        return max + Math.log(sum);
    }
}
