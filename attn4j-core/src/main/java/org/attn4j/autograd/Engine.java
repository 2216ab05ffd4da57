package org.attn4j.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Storage;
import org.attn4j.tensor.Tensor;

/**
 * Reverse-mode automatic differentiation: walks the graph below a root tensor in reverse topological
 * order, applying each node's backward and summing gradients that meet (micrograd's algorithm on
 * tensors). Gradients reaching leaves that require grad accumulate into {@link Tensor#grad()}.
 */
public final class Engine {
    private Engine() {}

    /**
     * Backpropagates {@code gradRoot} (same shape as {@code root}) through the graph below {@code root}, freeing
     * the graph as it goes ({@code retain_graph=False}).
     */
    public static void backward(Tensor root, Tensor gradRoot) {
        backward(root, gradRoot, false);
    }

    /**
     * {@link #backward(Tensor, Tensor)}; with {@code retainGraph} every node keeps what it saved, so that the
     * graph can be backpropagated through again ({@code retain_graph=True}).
     */
    public static void backward(Tensor root, Tensor gradRoot, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: the tensor of shape " + Shape.str(root.shape())
                    + " does not require grad and has no grad_fn");
        }
        if (!Shape.equal(root.shape(), gradRoot.shape())) {
            throw new IllegalArgumentException("backward: gradient of shape " + Shape.str(gradRoot.shape())
                    + " does not match the tensor's shape " + Shape.str(root.shape()));
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        PendingStorages pending = new PendingStorages(Storage.currentSerial());
        grads.put(root, gradRoot);
        pending.add(gradRoot);
        try (var ignored = GradMode.noGrad()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                if (g == null) continue;
                pending.remove(g);
                Node node = t.gradFn();
                if (node == null) {
                    t.accumulateGrad(g, pending.isUnshared(g));
                    continue;
                }
                if (t.retainsGrad()) t.accumulateGrad(g);
                Tensor[] inputGrads = node.apply(g);
                Tensor[] inputs = node.inputs();
                if (!retainGraph) node.release();
                order.set(i, null);                 // let what only the graph referenced go while backward runs
                for (int k = 0; k < inputs.length; k++) {
                    Tensor in = inputs[k];
                    Tensor ig = inputGrads[k];
                    if (ig == null || !in.requiresGrad()) continue;
                    if (!Shape.equal(ig.shape(), in.shape())) {
                        throw new IllegalStateException("backward of " + node.op() + ": gradient for input " + k
                                + " has shape " + Shape.str(ig.shape()) + " but the input has "
                                + Shape.str(in.shape()));
                    }
                    Tensor prev = grads.get(in);
                    // A gradient the engine alone holds takes the next one in place (PyTorch's InputBuffer does the
                    // same): no new array, and for a CBAM block's input three fewer 12 MB allocations per step.
                    Tensor sum = prev == null ? ig
                            : pending.holdsAlone(prev) && prev.storage() != ig.storage() ? prev.add_(ig) : prev.add(ig);
                    if (prev != null) pending.remove(prev);
                    grads.put(in, sum);
                    pending.add(sum);
                }
            }
        }
    }

    /**
     * Which storages the gradients waiting in a backward pass use, so that a leaf's first gradient can be installed
     * without a copy when nothing else can see it: its storage was made during this pass (not the caller's
     * gradient, not a forward value) by an op or backward function that owns its array
     * ({@link Storage#isExclusive()}), and no other waiting gradient is a view of it.
     */
    private static final class PendingStorages {
        private final long createdAfter;
        private final Map<Storage, Integer> counts = new IdentityHashMap<>();

        PendingStorages(long createdAfter) {
            this.createdAfter = createdAfter;
        }

        void add(Tensor g) {
            counts.merge(g.storage(), 1, Integer::sum);
        }

        void remove(Tensor g) {
            counts.computeIfPresent(g.storage(), (s, c) -> c == 1 ? null : c - 1);
        }

        /** For a waiting gradient: no other waiting gradient shares its storage, which was made during this pass. */
        boolean holdsAlone(Tensor g) {
            return g.isDense() && madeHere(g.storage()) && counts.getOrDefault(g.storage(), 0) == 1;
        }

        /** For a gradient already removed from the pending ones. */
        boolean isUnshared(Tensor g) {
            return madeHere(g.storage()) && !counts.containsKey(g.storage());
        }

        /** Made during this pass by an op or backward function that owns its array. */
        private boolean madeHere(Storage s) {
            return s.isExclusive() && s.serial() > createdAfter;
        }
    }

    /** Tensors reachable from root through grad_fn edges, inputs before the tensors computed from them. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> visited = new IdentityHashMap<>();
        // Iterative post-order DFS: deep graphs (long RNN unrolls) must not overflow the stack.
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Node node = t.gradFn();
            Tensor[] inputs = node == null ? new Tensor[0] : node.inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in.requiresGrad() && visited.put(in, Boolean.TRUE) == null) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
