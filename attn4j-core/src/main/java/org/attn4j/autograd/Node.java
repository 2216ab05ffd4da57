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
 */
public final class Node {
    /** Computes input gradients from the output gradient; entries may be null for inputs without grad. */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    private final String op;
    private final Tensor[] inputs;
    private final int[] inputVersions;
    private final Backward backward;
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

    private IllegalStateException modified(String what) {
        return new IllegalStateException("backward of " + op + ": " + what
                + " was modified by an in-place operation after it was saved for backward");
    }
}
