package org.attn4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.Random;
import org.attn4j.attention.ScaledDotProductAttention;
import org.attn4j.tensor.Tensor;

/**
 * One long-sequence attention forward, {@code [1, 1, N, d]}, in its own JVM so the heap limit applies to it
 * alone ({@link AttentionBench} starts it with {@code -Xmx1g}): {@code AttentionLong N d [reps] [jitSeconds]}.
 * Warms the kernel up at N = 2048 for {@code jitSeconds} (default 3), then times {@code reps} (default 2) forwards
 * at N and prints {@code RESULT medianMs minMs GFLOP/s reps heapPeakMiB}. The peak is the sum
 * of the heap pools' peak usage: q, k, v and the output are 4·N·d floats = 32 MiB at N = 32768, d = 64.
 */
public final class AttentionLong {
    private AttentionLong() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), d = Integer.parseInt(args[1]);
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        double jitSeconds = args.length > 3 ? Double.parseDouble(args[3]) : 3;
        if (reps < 1) throw new IllegalArgumentException("AttentionLong: reps must be >= 1, got " + reps);
        Random r = new Random(n);
        Tensor wq = randn(r, 2048, d), wk = randn(r, 2048, d), wv = randn(r, 2048, d);
        long until = System.nanoTime() + (long) (jitSeconds * 1e9);
        for (int i = 0; i < 3 || System.nanoTime() < until; i++) ScaledDotProductAttention.apply(wq, wk, wv);
        Tensor q = randn(r, n, d), k = randn(r, n, d), v = randn(r, n, d);
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) pool.resetPeakUsage();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            Tensor out = ScaledDotProductAttention.apply(q, k, v);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (out.numel() != n * d) throw new AssertionError("wrong output size");
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        Arrays.sort(ms);
        double flops = Flops.attentionForward(1, 1, n, d, false);
        double median = reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
        System.out.printf("RESULT %.1f %.1f %.1f %d %d%n", median, ms[0], flops / (median * 1e6), reps, peak >> 20);
    }

    private static Tensor randn(Random r, int n, int d) {
        float[] a = new float[n * d];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        return Tensor.of(a, 1, 1, n, d);
    }
}
