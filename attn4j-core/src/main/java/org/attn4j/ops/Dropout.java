package org.attn4j.ops;

import java.util.SplittableRandom;
import org.attn4j.kernels.Parallel;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Inverted dropout, {@code F.dropout(x, p, training)}: while training each element is kept with probability
 * {@code 1 - p} and scaled by {@code 1 / (1 - p)}, so the expected value is unchanged and evaluation is the
 * identity. Backward multiplies the gradient by the same mask and scale.
 *
 * <p>Randomness: one {@code long} is drawn from the caller's {@link Generator} per call; the mask is then
 * generated in fixed blocks of {@link #BLOCK} elements, each from its own stream derived from that draw and
 * the block's index. The mask therefore depends only on the generator's state and the tensor's size — not on
 * the thread count — and the blocks can be filled in parallel. The numbers are not PyTorch's.
 */
public final class Dropout {
    private Dropout() {}

    /** Elements per independently seeded block of the mask. */
    static final int BLOCK = 4096;

    /**
     * @param x        any float32 tensor
     * @param p        probability of zeroing an element, in [0, 1]
     * @param training false gives {@code x} itself, as {@code F.dropout(training=False)} does
     * @param g        source of randomness (drawn from only when training with 0 < p < 1); null means
     *                 {@link Generator#defaultGenerator()}, as PyTorch's default generator
     * @return x's shape; with p = 1 every element is multiplied by 0 (so NaN and ±inf stay NaN, as PyTorch's
     *         {@code x * 0})
     */
    public static Tensor dropout(Tensor x, float p, boolean training, Generator g) {
        Arithmetic.requireFloat("dropout", x);
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p
                    + " (input of shape " + org.attn4j.tensor.Shape.str(x.shape()) + ")");
        }
        if (!training || p == 0f || x.numel() == 0) return x;
        int[] shape = x.shape();
        float[] xd = x.contiguousData();
        int n = xd.length;
        if (g == null) g = Generator.defaultGenerator();
        // PyTorch: noise.bernoulli_(1 - p); noise.div_(1 - p); x * noise — the scale is 1 / (1 - p) in float.
        // p = 1 multiplies everything by 0 and draws nothing (ATen's _dropout_impl does the same).
        float scale = 1f / (float) (1.0 - p);
        boolean[] mask = p == 1f ? new boolean[n] : mask(n, 1.0 - p, g.nextLong());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = xd[i] * (mask[i] ? scale : 0f);
        return Tensor.result(out, shape, "dropout", gr -> {
            float[] gd = gr.contiguousData();
            float[] gx = new float[gd.length];
            for (int i = 0; i < gx.length; i++) gx[i] = gd[i] * (mask[i] ? scale : 0f);
            return new Tensor[] {Tensor.ofOwned(gx, shape)};
        }, x);
    }

    /**
     * A Bernoulli({@code keepProb}) mask of {@code n} elements from {@code seed}: element i is kept when a
     * uniform double from its block's stream is below keepProb.
     */
    static boolean[] mask(int n, double keepProb, long seed) {
        boolean[] mask = new boolean[n];
        int blocks = (n + BLOCK - 1) / BLOCK;
        Parallel.forRange(blocks, 16, (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                SplittableRandom rng = new SplittableRandom(mix64(seed + 0x9E3779B97F4A7C15L * (blk + 1L)));
                int end = Math.min(n, (blk + 1) * BLOCK);
                for (int i = blk * BLOCK; i < end; i++) mask[i] = rng.nextDouble() < keepProb;
            }
        });
        return mask;
    }

    /** Stafford's variant 13 of the MurmurHash3 finalizer: spreads nearby block seeds far apart. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
