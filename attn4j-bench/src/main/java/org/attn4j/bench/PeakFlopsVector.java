package org.attn4j.bench;

import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FMA loop behind {@link PeakFlops}: twelve independent accumulators {@code a_i = m · c + a_i} in vector
 * registers. An FMA has a latency of 4 cycles on Zen 3 and Zen 4 and two of them start per cycle, so at least 8
 * chains must be in flight to keep both pipes busy; 12 accumulators plus {@code m} and {@code c} still fit the 16
 * ymm registers of AVX2 (AVX-512 has 32), so nothing spills to memory. The accumulator is the addend, the form
 * of x86's {@code vfmadd231ps} (and of every GEMM micro-kernel): written as {@code a_i = a_i · m + c}, C2 copied
 * {@code c} into a fresh register for each FMA and spilled the chains to the stack, and the loop gave 85 GFLOP/s
 * per core against the 101 of the same loop in C (gcc -O2, intrinsics) on the Zen 3 machines here. With
 * {@code m·c} about 1e-3 the accumulators grow by 65 per call: no overflow, no denormals to slow the units down. Loaded only
 * when {@code VectorSupport.ENABLED} (it links against jdk.incubator.vector).
 */
final class PeakFlopsVector {
    private PeakFlopsVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    /** Iterations per call: ~0.1 ms at peak, short enough to check the clock often, long enough to hide the call. */
    private static final int ITERS = 1 << 16;
    /** Keeps the JIT from dropping the loop as dead code. */
    private static volatile float sink;

    /** {@code iters} rounds of the 12 chains; returns a value that depends on every FMA. */
    static float chains(float m, float c, int iters) {
        FloatVector vm = FloatVector.broadcast(S, m), vc = FloatVector.broadcast(S, c);
        FloatVector a0 = FloatVector.broadcast(S, 0.00f), a1 = FloatVector.broadcast(S, 0.01f), a2 = FloatVector.broadcast(S, 0.02f),
                a3 = FloatVector.broadcast(S, 0.03f), a4 = FloatVector.broadcast(S, 0.04f), a5 = FloatVector.broadcast(S, 0.05f),
                a6 = FloatVector.broadcast(S, 0.06f), a7 = FloatVector.broadcast(S, 0.07f), a8 = FloatVector.broadcast(S, 0.08f),
                a9 = FloatVector.broadcast(S, 0.09f), a10 = FloatVector.broadcast(S, 0.10f), a11 = FloatVector.broadcast(S, 0.11f);
        for (int i = 0; i < iters; i++) {
            a0 = vm.fma(vc, a0);
            a1 = vm.fma(vc, a1);
            a2 = vm.fma(vc, a2);
            a3 = vm.fma(vc, a3);
            a4 = vm.fma(vc, a4);
            a5 = vm.fma(vc, a5);
            a6 = vm.fma(vc, a6);
            a7 = vm.fma(vc, a7);
            a8 = vm.fma(vc, a8);
            a9 = vm.fma(vc, a9);
            a10 = vm.fma(vc, a10);
            a11 = vm.fma(vc, a11);
        }
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Gets {@link #chains} compiled with its vectors in registers. Many short calls first, so that C2 compiles the
     * method from a whole invocation rather than on-stack-replacing the running loop, whose entry state carries
     * no exact vector types and can leave the vectors boxed (seen here: a boxed loop runs at ~1 GFLOP/s, allocating
     * a vector object per FMA). Then checks that a full-length call allocates nothing, trying for up to 10 s;
     * returns whether it got there.
     */
    private static boolean warmUp(float m, float c) {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime();
        for (int i = 0; i < 20_000; i++) sink += chains(m, c, 64);
        while (true) {
            long a0 = mx.getCurrentThreadAllocatedBytes();
            sink += chains(m, c, ITERS);
            if (mx.getCurrentThreadAllocatedBytes() - a0 < 4096 && System.nanoTime() - t0 > 200_000_000L) return true;
            if (System.nanoTime() - t0 > 10_000_000_000L) return false;
            for (int i = 0; i < 1000; i++) sink += chains(m, c, 64);
        }
    }

    static PeakFlops.Result measure(int threads, int trials, double seconds) throws InterruptedException {
        // m and c come from a volatile read so that the JIT cannot treat them as constants.
        sink = 0.999f;
        float m = sink, c = 0.001f;
        boolean compiled = warmUp(m, c);
        double flopsPerCall = 2.0 * CHAINS * S.length() * ITERS;
        double best = 0;
        for (int t = 0; t < trials; t++) {
            long[] calls = new long[threads], start = new long[threads], end = new long[threads];
            CyclicBarrier go = new CyclicBarrier(threads);
            Thread[] ts = new Thread[threads];
            long duration = (long) (seconds * 1e9);
            for (int k = 0; k < threads; k++) {
                int id = k;
                ts[k] = new Thread(() -> {
                    try {
                        go.await();
                    } catch (Exception e) {
                        throw new IllegalStateException("peak flops: threads failed to start together", e);
                    }
                    long t0 = System.nanoTime(), stop = t0 + duration, n = 0, now;
                    float acc = 0;
                    do {
                        acc += chains(m, c, ITERS);
                        n++;
                        now = System.nanoTime();
                    } while (now < stop);
                    sink += acc;
                    start[id] = t0;
                    end[id] = now;
                    calls[id] = n;
                }, "peak-flops-" + k);
                ts[k].start();
            }
            for (Thread th : ts) th.join();
            long first = Long.MAX_VALUE, last = Long.MIN_VALUE, total = 0;
            for (int k = 0; k < threads; k++) {
                first = Math.min(first, start[k]);
                last = Math.max(last, end[k]);
                total += calls[k];
            }
            best = Math.max(best, total * flopsPerCall / (last - first));
        }
        return new PeakFlops.Result(best, threads, S.length(), compiled);
    }
}
