package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.attn4j.kernels.Gemm;
import org.attn4j.kernels.Parallel;

/**
 * sgemm throughput, attn4j {@link Gemm#sgemm} against libtorch {@code matmul} (through DJL, engine
 * "PyTorch"), square {@code N x N x N} float32 products, both measured interleaved in the same run
 * (see {@link Interleaved}). Prints per N the median and min time of each side, GFLOP/s
 * ({@link Flops#gemm}, {@code 2 N^3 / time}) and the ratio attn4j/libtorch (lower is better; below 1 attn4j is faster).
 *
 * <p>Run it through {@code ./bench.sh gemm [--threads T] [--sizes 256,512,1024,2048]} at the repository
 * root. DJL must stay offline: the launching command must {@code export DJL_OFFLINE=true} and pass
 * {@code -Dai.djl.offline=true} (bench.sh does both; {@link BenchMain} also sets the property before any
 * DJL class loads, and refuses to start without the environment variable). {@code --threads} sets both
 * attn4j's pool and libtorch's intra-op threads (default: attn4j's {@link Parallel#threads()} and the
 * {@code ai.djl.pytorch.num_threads} property bench.sh passes, 2).
 *
 * <p>On a machine shared with other busy processes, {@code BENCH_JAVA_OPTS=-Dbench.cputime=true ./bench.sh
 * gemm --threads 1} times each rep by the calling thread's CPU time instead of wall time (both sides
 * then run on that thread), which leaves out the time the thread was not scheduled.
 *
 * <p>libtorch's time covers only the {@code matMul} call (its result stays in native memory and is
 * freed outside the timed region); attn4j's covers the {@code sgemm} call writing into a Java array.
 */
final class GemmBench {
    private GemmBench() {}

    static void run(String[] args) throws Exception {
        int[] sizes = {256, 512, 1024, 2048};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> BenchMain.setThreads(Integer.parseInt(args[++i]));
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("gemm bench: unknown option '" + args[i] + "'");
            }
        }
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf("sgemm C = A*B, float32, N x N x N; attn4j threads %d, libtorch %s threads %s (interleaved reps)%n",
                Parallel.threads(), engine.getVersion(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
        System.out.printf("%6s %5s | %22s %8s | %22s %8s | %12s%n", "N", "reps", "attn4j median/min ms", "GFLOP/s",
                "libtorch median/min ms", "GFLOP/s", "ratio med/min");
        try (NDManager base = engine.newBaseManager()) {
            for (int n : sizes) {
                CaseResult c = measure(base, n, 0, Double.NaN);
                Interleaved.Stats a = c.attn4j(), t = c.libtorch();
                System.out.printf("%6d %5d | %10.3f / %9.3f %8.1f | %10.3f / %9.3f %8.1f | %5.2f / %4.2f   (%s)%n",
                        n, c.reps(), a.medianMs(), a.minMs(), c.gflops(), t.medianMs(), t.minMs(), t.gflops(c.flops(), true),
                        c.ratio(), a.minMs() / t.minMs(), c.check());
            }
        }
    }

    /**
     * Times {@code N x N x N} sgemm on both sides, interleaved, and checks the products agree. {@code reps} 0
     * picks about 1.5 s per side (at least 7 reps, for a stable median); {@code target} is the ratio the caller
     * holds the result to (NaN: none, see {@link CaseResult}).
     */
    static CaseResult measure(NDManager base, int n, int reps, double target) throws Exception {
        Random r = new Random(n);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
            b[i] = r.nextFloat() - 0.5f;
        }
        double flops = Flops.gemm(n);
        // About 1.5 s per side at ~60 GFLOP/s, at least 7 reps for a stable median.
        if (reps <= 0) reps = (int) Math.max(7, Math.min(301, 1.5 / (flops / 60e9)));
        int warmup = Math.max(3, reps / 5);
        try (NDManager sub = base.newSubManager()) {
            NDArray ta = sub.create(a, new Shape(n, n));
            NDArray tb = sub.create(b, new Shape(n, n));
            Interleaved.Stats[] s = Interleaved.run(warmup, reps,
                    () -> {
                        long t0 = Interleaved.now();
                        Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
                        return Interleaved.now() - t0;
                    },
                    () -> {
                        try (NDManager rep = sub.newSubManager()) {
                            long t0 = Interleaved.now();
                            NDArray tc = ta.matMul(tb);
                            long t = Interleaved.now() - t0;
                            tc.attach(rep);
                            return t;
                        }
                    });
            // The two must agree, or the comparison is meaningless.
            float[] ref;
            try (NDManager check = sub.newSubManager()) {
                NDArray tc = ta.matMul(tb);
                tc.attach(check);
                ref = tc.toFloatArray();
            }
            return new CaseResult("sgemm N=" + n, reps, s[0], s[1], flops, target,
                    String.format("max |diff| %.1e", Compare.maxAbsDiff(c, ref)));
        }
    }
}
