package org.attn4j.optim;

import java.util.List;
import org.attn4j.tensor.Tensor;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients by {@code maxNorm / (totalNorm + 1e-6)} when the global L2 norm exceeds
     * {@code maxNorm}; returns the norm before clipping. Parameters without a gradient are skipped.
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
        if (coef < 1) {
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
