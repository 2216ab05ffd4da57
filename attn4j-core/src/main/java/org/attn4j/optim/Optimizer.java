package org.attn4j.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Base of the optimizers: parameter groups, per-parameter state tensors, {@link #zeroGrad()} and a
 * state dict for checkpoints. Subclasses implement {@link #update} for one parameter with PyTorch's rule
 * (single-tensor, non-foreach implementation); steps run on the raw arrays, outside autograd.
 */
public abstract class Optimizer {
    private final String name;
    protected final List<ParamGroup> groups;
    /** Per-parameter state, by the parameter's index across all groups (PyTorch's state_dict numbering). */
    private final Map<Integer, Map<String, Tensor>> state = new LinkedHashMap<>();
    private long stepCount;

    /** {@code name} (as torch's class name: SGD, Adam, AdamW) is what error messages call the optimizer. */
    protected Optimizer(String name, List<ParamGroup> groups) {
        this.name = name;
        if (groups.isEmpty()) throw new IllegalArgumentException(name + ": got an empty parameter list");
        this.groups = List.copyOf(groups);
    }

    /** How errors name this optimizer's configuration: its name, and what decides its state entries. */
    protected String describe() {
        return name;
    }

    /** The optimizer's name, as torch's class name: SGD, Adam, AdamW. */
    public String name() {
        return name;
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

    /**
     * The names of one parameter's state entries once it has been stepped (torch's keys: {@code momentum_buffer};
     * {@code step}, {@code exp_avg}, {@code exp_avg_sq}). {@link #loadStateDict} accepts a parameter's state only
     * with exactly these, so that another optimizer's state (an SGD checkpoint resumed with AdamW, say) is refused
     * rather than half used.
     */
    protected abstract Set<String> stateEntries();

    /** A state buffer of {@code shape}, zero-initialised on first use. */
    protected static float[] buffer(Map<String, Tensor> state, String name, int[] shape) {
        return state.computeIfAbsent(name, k -> Tensor.zeros(shape)).data();
    }

    /** A scalar state entry (such as Adam's step), 0 on first use. */
    protected static float[] scalar(Map<String, Tensor> state, String name) {
        return state.computeIfAbsent(name, k -> Tensor.zeros(1)).data();
    }

    /**
     * The state as flat named tensors, {@code state.<paramIndex>.<name>} (PyTorch's numbering: parameters counted
     * across the groups in order; a parameter that never had a gradient has no entries), each group's lr as
     * {@code param_groups.<g>.lr} and, since float32 holds few learning rates exactly (1e-3 is not one),
     * {@code param_groups.<g>.lr_bits}: the lr's float64 bits as four 16-bit integers, high first, so that a
     * restored optimizer steps with the very same lr; and {@code steps}. What a checkpoint stores.
     *
     * <p>As {@code torch.optim.Optimizer.state_dict()}, the state tensors are the live buffers, not copies:
     * save or copy them before stepping again to keep a snapshot.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            for (var s : e.getValue().entrySet()) out.put("state." + e.getKey() + "." + s.getKey(), s.getValue());
        }
        for (int g = 0; g < groups.size(); g++) {
            double lr = groups.get(g).lr();
            out.put("param_groups." + g + ".lr", Tensor.vector((float) lr));
            out.put("param_groups." + g + ".lr_bits", bits(lr));
        }
        out.put("steps", Tensor.vector((float) stepCount));
        return out;
    }

    /** The 64 bits of {@code v} as four floats holding 16-bit integers (each exact in float32), high first. */
    private static Tensor bits(double v) {
        long b = Double.doubleToRawLongBits(v);
        float[] f = new float[4];
        for (int i = 0; i < 4; i++) f[i] = (b >>> (48 - 16 * i)) & 0xFFFF;
        return Tensor.vector(f);
    }

    private double fromBits(String key, Tensor t) {
        float[] f = t.toFloatArray();
        long b = 0;
        for (float x : f) {
            if (f.length != 4 || !(x >= 0 && x <= 0xFFFF && x == Math.rint(x))) {
                throw new IllegalArgumentException(name + " state: '" + key + "' must hold four 16-bit integers, got "
                        + java.util.Arrays.toString(f));
            }
            b = (b << 16) | (long) x;
        }
        return Double.longBitsToDouble(b);
    }

    /**
     * Restores a {@link #stateDict()} of an optimizer of the same kind over parameters of the same shapes (the
     * state tensors are copied). Each group's lr becomes the saved one: exactly, from {@code lr_bits}, when
     * that agrees with {@code lr} rounded to float32 (a dict whose {@code lr} was edited, or that has no
     * {@code lr_bits}, gives {@code lr}). Nothing changes if the dict is refused.
     */
    public void loadStateDict(Map<String, Tensor> dict) {
        List<Tensor> params = new ArrayList<>();
        for (ParamGroup g : groups) params.addAll(g.params());
        Map<Integer, Map<String, Tensor>> loaded = new LinkedHashMap<>();
        Double[] lrs = new Double[groups.size()], exactLrs = new Double[groups.size()];
        Long steps = null;
        for (var e : dict.entrySet()) {
            String k = e.getKey();
            Tensor v = e.getValue();
            if (k.startsWith("state.")) {
                String rest = k.substring(6);
                int dot = rest.indexOf('.');
                int index;
                try {
                    index = Integer.parseInt(rest.substring(0, dot));
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException(name + " state: malformed key '" + k + "'");
                }
                if (index < 0 || index >= params.size()) {
                    throw new IllegalArgumentException(name + " state: key '" + k + "' refers to parameter " + index
                            + " but the optimizer has " + params.size());
                }
                String entry = rest.substring(dot + 1);
                Tensor p = params.get(index);
                if (entry.equals("step") ? v.numel() != 1 : !Shape.equal(v.shape(), p.shape())) {
                    throw new IllegalArgumentException(name + " state: '" + k + "' has shape " + Shape.str(v.shape())
                            + " but parameter " + index + " has shape " + Shape.str(p.shape()));
                }
                loaded.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(entry, v.contiguousCopy());
            } else if (k.startsWith("param_groups.") && (k.endsWith(".lr") || k.endsWith(".lr_bits"))) {
                boolean exact = k.endsWith(".lr_bits");
                int g;
                try {
                    g = Integer.parseInt(k.substring(13, k.lastIndexOf('.')));
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException(name + " state: malformed key '" + k + "'");
                }
                if (g < 0 || g >= groups.size()) {
                    throw new IllegalArgumentException(name + " state: key '" + k + "' refers to parameter group " + g
                            + " but the optimizer has " + groups.size());
                }
                if (exact) {
                    exactLrs[g] = checkLr(name, fromBits(k, v));
                } else {
                    if (v.numel() != 1) throw new IllegalArgumentException(name + " state: '" + k + "' must hold one value, got shape " + Shape.str(v.shape()));
                    lrs[g] = checkLr(name, v.item());
                }
            } else if (k.equals("steps")) {
                if (v.numel() != 1) throw new IllegalArgumentException(name + " state: 'steps' must hold one value, got shape " + Shape.str(v.shape()));
                steps = (long) v.item();
            } else {
                throw new IllegalArgumentException(name + " state: unexpected key '" + k + "'");
            }
        }
        // Every check before the first change: a refused dict leaves the optimizer as it was.
        Set<String> expected = stateEntries();
        for (var e : loaded.entrySet()) {
            if (!e.getValue().keySet().equals(expected)) {
                throw new IllegalArgumentException(name + " state: parameter " + e.getKey() + " has entries "
                        + new TreeSet<>(e.getValue().keySet()) + " but " + describe() + " keeps " + new TreeSet<>(expected)
                        + " (a state dict of another optimizer?)");
            }
        }
        for (int g = 0; g < groups.size(); g++) {
            if (lrs[g] == null) {
                if (exactLrs[g] != null) groups.get(g).setLr(exactLrs[g]);
            } else {
                boolean agree = exactLrs[g] != null && (float) (double) exactLrs[g] == (float) (double) lrs[g];
                groups.get(g).setLr(agree ? exactLrs[g] : lrs[g]);
            }
        }
        if (steps != null) stepCount = steps;
        state.clear();
        state.putAll(loaded);
    }
}
