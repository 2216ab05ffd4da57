package org.attn4j.attention;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attn4j.nn.Module;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;

/**
 * Runs an attention module in attn4j and the reference's formula in libtorch with the same weights, and
 * compares every output and the gradient of every input and of every parameter.
 *
 * <p>The module's state dict (parameters and buffers, under PyTorch's key names) is copied into NDArrays —
 * parameters requiring grad — so the libtorch side reads its weights by the reference's own names. Both sides
 * backpropagate {@code Σ_i sum(out_i ⊙ u_i)} for the same random {@code u_i}. With
 * the environment variable {@code ATTN4J_REPORT_DIFFS} set the worst absolute difference of each comparison is printed (how the
 * tolerances in the tests were chosen).
 */
final class ModuleOracle {
    private ModuleOracle() {}

    /** attn4j side: the outputs (null entries are skipped) for the given input leaves. */
    interface Ours {
        List<Tensor> run(List<Tensor> inputs);
    }

    /** libtorch side: the outputs for the module's state by key and the inputs, in the same order as ours. */
    interface Theirs {
        List<NDArray> run(Map<String, NDArray> state, List<NDArray> inputs);
    }

    static final boolean REPORT = System.getenv("ATTN4J_REPORT_DIFFS") != null;

    /**
     * @param module may be null (a functional op): then only inputs are compared
     * @return the worst absolute difference over all comparisons
     */
    static double check(String what, Module module, List<Tensor> inputs, Ours ours, Theirs theirs, double atol, double rtol,
                        long seed) {
        // attn4j: fresh leaves for the inputs, the module's own parameters.
        List<Tensor> leaves = new ArrayList<>();
        for (Tensor t : inputs) {
            Tensor leaf = t.detach();
            if (t.requiresGrad()) leaf.requiresGrad(true);
            leaves.add(leaf);
        }
        Map<String, Tensor> params = module == null ? Map.of() : module.namedParameters();
        if (module != null) module.zeroGrad();
        List<Tensor> outs = ours.run(leaves);
        Generator g = new Generator(seed ^ 0x9E3779B97F4A7C15L);
        List<Tensor> ups = new ArrayList<>();
        for (Tensor o : outs) ups.add(o == null ? null : Tensor.randn(g, o.shape()));
        boolean anyGrad = !params.isEmpty() || leaves.stream().anyMatch(Tensor::requiresGrad);
        if (anyGrad) {
            Tensor loss = null;
            for (int i = 0; i < outs.size(); i++) {
                if (outs.get(i) == null) continue;
                // [1], not 0-d: sum() to a 0-d tensor cannot be backpropagated on this main yet (view of [] fails).
                Tensor term = outs.get(i).mul(ups.get(i)).flatten().sum(0, true);
                loss = loss == null ? term : loss.add(term);
            }
            loss.backward(Tensor.ones(1));
        }

        double worst = 0;
        try (NDManager m = Torch.scope()) {
            Map<String, NDArray> state = new LinkedHashMap<>();
            if (module != null) {
                for (Map.Entry<String, Tensor> e : module.stateDict().entrySet()) {
                    NDArray a = Torch.nd(m, e.getValue());
                    if (params.containsKey(e.getKey())) a.setRequiresGradient(true);
                    state.put(e.getKey(), a);
                }
            }
            List<NDArray> arrays = new ArrayList<>();
            for (Tensor t : leaves) {
                NDArray a = Torch.nd(m, t);
                if (t.requiresGrad()) a.setRequiresGradient(true);
                arrays.add(a);
            }
            List<NDArray> theirOuts;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                theirOuts = theirs.run(state, arrays);
                if (anyGrad) {
                    NDArray loss = null;
                    for (int i = 0; i < outs.size(); i++) {
                        if (outs.get(i) == null) continue;
                        NDArray term = theirOuts.get(i).mul(Torch.nd(m, ups.get(i))).sum();
                        loss = loss == null ? term : loss.add(term);
                    }
                    gc.backward(loss);
                }
            }
            if (theirOuts.size() != outs.size()) {
                throw new AssertionError(what + ": " + outs.size() + " outputs here, " + theirOuts.size() + " in libtorch");
            }
            for (int i = 0; i < outs.size(); i++) {
                if (outs.get(i) == null) continue;
                worst = Math.max(worst, compare(what + " output " + i, Torch.tensor(theirOuts.get(i)), outs.get(i).detach(),
                        atol, rtol));
            }
            if (anyGrad) {
                for (int i = 0; i < leaves.size(); i++) {
                    Tensor leaf = leaves.get(i);
                    if (!leaf.requiresGrad() || leaf.dtype() != DType.FLOAT32) continue;
                    if (leaf.grad() == null) throw new AssertionError(what + ": attn4j produced no gradient for input " + i);
                    worst = Math.max(worst, compare(what + " grad of input " + i, Torch.tensor(arrays.get(i).getGradient()),
                            leaf.grad(), atol, rtol));
                }
                for (Map.Entry<String, Tensor> e : params.entrySet()) {
                    Tensor grad = e.getValue().grad();
                    if (grad == null) throw new AssertionError(what + ": attn4j produced no gradient for " + e.getKey());
                    worst = Math.max(worst, compare(what + " grad of " + e.getKey(),
                            Torch.tensor(state.get(e.getKey()).getGradient()), grad, atol, rtol));
                }
            }
        }
        if (module != null) module.zeroGrad();
        return worst;
    }

    private static double compare(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        double d = Assertions2.maxAbsDiff(expected, actual);
        if (REPORT) System.out.printf(Locale.ROOT, "[diff] %-60s %.3g%n", what, d);
        Assertions2.assertClose(what, expected, actual, atol, rtol);
        return d;
    }
}
