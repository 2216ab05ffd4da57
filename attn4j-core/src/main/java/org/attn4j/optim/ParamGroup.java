package org.attn4j.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Tensor;

/**
 * A group of parameters sharing hyper-parameters, as an entry of PyTorch's {@code optimizer.param_groups}.
 * {@code lr} is mutable so schedulers can drive it; {@code weightDecay} is fixed per group (timm puts
 * biases, norms, position embeddings and tokens in a group with weight decay 0).
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private double lr;
    private final double initialLr;
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
        this.initialLr = lr;
        this.weightDecay = weightDecay;
    }

    /**
     * Name endings of parameters that timm's models exempt from weight decay ({@code no_weight_decay()} of its
     * VisionTransformer: pos_embed, cls_token, dist_token; of Swin: absolute_pos_embed, and its
     * relative_position_bias_table). timm compares whole names; matching the ending also catches them in a
     * model nested in another ({@code backbone.pos_embed}).
     */
    public static final List<String> NO_WEIGHT_DECAY_NAMES = List.of("pos_embed", "cls_token", "dist_token",
            "relative_position_bias_table");

    /**
     * Whether timm's convention exempts parameter {@code name} from weight decay: biases, every parameter with
     * fewer than 2 dims (norm weights and biases), and the {@link #NO_WEIGHT_DECAY_NAMES} (position embeddings,
     * class and distillation tokens). What stays decayed: weight matrices and convolution kernels.
     */
    public static boolean noWeightDecay(String name, Tensor param) {
        if (param.dim() <= 1 || name.endsWith(".bias") || name.equals("bias")) return true;
        for (String n : NO_WEIGHT_DECAY_NAMES) if (name.endsWith(n)) return true;
        return false;
    }

    /**
     * timm's {@code param_groups_weight_decay}: the parameters of {@code model.namedParameters()} split into
     * a group with weight decay {@code weightDecay} and one without (see {@link #noWeightDecay}), both with
     * learning rate {@code lr}; parameters that do not require grad (frozen) are left out, as timm does.
     * <pre>{@code
     * var groups = ParamGroup.weightDecayGroups(model.namedParameters(), 5e-4, 0.05);
     * Optimizer adamW = Adam.adamW(groups, 0.9, 0.999, 1e-8);
     * }</pre>
     * The decayed group comes first (timm lists the other first; attn4j checkpoints number the optimizer
     * state in this order); an empty group is left out, so the list has one or two groups, in model order.
     *
     * @throws IllegalArgumentException if no parameter requires grad
     */
    public static List<ParamGroup> weightDecayGroups(Map<String, Tensor> namedParameters, double lr, double weightDecay) {
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        namedParameters.forEach((name, p) -> {
            if (p.requiresGrad()) (noWeightDecay(name, p) ? noDecay : decay).add(p);
        });
        if (decay.isEmpty() && noDecay.isEmpty()) {
            throw new IllegalArgumentException("weight decay groups: none of the " + namedParameters.size()
                    + " parameters requires grad");
        }
        List<ParamGroup> groups = new ArrayList<>();
        if (!decay.isEmpty()) groups.add(new ParamGroup(decay, lr, weightDecay));
        if (!noDecay.isEmpty()) groups.add(new ParamGroup(noDecay, lr, 0));
        return groups;
    }

    public List<Tensor> params() {
        return params;
    }

    /**
     * The lr the group was created with, which {@link LRScheduler}s scale (torch's {@code initial_lr}). It is
     * not part of the optimizer's state dict: a resumed run rebuilds its groups with the same initial lr.
     */
    public double initialLr() {
        return initialLr;
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
