package org.attn4j.nn;

import org.attn4j.ops.Activations;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.GELU(approximate='none')}: the exact {@code x·Φ(x)}, or with {@code approximate="tanh"} the
 * tanh approximation {@code 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))}. Any shape.
 */
public final class GELU extends UnaryModule {
    private final String approximate;

    /** The exact form ({@code approximate='none'}, PyTorch's default and ViT's choice). */
    public GELU() {
        this("none");
    }

    /** {@code approximate} is {@code "none"} or {@code "tanh"}. */
    public GELU(String approximate) {
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw new IllegalArgumentException("GELU: approximate must be 'none' or 'tanh', got '" + approximate + "'");
        }
        this.approximate = approximate;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Activations.gelu(x, approximate.equals("tanh"));
    }

    @Override
    public String extraRepr() {
        return "approximate=" + Repr.str(approximate);
    }
}
