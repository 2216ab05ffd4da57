package org.attn4j.optim;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.attn4j.tensor.Tensor;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, with
 * {@code torch.optim.SGD}'s update: {@code g = grad + wd·p}; {@code buf = g} on the first step, then
 * {@code buf = μ·buf + (1 - dampening)·g}; {@code g = nesterov ? g + μ·buf : buf}; {@code p -= lr·g}.
 */
public final class SGD extends Optimizer {
    private final double momentum, dampening;
    private final boolean nesterov;

    /** Plain SGD over one group: {@code p -= lr·grad}. */
    public SGD(List<Tensor> params, double lr) {
        this(List.of(new ParamGroup(params, checkLr("SGD", lr), 0)), 0, 0, false);
    }

    /**
     * SGD over parameter groups (each with its lr and weight decay). Refuses what {@code torch.optim.SGD}
     * refuses: a negative momentum, and Nesterov without a positive momentum or with dampening.
     */
    public SGD(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super("SGD", groups);
        if (!(momentum >= 0)) throw new IllegalArgumentException("SGD: invalid momentum " + momentum);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: nesterov momentum requires a momentum and zero dampening, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    @Override
    protected Set<String> stateEntries() {
        return momentum != 0 ? Set.of("momentum_buffer") : Set.of();
    }

    @Override
    protected String describe() {
        return momentum != 0 ? "SGD with momentum" : "SGD without momentum";
    }

    @Override
    protected void update(ParamGroup group, float[] p, float[] grad, Map<String, Tensor> state, int[] shape) {
        float lr = (float) group.lr(), wd = (float) group.weightDecay();
        float mu = (float) momentum, damp = (float) (1 - dampening);
        boolean first = !state.containsKey("momentum_buffer");
        float[] buf = momentum != 0 ? buffer(state, "momentum_buffer", shape) : null;
        for (int i = 0; i < p.length; i++) {
            float g = grad[i] + wd * p[i];
            if (buf != null) {
                buf[i] = first ? g : mu * buf[i] + damp * g;
                g = nesterov ? g + mu * buf[i] : buf[i];
            }
            p[i] -= lr * g;
        }
    }
}
