package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.attn4j.testing.AttentionGolden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link FlashAttentionVector} to the scalar reference {@link FlashAttention#forwardScalar} /
 * {@link FlashAttention#backwardScalar}, and both to a float64 golden ({@link AttentionGolden}), over random
 * problems: every mask kind and layout, causal, finite masked values, dropout, shared (broadcast) k/v blocks,
 * head dims that are and are not multiples of the vector length, and small block limits so that short
 * sequences still cross many blocks.
 *
 * <p>Tolerance: both kernels sum in float32, in different orders (the scalar one key by key, the vector one in
 * 6 x 4, 6 x 2 and 3 x 3 register tiles, with a different blocking of the online softmax), over at most ~160 terms per dot
 * product and ~100 keys per row; inputs are O(1) with scores up to ~5. The float32 rounding of such sums stays
 * below ~2e-6 relative to the sum of magnitudes; we allow {@code 1e-5 + 1e-4·|golden|} against the golden for
 * outputs and {@code 3e-5 + 3e-4·|golden|} for gradients (whose sums are longer: a key's gradient sums over all
 * rows, and dS is a difference of two such sums). The measured worst cases are printed with
 * {@code ATTN4J_REPORT_DIFFS=1}. Dropout's keep decisions are exact integer hashes, identical in both kernels.
 */
class FlashAttentionVectorTest {
    @BeforeAll
    static void needsTheIncubatorModule() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "FlashAttentionVector can only load with --add-modules jdk.incubator.vector");
    }

    private static final boolean REPORT = System.getenv("ATTN4J_REPORT_DIFFS") != null;
    private static final double OUT_ATOL = 1e-5, OUT_RTOL = 1e-4, GRAD_ATOL = 3e-5, GRAD_RTOL = 3e-4;

    private static float[] randn(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: O(1) values with tails.
            double u = r.nextDouble(1e-12, 1), w = r.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w));
        }
        return x;
    }

    /** One random configuration, its problem and the golden's inputs. */
    private record Case(String name, AttentionProblem p, AttentionGolden.Mask mask, boolean[] keep, float keepScale,
                        float[] qFull, float[] kFull, float[] vFull) {}

    private static Case randomCase(SplittableRandom r, int caseNo) {
        int[] dims = {1, 3, 8, 13, 16, 32, 33, 64, 80, 128, 160};
        int batch = 1 + r.nextInt(3);
        int l = 1 + r.nextInt(r.nextBoolean() ? 12 : 90), s = r.nextBoolean() ? l : 1 + r.nextInt(90);
        int e = dims[r.nextInt(dims.length)], ev = r.nextBoolean() ? e : dims[r.nextInt(dims.length)];
        float scale = r.nextBoolean() ? (float) (1 / Math.sqrt(e)) : (float) r.nextDouble(0.05, 0.5);
        boolean shareKv = batch > 1 && r.nextInt(4) == 0;   // k and v broadcast over the items
        float[] q = randn(r, batch * l * e), k = randn(r, (shareKv ? 1 : batch) * s * e), v = randn(r, (shareKv ? 1 : batch) * s * ev);
        int[] qOffs = new int[batch], kOffs = new int[batch], vOffs = new int[batch];
        for (int b = 0; b < batch; b++) {
            qOffs[b] = b * l * e;
            kOffs[b] = shareKv ? 0 : b * s * e;
            vOffs[b] = shareKv ? 0 : b * s * ev;
        }
        AttentionProblem p = AttentionProblem.of(batch, l, s, e, ev, q, qOffs, k, kOffs, v, vOffs, scale);
        int kind = r.nextInt(6);   // 0 none, 1 causal, 2 additive full, 3 additive key padding, 4 keep full, 5 keep key padding
        float mv = r.nextInt(4) == 0 ? -1e9f : Float.NEGATIVE_INFINITY;
        AttentionGolden.Mask mask = null;
        String name = "case " + caseNo + " batch=" + batch + " L=" + l + " S=" + s + " E=" + e + " Ev=" + ev + (shareKv ? " shared kv" : "");
        if (kind == 1) {
            p = p.withCausal(mv);
            name += " causal mv=" + mv;
        } else if (kind >= 2) {
            boolean add = kind <= 3, padding = kind == 3 || kind == 5;
            boolean shared = r.nextBoolean();                      // one mask block for all items
            int rs = padding ? 0 : s, block = padding ? s : l * s, blocks = shared ? 1 : batch;
            float[] m = new float[blocks * block];
            for (int i = 0; i < m.length; i++) {
                if (add) {
                    double u = r.nextDouble();
                    m[i] = u < 0.15 ? Float.NEGATIVE_INFINITY : (float) r.nextDouble(-2, 2);
                } else {
                    m[i] = r.nextDouble() < 0.8 ? 1f : 0f;
                }
            }
            // A fully masked row (or, for key padding, all keys masked) in some items.
            if (r.nextInt(3) == 0) {
                int row = padding ? 0 : r.nextInt(l) * s;
                for (int j = 0; j < s; j++) m[row + j] = add ? Float.NEGATIVE_INFINITY : 0f;
            }
            int[] offs = new int[batch];
            for (int b = 0; b < batch; b++) offs[b] = shared ? 0 : b * block;
            p = p.withMask(add ? AttentionProblem.MaskKind.ADD : AttentionProblem.MaskKind.KEEP, m, offs, rs, mv);
            mask = new AttentionGolden.Mask(add, m, offs, rs);
            name += (add ? " additive" : " keep") + (padding ? " key-padding" : " full") + (shared ? " shared" : "") + " mv=" + mv;
        }
        boolean[] keep = null;
        float keepScale = 1f;
        if (r.nextInt(4) == 0) {
            float dp = (float) r.nextDouble(0.05, 0.6);
            long seed = r.nextLong();
            p = p.withDropout(dp, seed);
            keep = AttentionDropout.keepMask(seed, dp, batch, l, s);
            keepScale = AttentionDropout.keepScale(dp);
            name += " dropout " + dp;
        }
        // The golden reads contiguous per-item blocks: expand shared k, v.
        float[] kFull = new float[batch * s * e], vFull = new float[batch * s * ev];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(k, kOffs[b], kFull, b * s * e, s * e);
            System.arraycopy(v, vOffs[b], vFull, b * s * ev, s * ev);
        }
        return new Case(name, p, mask, keep, keepScale, q, kFull, vFull);
    }

    private static void assertNear(String what, float[] actual, double[] golden, double atol, double rtol, double[] worst) {
        for (int i = 0; i < golden.length; i++) {
            double d = Math.abs(actual[i] - golden[i]);
            assertTrue(d <= atol + rtol * Math.abs(golden[i]),
                    what + " at " + i + ": " + actual[i] + " vs golden " + golden[i] + " (diff " + d + ")");
            worst[0] = Math.max(worst[0], d / (1 + Math.abs(golden[i])));
        }
    }

    private static void assertAllNear(String what, float[] actual, double[] golden, double[] worst) {
        assertNear(what, actual, golden, GRAD_ATOL, GRAD_RTOL, worst);
    }

    @Test
    void vectorAndScalarKernelsMatchTheFloat64Golden() {
        SplittableRandom r = new SplittableRandom(20250601);
        // {query block, key block}: the defaults, then small blocks that cross often.
        int[][] blockLimits = {{FlashAttentionVector.BR_MAX, FlashAttentionVector.BC_MAX}, {8, 8}, {16, 24}};
        double[] worstOut = {0}, worstGrad = {0};
        for (int n = 0; n < 40; n++) {
            Case c = randomCase(r, n);
            AttentionProblem p = c.p();
            int b = p.batch, l = p.l, s = p.s, e = p.e, ev = p.ev;
            float[] dOut = randn(r, b * l * ev);
            var gold = AttentionGolden.compute(b, l, s, e, ev, c.qFull(), c.kFull(), c.vFull(), p.scale, c.mask(),
                    p.causal, p.maskedValue, c.keep(), c.keepScale(), dOut);
            int[] lim = blockLimits[n % blockLimits.length];
            String at = c.name() + " blocks " + Arrays.toString(lim);

            float[] outS = new float[b * l * ev], lseS = new float[2 * b * l], outV = new float[b * l * ev], lseV = new float[2 * b * l];
            FlashAttention.forwardScalar(p, outS, lseS);
            FlashAttentionVector.forward(p, outV, lseV, lim[0], lim[1]);
            assertNear(at + ": scalar output", outS, gold.out(), OUT_ATOL, OUT_RTOL, worstOut);
            assertNear(at + ": vector output", outV, gold.out(), OUT_ATOL, OUT_RTOL, worstOut);
            for (int i = 0; i < b * l; i++) {
                float ls = FlashAttention.logSumExp(lseS, i), lv = FlashAttention.logSumExp(lseV, i);
                assertEquals(ls == Float.NEGATIVE_INFINITY, lv == Float.NEGATIVE_INFINITY, at + ": fully masked rows agree at " + i);
                if (ls != Float.NEGATIVE_INFINITY) assertEquals(ls, lv, 1e-5 * (1 + Math.abs(ls)), at + ": log-sum-exp " + i);
            }

            boolean maskGrad = c.mask() != null && c.mask().additive();
            float[][] gS = grads(p, maskGrad), gV = grads(p, maskGrad);
            FlashAttention.backwardScalar(p, outS, lseS, dOut, gS[0], gS[1], gS[2], gS[3]);
            FlashAttentionVector.backward(p, outV, lseV, dOut, gV[0], gV[1], gV[2], gV[3], lim[0], lim[1]);
            double[][] golds = {gold.dq(), gold.dk(), gold.dv(), gold.dMask()};
            String[] names = {"dq", "dk", "dv", "dMask"};
            for (int t = 0; t < 4; t++) {
                if (golds[t] == null) continue;
                // The kernels give per-item dk, dv; the golden's are per item too (k, v expanded).
                assertAllNear(at + ": scalar " + names[t], gS[t], golds[t], worstGrad);
                assertAllNear(at + ": vector " + names[t], gV[t], golds[t], worstGrad);
            }
        }
        if (REPORT) System.out.printf("FlashAttentionVectorTest: worst |x - golden| / (1 + |golden|): output %.2e, gradients %.2e%n",
                worstOut[0], worstGrad[0]);
    }

    private static float[][] grads(AttentionProblem p, boolean maskGrad) {
        return new float[][] {new float[p.batch * p.l * p.e], new float[p.batch * p.s * p.e], new float[p.batch * p.s * p.ev],
                maskGrad ? new float[p.maskLength()] : null};
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        // No sum is split across threads: 1 and 2 threads give the same bits, forward and backward, in both
        // backward schedules (one pass over many items, two passes over few) and with a shared-mask gradient.
        SplittableRandom r = new SplittableRandom(5);
        int threads = Parallel.threads();
        try {
            for (int batch : new int[] {2, 12}) {
                int l = 70, s = 90, e = 24;
                float[] q = randn(r, batch * l * e), k = randn(r, batch * s * e), v = randn(r, batch * s * e);
                int[] qo = new int[batch], ko = new int[batch], mo = new int[batch];
                for (int b = 0; b < batch; b++) {
                    qo[b] = b * l * e;
                    ko[b] = b * s * e;
                    mo[b] = (b % 3) * l * s;                         // three mask blocks shared by the items
                }
                AttentionProblem p = AttentionProblem.of(batch, l, s, e, e, q, qo, k, ko, v, ko, 0.2f)
                        .withMask(AttentionProblem.MaskKind.ADD, randn(r, 3 * l * s), mo, s, Float.NEGATIVE_INFINITY);
                float[] dOut = randn(r, batch * l * e);
                float[][][] res = new float[2][][];
                for (int t = 1; t <= 2; t++) {
                    Parallel.setThreads(t);
                    float[] out = new float[batch * l * e], st = new float[2 * batch * l];
                    FlashAttentionVector.forward(p, out, st, 16, 32);
                    float[][] g = grads(p, true);
                    FlashAttentionVector.backward(p, out, st, dOut, g[0], g[1], g[2], g[3], 16, 32);
                    float[][] g2 = grads(p, false);
                    FlashAttentionVector.backward(p, out, st, dOut, g2[0], g2[1], g2[2], null, 16, 32);
                    res[t - 1] = new float[][] {out, st, g[0], g[1], g[2], g[3], g2[0], g2[1], g2[2]};
                }
                for (int i = 0; i < res[0].length; i++) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(res[0][i], res[1][i], "batch " + batch + ", result " + i);
                }
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    @Test
    void fullyMaskedRowsGiveZerosNotNaN() {
        // Item 0 row 1 sees no key; every key of item 1 is padded out.
        int l = 3, s = 4, e = 8;
        SplittableRandom r = new SplittableRandom(3);
        float[] q = randn(r, 2 * l * e), k = randn(r, 2 * s * e), v = randn(r, 2 * s * e);
        float[] keep = new float[2 * l * s];
        Arrays.fill(keep, 1f);
        for (int j = 0; j < s; j++) keep[s + j] = 0f;
        Arrays.fill(keep, l * s, 2 * l * s, 0f);
        AttentionProblem p = AttentionProblem.of(2, l, s, e, e, q, new int[] {0, l * e}, k, new int[] {0, s * e}, v,
                new int[] {0, s * e}, 0.35f).withMask(AttentionProblem.MaskKind.KEEP, keep, new int[] {0, l * s}, s,
                Float.NEGATIVE_INFINITY);
        float[] out = new float[2 * l * e], lse = new float[2 * 2 * l];
        Arrays.fill(out, Float.NaN);
        FlashAttention.forward(p, out, lse);
        float[] dOut = randn(r, out.length);
        float[][] g = grads(p, false);
        FlashAttention.backward(p, out, lse, dOut, g[0], g[1], g[2], null);
        for (int c = 0; c < e; c++) {
            assertEquals(0f, out[e + c], "masked row of item 0 is zero");
            for (int i = 0; i < l; i++) assertEquals(0f, out[(l + i) * e + c], "every row of item 1 is zero");
        }
        assertEquals(Float.NEGATIVE_INFINITY, FlashAttention.logSumExp(lse, 1));
        for (float[] x : new float[][] {out, g[0], g[1], g[2]}) for (float y : x) assertTrue(Float.isFinite(y));
        for (int c = 0; c < e; c++) assertEquals(0f, g[0][e + c], "no gradient reaches the masked query");
        for (int i = l * e; i < 2 * l * e; i++) assertEquals(0f, g[0][i]);
        for (int i = s * e; i < 2 * s * e; i++) assertEquals(0f, g[1][i]);
    }

    /**
     * The small products on their own, against a float64 product, for every register-tile path: 1 to 9 vectors of
     * columns (pairs, quads on AVX-512, the 3 x 3 and single-vector tails), 1 to 14 rows (partial tiles), A read
     * row-major ({@code mmp}) or in lane groups ({@code mmg}, straddling groups), B panels read from a row offset,
     * and each store mode. Tolerance: a float32 sum of {@code depth} products errs by at most
     * {@code depth·2⁻²⁴·Σ|a·b|} (plus one rounding of the added C), so we allow twice that.
     */
    @Test
    void smallProductsMatchAFloat64ProductInEveryTileShape() {
        int vl = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        SplittableRandom r = new SplittableRandom(77);
        for (int vecs = 1; vecs <= 9; vecs++) {
            for (int rows : new int[] {1, 5, 6, 7, 12, 14}) {
                int cols = vecs * vl, depth = 1 + r.nextInt(40), t0 = r.nextInt(3), bDepth = t0 + depth + r.nextInt(2);
                float[] m = randn(r, bDepth * cols);                       // B's source rows, [bDepth x cols]
                float[] panels = new float[bDepth * cols];
                FlashAttentionVector.packPanels(m, 0, cols, 1, bDepth, cols, cols, 1f, panels, 0);
                for (int mode = 0; mode < 3; mode++) {
                    String at = "vectors " + vecs + " rows " + rows + " depth " + depth + " mode " + mode;
                    float[] rowScale = randn(r, rows);
                    // Row-major A (mmp: SET and ADD).
                    if (mode < 2) {
                        int ars = depth + 3, aOff = 2;
                        float[] a = randn(r, aOff + rows * ars);
                        float[] c = randn(r, rows * cols), c0 = c.clone();
                        FlashAttentionVector.mmp(rows, cols, depth, a, aOff, ars, panels, 0, bDepth, t0, c, 0, cols, vl, mode);
                        checkProduct("mmp " + at, rows, cols, depth, (i, p) -> a[aOff + i * ars + p], m, t0, c0, c, mode, null);
                    }
                    // A in lane groups (mmg: SET, ADD, SCALE).
                    int aGroup = depth * vl + vl, aOff = 3;
                    float[] ag = randn(r, aOff + ((rows + vl - 1) / vl) * aGroup);
                    float[] c = randn(r, rows * cols), c0 = c.clone();
                    FlashAttentionVector.mmg(rows, cols, depth, ag, aOff, aGroup, panels, 0, bDepth, t0, c, 0, cols, mode, rowScale);
                    checkProduct("mmg " + at, rows, cols, depth, (i, p) -> ag[aOff + (i / vl) * aGroup + p * vl + i % vl], m, t0,
                            c0, c, mode, rowScale);
                }
            }
        }
    }

    private interface MatrixA {
        float at(int row, int p);
    }

    /** {@code c} must be {@code A·B} (SET), {@code c0 + A·B} (ADD) or {@code c0·rowScale + A·B} (SCALE) within the bound above. */
    private static void checkProduct(String what, int rows, int cols, int depth, MatrixA a, float[] b, int t0,
                                     float[] c0, float[] c, int mode, float[] rowScale) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double sum = 0, mag = 0;
                for (int p = 0; p < depth; p++) {
                    double t = (double) a.at(i, p) * b[(t0 + p) * cols + j];
                    sum += t;
                    mag += Math.abs(t);
                }
                double before = mode == 0 ? 0 : mode == 1 ? c0[i * cols + j] : (double) c0[i * cols + j] * rowScale[i];
                double want = before + sum;
                double bound = 2 * (depth * Math.ulp(1f) / 2 * mag + Math.ulp((float) Math.abs(want)) + Math.ulp((float) Math.abs(before)));
                assertTrue(Math.abs(c[i * cols + j] - want) <= bound,
                        what + ": C[" + i + ", " + j + "] = " + c[i * cols + j] + ", want " + want + " within " + bound);
            }
        }
    }
}
