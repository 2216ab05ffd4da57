package org.attn4j.bench;

/**
 * One measured benchmark case: attn4j's and libtorch's times from the same interleaved run, the case's flop
 * count, its target and how closely the two sides' results agreed. The benchmarks return these so that each
 * command prints its own table and {@code ./bench.sh suite} prints all of them in one.
 *
 * @param name        what was run, with its shape
 * @param reps        timed reps per side
 * @param attn4j      attn4j's times; null when the case failed (then {@code check} says why)
 * @param libtorch    libtorch's times; null when libtorch is not run (the N = 32768 attention)
 * @param flops       the work of one rep as {@link Flops} counts it
 * @param targetRatio the largest ratio attn4j/libtorch (medians) the target allows; NaN when the target is
 *                    only to complete (the N = 32768 attention under -Xmx1g)
 * @param check       how the two sides' results agree ("max |diff| ..."), or what else the reader should know
 */
record CaseResult(String name, int reps, Interleaved.Stats attn4j, Interleaved.Stats libtorch, double flops,
                  double targetRatio, String check) {

    /** attn4j median / libtorch median; NaN without both. Lower is better, below 1 attn4j is faster. */
    double ratio() {
        return attn4j == null || libtorch == null ? Double.NaN : attn4j.medianMs() / libtorch.medianMs();
    }

    /** attn4j's GFLOP/s at its median time; NaN when it failed. */
    double gflops() {
        return attn4j == null ? Double.NaN : attn4j.gflops(flops, true);
    }

    /** The target as printed: {@code <= 0.6}, or {@code completes}. */
    String target() {
        return Double.isNaN(targetRatio) ? "completes" : "<= " + targetRatio;
    }

    /** Whether the target was met: the median ratio within it, or (for a completion target) attn4j finished. */
    boolean met() {
        if (attn4j == null) return false;
        return Double.isNaN(targetRatio) || ratio() <= targetRatio;
    }
}
