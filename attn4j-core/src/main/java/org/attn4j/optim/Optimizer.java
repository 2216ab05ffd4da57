package org.attn4j.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Base of the optimizers: parameter groups, per-parameter state tensors, {@link #zeroGrad()} and a
 * state dict for checkpoints. Subclasses implement {@link #update} for one parameter with PyTorch's rule
 * (single-tensor, non-foreach implementation); steps run on the raw arrays, outside autograd.
 */
public abstract class Optimizer {
    protected final List<ParamGroup> groups;
    /** Per-parameter state, by the parameter's index across all groups (PyTorch's state_dict numbering). */
    private final Map<Integer, Map<String, Tensor>> state = new LinkedHashMap<>();
    private long stepCount;

    protected Optimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) throw new IllegalArgumentException(getClass().getSimpleName() + ": got an empty parameter list");
        this.groups = List.copyOf(groups);
    }

    /**
     * {@code lr} if it is a valid learning rate (finite, not negative), else an exception naming
     * {@code optimizer} and the value, as {@code torch.optim}'s "Invalid learning rate" ValueError.
     */
    protected static double checkLr(String optimizer, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException(optimizer + ": invalid learning rate " + lr);
        return lr;
    }

    public List<ParamGroup> paramGroups() {
        return groups;
    }

    /** Sets every group's learning rate. */
    public void setLr(double lr) {
        for (ParamGroup g : groups) g.setLr(lr);
    }

    /** Clears every parameter's gradient (PyTorch's default {@code set_to_none=True}). */
    public void zeroGrad() {
        for (ParamGroup g : groups) for (Tensor p : g.params()) p.zeroGrad();
    }

    /** Number of {@link #step()} calls so far. */
    public long steps() {
        return stepCount;
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        stepCount++;
        int index = 0;
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                Tensor grad = p.grad();
                if (grad != null) {
                    Map<String, Tensor> s = state.computeIfAbsent(index, k -> new LinkedHashMap<>());
                    float[] gd = grad.contiguousData();
                    update(g, p.data(), gd, s, p.shape());
                    p.storage().markModified();
                }
                index++;
            }
        }
    }

    /**
     * Updates one parameter in place. {@code param} and {@code grad} are row-major arrays of equal length;
     * {@code state} holds this parameter's buffers (created on first use by {@link #buffer}).
     */
    protected abstract void update(ParamGroup group, float[] param, float[] grad, Map<String, Tensor> state, int[] shape);

    /** A state buffer of {@code shape}, zero-initialised on first use. */
    protected static float[] buffer(Map<String, Tensor> state, String name, int[] shape) {
        return state.computeIfAbsent(name, k -> Tensor.zeros(shape)).data();
    }

    /** A scalar state entry (such as Adam's step), 0 on first use. */
    protected static float[] scalar(Map<String, Tensor> state, String name) {
        return state.computeIfAbsent(name, k -> Tensor.zeros(1)).data();
    }

    /**
     * The state as flat named tensors, {@code state.<paramIndex>.<name>} (PyTorch's numbering), plus each
     * group's lr as {@code param_groups.<g>.lr}: what a checkpoint stores.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            for (var s : e.getValue().entrySet()) out.put("state." + e.getKey() + "." + s.getKey(), s.getValue());
        }
        for (int g = 0; g < groups.size(); g++) out.put("param_groups." + g + ".lr", Tensor.vector((float) groups.get(g).lr()));
        out.put("steps", Tensor.vector((float) stepCount));
        return out;
    }

    /** Restores a {@link #stateDict()}; shapes must match this optimizer's parameters. */
    public void loadStateDict(Map<String, Tensor> dict) {
        List<Tensor> params = new ArrayList<>();
        for (ParamGroup g : groups) params.addAll(g.params());
        Map<Integer, Map<String, Tensor>> loaded = new LinkedHashMap<>();
        for (var e : dict.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("state.")) {
                String rest = k.substring(6);
                int dot = rest.indexOf('.');
                int index;
                try {
                    index = Integer.parseInt(rest.substring(0, dot));
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException("optimizer state: malformed key '" + k + "'");
                }
                if (index < 0 || index >= params.size()) {
                    throw new IllegalArgumentException("optimizer state: key '" + k + "' refers to parameter " + index
                            + " but the optimizer has " + params.size());
                }
                String name = rest.substring(dot + 1);
                Tensor v = e.getValue();
                boolean perParam = v.numel() != 1 || params.get(index).numel() == 1;
                if (perParam && !name.equals("step") && !Shape.equal(v.shape(), params.get(index).shape())) {
                    throw new IllegalArgumentException("optimizer state: '" + k + "' has shape " + Shape.str(v.shape())
                            + " but parameter " + index + " has shape " + Shape.str(params.get(index).shape()));
                }
                loaded.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(name, v.contiguousCopy());
            } else if (k.startsWith("param_groups.") && k.endsWith(".lr")) {
                int g = Integer.parseInt(k.substring(13, k.length() - 3));
                if (g >= groups.size()) throw new IllegalArgumentException("optimizer state: no parameter group " + g);
                groups.get(g).setLr(e.getValue().item());
            } else if (k.equals("steps")) {
                stepCount = (long) e.getValue().item();
            } else {
                throw new IllegalArgumentException("optimizer state: unexpected key '" + k + "'");
            }
        }
        state.clear();
        state.putAll(loaded);
    }
}
