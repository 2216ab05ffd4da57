package org.attn4j.optim;

import java.util.List;
import org.attn4j.tensor.Tensor;

/**
 * A group of parameters sharing hyper-parameters, as an entry of PyTorch's {@code optimizer.param_groups}.
 * {@code lr} is mutable so schedulers can drive it; {@code weightDecay} is fixed per group (timm puts
 * biases, norms, position embeddings and tokens in a group with weight decay 0).
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private double lr;
    private final double weightDecay;

    public ParamGroup(List<Tensor> params, double lr, double weightDecay) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("optimizer: invalid learning rate " + lr);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("optimizer: invalid weight_decay " + weightDecay);
        for (Tensor p : params) {
            if (!p.isLeaf() || !p.requiresGrad()) {
                throw new IllegalArgumentException("optimizer: can only optimize leaf tensors that require grad, got one of shape "
                        + org.attn4j.tensor.Shape.str(p.shape()));
            }
            if (!p.isDense()) {
                throw new IllegalArgumentException("optimizer: parameters must own dense storage, got a view of shape "
                        + org.attn4j.tensor.Shape.str(p.shape()));
            }
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    public List<Tensor> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("optimizer: invalid learning rate " + lr);
        this.lr = lr;
    }

    public double weightDecay() {
        return weightDecay;
    }
}
