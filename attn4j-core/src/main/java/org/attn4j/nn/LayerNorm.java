package org.attn4j.nn;

import org.attn4j.ops.Normalization;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)}: normalizes over the
 * trailing dims {@code normalized_shape} with the biased variance,
 * {@code y = (x - E[x]) / √(Var[x] + eps) · weight + bias} ({@link Normalization#layerNorm}).
 *
 * <p>Parameters (with {@code elementwise_affine}): {@code weight} of shape normalized_shape, initialised to
 * ones, and {@code bias} (unless {@code bias} is false) initialised to zeros, as PyTorch's
 * {@code reset_parameters}.
 */
public final class LayerNorm extends UnaryModule {
    private final int[] normalizedShape;
    private final double eps;
    private final boolean elementwiseAffine;

    /** Over the last dim of size {@code dim}, eps 1e-5, with weight and bias. */
    public LayerNorm(int dim) {
        this(new int[] {dim}, 1e-5, true, true);
    }

    /** Over the last dim of size {@code dim}, with weight and bias (ViT uses eps 1e-6). */
    public LayerNorm(int dim, double eps) {
        this(new int[] {dim}, eps, true, true);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, boolean bias) {
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm: normalized_shape must not be empty");
        for (int d : normalizedShape) {
            if (d <= 0) throw new IllegalArgumentException("LayerNorm: normalized_shape " + Shape.str(normalizedShape)
                    + " must be positive");
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.elementwiseAffine = elementwiseAffine;
        registerParameter("weight", elementwiseAffine ? Tensor.ones(normalizedShape) : null);
        registerParameter("bias", elementwiseAffine && bias ? Tensor.zeros(normalizedShape) : null);
    }

    /** Weight to ones and bias to zeros. */
    public void resetParameters() {
        if (weight() != null) Init.ones_(weight());
        if (bias() != null) Init.zeros_(bias());
    }

    /** The scale, or null without elementwise_affine. */
    public Tensor weight() {
        return parameter("weight");
    }

    /** The shift, or null without elementwise_affine or with bias=False. */
    public Tensor bias() {
        return parameter("bias");
    }

    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    public double eps() {
        return eps;
    }

    /** {@code [*, normalized_shape...]} to the same shape. */
    @Override
    public Tensor forward(Tensor x) {
        int k = normalizedShape.length, r = x.dim();
        boolean ok = r >= k;
        for (int i = 0; ok && i < k; i++) ok = x.size(r - k + i) == normalizedShape[i];
        if (!ok) {
            throw new IllegalArgumentException(header() + ": input " + Shape.str(x.shape()) + " does not end in "
                    + Shape.str(normalizedShape));
        }
        return Normalization.layerNorm(x, normalizedShape, weight(), bias(), (float) eps);
    }

    @Override
    public String extraRepr() {
        return Repr.tuple(normalizedShape) + ", eps=" + Repr.pyFloat(eps) + ", elementwise_affine="
                + Repr.bool(elementwiseAffine);
    }
}
