package org.attn4j.kernels;

/**
 * The dropout mask of attention weights as a pure function of {@code (seed, b, i, j)}: batch-head {@code b},
 * query row {@code i}, key column {@code j}. Counter-based (in the spirit of Philox in Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC 2011, which PyTorch's CUDA flash kernels use): nothing is stored, so
 * {@link FlashAttention}'s backward regenerates exactly the forward's mask, any block of it in any order, on
 * any thread — and the composed reference path can materialise the same mask to apply it to its weights.
 *
 * <p>A row key is derived from the seed, b and i with SplitMix64's finaliser (Stafford's variant 13); each
 * element then hashes {@code rowKey + j · 0x9E3779B9} with MurmurHash3's 32-bit finaliser {@code fmix32} — a
 * bijection of 32-bit integers with full avalanche, cheap enough to vectorise with 32-bit lanes. The element is
 * kept when the top 24 bits of the hash fall below {@link #threshold}, i.e. with probability
 * {@code round((1 - p) · 2²⁴) / 2²⁴}. The numbers are not PyTorch's.
 */
public final class AttentionDropout {
    private AttentionDropout() {}

    /** The 32-bit golden-ratio increment between the hash inputs of neighbouring columns. */
    static final int COLUMN_STEP = 0x9E3779B9;

    /** Keep an element when its 24-bit hash is below this: {@code round((1 - p) · 2^24)}. */
    public static int threshold(float p) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("attention dropout: probability has to be between 0 and 1, but got " + p);
        }
        return (int) Math.round((1.0 - p) * (1 << 24));
    }

    /** The factor on kept weights: {@code 1 / (1 - p)} in float, as {@code F.dropout}; 0 when p = 1. */
    public static float keepScale(float p) {
        return p >= 1f ? 0f : 1f / (float) (1.0 - p);
    }

    /** The key of row {@code i} of batch-head {@code b}. */
    public static int rowKey(long seed, int b, int i) {
        long z = mix64(seed + 0x9E3779B97F4A7C15L * (b + 1L));
        z = mix64(z ^ (0xD1B54A32D192ED03L * (i + 1L)));
        return (int) (z ^ (z >>> 32));
    }

    /** Whether element {@code j} of the row with key {@code rowKey} is kept. */
    public static boolean keep(int rowKey, int j, int threshold) {
        return (fmix32(rowKey + j * COLUMN_STEP) >>> 8) < threshold;
    }

    /**
     * The whole mask, row-major {@code [batch, l, s]}: true = kept. For tests and for the composed attention
     * path (which must apply the same mask as the fused kernel); it is what the kernel never stores.
     */
    public static boolean[] keepMask(long seed, float p, int batch, int l, int s) {
        long n = (long) batch * l * s;
        if (batch < 0 || l < 0 || s < 0 || n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("attention dropout: cannot materialise a mask of [" + batch + ", " + l + ", " + s + "]");
        }
        int t = threshold(p);
        boolean[] m = new boolean[(int) n];
        Parallel.forRangeByCost(batch * l, 8L * s, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int key = rowKey(seed, r / Math.max(1, l), r % Math.max(1, l));
                for (int j = 0; j < s; j++) m[r * s + j] = keep(key, j, t);
            }
        });
        return m;
    }

    /** MurmurHash3's 32-bit finaliser. */
    static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    /** SplitMix64's finaliser (Stafford's variant 13). */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
