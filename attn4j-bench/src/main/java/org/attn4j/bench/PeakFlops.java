package org.attn4j.bench;

import org.attn4j.kernels.VectorSupport;

/**
 * This machine's float32 peak as measured now: every thread running a register-resident chain of independent
 * vector FMAs ({@link PeakFlopsVector}), no memory traffic, so the rate is what the FMA units deliver, times the
 * share of the cores this process gets. On a quiet machine that is the hardware's peak (a Zen 3 or Zen 4 core
 * has two 256-bit FMA pipes: 32 float flops per cycle); on a shared one it is the peak left over, which is the
 * fairer yardstick for the run it is measured in. The benchmarks state it beside the fixed 231 GFLOP/s of
 * shared/ANCHORS.md (two Zen 4 cores at 3.64 GHz).
 */
final class PeakFlops {
    private PeakFlops() {}

    /**
     * @param gflops  the best trial's rate over all threads together
     * @param threads how many threads ran the loop at once
     * @param lanes   float lanes per vector ({@code FloatVector.SPECIES_PREFERRED}: 8 with AVX2, 16 with AVX-512)
     * @param clean   whether the JIT compiled the loop with its vectors in registers; if not, {@code gflops}
     *                understates the peak by far and must not be used
     */
    record Result(double gflops, int threads, int lanes, boolean clean) {}

    /**
     * Runs the FMA loop on {@code threads} threads at once for {@code trials} trials of about {@code seconds}
     * each (after a short single-thread warm-up for the JIT) and returns the best trial; null without the
     * Vector API (the scalar path could not show the peak).
     */
    static Result measure(int threads, int trials, double seconds) throws InterruptedException {
        if (!VectorSupport.ENABLED) return null;
        return PeakFlopsVector.measure(threads, trials, seconds);
    }
}
