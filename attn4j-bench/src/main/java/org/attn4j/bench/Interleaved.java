package org.attn4j.bench;

import java.util.Arrays;

/**
 * Times two implementations of the same work alternately in one run, so that both see the same machine:
 * on shared, noisy machines (ANCHORS.md: 2x swings minutes apart) only a ratio measured this way means
 * anything. Rep i runs {@code a} then {@code b} when i is even and {@code b} then {@code a} when odd, so
 * neither always gets the warmer caches.
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
                ta[i] = a.runNanos();
                tb[i] = b.runNanos();
            } else {
                tb[i] = b.runNanos();
                ta[i] = a.runNanos();
            }
        }
        return new Stats[] {stats(ta), stats(tb)};
    }

    private static Stats stats(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
        return new Stats(median / 1e6, s[0] / 1e6);
    }
}
