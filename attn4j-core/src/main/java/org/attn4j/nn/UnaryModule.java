package org.attn4j.nn;

import org.attn4j.tensor.Tensor;

/**
 * A module that maps one tensor to one tensor — the uniform signature {@link Sequential} chains. Most layers
 * are unary (Linear, convolutions, norms, activations, pools, dropout); modules with several inputs or outputs
 * extend {@link Module} directly and declare their own {@code forward}.
 */
public abstract class UnaryModule extends Module {
    /** Computes the module's output for {@code x}; see each layer for the shapes it accepts. */
    public abstract Tensor forward(Tensor x);
}
