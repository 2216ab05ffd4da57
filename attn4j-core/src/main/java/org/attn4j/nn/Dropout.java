package org.attn4j.nn;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Dropout(p=0.5)}: in training, zeroes each element with probability {@code p} and scales the rest
 * by {@code 1/(1-p)} ({@link org.attn4j.ops.Dropout#dropout}); in eval mode, the identity. Any shape.
 */
public final class Dropout extends UnaryModule {
    private final double p;
    private final Generator generator;

    /** Masks drawn from the default generator. */
    public Dropout(double p) {
        this(p, Generator.defaultGenerator());
    }

    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
        this.generator = generator;
    }

    public double p() {
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        return org.attn4j.ops.Dropout.dropout(x, (float) p, isTraining(), generator);
    }

    @Override
    public String extraRepr() {
        return "p=" + Repr.pyFloat(p) + ", inplace=False";
    }
}
