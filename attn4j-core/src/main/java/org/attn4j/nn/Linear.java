package org.attn4j.nn;

import org.attn4j.ops.MatMul;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Linear(in_features, out_features, bias=True)}: {@code y = x Wᵀ + b} over the last dim,
 * {@code [..., in] -> [..., out]}.
 *
 * <p>Parameters: {@code weight [out, in]}, {@code bias [out]} (absent when {@code bias} is false). Default
 * initialisation as PyTorch's {@code reset_parameters}: {@code kaiming_uniform_(weight, a=√5)}, which is
 * U(-1/√in, 1/√in), and the bias U(-1/√in, 1/√in).
 */
public final class Linear extends UnaryModule {
    private final int inFeatures, outFeatures;

    /** With bias, initialised from the {@link Generator#defaultGenerator() default generator}. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.defaultGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator generator) {
        if (inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be >= 0, got " + inFeatures
                    + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        registerParameter("weight", Tensor.zeros(outFeatures, inFeatures));
        registerParameter("bias", bias ? Tensor.zeros(outFeatures) : null);
        resetParameters(generator);
    }

    /** Re-draws the parameters with PyTorch's default initialisation. */
    public void resetParameters(Generator g) {
        Init.kaiming_uniform_(weight(), Math.sqrt(5), Init.Mode.FAN_IN, "leaky_relu", g);
        if (bias() != null) {
            double bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
            Init.uniform_(bias(), -bound, bound, g);
        }
    }

    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias, or null when the layer has none. */
    public Tensor bias() {
        return parameter("bias");
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    /** {@code [..., in_features] -> [..., out_features]}. */
    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() == 0 || x.size(-1) != inFeatures) {
            throw new IllegalArgumentException(header() + ": input " + Shape.str(x.shape()) + " does not end in " + inFeatures);
        }
        return MatMul.linear(x, weight(), bias());
    }

    @Override
    public String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + Repr.bool(bias() != null);
    }
}
