package org.attn4j.autograd;

import org.attn4j.tensor.Tensor;

/**
 * One recorded operation in the autograd graph: the inputs it read, and the function that turns the
 * gradient of its output into gradients of those inputs (the op's backward, written beside its forward
 * in {@code org.attn4j.ops}).
 *
 * <p>The node remembers the storage version of each input and of the output when it was recorded; if
 * any of them was later overwritten in place, backward refuses to use the stale value (PyTorch's version
 * counter check).
 *
 * <p>A backward without {@code retainGraph} {@linkplain #release() releases} each node once it has been applied,
 * as PyTorch frees a graph's saved tensors: the activations it held can then be collected while the rest of
 * the backward runs, and a second backward through the node fails with PyTorch's advice instead of silently
 * accumulating again.
 */
public final class Node {
    /** Computes input gradients from the output gradient; entries may be null for inputs without grad. */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    private static final Tensor[] NONE = new Tensor[0];

    private final String op;
    private Tensor[] inputs;
    private final int[] inputVersions;
    private Backward backward;
    private Tensor output;
    private int outputVersion;

    public Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
        this.inputVersions = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) inputVersions[i] = inputs[i].storage().version();
    }

    /** Called once by the op with the tensor it produced. */
    public void bindOutput(Tensor out) {
        this.output = out;
        this.outputVersion = out.storage().version();
    }

    public String op() {
        return op;
    }

    public Tensor[] inputs() {
        return inputs;
    }

    Tensor[] apply(Tensor gradOutput) {
        if (backward == null) {
            throw new IllegalStateException("backward of " + op + ": trying to backward through the graph a second time;"
                    + " its saved values were freed by the first backward (pass retainGraph = true to the first"
                    + " backward to keep them)");
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].storage().version() != inputVersions[i]) {
                throw modified("input " + i + " of shape " + org.attn4j.tensor.Shape.str(inputs[i].shape()));
            }
        }
        if (output != null && output.storage().version() != outputVersion) {
            throw modified("its output of shape " + org.attn4j.tensor.Shape.str(output.shape()));
        }
        Tensor[] grads = backward.apply(gradOutput);
        if (grads.length != inputs.length) {
            throw new IllegalStateException(op + " backward returned " + grads.length + " gradients for "
                    + inputs.length + " inputs");
        }
        return grads;
    }

    /** Drops the backward function and the inputs, and with them the values saved for backward. */
    void release() {
        backward = null;
        inputs = NONE;
        output = null;
    }

    /** Whether {@link #release()} has run: the node can no longer be applied. */
    public boolean isReleased() {
        return backward == null;
    }

    private IllegalStateException modified(String what) {
        return new IllegalStateException("backward of " + op + ": " + what
                + " was modified by an in-place operation after it was saved for backward");
    }
}
