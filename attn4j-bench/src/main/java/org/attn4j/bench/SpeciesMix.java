package org.attn4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.attn4j.kernels.Gemm;
import org.attn4j.kernels.VectorSupport;

/**
 * The reproduction of C2's slow compilations of attn4j's vector kernels when two vector shapes share the Vector
 * API's call profiles (see {@code ProfileWarmupVector} in attn4j-core): runs Vector API code on 256-bit vectors,
 * as attn4j's transposes and Winograd transforms do, then times sgemm (512-bit micro-kernels on AVX-512).
 * Meant for {@code BENCH_JAVA_OPTS=-XX:-TieredCompilation ./bench.sh species-mix}, where the interpreter records
 * every profile before C2 compiles anything, so the outcome is the same in every run; compare with
 * {@code -Dattn4j.vectorWarmup=false} added. No libtorch: this measures attn4j against itself.
 */
final class SpeciesMix {
    private SpeciesMix() {}

    static void run(String[] args) {
        int n = 512, reps = 200, threads = 1;
        boolean otherFirst = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--other-shape-first" -> otherFirst = true;
                default -> throw new IllegalArgumentException("species-mix: unknown option " + args[i]);
            }
        }
        // The 256-bit loop runs after attn4j's warm-up (as attn4j's own 256-bit code does), or with
        // --other-shape-first before attn4j is touched at all (a host program's own Vector API code).
        float sink = 0f;
        float[] x = new float[64];
        if (otherFirst) for (int it = 0; it < 20_000; it++) sink += otherShape(FloatVector.SPECIES_256, x);
        boolean enabled = VectorSupport.ENABLED;   // runs the warm-up, unless -Dattn4j.vectorWarmup=false
        BenchMain.setThreads(threads);
        if (!otherFirst) for (int it = 0; it < 20_000; it++) sink += otherShape(FloatVector.SPECIES_256, x);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
            b[i] = r.nextFloat() - 0.5f;
        }
        for (int rep = 0; rep < reps; rep++) Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);  // compile
        long[] ns = new long[reps];
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            ns[rep] = System.nanoTime() - t0;
        }
        double median = Interleaved.stats(ns).medianMs();
        System.out.printf("species-mix: Vector API %s, warm-up %s, 256-bit code run %s attn4j's start (checksum %s); "
                        + "sgemm %d x %d x %d on %d thread(s): median %.2f ms, %.1f GFLOP/s%n",
                enabled ? "on" : "off", System.getProperty("attn4j.vectorWarmup", "true"), otherFirst ? "before" : "after", Float.isNaN(sink) ? "NaN" : "ok",
                n, n, n, threads, median, 2.0 * n * n * n / median / 1e6);
    }

    /** Lane-wise work on another vector shape than the kernels' (here as in TransposeVector and the Winograd transforms). */
    private static float otherShape(VectorSpecies<Float> s, float[] x) {
        FloatVector acc = FloatVector.zero(s);
        for (int i = 0; i + s.length() <= x.length; i += s.length()) {
            FloatVector v = FloatVector.fromArray(s, x, i), w = FloatVector.broadcast(s, 0.5f);
            acc = v.fma(w, acc).add(v).mul(w).sub(v);
            acc.intoArray(x, i);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
