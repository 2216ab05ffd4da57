package org.attn4j.optim;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.attn4j.tensor.Tensor;

/**
 * Adam and AdamW with {@code torch.optim.Adam}/{@code AdamW}'s update (non-amsgrad), as torch 2.x's
 * {@code _single_tensor_adam} computes it in float32, with per-parameter step count {@code t}:
 * <pre>
 *   AdamW: p *= 1 - lr·wd          Adam: g = grad + wd·p (L2)
 *   m += (1-β1)·(g - m)            (exp_avg.lerp_(grad, 1-β1))
 *   v = β2·v + (1-β2)·g·g          (exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1-β2))
 *   p -= (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + ε)
 * </pre>
 * The scalars ({@code 1-β}, {@code 1 - lr·wd}, bias corrections, step size) are computed in double, as the
 * Python floats they are in torch, and rounded to float32 where they meet a tensor.
 */
public final class Adam extends Optimizer {
    private final double beta1, beta2, eps;
    private final boolean decoupled;

    /** Adam (L2 weight decay added to the gradient); PyTorch's defaults are β=(0.9, 0.999), ε=1e-8. */
    public static Adam adam(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        return new Adam(groups, beta1, beta2, eps, false);
    }

    /** AdamW (decoupled weight decay, Loshchilov & Hutter); PyTorch's default weight decay is 0.01. */
    public static Adam adamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        return new Adam(groups, beta1, beta2, eps, true);
    }

    private Adam(List<ParamGroup> groups, double beta1, double beta2, double eps, boolean decoupled) {
        super(decoupled ? "AdamW" : "Adam", groups);
        // torch raises ValueError for each of these.
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException(name() + ": invalid beta1 " + beta1 + ", must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException(name() + ": invalid beta2 " + beta2 + ", must be in [0, 1)");
        if (!(eps >= 0)) throw new IllegalArgumentException(name() + ": invalid epsilon " + eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupled;
    }

    public boolean isDecoupled() {
        return decoupled;
    }

    @Override
    protected Set<String> stateEntries() {
        return Set.of("step", "exp_avg", "exp_avg_sq");
    }

    @Override
    protected void update(ParamGroup group, float[] p, float[] grad, Map<String, Tensor> state, int[] shape) {
        float[] step = scalar(state, "step");
        float[] m = buffer(state, "exp_avg", shape);
        float[] v = buffer(state, "exp_avg_sq", shape);
        step[0] += 1;
        double t = step[0];
        double lr = group.lr(), wd = group.weightDecay();
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / bc1);
        float sqrtBc2 = (float) Math.sqrt(bc2);
        // 1 - β in double, then rounded, as torch's Python float: (1 - (float) β2) would be off by 1.3e-5 for
        // β2 = 0.999 (0.999f is 0.99900001), a bias that scales every exp_avg_sq.
        float b2 = (float) beta2, oneMinusB1 = (float) (1 - beta1), oneMinusB2 = (float) (1 - beta2), e = (float) eps;
        float decay = decoupled ? (float) (1 - lr * wd) : 1f;
        float l2 = decoupled ? 0f : (float) wd;
        for (int i = 0; i < p.length; i++) {
            float pi = p[i] * decay;
            float g = grad[i] + l2 * pi;
            m[i] += oneMinusB1 * (g - m[i]);
            v[i] = b2 * v[i] + oneMinusB2 * g * g;
            float denom = (float) Math.sqrt(v[i]) / sqrtBc2 + e;
            p[i] = pi - stepSize * m[i] / denom;
        }
    }
}
