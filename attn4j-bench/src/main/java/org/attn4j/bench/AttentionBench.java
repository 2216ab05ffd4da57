package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.attn4j.attention.ScaledDotProductAttention;
import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.kernels.Parallel;
import org.attn4j.tensor.Tensor;

/**
 * Attention, {@code softmax(q kᵀ / √d) v} on {@code [B, H, N, d]} float32: attn4j's
 * {@link ScaledDotProductAttention#compute} without weights (the fused FlashAttention kernel) against libtorch
 * composing the same from DJL ops ({@code matMul}, {@code softmax}, {@code matMul}; causal as an additive -inf
 * mask), the way PyTorch's math backend and the reference code of the attention papers do. Both sides run
 * interleaved in the same process ({@link Interleaved}); the table gives the median and min of each, GFLOP/s
 * (forward {@code 4·B·H·N²·d}, causal counting only the {@code N(N+1)/2} visible pairs; forward + backward three
 * times the forward, the usual convention: the backward's four products, no recomputation counted), the
 * share of the 231 GFLOP/s two-core peak of shared/ANCHORS.md, and the ratio attn4j/libtorch.
 *
 * <p>The last row, N = 32768 with one head, runs in a child JVM limited to {@code -Xmx1g}: the fused kernel
 * needs O(N·d) memory, where the composed path's score matrix alone is N² floats = 4 GiB (libtorch is not run
 * there). Run it with {@code ./bench.sh attention [--threads T] [--reps R] [--no-long]}.
 */
final class AttentionBench {
    private AttentionBench() {}

    /** ANCHORS.md: FMA-loop peak of the two cores. */
    private static final double PEAK = 231;

    private record Case(String name, int b, int h, int n, int d, boolean causal, boolean backward, String target) {
        double flops() {
            double pairs = causal ? n * (n + 1.0) / 2 : (double) n * n;
            return (backward ? 3 : 1) * 4.0 * b * h * pairs * d;
        }
    }

    static void run(String[] args) throws Exception {
        int reps = 7;
        boolean longCase = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> {
                    int t = Integer.parseInt(args[++i]);
                    Parallel.setThreads(t);
                    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(t));
                }
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--no-long" -> longCase = false;
                default -> throw new IllegalArgumentException("attention bench: unknown option '" + args[i] + "'");
            }
        }
        List<Case> cases = List.of(
                new Case("forward", 8, 12, 197, 64, false, false, "0.6"),
                new Case("forward+backward", 8, 12, 197, 64, false, true, "0.8"),
                new Case("forward", 1, 12, 1024, 64, false, false, "0.6"),
                new Case("forward causal", 1, 12, 4096, 64, true, false, "0.5"));
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf("attention softmax(q k^T / sqrt(d)) v, float32 [B, H, N, d]; attn4j fused (threads %d) vs libtorch %s composed "
                + "(threads %s); interleaved reps, median / min%n", Parallel.threads(), engine.getVersion(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"));
        String head = String.format("%-17s %-22s %4s | %19s %7s %5s | %19s %7s | %11s %6s",
                "benchmark", "B H N d", "reps", "attn4j med/min ms", "GFLOP/s", "%peak", "libtorch med/min ms", "GFLOP/s",
                "ratio med", "target");
        System.out.println(head);
        System.out.println("-".repeat(head.length()));
        try (NDManager base = engine.newBaseManager()) {
            for (Case c : cases) measure(base, c, c.n >= 2048 ? Math.max(3, reps / 2) : reps);
        }
        if (longCase) runLong();
    }

    private static void measure(NDManager base, Case c, int reps) throws Exception {
        int[] shape = {c.b, c.h, c.n, c.d};
        Random r = new Random(c.n * 31L + c.b);
        float[] qd = randn(r, shape), kd = randn(r, shape), vd = randn(r, shape);
        Tensor q = Tensor.of(qd, shape), k = Tensor.of(kd, shape), v = Tensor.of(vd, shape);
        Options o = c.causal ? Options.none().causal() : Options.none();
        float scale = (float) (1 / Math.sqrt(c.d));
        try (NDManager sub = base.newSubManager()) {
            Shape s = new Shape(c.b, c.h, c.n, c.d);
            NDArray tq = sub.create(qd, s), tk = sub.create(kd, s), tv = sub.create(vd, s);
            NDArray causalMask = null;
            if (c.causal) {
                float[] m = new float[c.n * c.n];
                for (int i = 0; i < c.n; i++) for (int j = i + 1; j < c.n; j++) m[i * c.n + j] = Float.NEGATIVE_INFINITY;
                causalMask = sub.create(m, new Shape(c.n, c.n));
            }
            if (c.backward) {
                tq.setRequiresGradient(true);
                tk.setRequiresGradient(true);
                tv.setRequiresGradient(true);
            }
            NDArray mask = causalMask;
            Interleaved.Timed ours = () -> {
                long t0 = Interleaved.now();
                if (c.backward) {
                    Tensor lq = q.detach().requiresGrad(true), lk = k.detach().requiresGrad(true), lv = v.detach().requiresGrad(true);
                    Tensor out = ScaledDotProductAttention.compute(lq, lk, lv, o, false).output();
                    out.backward(Tensor.onesLike(out));
                } else {
                    ScaledDotProductAttention.compute(q, k, v, o, false).output();
                }
                return Interleaved.now() - t0;
            };
            Interleaved.Timed torch = () -> {
                try (NDManager rep = sub.newSubManager()) {
                    long t0 = Interleaved.now();
                    if (c.backward) {
                        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                            gc.backward(torchAttention(tq, tk, tv, mask, scale, rep));
                        }
                    } else {
                        torchAttention(tq, tk, tv, mask, scale, rep);
                    }
                    return Interleaved.now() - t0;
                }
            };
            // The JIT needs a few seconds (more on a loaded machine) before the kernel runs compiled.
            long until = System.nanoTime() + 4_000_000_000L;
            for (int i = 0; i < 3 || System.nanoTime() < until; i++) ours.runNanos();
            Interleaved.Stats[] st = Interleaved.run(2, reps, ours, torch);
            // The two must agree, or the comparison is meaningless.
            float[] mine = ScaledDotProductAttention.compute(q, k, v, o, false).output().toFloatArray();
            float[] ref;
            try (NDManager check = sub.newSubManager()) {
                ref = torchAttention(tq, tk, tv, mask, scale, check).toFloatArray();
            }
            double maxDiff = 0;
            for (int i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - mine[i]));
            double f = c.flops();
            System.out.printf("%-17s %-22s %4d | %8.2f / %8.2f %7.1f %4.0f%% | %8.2f / %8.2f %7.1f | %5.2f/%4.2f %6s  (max |diff| %.1e)%n",
                    c.name, c.b + " " + c.h + " " + c.n + " " + c.d, reps, st[0].medianMs(), st[0].minMs(), st[0].gflops(f, true),
                    100 * st[0].gflops(f, true) / PEAK, st[1].medianMs(), st[1].minMs(), st[1].gflops(f, true),
                    st[0].medianMs() / st[1].medianMs(), st[0].minMs() / st[1].minMs(), "<=" + c.target, maxDiff);
        }
    }

    /** libtorch's composed attention; every intermediate is attached to {@code rep} so it is freed with it. */
    private static NDArray torchAttention(NDArray q, NDArray k, NDArray v, NDArray causalMask, float scale, NDManager rep) {
        NDArray s = q.matMul(k.swapAxes(-1, -2));
        s.attach(rep);
        NDArray scaled = s.mul(scale);
        scaled.attach(rep);
        if (causalMask != null) {
            scaled = scaled.add(causalMask);
            scaled.attach(rep);
        }
        NDArray w = scaled.softmax(-1);
        w.attach(rep);
        NDArray out = w.matMul(v);
        out.attach(rep);
        return out;
    }

    private static float[] randn(Random r, int[] shape) {
        int n = 1;
        for (int x : shape) n *= x;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** N = 32768, one head, in a child JVM with -Xmx1g ({@link AttentionLong}); its result line joins the table. */
    private static void runLong() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-Dattn4j.threads=" + Parallel.threads(), "-cp", System.getProperty("java.class.path"),
                AttentionLong.class.getName(), "32768", "64"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String line, result = null;
        StringBuilder all = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            while ((line = in.readLine()) != null) {
                all.append(line).append('\n');
                if (line.startsWith("RESULT ")) result = line;
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || result == null) {
            System.out.printf("%-17s %-22s      | failed in -Xmx1g (exit %d):%n%s", "forward -Xmx1g", "1 1 32768 64", rc, all);
            return;
        }
        String[] f = result.split(" ");
        double med = Double.parseDouble(f[1]), min = Double.parseDouble(f[2]), gflops = Double.parseDouble(f[3]);
        System.out.printf("%-17s %-22s %4s | %8.0f / %8.0f %7.1f %4.0f%% | %19s %7s | %11s %6s  (heap peak %s MiB of -Xmx1g)%n",
                "forward -Xmx1g", "1 1 32768 64", f[4], med, min, gflops, 100 * gflops / PEAK,
                "n/a: N² scores 4 GiB", "", "", "done", f[5]);
    }
}
