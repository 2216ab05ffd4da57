package org.attn4j.tensor;

import java.util.SplittableRandom;

/**
 * A seeded source of randomness (like {@code torch.Generator}): every random result in attn4j —
 * initialisation, dropout, shuffling, augmentation — takes one, so runs are reproducible. The numbers
 * are not PyTorch's (its Mersenne Twister stream is not reproduced); tests that compare with PyTorch
 * copy weights and masks across instead.
 */
public final class Generator {
    private SplittableRandom random;
    private double spareGaussian;
    private boolean hasSpare;

    public Generator(long seed) {
        manualSeed(seed);
    }

    /** A generator seeded from the clock, for callers that do not care about reproducibility. */
    public static Generator unseeded() {
        return new Generator(System.nanoTime() ^ 0x5DEECE66DL);
    }

    private static final Generator DEFAULT = new Generator(0);

    /** The process-wide default generator (seed 0 until {@link #manualSeed} is called on it). */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    public synchronized void manualSeed(long seed) {
        random = new SplittableRandom(seed);
        hasSpare = false;
    }

    /** Uniform in [0, 1). */
    public synchronized float nextFloat() {
        return (float) random.nextDouble();
    }

    public synchronized double nextDouble() {
        return random.nextDouble();
    }

    /** Uniform integer in [0, bound). */
    public synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public synchronized long nextLong() {
        return random.nextLong();
    }

    /** Standard normal (Box-Muller, polar form). */
    public synchronized double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u, v, s;
        do {
            u = random.nextDouble() * 2 - 1;
            v = random.nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * m;
        hasSpare = true;
        return u * m;
    }

    /**
     * The seed of one stream of a seeded run, named by keys: {@code derive(seed, "shuffle".hashCode(), epoch)}.
     * Each value is folded in through SplitMix64's finaliser, so seeds or keys that differ by one give unrelated
     * streams, and different key paths do not collide by arithmetic the way {@code seed * K + epoch} does
     * (where seed 1, epoch 0 is seed 0, epoch K).
     */
    public static long derive(long seed, long... keys) {
        long h = mix64(seed ^ 0x6A09E667F3BCC909L);
        for (long k : keys) h = mix64(h + 0x9E3779B97F4A7C15L * (k + 1) + 0x3C6EF372FE94F82BL);
        return h;
    }

    /** SplitMix64's output function (Stafford's variant 13). */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A new independent generator derived from this one (for per-thread or per-epoch streams). */
    public synchronized Generator split() {
        Generator g = new Generator(0);
        g.random = random.split();
        return g;
    }
}
