package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
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
 * ({@link Flops#attentionForward}, {@link Flops#attentionForwardBackward}), the share of the 231 GFLOP/s
 * two-core peak of shared/ANCHORS.md, and the ratio attn4j/libtorch.
 *
 * <p>The last row, N = 32768 with one head, runs in a child JVM limited to {@code -Xmx1g}: the fused kernel
 * needs O(N·d) memory, where the composed path's score matrix alone is N² floats = 4 GiB (libtorch is not run
 * there). Run it with {@code ./bench.sh attention [--threads T] [--reps R] [--no-long]}; {@code ./bench.sh suite}
 * runs the same cases through {@link #measure} and {@link #runLong}.
 */
final class AttentionBench {
    private AttentionBench() {}

    /** ANCHORS.md: FMA-loop peak of the two cores. */
    static final double PEAK = 231;

    /** One attention case; {@code target} is the largest ratio attn4j/libtorch the issue allows. */
    record Case(String name, int b, int h, int n, int d, boolean causal, boolean backward, double target) {
        double flops() {
            return backward ? Flops.attentionForwardBackward(b, h, n, d, causal) : Flops.attentionForward(b, h, n, d, causal);
        }

        String shape() {
            return "B=" + b + " H=" + h + " N=" + n + " d=" + d;
        }

        /** The row's name in the suite's table. */
        String label() {
            return "attention " + (backward ? "fwd+bwd " : "fwd ") + (causal ? "causal " : "") + shape();
        }
    }

    /** The N = 32768 row's name. */
    static final String LONG_LABEL = "attention fwd B=1 H=1 N=32768 d=64 in -Xmx1g";

    /** The cases of issue 6 that libtorch runs too, with their targets. */
    static List<Case> cases() {
        return List.of(
                new Case("forward", 8, 12, 197, 64, false, false, 0.6),
                new Case("forward+backward", 8, 12, 197, 64, false, true, 0.8),
                new Case("forward", 1, 12, 1024, 64, false, false, 0.6),
                new Case("forward causal", 1, 12, 4096, 64, true, false, 0.5));
    }

    /** The reps a case gets when the command asks for {@code reps}: fewer for the long causal one. */
    static int repsFor(Case c, int reps) {
        return c.n >= 2048 ? Math.max(Math.min(reps, 3), reps / 2) : reps;
    }

    static void run(String[] args) throws Exception {
        int reps = 7;
        boolean longCase = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> BenchMain.setThreads(Integer.parseInt(args[++i]));
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--no-long" -> longCase = false;
                default -> throw new IllegalArgumentException("attention bench: unknown option '" + args[i] + "'");
            }
        }
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
            for (Case c : cases()) {
                CaseResult r = measure(base, c, repsFor(c, reps), 4);
                Interleaved.Stats a = r.attn4j(), t = r.libtorch();
                System.out.printf("%-17s %-22s %4d | %8.2f / %8.2f %7.1f %4.0f%% | %8.2f / %8.2f %7.1f | %5.2f/%4.2f %6s  (%s)%n",
                        c.name, c.b + " " + c.h + " " + c.n + " " + c.d, r.reps(), a.medianMs(), a.minMs(), r.gflops(),
                        100 * r.gflops() / PEAK, t.medianMs(), t.minMs(), t.gflops(r.flops(), true),
                        r.ratio(), a.minMs() / t.minMs(), "<=" + c.target, r.check());
            }
        }
        if (longCase) {
            CaseResult r = runLong(2, 3);
            if (r.attn4j() == null) {
                System.out.printf("%-17s %-22s      | failed in -Xmx1g: %s%n", "forward -Xmx1g", "1 1 32768 64", r.check());
            } else {
                System.out.printf("%-17s %-22s %4d | %8.0f / %8.0f %7.1f %4.0f%% | %19s %7s | %11s %6s  (%s)%n",
                        "forward -Xmx1g", "1 1 32768 64", r.reps(), r.attn4j().medianMs(), r.attn4j().minMs(), r.gflops(),
                        100 * r.gflops() / PEAK, "n/a: N² scores 4 GiB", "", "", "done", r.check());
            }
        }
    }

    /**
     * Times case {@code c}, attn4j and libtorch interleaved, {@code reps} timed reps each after attn4j's kernel has
     * run for {@code jitSeconds} (the JIT needs a few seconds, more on a loaded machine, before it runs compiled),
     * and checks that both sides agree: the output, and with backward also the gradients of q, k and v.
     */
    static CaseResult measure(NDManager base, Case c, int reps, double jitSeconds) throws Exception {
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
            long until = System.nanoTime() + (long) (jitSeconds * 1e9);
            for (int i = 0; i < 3 || System.nanoTime() < until; i++) ours.runNanos();
            Interleaved.Stats[] st = Interleaved.run(2, reps, ours, torch);
            String check = check(c, q, k, v, o, tq, tk, tv, mask, scale, sub);
            return new CaseResult(c.label(), reps, st[0], st[1], c.flops(), c.target, check);
        }
    }

    /** The two must agree, or the comparison is meaningless: the output and, with backward, dq, dk, dv (ones upstream). */
    private static String check(Case c, Tensor q, Tensor k, Tensor v, Options o, NDArray tq, NDArray tk, NDArray tv,
                                NDArray mask, float scale, NDManager sub) {
        Tensor lq = q.detach().requiresGrad(c.backward), lk = k.detach().requiresGrad(c.backward);
        Tensor lv = v.detach().requiresGrad(c.backward);
        Tensor out = ScaledDotProductAttention.compute(lq, lk, lv, o, false).output();
        if (c.backward) out.backward(Tensor.onesLike(out));
        try (NDManager check = sub.newSubManager()) {
            double outDiff;
            if (!c.backward) {
                float[] ref = torchAttention(tq, tk, tv, mask, scale, check).toFloatArray();
                return String.format("max |diff| %.1e", Compare.maxAbsDiff(out.toFloatArray(), ref));
            }
            for (NDArray t : new NDArray[] {tq, tk, tv}) JniUtils.zeroGrad((PtNDArray) t);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray ref = torchAttention(tq, tk, tv, mask, scale, check);
                outDiff = Compare.maxAbsDiff(out.toFloatArray(), ref.toFloatArray());
                gc.backward(ref);
            }
            double gradDiff = 0;
            Tensor[] ours = {lq, lk, lv};
            NDArray[] theirs = {tq, tk, tv};
            for (int i = 0; i < 3; i++) {
                try (NDArray g = theirs[i].getGradient()) {
                    gradDiff = Math.max(gradDiff, Compare.maxAbsDiff(ours[i].grad().toFloatArray(), g.toFloatArray()));
                }
            }
            return String.format("max |diff| out %.1e, dq/dk/dv %.1e", outDiff, gradDiff);
        }
    }

    /**
     * libtorch's composed attention; every intermediate is attached to {@code rep} so it is freed with it. The scale
     * is a tensor in {@code rep}, not {@code mul(float)}: DJL makes that float a tensor over a direct buffer and
     * closes it as soon as the product is made, but autograd saves it for the backward, which then reads memory the
     * JVM may have freed and reused (dq and dk came out as garbage now and then when a GC ran in between).
     */
    private static NDArray torchAttention(NDArray q, NDArray k, NDArray v, NDArray causalMask, float scale, NDManager rep) {
        NDArray s = q.matMul(k.swapAxes(-1, -2));
        s.attach(rep);
        NDArray scaled = s.mul(rep.create(scale));
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

    /**
     * N = 32768, one head, d = 64: one forward in a child JVM with -Xmx1g ({@link AttentionLong}), {@code reps}
     * timed reps after {@code jitSeconds} of warm-up at N = 2048. libtorch is not run: its composed path's score
     * matrix alone is N² floats = 4 GiB. A failure (out of memory, say) comes back with a null attn4j and the
     * child's output in {@code check}.
     */
    static CaseResult runLong(int reps, double jitSeconds) throws Exception {
        int n = 32768, d = 64;
        String name = LONG_LABEL;
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-Dattn4j.threads=" + Parallel.threads(), "-cp", System.getProperty("java.class.path"),
                AttentionLong.class.getName(), Integer.toString(n), Integer.toString(d), Integer.toString(reps),
                Double.toString(jitSeconds)));
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
        double flops = Flops.attentionForward(1, 1, n, d, false);
        if (rc != 0 || result == null) {
            return new CaseResult(name, reps, null, null, flops, Double.NaN,
                    "child JVM exit " + rc + ": " + all.toString().strip().replace('\n', ' '));
        }
        String[] f = result.split(" ");
        Interleaved.Stats st = new Interleaved.Stats(Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        return new CaseResult(name, Integer.parseInt(f[4]), st, null, flops, Double.NaN,
                "heap peak " + f[5] + " MiB of -Xmx1g; libtorch n/a: its N² scores are 4 GiB");
    }
}
