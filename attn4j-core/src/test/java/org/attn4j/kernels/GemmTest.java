package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link Gemm}, {@link GemmScalar} and {@link GemmVector} (all three micro-tiles, threaded and not) to a
 * float64 golden product computed here.
 *
 * <p>Tolerance: each element of a float32 GEMM is a length-k dot product, one scaling by alpha and one
 * {@code + beta*c}. Whatever the summation order or blocking (and FMA only removes roundings), the classic
 * bound (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1) is
 * {@code |computed - exact| <= gamma(k+2) * (|alpha| * sum_p |a_ip||b_pj| + |beta| * |c_ij|)} with
 * {@code gamma(n) = n*u / (1 - n*u)}, {@code u = 2^-24}. This is a worst case, not a fudge factor, so it is
 * checked as is per element: the error bound grows with k and with the magnitudes that actually meet,
 * and cancellation cannot hide a wrong index (a misplaced element is off by O(1), not by O(k*u)).
 */
class GemmTest {
    private static final double U = Math.ulp(1.0f) / 2; // 2^-24, float32 unit roundoff

    /** Which implementation a check runs. */
    private enum Impl { DISPATCH, SCALAR, VECTOR3, VECTOR6, VECTOR12, VECTOR3_SERIAL, VECTOR6_SERIAL, VECTOR12_SERIAL }

    /** One problem: sizes, layout, scalars, and the arrays with their padding. */
    private record Case(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        @Override
        public String toString() {
            return "transA=" + transA + " transB=" + transB + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha
                    + " beta=" + beta + " aOff=" + aOff + " lda=" + lda + " bOff=" + bOff + " ldb=" + ldb
                    + " cOff=" + cOff + " ldc=" + ldc;
        }
    }

    private static Case randomCase(Random r, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   float beta, boolean nanC) {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + r.nextInt(4), ldb = bCols + r.nextInt(4), ldc = n + r.nextInt(4);
        int aOff = r.nextInt(8), bOff = r.nextInt(8), cOff = r.nextInt(8);
        float[] a = filled(r, aOff + aRows * lda + 3);
        float[] b = filled(r, bOff + bRows * ldb + 3);
        float[] c = filled(r, cOff + m * ldc + 3);
        if (nanC) {
            for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, Float.NaN);
        }
        return new Case(transA, transB, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    private static float[] filled(Random r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }

    private static void run(Impl impl, Case t, float[] c) {
        switch (impl) {
            case DISPATCH -> Gemm.sgemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb,
                    t.beta, c, t.cOff, t.ldc);
            case SCALAR -> GemmScalar.sgemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb,
                    t.beta, c, t.cOff, t.ldc);
            case VECTOR3, VECTOR6, VECTOR12, VECTOR3_SERIAL, VECTOR6_SERIAL, VECTOR12_SERIAL -> GemmVector.sgemm(t.transA,
                    t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, c, t.cOff, t.ldc,
                    switch (impl) {
                        case VECTOR3, VECTOR3_SERIAL -> 3;
                        case VECTOR6, VECTOR6_SERIAL -> 6;
                        default -> 12;
                    },
                    impl == Impl.VECTOR3 || impl == Impl.VECTOR6 || impl == Impl.VECTOR12);
        }
    }

    /** The float64 product {@code want[i*n + j]} and its allowed error {@code tol[i*n + j]}. */
    private record Golden(double[] want, double[] tol) {}

    private static Golden golden(Case t) {
        double[] want = new double[t.m * t.n], tol = new double[t.m * t.n];
        double g = (t.k + 2) * U / (1 - (t.k + 2) * U);
        for (int i = 0; i < t.m; i++) {
            for (int j = 0; j < t.n; j++) {
                double dot = 0, mag = 0;
                for (int p = 0; p < t.k; p++) {
                    double av = t.transA ? t.a[t.aOff + p * t.lda + i] : t.a[t.aOff + i * t.lda + p];
                    double bv = t.transB ? t.b[t.bOff + j * t.ldb + p] : t.b[t.bOff + p * t.ldb + j];
                    dot += av * bv;
                    mag += Math.abs(av * bv);
                }
                double old = t.beta == 0 ? 0 : t.c[t.cOff + i * t.ldc + j];
                want[i * t.n + j] = t.alpha * dot + t.beta * old;
                tol[i * t.n + j] = g * (Math.abs(t.alpha) * mag + Math.abs(t.beta * old));
            }
        }
        return new Golden(want, tol);
    }

    private static float[] check(Impl impl, Case t) {
        return check(impl, t, golden(t));
    }

    /**
     * Runs {@code impl} on a copy of C, checks every element against the float64 golden and that nothing
     * outside the C block changed; returns the result.
     */
    private static float[] check(Impl impl, Case t, Golden g) {
        float[] c = t.c.clone();
        run(impl, t, c);
        float[] result = c.clone();
        for (int i = 0; i < t.m; i++) {
            for (int j = 0; j < t.n; j++) {
                int ci = t.cOff + i * t.ldc + j;
                double want = g.want[i * t.n + j], tol = g.tol[i * t.n + j], got = c[ci];
                if (!(Math.abs(got - want) <= tol)) {
                    fail(impl + " " + t + ": C(" + i + "," + j + ") = " + got + ", want " + want + " +- " + tol);
                }
                c[ci] = t.c[ci]; // restore, so the untouched-elsewhere check below can compare whole arrays
            }
        }
        assertArrayEquals(t.c, c, impl + " " + t + ": wrote outside the C block");
        return result;
    }

    /** Every implementation on one case, against one golden. */
    private static void checkAll(Case t) {
        Golden g = golden(t);
        for (Impl impl : impls()) check(impl, t, g);
    }

    private static Impl[] impls() {
        return VectorSupport.ENABLED ? Impl.values() : new Impl[] {Impl.DISPATCH, Impl.SCALAR};
    }

    /** Random shapes 1..300 with odd sizes, all transposition combos, padded leading dims and offsets. */
    @Test
    void randomShapesMatchFloat64Golden() {
        Random r = new Random(20240611);
        float[] alphas = {1f, -0.5f, 2.25f};
        float[] betas = {0f, 1f, -1.5f, 0.3f};
        for (int iter = 0; iter < 100; iter++) {
            // Mostly small and odd sizes (all the edge paths), some up to 300 (several MC blocks, threads).
            int big = iter % 10 == 0 ? 300 : 40;
            int m = 1 + r.nextInt(big), n = 1 + r.nextInt(big), k = 1 + r.nextInt(big);
            float beta = betas[r.nextInt(betas.length)];
            Case t = randomCase(r, r.nextBoolean(), r.nextBoolean(), m, n, k, alphas[r.nextInt(alphas.length)], beta,
                    beta == 0f && r.nextBoolean());
            checkAll(t);
        }
    }

    /** Sizes around the vector width, the tile sizes and the K blocking for every transposition. */
    @Test
    void edgeSizesAllTranspositions() {
        Random r = new Random(7);
        int[] sizes = {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 23, 24, 25, 49};
        for (int tr = 0; tr < 4; tr++) {
            boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
            for (int m : sizes) {
                int n = sizes[r.nextInt(sizes.length)], k = sizes[r.nextInt(sizes.length)];
                Case t = randomCase(r, ta, tb, m, n, k, 1f, 0f, false);
                checkAll(t);
            }
            // K across a packing block boundary, with accumulation onto C in later blocks.
            Case deep = randomCase(r, ta, tb, 13, 29, GemmVector.KC + 37, 0.75f, 0.5f, false);
            checkAll(deep);
        }
    }

    /** Wider than one packed B block (NC columns) and taller than one packed A block (MC rows). */
    @Test
    void largerThanOneBlock() {
        assumeTrue(VectorSupport.ENABLED);
        Random r = new Random(11);
        Case wide = randomCase(r, false, true, 5, GemmVector.NC + GemmVector.NR + 3, 7, 1f, 1f, false);
        // Tall enough for the 12-row tile, across its narrower B blocks (NC/NR panels of two vectors) and NC itself.
        Case wideTiled = randomCase(r, false, false, 29, GemmVector.NC + GemmVector.NR + 3, 11, 1f, 0f, false);
        Case tall = randomCase(r, true, false, GemmVector.MR * GemmVector.MC_PANELS * 2 + 5, 30, 9, -1f, 0f, true);
        // A stored [m, k], taller than two packed A blocks, over two K blocks (later ones add onto C), a partial last tile.
        Case tallDeep = randomCase(r, false, false, GemmVector.MR * GemmVector.MC_PANELS * 2 + 5, 30, GemmVector.KC + 11,
                1f, 0.5f, false);
        checkAll(wide);
        checkAll(wideTiled);
        checkAll(tall);
        checkAll(tallDeep);
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        Random r = new Random(3);
        for (int tr = 0; tr < 4; tr++) {
            Case t = randomCase(r, (tr & 1) != 0, (tr & 2) != 0, 37, 41, 19, 1f, 0f, true);
            Golden g = golden(t);
            for (Impl impl : impls()) {
                float[] c = check(impl, t, g);
                for (int i = 0; i < t.m; i++) {
                    for (int j = 0; j < t.n; j++) assertTrue(Float.isFinite(c[t.cOff + i * t.ldc + j]), impl + " " + t);
                }
            }
        }
    }

    /** alpha = 0 and k = 0 only scale C (beta = 0 clears it), and never read A or B: NaN there stays out. */
    @Test
    void alphaZeroAndEmptyKOnlyScaleC() {
        Random r = new Random(5);
        for (int k : new int[] {0, 6}) {
            for (float beta : new float[] {0f, 2f}) {
                Case t = randomCase(r, false, false, 33, 35, k, k == 0 ? 1f : 0f, beta, false);
                Arrays.fill(t.a, Float.NaN);
                Arrays.fill(t.b, Float.NaN);
                for (Impl impl : impls()) {
                    float[] c = t.c.clone();
                    run(impl, t, c);
                    for (int i = 0; i < t.m; i++) {
                        for (int j = 0; j < t.n; j++) {
                            int ci = t.cOff + i * t.ldc + j;
                            assertEquals(beta * t.c[ci], c[ci], 0f, impl + " " + t);
                        }
                    }
                }
            }
        }
    }

    /**
     * Threads only split the packing and C into pieces, each element is computed the same way: bitwise
     * equal to one thread, including when the B block is packed by several threads.
     */
    @Test
    void threadedEqualsSerialBitwise() {
        assumeTrue(VectorSupport.ENABLED);
        int saved = Parallel.threads();
        Parallel.setThreads(Math.max(2, saved));
        try {
            Random r = new Random(13);
            Case rows = randomCase(r, false, true, 290, 130, 300, 1f, 0.5f, false);
            Case cols = randomCase(r, true, false, 20, 290, 280, 1f, 0f, false);
            // Deep and wide enough that the B block is packed by several threads, ending in a partial panel.
            Case packedTogether = randomCase(r, false, false, 7, 90 * GemmVector.NR + 5, GemmVector.KC, 1f, 0f, false);
            check(Impl.VECTOR3, packedTogether);
            check(Impl.VECTOR6, packedTogether);
            for (Case t : new Case[] {rows, cols, packedTogether}) {
                float[] par = t.c.clone(), ser = t.c.clone();
                run(Impl.VECTOR3, t, par);
                run(Impl.VECTOR3_SERIAL, t, ser);
                assertArrayEquals(ser, par, t.toString());
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /**
     * With few rows of A against many columns, threads split B's panels and each keeps all of A packed for its
     * next tasks: several A blocks and K blocks against the float64 golden, then a product whose second column
     * block switches to the row split, and a second call after A changed (nothing packed may carry over),
     * bitwise equal to one thread.
     */
    @Test
    void panelSplitKeepsEachThreadsPackedA() {
        assumeTrue(VectorSupport.ENABLED);
        int saved = Parallel.threads();
        Parallel.setThreads(2);
        try {
            Random r = new Random(17);
            for (boolean transA : new boolean[] {false, true}) {
                Case t = randomCase(r, transA, !transA, 200, 260, GemmVector.KC + 40, 1f, 0f, false);
                check(Impl.VECTOR3, t);
                check(Impl.VECTOR6, t);
            }
            Case wide = randomCase(r, false, true, 200, GemmVector.NC + 2 * GemmVector.NR + 5, 300, 1f, 0f, false);
            for (Impl[] pair : new Impl[][] {{Impl.VECTOR3, Impl.VECTOR3_SERIAL}, {Impl.VECTOR6, Impl.VECTOR6_SERIAL}}) {
                for (int call = 0; call < 2; call++) {
                    if (call == 1) for (int i = 0; i < wide.a.length; i++) wide.a[i] = -wide.a[i] * 0.5f;
                    float[] par = wide.c.clone(), ser = wide.c.clone();
                    run(pair[0], wide, par);
                    run(pair[1], wide, ser);
                    assertArrayEquals(ser, par, pair[0] + " call " + call + " " + wide);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /**
     * {@code Aᵀ B} with more rows than columns is computed turned around, as {@code (Bᵀ A)ᵀ}
     * (GemmVector.swappedTN); each element still sums the same products in the same order, so it is bitwise the
     * transpose of the product asked for the other way round (which takes the direct path), over several K blocks,
     * partial tiles and both thread counts.
     */
    @Test
    void transposedAProductIsBitwiseTheTransposeOfItsMirror() {
        assumeTrue(VectorSupport.ENABLED);
        int saved = Parallel.threads();
        try {
            Random r = new Random(17);
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int[] mnk : new int[][] {{288, 96, 700}, {50, 13, GemmVector.KC + 37}, {97, 31, 5}}) {
                    int m = mnk[0], n = mnk[1], k = mnk[2];
                    float[] a = filled(r, k * m), b = filled(r, k * n);  // A [k, m], B [k, n]
                    float[] c = new float[m * n], mirror = new float[n * m];
                    Gemm.sgemm(true, false, m, n, k, 0.75f, a, 0, m, b, 0, n, 0f, c, 0, n);
                    Gemm.sgemm(true, false, n, m, k, 0.75f, b, 0, n, a, 0, m, 0f, mirror, 0, m);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            assertEquals(Float.floatToIntBits(mirror[j * m + i]), Float.floatToIntBits(c[i * n + j]),
                                    "C(" + i + "," + j + ") of " + m + " x " + n + " x " + k + " on " + threads + " threads");
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /**
     * The 12 x 2 tile sums each element's products in the same order as the 6 x 3 one (one fma chain over k per
     * K block, K blocks in order), so the tile a product happens to get never changes its bits.
     */
    @Test
    void everyTileGivesTheSameBits() {
        assumeTrue(VectorSupport.ENABLED);
        Random r = new Random(23);
        for (int[] mnk : new int[][] {{197, 768, 64}, {50, 70, GemmVector.KC + 37}, {13, 33, 5}, {300, 100, 300}}) {
            for (int tr = 0; tr < 4; tr++) {
                Case t = randomCase(r, (tr & 1) != 0, (tr & 2) != 0, mnk[0], mnk[1], mnk[2], 1f, tr == 3 ? 0.5f : 0f, false);
                float[] c6 = t.c.clone(), c12 = t.c.clone();
                run(Impl.VECTOR6, t, c6);
                run(Impl.VECTOR12, t, c12);
                for (int i = 0; i < c6.length; i++) {
                    assertEquals(Float.floatToIntBits(c6[i]), Float.floatToIntBits(c12[i]), "element " + i + " of " + t);
                }
            }
        }
    }

    /** Batched: each item matches the single product, with a broadcast (repeated) B and both split strategies. */
    @Test
    void batchedMatchesSingleProducts() {
        Random r = new Random(17);
        for (int batch : new int[] {1, 3, 24}) {
            for (int[] mnk : new int[][] {{3, 4, 5}, {37, 29, 64}}) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                boolean ta = r.nextBoolean(), tb = r.nextBoolean();
                int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 1;
                int aSize = (ta ? k : m) * lda, bSize = (tb ? n : k) * ldb, cSize = m * ldc;
                float[] a = filled(r, batch * aSize + 5), b = filled(r, 2 * bSize + 5), c = filled(r, batch * cSize + 5);
                int[] aOffs = new int[batch], bOffs = new int[batch], cOffs = new int[batch];
                for (int i = 0; i < batch; i++) {
                    aOffs[i] = 1 + i * aSize;
                    bOffs[i] = 2 + (i % 2) * bSize; // two B matrices shared across the batch
                    cOffs[i] = 3 + (batch - 1 - i) * cSize; // written back to front
                }
                float[] got = c.clone();
                Gemm.sgemmBatched(ta, tb, m, n, k, 1.5f, a, aOffs, lda, b, bOffs, ldb, 0.5f, got, cOffs, ldc);
                for (int i = 0; i < batch; i++) {
                    Case t = new Case(ta, tb, m, n, k, 1.5f, 0.5f, a, aOffs[i], lda, b, bOffs[i], ldb, c, cOffs[i], ldc);
                    float[] one = check(Impl.DISPATCH, t);
                    for (int row = 0; row < m; row++) {
                        int from = cOffs[i] + row * ldc;
                        assertArrayEquals(Arrays.copyOfRange(one, from, from + n), Arrays.copyOfRange(got, from, from + n),
                                "batch item " + i + " of " + batch + " " + t);
                    }
                }
            }
        }
    }

    @Test
    void badInputNamesOpAndSizes() {
        float[] a = new float[6], b = new float[6], c = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("m=-1"), e.getMessage());

        // A is 2x3 but the array is one short once the offset is counted.
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 1, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("7") && e.getMessage().contains("6"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, new float[3], 0, 2));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("C"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, true, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("ldb >= 3"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, null, 0, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().contains("sgemm"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemmBatched(false, false, 2, 2, 3, 1f, a, new int[] {0, 1}, 3, b, new int[] {0, 0}, 2,
                        0f, new float[8], new int[] {0, 4}, 2));
        assertTrue(e.getMessage().contains("sgemmBatched[1]") && e.getMessage().contains("A"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemmBatched(false, false, 2, 2, 3, 1f, a, new int[] {0}, 3, b, new int[] {0, 0}, 2,
                        0f, c, new int[] {0}, 2));
        assertTrue(e.getMessage().contains("sgemmBatched") && e.getMessage().contains("bOffs 2"), e.getMessage());
    }
}
