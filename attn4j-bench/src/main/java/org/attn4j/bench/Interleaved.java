package org.attn4j.bench;

import java.util.Arrays;

/**
 * Times two implementations of the same work alternately in one run, so that both see the same machine:
 * on shared, noisy machines (ANCHORS.md: 2x swings minutes apart) only a ratio measured this way means
 * anything. Rep i runs {@code a} then {@code b} when i is even and {@code b} then {@code a} when odd, so
 * neither always gets the warmer caches.
 *
 * <p>Each timed rep starts after the calling thread has busy-waited {@code -Dbench.settleMs} (default 10 ms).
 * libtorch's OpenMP runtime (GNU libgomp, shipped with DJL's libtorch) keeps its workers spinning for a few
 * milliseconds after each parallel region before they sleep (GOMP_SPINCOUNT, 300,000 spins by default); without
 * the pause they competed for the cores with the attn4j rep that followed. The pause busy-waits rather than
 * sleeps so that the cores do not drop into idle states between reps (a 20 ms sleep made the short reps of both
 * sides slower and noisier), and it leaves libtorch's threading inside its own rep as it is.
 */
final class Interleaved {
    private Interleaved() {}

    /**
     * {@code -Dbench.cputime=true}: time by the calling thread's CPU time, meaningful only when all the
     * work runs on that thread (one thread on both sides).
     */
    static final boolean CPU = Boolean.getBoolean("bench.cputime");
    private static final java.lang.management.ThreadMXBean MX = java.lang.management.ManagementFactory.getThreadMXBean();

    /** The clock reps are timed with, in ns. */
    static long now() {
        return CPU ? MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** One timed repetition: does the work and returns how long the part worth timing took, in ns. */
    @FunctionalInterface
    interface Timed {
        long runNanos() throws Exception;
    }

    /** Median and minimum of one side's reps, in milliseconds. */
    record Stats(double medianMs, double minMs) {
        double gflops(double flops, boolean median) {
            return flops / ((median ? medianMs : minMs) * 1e6);
        }
    }

    /** {@code warmup} untimed then {@code reps} timed alternating reps of each; returns {a, b}. */
    static Stats[] run(int warmup, int reps, Timed a, Timed b) throws Exception {
        for (int i = 0; i < warmup; i++) {
            a.runNanos();
            b.runNanos();
        }
        long[] ta = new long[reps], tb = new long[reps];
        for (int i = 0; i < reps; i++) {
            if ((i & 1) == 0) {
                ta[i] = settled(a);
                tb[i] = settled(b);
            } else {
                tb[i] = settled(b);
                ta[i] = settled(a);
            }
        }
        return new Stats[] {stats(ta), stats(tb)};
    }

    /** The busy pause before each timed rep, {@code -Dbench.settleMs} (default 10): see the class comment. */
    static final long SETTLE_NANOS = Long.getLong("bench.settleMs", 10) * 1_000_000L;

    /** One timed rep of {@code t}, after {@link #settle}. */
    static long settled(Timed t) throws Exception {
        settle();
        return t.runNanos();
    }

    /** Busy-waits {@link #SETTLE_NANOS} on the calling thread: call before a timed rep (see the class comment). */
    static void settle() {
        long until = System.nanoTime() + SETTLE_NANOS;
        while (System.nanoTime() < until) Thread.onSpinWait();
    }

    /** Median and minimum of reps timed in ns. */
    static Stats stats(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
        return new Stats(median / 1e6, s[0] / 1e6);
    }
}
