package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.AttentionGolden;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * The fused path of {@link ScaledDotProductAttention} ({@link FusedAttention}: one autograd op over the
 * FlashAttention kernel) against the composed path and against libtorch composing the same ops, all three
 * measured against a float64 golden computed here ({@link AttentionGolden}), forward and every input gradient.
 *
 * <p>Tolerance, PyTorch's rule for its fused SDPA kernels (test_transformers.py): the fused result's error
 * against the float64 golden may be at most {@code max(atol, 5 · e_ref)}, where e_ref is the error of the
 * float32 composed path (the math reference) against the same golden — a fused kernel must be about as accurate
 * as the reference it replaces, whatever the shapes. atol = 1e-5 (torch.testing's float32 default) covers the
 * cases where the composed path happens to be nearly exact. The same rule also holds our composed path to
 * libtorch's. Worst errors are printed with {@code ATTN4J_REPORT_DIFFS=1}.
 */
class FusedAttentionTest {
    private static final boolean REPORT = System.getenv("ATTN4J_REPORT_DIFFS") != null;
    private static final double ATOL = 1e-5, FUDGE = 5;

    /** One configuration: inputs (leaves), options, and how libtorch should mask. */
    private record Config(String name, Tensor q, Tensor k, Tensor v, Tensor mask, Options o, long dropoutSeed) {}

    private static Tensor randn(SplittableRandom r, int... shape) {
        float[] x = new float[Shape.numel(shape)];
        for (int i = 0; i < x.length; i++) {
            double u = r.nextDouble(1e-12, 1), w = r.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w));
        }
        return Tensor.of(x, shape);
    }

    private static Config randomConfig(SplittableRandom r, int n) {
        int[] lens = {1, 2, 7, 16, 31, 64, 97, 130}, dims = {1, 4, 8, 17, 32, 64, 80, 128, 160};
        int b = 1 + r.nextInt(2), h = 1 + r.nextInt(3);
        int l = lens[r.nextInt(lens.length)], s = r.nextInt(3) == 0 ? l : lens[r.nextInt(lens.length)];
        int e = dims[r.nextInt(dims.length)], ev = r.nextBoolean() ? e : dims[r.nextInt(dims.length)];
        boolean sharedKv = r.nextInt(4) == 0;                   // k, v [1, H, S, .]: broadcast over the batch
        Tensor q = randn(r, b, h, l, e), k = randn(r, sharedKv ? 1 : b, h, s, e), v = randn(r, sharedKv ? 1 : b, h, s, ev);
        Options o = Options.none();
        if (r.nextInt(3) == 0) o = o.withScale(r.nextDouble(0.05, 0.6));
        String name = "config " + n + ": q " + Shape.str(q.shape()) + " k " + Shape.str(k.shape()) + " v " + Shape.str(v.shape());
        Tensor mask = null;
        switch (r.nextInt(8)) {
            case 0 -> { }
            case 1 -> {
                o = o.causal();
                name += " causal";
            }
            case 2 -> mask = bools(r, 0.8, l, s);                                   // bool [L, S], broadcast over B, H
            case 3 -> mask = bools(r, 0.8, b, 1, l, s);                             // bool per batch
            case 4 -> mask = bools(r, 0.7, b, 1, 1, s);                             // bool key padding
            case 5 -> mask = randn(r, h, l, s);                                     // float bias [H, L, S], learnable
            case 6 -> {                                                             // float key padding: 0 / -inf
                float[] m = new float[b * s];
                for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() < 0.3 ? Float.NEGATIVE_INFINITY : 0f;
                mask = Tensor.of(m, b, 1, 1, s);
            }
            default -> {                                                            // float [1, 1, L, S] with -inf
                float[] m = randn(r, l, s).toFloatArray();
                for (int i = 0; i < m.length; i++) if (r.nextDouble() < 0.2) m[i] = Float.NEGATIVE_INFINITY;
                mask = Tensor.of(m, 1, 1, l, s);
            }
        }
        if (mask != null) {
            // Some configurations get one query row that sees no key at all.
            if (mask.dim() >= 2 && mask.size(-2) == l && r.nextInt(3) == 0) {
                float[] m = mask.toFloatArray();
                int row = r.nextInt(l);
                for (int j = 0; j < s; j++) m[row * s + j] = mask.dtype() == DType.BOOL ? 0f : Float.NEGATIVE_INFINITY;
                mask = Tensor.of(m, mask.shape()).withDType(mask.dtype());
                name += " (a fully masked row)";
            }
            name += (mask.dtype() == DType.BOOL ? " bool mask " : " float mask ") + Shape.str(mask.shape());
            if (mask.dtype() != DType.BOOL && mask.size(0) == h && mask.dim() == 3) mask.requiresGrad(true);
        }
        if ((o.isCausal() || (mask != null && mask.dtype() == DType.BOOL)) && r.nextInt(4) == 0) {
            o = o.withMaskedValue(-1e9f);
            name += " masked value -1e9";
        }
        long dropoutSeed = 0;
        if (r.nextInt(5) == 0) {
            dropoutSeed = r.nextLong();
            double p = r.nextDouble(0.1, 0.5);
            o = o.withDropout(p, true, null);
            name += " dropout " + (float) p;
        }
        q.requiresGrad(true);
        k.requiresGrad(true);
        v.requiresGrad(true);
        return new Config(name, q, k, v, mask, o, dropoutSeed);
    }

    private static Tensor bools(SplittableRandom r, double pTrue, int... shape) {
        boolean[] x = new boolean[Shape.numel(shape)];
        for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() < pTrue;
        return Tensor.ofBooleans(x, shape);
    }

    @Test
    void randomConfigurationsMatchTheGoldenAsWellAsTheComposedPathAndLibtorch() {
        SplittableRandom r = new SplittableRandom(42);
        List<Config> configs = new ArrayList<>();
        for (int n = 0; n < 36; n++) configs.add(randomConfig(r, n));
        // A few long sequences: one head, the sizes where flash-style tiling crosses many blocks.
        configs.add(new Config("long: N=2048, d=64", randn(r, 1, 1, 2048, 64).requiresGrad(true),
                randn(r, 1, 1, 2048, 64).requiresGrad(true), randn(r, 1, 1, 2048, 64).requiresGrad(true), null, Options.none(), 0));
        configs.add(new Config("long causal: L=600, S=1100, d=40", randn(r, 1, 1, 600, 40).requiresGrad(true),
                randn(r, 1, 1, 1100, 40).requiresGrad(true), randn(r, 1, 1, 1100, 24).requiresGrad(true), null,
                Options.none().causal(), 0));
        double[] worst = new double[3];
        for (Config c : configs) check(c, worst);
        if (REPORT) System.out.printf("FusedAttentionTest: worst error vs float64 golden: fused %.2e, composed %.2e, libtorch %.2e%n",
                worst[0], worst[1], worst[2]);
    }

    /** Runs the three implementations on one configuration and applies the rule to output and gradients. */
    private static void check(Config c, double[] worst) {
        int[] batch = Shape.broadcast("test", Shape.broadcast("test", lead(c.q()), lead(c.k())), lead(c.v()));
        int nb = Shape.numel(batch), l = c.q().size(-2), s = c.k().size(-2), e = c.q().size(-1), ev = c.v().size(-1);
        Options o = c.o();
        boolean dropout = o.dropoutP() > 0 && o.training();
        SplittableRandom r = new SplittableRandom(nb * 1000L + l * 31L + s);
        Tensor dOut = randn(r, withLast2(batch, l, ev));
        double scale = o.scale() != null ? o.scale() : 1 / Math.sqrt(e);

        // The golden, on every operand expanded to one block per (batch, head) item.
        boolean[] keep = null;
        if (dropout) {
            keep = toBooleans(ScaledDotProductAttention.dropoutKeepMask(new Generator(c.dropoutSeed()), o.dropoutP(),
                    withLast2(batch, l, s)));
        }
        AttentionGolden.Mask gm = null;
        if (c.mask() != null) {
            int[] offs = new int[nb];
            for (int b = 0; b < nb; b++) offs[b] = b * l * s;
            gm = new AttentionGolden.Mask(c.mask().dtype() != DType.BOOL, expand(c.mask(), withLast2(batch, l, s)), offs, s);
        }
        var gold = AttentionGolden.compute(nb, l, s, e, ev, expand(c.q(), withLast2(batch, l, e)),
                expand(c.k(), withLast2(batch, s, e)), expand(c.v(), withLast2(batch, s, ev)), scale, gm, o.isCausal(),
                o.maskedValue(), keep, 1 / (1 - o.dropoutP()), dOut.toFloatArray());
        List<double[]> golds = new ArrayList<>(List.of(gold.out(), reduce(gold.dq(), withLast2(batch, l, e), c.q().shape()),
                reduce(gold.dk(), withLast2(batch, s, e), c.k().shape()), reduce(gold.dv(), withLast2(batch, s, ev), c.v().shape())));
        boolean maskGrad = c.mask() != null && c.mask().requiresGrad();
        if (maskGrad) golds.add(reduce(gold.dMask(), withLast2(batch, l, s), c.mask().shape()));

        List<float[]> fused = ours(c, dOut, true), composed = ours(c, dOut, false), torch = libtorch(c, dOut, batch, scale);
        String[] names = {"output", "dq", "dk", "dv", "dmask"};
        for (int t = 0; t < golds.size(); t++) {
            double eF = AttentionGolden.maxError(fused.get(t), golds.get(t));
            double eC = AttentionGolden.maxError(composed.get(t), golds.get(t));
            double eT = AttentionGolden.maxError(torch.get(t), golds.get(t));
            worst[0] = Math.max(worst[0], eF);
            worst[1] = Math.max(worst[1], eC);
            worst[2] = Math.max(worst[2], eT);
            String at = c.name() + ", " + names[t] + ": error vs float64 golden fused " + eF + ", composed " + eC + ", libtorch " + eT;
            assertTrue(eF <= Math.max(ATOL, FUDGE * eC), at + " (fused must be within max(atol, 5 x composed))");
            assertTrue(eC <= Math.max(ATOL, FUDGE * eT), at + " (composed must be within max(atol, 5 x libtorch))");
            // The oracle itself must be sane, or the bound above says nothing (a freed DJL scalar once gave 9e35).
            assertTrue(eT <= 1e-3, at + " (libtorch far from the float64 golden: the oracle's own computation is broken)");
        }
    }

    /** Output and gradients (q, k, v, then the float mask if it requires grad) of the fused or composed path. */
    private static List<float[]> ours(Config c, Tensor dOut, boolean fused) {
        Tensor q = leaf(c.q()), k = leaf(c.k()), v = leaf(c.v()), mask = c.mask() == null ? null : leaf(c.mask());
        Options o = c.o();
        if (mask != null) o = o.withMask(mask);
        if (o.dropoutP() > 0) o = o.withDropout(o.dropoutP(), o.training(), new Generator(c.dropoutSeed()));
        Tensor out = fused ? ScaledDotProductAttention.compute(q, k, v, o, false).output()
                : ScaledDotProductAttention.composed(q, k, v, o, false).output();
        out.backward(dOut);
        List<float[]> res = new ArrayList<>(List.of(out.toFloatArray(), q.grad().toFloatArray(), k.grad().toFloatArray(),
                v.grad().toFloatArray()));
        if (mask != null && mask.requiresGrad()) res.add(mask.grad().toFloatArray());
        return res;
    }

    private static Tensor leaf(Tensor t) {
        Tensor d = t.detach();
        return t.requiresGrad() ? d.requiresGrad(true) : d;
    }

    /** libtorch composing PyTorch's math SDPA (and the same dropout mask, multiplied in). */
    private static List<float[]> libtorch(Config c, Tensor dOut, int[] batch, double scale) {
        List<Tensor> inputs = new ArrayList<>(List.of(c.q(), c.k(), c.v()));
        boolean floatMask = c.mask() != null && c.mask().dtype() != DType.BOOL;
        if (c.mask() != null) inputs.add(c.mask());
        Options o = c.o();
        int l = c.q().size(-2), s = c.k().size(-2);
        Tensor factor = null;
        if (o.dropoutP() > 0 && o.training()) {
            float[] f = ScaledDotProductAttention.dropoutKeepMask(new Generator(c.dropoutSeed()), o.dropoutP(),
                    withLast2(batch, l, s)).toFloatArray();
            float keepScale = 1f / (float) (1.0 - o.dropoutP());
            for (int i = 0; i < f.length; i++) f[i] *= keepScale;
            factor = Tensor.of(f, withLast2(batch, l, s));
        }
        Tensor drop = factor;
        Tensor causal = o.isCausal() ? ScaledDotProductAttention.causalMask(l, s) : null;
        var res = Torch.run(inputs, t -> {
            NDArray keepNd = c.mask() != null && !floatMask ? t.get(3) : causal != null ? Torch.nd(t.get(0).getManager(), causal) : null;
            // The scale as a tensor of the scope: mul(float) frees DJL's scalar while autograd keeps it (Torch.scalar).
            NDArray qk = t.get(0).matMul(TorchAttention.mT(t.get(1)));
            NDArray scores = qk.mul(Torch.scalar(qk, scale));
            if (floatMask) scores = scores.add(t.get(3));
            if (keepNd != null) scores = TorchAttention.maskedFill(scores, keepNd.logicalNot(), o.maskedValue());
            NDArray w = TorchAttention.safeSoftmax(scores);
            if (drop != null) w = w.mul(Torch.nd(t.get(0).getManager(), drop));
            return w.matMul(t.get(2));
        }, dOut);
        List<float[]> out = new ArrayList<>(List.of(res.output().toFloatArray()));
        for (int i = 0; i < 3; i++) out.add(res.grads().get(i).toFloatArray());
        if (c.mask() != null && c.mask().requiresGrad()) out.add(res.grads().get(3).toFloatArray());
        return out;
    }

    @Test
    void dropoutOnTheFusedPathAppliesTheMaskTheComposedPathMaterialises() {
        SplittableRandom r = new SplittableRandom(7);
        Tensor q = randn(r, 2, 3, 37, 16), k = randn(r, 2, 3, 45, 16), v = randn(r, 2, 3, 45, 8);
        double p = 0.3;
        Options o = Options.none().withDropout(p, true, new Generator(11));
        Tensor fused = ScaledDotProductAttention.compute(q, k, v, o, false).output();
        var composed = ScaledDotProductAttention.compute(q, k, v, Options.none().withDropout(p, true, new Generator(11)), true);
        // The composed path's weights are the plain ones times the materialised mask / (1 - p)...
        Tensor plain = ScaledDotProductAttention.composed(q, k, v, Options.none(), true).weights();
        Tensor keep = ScaledDotProductAttention.dropoutKeepMask(new Generator(11), p, 2, 3, 37, 45);
        float[] pw = plain.toFloatArray(), dw = composed.weights().toFloatArray(), km = keep.toFloatArray();
        int kept = 0;
        for (int i = 0; i < pw.length; i++) {
            assertEquals(km[i] != 0 ? pw[i] * (float) (1 / (1 - p)) : 0f, dw[i], 1e-6f, "weight " + i);
            if (km[i] != 0) kept++;
        }
        assertTrue(Math.abs(kept / (double) pw.length - (1 - p)) < 0.03, "about 70% kept, got " + kept + " of " + pw.length);
        // ...and the fused path, which never stores the mask, applies the same one. Float32 sums in different
        // orders over 45 keys: 2e-6 absolute on O(1) outputs.
        Assertions2.assertClose("fused = composed with the same dropout mask", composed.output(), fused, 2e-6, 1e-5);
        // Evaluation mode: no dropout at all.
        Tensor eval = ScaledDotProductAttention.compute(q, k, v, Options.none().withDropout(p, false, new Generator(11)), false).output();
        Assertions2.assertClose("eval", ScaledDotProductAttention.apply(q, k, v), eval, 0, 0);
    }

    @Test
    void fullyMaskedRowsAreZeroWithZeroGradientsOnTheFusedPath() {
        SplittableRandom r = new SplittableRandom(8);
        Tensor q = randn(r, 2, 5, 8).requiresGrad(true), k = randn(r, 2, 6, 8).requiresGrad(true), v = randn(r, 2, 6, 4).requiresGrad(true);
        boolean[] keep = new boolean[5 * 6];
        for (int i = 0; i < keep.length; i++) keep[i] = i / 6 != 3 && (i % 6) != 2;    // query 3 sees nothing
        Tensor out = ScaledDotProductAttention.compute(q, k, v, Options.none().withMask(Tensor.ofBooleans(keep, 5, 6)), false).output();
        out.backward(Tensor.onesLike(out));
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 4; c++) assertEquals(0f, out.get(b, 3, c));
            for (int c = 0; c < 8; c++) assertEquals(0f, q.grad().get(b, 3, c));
            for (int c = 0; c < 8; c++) assertEquals(0f, k.grad().get(b, 2, c), "a key no query sees gets no gradient");
        }
        for (Tensor t : List.of(out, q.grad(), k.grad(), v.grad())) {
            for (float x : t.toFloatArray()) assertTrue(Float.isFinite(x), "never NaN");
        }
    }

    /**
     * The float arrays allocated outside thread-local buffers — every large one — while {@code work} runs, from
     * JFR's {@code jdk.ObjectAllocationOutsideTLAB} events: {max size, total} in bytes. (Counting all allocated
     * bytes would not do: until C2 compiles the kernel, the Vector API boxes every vector, megabytes of
     * short-lived garbage that says nothing about the algorithm's memory.)
     */
    private static long[] largeFloatArrays(Runnable work) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("fused-attention", ".jfr");
        try (jdk.jfr.Recording rec = new jdk.jfr.Recording()) {
            rec.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
            rec.start();
            work.run();
            rec.stop();
            rec.dump(file);
            long max = 0, total = 0;
            for (jdk.jfr.consumer.RecordedEvent ev : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
                if (!"[F".equals(ev.getClass("objectClass").getName())) continue;      // the JVM's name of float[]
                long size = ev.getLong("allocationSize");
                max = Math.max(max, size);
                total += size;
            }
            return new long[] {max, total};
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void theFusedPathAllocatesOrderNTimesDNotNSquared() throws Exception {
        SplittableRandom r = new SplittableRandom(9);
        // The instrument first: the composed path at N = 1024 must show its N x N scores (4 MiB each).
        int n0 = 1024;
        Tensor q0 = randn(r, 1, 1, n0, 64), k0 = randn(r, 1, 1, n0, 64), v0 = randn(r, 1, 1, n0, 64);
        long[] composed = largeFloatArrays(() -> ScaledDotProductAttention.composed(q0, k0, v0, Options.none(), false));
        assertTrue(composed[0] >= 4L * n0 * n0, "the composed path's largest float[] is " + composed[0] + " bytes");

        // N = 4096, one head, d = 64, causal forward and backward: one N x N float matrix would be 64 MiB.
        int n = 4096, d = 64;
        Tensor q = randn(r, 1, 1, n, d).requiresGrad(true), k = randn(r, 1, 1, n, d).requiresGrad(true);
        Tensor v = randn(r, 1, 1, n, d).requiresGrad(true), dOut = randn(r, 1, 1, n, d);
        Tensor[] out = new Tensor[1];
        long[] fused = largeFloatArrays(() -> {
            out[0] = ScaledDotProductAttention.compute(q, k, v, Options.none().causal(), false).output();
            out[0].backward(dOut);
        });
        // O(N·d): the output, gradients, per-thread panels of V, and one item's packed Q, dO, K in the backward are
        // each at most N·d floats (1 MiB); together about a dozen. Bounds: no array above 2 N·d floats, 32 N·d in
        // all — half of one N x N matrix.
        long perArray = 2L * n * d * Float.BYTES, inAll = 32L * n * d * Float.BYTES;
        if (REPORT) System.out.printf("FusedAttentionTest: N=%d forward+backward: largest float[] %d bytes, large float[]s %d bytes "
                + "(N^2 floats: %d)%n", n, fused[0], fused[1], 4L * n * n);
        assertTrue(fused[0] <= perArray, "largest float[] of the fused path at N=" + n + ": " + fused[0] + " bytes");
        assertTrue(fused[1] <= inAll, "large float[]s of the fused path at N=" + n + ": " + fused[1] + " bytes in all");
        for (Tensor t : List.of(out[0], q.grad(), k.grad(), v.grad())) assertTrue(Float.isFinite(t.toFloatArray()[0]));
    }

    // ---------------------------------------------------------------- helpers

    private static int[] lead(Tensor t) {
        return Arrays.copyOf(t.shape(), t.dim() - 2);
    }

    private static int[] withLast2(int[] batch, int a, int b) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = a;
        s[batch.length + 1] = b;
        return s;
    }

    /** {@code t} broadcast to {@code shape} (leading dims added as needed), as a row-major copy. */
    private static float[] expand(Tensor t, int[] shape) {
        int[] padded = new int[shape.length];
        Arrays.fill(padded, 1);
        System.arraycopy(t.shape(), 0, padded, shape.length - t.dim(), t.dim());
        return t.detach().reshape(padded).expand(shape).toFloatArray();
    }

    /** The float64 gradient of a broadcast operand: {@code full} (of {@code fullShape}) summed to {@code shape}. */
    private static double[] reduce(double[] full, int[] fullShape, int[] shape) {
        int rank = fullShape.length, pad = rank - shape.length;
        int[] strides = new int[rank];
        for (int d = rank - 1, st = 1; d >= 0; d--) {
            int size = d - pad >= 0 ? shape[d - pad] : 1;
            strides[d] = size == 1 ? 0 : st;
            st *= size;
        }
        double[] out = new double[Shape.numel(shape)];
        int[] idx = new int[rank];
        for (int i = 0; i < full.length; i++) {
            int o = 0;
            for (int d = 0; d < rank; d++) o += idx[d] * strides[d];
            out[o] += full[i];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < fullShape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    private static boolean[] toBooleans(Tensor t) {
        float[] f = t.toFloatArray();
        boolean[] b = new boolean[f.length];
        for (int i = 0; i < f.length; i++) b[i] = f[i] != 0;
        return b;
    }
}
