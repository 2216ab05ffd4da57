package org.attn4j.nn;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Stochastic depth per sample, as timm's {@code DropPath(drop_prob, scale_by_keep=True)} (Huang et al., "Deep
 * Networks with Stochastic Depth", 2016): in training, each sample of the batch (dim 0) has its whole residual
 * branch zeroed with probability {@code drop_prob}, and kept samples are scaled by {@code 1/keep_prob} so the
 * expectation is unchanged. In eval mode, or with {@code drop_prob = 0}, it returns its input.
 *
 * <p>timm's {@code drop_path}: a mask of shape {@code [B, 1, 1, ...]} (broadcast over every other dim) drawn
 * Bernoulli(keep_prob), divided by keep_prob when {@code scale_by_keep} and keep_prob > 0, multiplied in. The
 * tutorial's version ({@code floor(keep_prob + rand)}, {@code x.div(keep_prob) * mask}) draws the same mask.
 */
public final class DropPath extends UnaryModule {
    private final double dropProb;
    private final boolean scaleByKeep;
    private final Generator generator;

    /** With {@code scale_by_keep=True}, drawing masks from the default generator. */
    public DropPath(double dropProb) {
        this(dropProb, true, Generator.defaultGenerator());
    }

    public DropPath(double dropProb, boolean scaleByKeep, Generator generator) {
        if (!(dropProb >= 0 && dropProb <= 1)) {
            throw new IllegalArgumentException("DropPath: drop_prob must be in [0, 1], got " + dropProb);
        }
        this.dropProb = dropProb;
        this.scaleByKeep = scaleByKeep;
        this.generator = generator;
    }

    public double dropProb() {
        return dropProb;
    }

    /** {@code [B, ...] -> [B, ...]}. */
    @Override
    public Tensor forward(Tensor x) {
        if (dropProb == 0 || !isTraining()) return x;
        if (x.dim() == 0) throw new IllegalArgumentException(header() + ": input must have a batch dim, got a 0-d tensor");
        double keep = 1 - dropProb;
        int[] maskShape = new int[x.dim()];
        java.util.Arrays.fill(maskShape, 1);
        maskShape[0] = x.size(0);
        float scale = keep > 0 && scaleByKeep ? (float) (1 / keep) : 1f;
        float[] mask = new float[maskShape[0]];
        for (int i = 0; i < mask.length; i++) mask[i] = generator.nextDouble() < keep ? scale : 0f;
        return x.mul(Tensor.of(mask, maskShape));
    }

    /** timm's {@code drop_prob=0.100}. */
    @Override
    public String extraRepr() {
        return String.format(java.util.Locale.ROOT, "drop_prob=%.3f", dropProb);
    }
}
