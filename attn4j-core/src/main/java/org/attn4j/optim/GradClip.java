package org.attn4j.optim;

import java.util.List;
import org.attn4j.tensor.Tensor;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients by {@code maxNorm / (totalNorm + 1e-6)} when that is below 1, where
     * {@code totalNorm} is the L2 norm of all gradients together (the norm of the per-parameter norms, as
     * torch computes it); returns {@code totalNorm}, before clipping. Parameters without a gradient are
     * skipped. A clipped gradient is replaced by a scaled copy; one that needs no clipping is left as is.
     *
     * <p>A non-finite total norm is handled as torch's default {@code error_if_nonfinite=False} does: an
     * infinite norm gives the coefficient 0 (finite gradient entries become 0, infinite ones NaN), a NaN norm
     * the coefficient NaN (every gradient becomes NaN). Check the returned norm with {@link Double#isFinite}
     * to skip such a step. Unlike torch, which accepts any {@code max_norm}, a {@code maxNorm} that is not
     * positive is refused (0 would zero every gradient, a negative one flip them).
     *
     * @param params the parameters whose {@code grad()} to clip, each of any shape
     * @param maxNorm the largest total norm let through, {@code > 0}
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("clip_grad_norm: max_norm must be positive, got " + maxNorm);
        double sq = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            for (float v : g.contiguousData()) sq += (double) v * v;
        }
        double norm = Math.sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        // torch clamps the coefficient to at most 1 and always multiplies; a factor 1 changes nothing, so only a
        // smaller one (or NaN, from a NaN norm, which torch's clamp passes through) is applied.
        if (!(coef >= 1)) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                Tensor scaled = g.contiguousCopy();
                float[] d = scaled.data();
                for (int i = 0; i < d.length; i++) d[i] *= (float) coef;
                p.setGrad(scaled);
            }
        }
        return norm;
    }
}
