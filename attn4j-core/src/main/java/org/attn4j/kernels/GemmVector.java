package org.attn4j.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernel for {@link Gemm#sgemm}: {@code C = alpha * op(A) * op(B) + beta * C}, row-major float32.
 *
 * <p>The structure is the Goto/BLIS one (Goto and van de Geijn, "Anatomy of High-Performance Matrix
 * Multiplication", ACM TOMS 2008; Van Zee and van de Geijn, "BLIS", 2015):
 * <pre>
 * for jc over n in NC columns            B block  [KC x NC]  lives in L3
 *   for pc over k in KC                  pack B into NR-wide panels, zero-padded
 *     for ic over m in MC rows           A block  [MC x KC]  lives in L2
 *       pack A into MR-tall panels, zero-padded
 *       for jr over the B panels         one B panel [KC x NR] is reused from L1/L2 ...
 *         for ir over the A panels       ... while the A panels stream past it
 *           micro-kernel: an MR x NR tile of C held in registers, K steps of rank-1 updates
 * </pre>
 * Packing makes every micro-kernel load unit-stride whatever the transposition, so {@code op(B) = Bᵀ}
 * (q·kᵀ in attention) costs nothing beyond the packing copy every product pays anyway.
 *
 * <p>The micro-tile is {@code MR} rows by three vectors ({@code NR = 3 * lanes}) of accumulators. Measured
 * on AVX2 (Zen 3, 16 ymm registers), micro-kernel alone on packed data: 3 x 3 runs at the core's FMA
 * peak (~66 GFLOP/s), while the 12-accumulator tiles 4 x 3, 6 x 2 and 3 x 4 ran at about half of it
 * (in 6 x 2's generated code C2 spills an accumulator to the stack every K step). With AVX-512
 * (32 zmm registers) the tile is 6 x 3, 18 accumulators: three B loads and six broadcasts feed 18 FMAs
 * where 4 x 3 fed 12 with seven. Measured on a KVM Xeon (Sapphire Rapids class, 2 FMA ports), one thread,
 * packed panels: 4 x 3 ran at 109-114 GFLOP/s (kc 256-1024) and 150 (kc 96), 6 x 3 at 142-144 and 164,
 * 8 x 3 at 133 and 154 (BLIS's Zen 4 and Skylake-X kernels are 6 rows tall too). A 12 x 2 tile ({@link #MR_WIDE})
 * needs a third less of B per fma, which at K = 1024 streams from L2, and is 17-23% faster: {@link #sgemm} uses it
 * with AVX-512 ({@link #WIDE}); the convolutions keep packing for 6 x 3. Edge tiles (m or n
 * not a multiple of the tile) run the same kernel on the zero-padded panels into a scratch tile, and only
 * the valid part is written to C. Very short A ({@code m < MR}, e.g. a single row) skips packing and runs
 * row-times-matrix loops instead.
 *
 * <p>The micro-kernels store their tile with Vector API calls written out, not through a helper method
 * taking the accumulators. C2 inlines the micro-kernels into {@code macro}, and past about 18,000 parsed IR
 * nodes (NodeCountInliningCutoff; each Vector API call parses to a few hundred) it stops inlining methods
 * other than the Vector API's own: a store helper reached there was called with its vectors boxed
 * (LogCompilation showed it, an allocation per row of every tile). Vector API methods themselves are inlined
 * late instead of refused.
 *
 * <p>Threads: C is cut into tasks that the pool threads take in turn, in one of two ways per B block. By rows
 * when A is the larger operand: the B block is packed once into a buffer all threads share, then each task
 * packs its own A blocks. By B panels when A is small (a Linear on one image's 197 tokens): each task packs
 * its own B panels just before using them, and each thread packs all of A once per K block and keeps it for
 * its next tasks, so no thread waits for a shared packing step and B panels are read from the cache that
 * wrote them. Measured on a KVM Xeon (AVX-512), two threads, ViT-B's four Linear shapes at 197 rows: 15.6 ms
 * by rows, 12.6 ms by panels; at 50 rows 7.9 and 4.9; at 1576 rows by rows stays ahead where {@code m > n}.
 * Every element of C is computed by the same operations in the same order whatever the thread count and
 * split, so results do not depend on them. Packing buffers are thread-local and reused across calls.
 *
 * <p>Only load this class when {@link VectorSupport#ENABLED} is true.
 */
final class GemmVector {
    private GemmVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Width of a B panel and of the micro-tile: three vectors. */
    static final int NR = 3 * L;
    /**
     * Height of the three-vector micro-tile: 6 with 32 vector registers (AVX-512), 3 with 16 (AVX2). The
     * convolutions pack for this tile ({@link Conv2dVector}, {@link Conv3x3WinogradVector}).
     */
    static final int MR = L >= 16 ? 6 : 3;
    /**
     * With 32 vector registers, {@link #sgemm} itself uses a taller, narrower tile: 12 rows by two vectors
     * ({@link #kernel12x2}, 24 accumulators). Per fma it loads a third less of B than 6 x 3, the operand that
     * streams from L2 at K = 1024 (a [1024 x 48] B panel is 192 KiB): on a KVM Xeon (Sapphire Rapids class), one
     * thread, the same Goto loop over packed panels ran at 155-161 GFLOP/s against 6 x 3's 137-140 (kc 256-1024,
     * mc 96-384). Every element of C still sums its products in the same order, so results are bit-identical.
     */
    static final int MR_WIDE = 12;
    /**
     * Whether {@link #sgemm} uses {@link #MR_WIDE}-row tiles: with 32 vector registers, unless
     * {@code -Dattn4j.gemmTile=6} asks for the 6 x 3 tile. For a while this was opt-in: after a large plain product
     * (sgemm N=1024) ViT-B/16 then ran twice as slow in about one JVM in three. The cause was not this tile but
     * {@code VectorMath.exp} left out of line in GELU and softmax (see {@link JitDirectives}), which the new timing
     * made more likely; with the directive, 16 such runs out of 16 were normal.
     */
    static final boolean WIDE = L >= 16 && !"6".equals(System.getProperty("attn4j.gemmTile"));
    /**
     * Deepest packed block. K is not split up to this depth: measured at N=1024 on one Zen 3 core, 1024
     * beat 256 (B panel in L1) and 512 by 4-8%, as ANCHORS.md found on Zen 4; the B panel (KC x NR) and
     * the A block (MC x KC) then share L2.
     */
    static final int KC = 1024;
    /** Rows of A packed at once, in MR panels: MC x KC floats (384 KiB for a 3-row tile, 768 for 6) stay in L2. */
    static final int MC_PANELS = 32;
    /** Columns of B packed at once (a multiple of NR). */
    static final int NC = NR * 128;
    /** A task should hold at least this many flops, or the fork costs more than it saves. */
    private static final long MIN_FLOPS_PER_TASK = 1L << 20;

    /** Per-thread packing buffers, grown on demand and reused. */
    private static final class Buffers {
        float[] a = new float[0], b = new float[0], tile = new float[MR_WIDE * NR], row = new float[0];
        /** Set when {@code a} holds all of a call's A for the K block at {@code aPc} (see {@link #macro}); else null. */
        Object aCall;
        int aPc;

        float[] a(int size) { return a.length >= size ? a : (a = new float[size]); }
        float[] b(int size) { return b.length >= size ? b : (b = new float[size]); }
        float[] row(int size) { return row.length >= size ? row : (row = new float[size]); }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** {@link Gemm#sgemm} on the Vector API, multithreaded; arguments already checked. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, tileRows(m), true);
    }

    /** The tile height for an m-row product: {@link #MR_WIDE} when the machine has the registers and m fills one. */
    private static int tileRows(int m) {
        return WIDE && m >= MR_WIDE ? MR_WIDE : MR;
    }

    /** Width of the B panels for tiles {@code mr} rows tall: two vectors for {@link #MR_WIDE}, else three ({@link #NR}). */
    static int panelWidth(int mr) {
        return mr == MR_WIDE ? 2 * L : NR;
    }

    /** Tile rows packed per A block: {@link #MC_PANELS} panels, half as many of the 12-row ones (the same rows). */
    private static int mcPanels(int mr) {
        return mr == MR_WIDE ? MC_PANELS / 2 : MC_PANELS;
    }

    /** {@link #sgemm} on the calling thread only (for callers that parallelise over a batch). */
    static void sgemmSerial(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, tileRows(m), false);
    }

    /**
     * The full entry with the micro-tile height {@code mr} (3, 6 or 12) chosen by the caller, so tests can
     * hold every tile to the reference whatever this machine's vector width.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc, int mr, boolean parallel) {
        if (mr != 3 && mr != 6 && mr != MR_WIDE) {
            throw new IllegalArgumentException("GemmVector.sgemm: micro-tile rows must be 3, 6 or 12, got " + mr);
        }
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            GemmScalar.scale(m, n, beta, c, cOff, ldc);
            return;
        }
        if (m < mr) {
            // Too few rows for a tile: packing B would cost as much as the product itself.
            if (parallel) {
                Parallel.forRange(n, grain(2L * m * k), (j0, j1) ->
                        rowwise(transA, transB, m, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
            } else {
                rowwise(transA, transB, m, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            }
            return;
        }
        int threads = parallel && 2L * m * n * k >= 2 * MIN_FLOPS_PER_TASK ? Parallel.threads() : 1;
        if (transA && !transB && beta == 0f && m > n && n >= mr) {
            swappedTN(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, mr, threads);
            return;
        }
        blocked(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, mr, threads);
    }

    /**
     * {@code C = alpha Aᵀ B} (A stored {@code [k, m]}, B {@code [k, n]}, m > n) as {@code Cᵀ = alpha Bᵀ A} into scratch,
     * then transposed into C. This is a Linear's weight gradient {@code gᵀ x} when out_features > in_features (a
     * ViT's qkv and fc1). A transposed A is packed by scattering each of its rows over the panels, several times
     * slower than packing a plain B; each packed A block then serves C's n columns, each packed B panel C's m
     * rows. Turned around, the slow packing serves the larger side (measured on [6400]-deep products, one
     * thread: 288 x 96 from 1.7-2.1x libtorch's time to 1.4x, 384 x 96 from 1.5-1.75x to 1.2x). Every element still sums the same products in the same order (fma's product is
     * commutative), so C is bit-identical to {@link #blocked}'s; beta = 0 only, where C's old values play no
     * part in that order. The transposition is m·n moves against 2·m·n·k flops.
     */
    private static void swappedTN(int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int mr, int threads) {
        float[] ct = new float[n * m];                                  // Cᵀ [n, m]
        blocked(true, false, n, m, k, alpha, b, bOff, ldb, a, aOff, lda, 0f, ct, 0, m, mr, threads);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) c[ci + j] = ct[j * m + i];
        }
    }

    private static int grain(long flopsPerItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_FLOPS_PER_TASK / Math.max(1, flopsPerItem)));
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /**
     * The Goto loop nest (see the class comment). With several threads, C is cut into tasks of rows (B block
     * packed once and shared, each task packing its A blocks) or, when each thread's own copy of A costs no
     * more to pack than B ({@code (threads - 1) m <= nc}), of B panels (each task packing its panels, each
     * thread all of A once).
     */
    private static void blocked(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc, int mr, int threads) {
        // The calling thread owns the shared packed B for the whole call; workers only read it.
        // K in equal blocks of at most KC (1500 -> 2 x 750, not 1024 + 476).
        int kcStep = ceilDiv(k, ceilDiv(k, KC));
        int nr = panelWidth(mr), ncMax = nr * (NC / NR);
        float[] bp = BUFFERS.get().b(kcStep * Math.min(ceilDiv(n, nr) * nr, ncMax));
        int mPanels = ceilDiv(m, mr);
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc), ncPanels = ceilDiv(nc, nr);
            boolean byRows = (long) (threads - 1) * m > nc;
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc), jc0 = jc, pc0 = pc;
                // Later K blocks add onto what the first one wrote.
                float betaK = pc == 0 ? beta : 1f;
                if (threads == 1) {
                    packB(transB, b, bOff, ldb, pc, kc, jc, nc, 0, ncPanels, bp, nr);
                    macro(transA, a, aOff, lda, alpha, betaK, c, cOff, ldc, mr, 0, m, 0, ncPanels, pc, kc, jc, nc, bp, null);
                    continue;
                }
                if (byRows) {
                    // Copying one panel is ~kc*NR element moves: split only when each thread gets plenty.
                    Parallel.forRange(ncPanels, grain(kc * nr), (q0, q1) ->
                            packB(transB, b, bOff, ldb, pc0, kc, jc0, nc, q0, q1, bp, nr));
                    runTasks(threads, mPanels, mcPanels(mr), (r0, r1) ->
                            macro(transA, a, aOff, lda, alpha, betaK, c, cOff, ldc, mr, r0 * mr, Math.min(m, r1 * mr),
                                    0, ncPanels, pc0, kc, jc0, nc, bp, null));
                } else {
                    // Tasks write disjoint panels of the shared buffer; the identity of this K block's A lets a
                    // thread's later tasks find it already packed.
                    Object call = new Object();
                    runTasks(threads, ncPanels, ceilDiv(ncPanels, 4 * threads), (q0, q1) -> {
                        packB(transB, b, bOff, ldb, pc0, kc, jc0, nc, q0, q1, bp, nr);
                        macro(transA, a, aOff, lda, alpha, betaK, c, cOff, ldc, mr, 0, m, q0, q1, pc0, kc, jc0, nc, bp, call);
                    });
                }
            }
        }
    }

    /**
     * Runs {@code body} over {@code [0, units)} cut into equal tasks of at most {@code maxPerTask} units,
     * their number a multiple of {@code threads}; each pool thread takes the next task when it finishes
     * one. On a quiet machine that is the even static split; on a shared one a thread that another
     * process slows down simply takes fewer tasks instead of holding everyone up.
     */
    private static void runTasks(int threads, int units, int maxPerTask, Parallel.RangeBody body) {
        int per = ceilDiv(units, ceilDiv(ceilDiv(units, maxPerTask), threads) * threads);
        int tasks = ceilDiv(units, per);
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(threads, tasks), 1, (t0, t1) -> {
            for (int t; (t = next.getAndIncrement()) < tasks; ) body.run(t * per, Math.min(units, (t + 1) * per));
        });
    }

    /**
     * Rows {@code [i0, i1)} of C times B panels {@code [q0, q1)} of the packed block {@code bp}
     * (columns {@code jc ...} of C, depth {@code pc ... pc+kc}): packs A block by block into this thread's
     * buffer and runs the micro-kernel over every tile. With a {@code call} identity, all of A's rows are kept
     * packed side by side (block ic at {@code (ic - i0)·kc}) and a later task of the same call and K block on
     * this thread skips the packing; with null, the buffer holds one block at a time.
     */
    private static void macro(boolean transA, float[] a, int aOff, int lda, float alpha, float betaK,
                              float[] c, int cOff, int ldc, int mr, int i0, int i1, int q0, int q1,
                              int pc, int kc, int jc, int nc, float[] bp, Object call) {
        Buffers buf = BUFFERS.get();
        int mcMax = mr * mcPanels(mr), nrFull = panelWidth(mr);
        boolean keepA = call != null, packed = keepA && buf.aCall == call && buf.aPc == pc;
        int rowsHeld = keepA ? ceilDiv(i1 - i0, mr) * mr : Math.min(ceilDiv(i1 - i0, mr) * mr, mcMax);
        // Four floats of slack: packA's transposes write two (6-row panels) or four (12-row) past the panel they fill.
        float[] ap = buf.a(kc * rowsHeld + 4);
        float[] tile = buf.tile;
        boolean direct = alpha == 1f && (betaK == 0f || betaK == 1f);   // the kernels write C = acc or C += acc
        for (int ic = i0; ic < i1; ic += mcMax) {
            int mc = Math.min(mcMax, i1 - ic);
            int aBase = keepA ? (ic - i0) * kc : 0;
            if (!packed) packA(transA, a, aOff, lda, ic, mc, pc, kc, ap, aBase, mr);
            for (int q = q0; q < q1; q++) {
                int jr = q * nrFull;
                int nr = Math.min(nrFull, nc - jr);
                int bo = jr * kc;
                for (int ir = 0; ir < mc; ir += mr) {
                    int rows = Math.min(mr, mc - ir);
                    int ao = aBase + ir * kc;
                    int co = cOff + (ic + ir) * ldc + jc + jr;
                    if (direct && rows == mr && nr == nrFull) {
                        kernel(mr, kc, ap, ao, bp, bo, c, co, ldc, betaK == 1f);
                    } else {
                        // Edge tiles, and any alpha or beta other than (1, 0 or 1): through the scratch tile, as
                        // alpha·acc + beta·C with one rounding of the sum (the fast path's bits when it applies).
                        kernel(mr, kc, ap, ao, bp, bo, tile, 0, nrFull, false);
                        for (int i = 0; i < rows; i++) {
                            int ci = co + i * ldc, ti = i * nrFull;
                            for (int j = 0; j < nr; j++) {
                                float v = alpha * tile[ti + j];
                                c[ci + j] = betaK == 0f ? v : Math.fma(betaK, c[ci + j], v);
                            }
                        }
                    }
                }
            }
        }
        buf.aCall = call;
        buf.aPc = pc;
    }

    /**
     * Packs panels {@code [q0, q1)} of {@code op(B)[pc : pc+kc, jc : jc+nc]} into {@code nr}-wide panels ({@link #NR}, or
     * two vectors for the 12-row tile): panel q holds columns {@code jc + q*nr ...} as
     * {@code bp[q*kc*nr + p*nr + j]}, zero past column nc.
     */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                              int q0, int q1, float[] bp, int nr) {
        if (!transB) {
            // Row by row: each row of B is read once, front to back, rather than walking each panel down
            // its kc rows at a stride of ldb (measured at N=1024, one thread: 1.5 ms per call instead of 1.85).
            int fullEnd = Math.max(q0, Math.min(q1, nc / nr));
            boolean partial = nc % nr != 0 && nc / nr >= q0 && nc / nr < q1;
            int vectors = nr / L;
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * ldb + jc;
                for (int q = q0; q < fullEnd; q++) {
                    int si = src + q * nr, di = q * nr * kc + p * nr;
                    FloatVector.fromArray(S, b, si).intoArray(bp, di);
                    FloatVector.fromArray(S, b, si + L).intoArray(bp, di + L);
                    if (vectors == 3) FloatVector.fromArray(S, b, si + 2 * L).intoArray(bp, di + 2 * L);
                }
                if (partial) {
                    int jr = nc / nr * nr, w = nc - jr, si = src + jr, di = jr * kc + p * nr;
                    for (int j = 0; j < w; j++) bp[di + j] = b[si + j];
                    for (int j = w; j < nr; j++) bp[di + j] = 0f;
                }
            }
        } else {
            // B stored [n, k] (a Linear's weight): column j of op(B) is row j of b. Groups of 8 rows go through
            // 8 x 8 register transposes (TransposeVector); the rest row by row, each read front to back.
            for (int jr = q0 * nr; jr < Math.min(nc, q1 * nr); jr += nr) {
                int w = Math.min(nr, nc - jr);
                int dst = jr * kc;
                int grouped = TransposeVector.ENABLED ? w / 8 * 8 : 0, kc8 = kc / 8 * 8;
                for (int jb = 0; jb < grouped; jb += 8) {
                    int src = bOff + (jc + jr + jb) * ldb + pc;
                    for (int p = 0; p < kc8; p += 8) TransposeVector.transpose8x8(b, src + p, ldb, bp, dst + p * nr + jb, nr, 1f);
                    for (int j = 0; j < 8; j++) {
                        for (int p = kc8; p < kc; p++) bp[dst + p * nr + jb + j] = b[src + j * ldb + p];
                    }
                }
                for (int j = grouped; j < w; j++) {
                    int src = bOff + (jc + jr + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) bp[dst + p * nr + j] = b[src + p];
                }
                for (int j = w; j < nr; j++) {
                    for (int p = 0; p < kc; p++) bp[dst + p * nr + j] = 0f;
                }
            }
        }
    }


    /**
     * Packs {@code op(A)[ic : ic+mc, pc : pc+kc]} into mr-tall panels: panel r holds rows {@code ic + r*mr ...}
     * as {@code ap[apOff + r*kc*mr + p*mr + i]}, zero past row mc.
     */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                              float[] ap, int apOff, int mr) {
        if (!transA) {
            for (int ir = 0; ir < mc; ir += mr) {
                int rows = Math.min(mr, mc - ir);
                int dst = apOff + ir * kc, s0 = aOff + (ic + ir) * lda + pc;
                if (rows == 3 && mr == 3) {
                    // Interleave the panel's rows, each read front to back, written in one sequential sweep.
                    int s1 = s0 + lda, s2 = s1 + lda;
                    for (int p = 0; p < kc; p++, dst += 3) {
                        ap[dst] = a[s0 + p];
                        ap[dst + 1] = a[s1 + p];
                        ap[dst + 2] = a[s2 + p];
                    }
                } else if (rows == 6 && mr == 6) {
                    // Eight columns at a time through a register transpose: the element loop below took 8.6% of a
                    // vit training step (K = 96 or 384, so each packed float feeds only 96-384 FMAs). The transpose
                    // writes two floats past its block, into the next columns' place or the next panel's (or the
                    // buffer's slack after the last), each written afterwards.
                    int p = 0;
                    if (TransposeVector.ENABLED) {
                        for (; p + 8 <= kc; p += 8, dst += 48) TransposeVector.transpose6x8(a, s0 + p, lda, ap, dst);
                    }
                    int s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                    for (; p < kc; p++, dst += 6) {
                        ap[dst] = a[s0 + p];
                        ap[dst + 1] = a[s1 + p];
                        ap[dst + 2] = a[s2 + p];
                        ap[dst + 3] = a[s3 + p];
                        ap[dst + 4] = a[s4 + p];
                        ap[dst + 5] = a[s5 + p];
                    }
                } else if (rows == 12 && mr == 12 && TransposeVector.ENABLED) {
                    // Per eight columns: rows 8-11 through a 4 x 8 transpose whose rows (eight floats, four of them
                    // zeros) run four past their place into the next row's, then rows 0-7 through an 8 x 8 one that
                    // overwrites those. The last column's four extra floats land past the block, written afterwards
                    // (the next columns, the next panel, or the buffer's slack).
                    int p = 0;
                    for (; p + 8 <= kc; p += 8, dst += 96) {
                        TransposeVector.transpose4x8(a, s0 + 8 * lda + p, lda, ap, dst + 8, 12);
                        TransposeVector.transpose8x8(a, s0 + p, lda, ap, dst, 12, 1f);
                    }
                    for (; p < kc; p++, dst += 12) {
                        for (int i = 0; i < 12; i++) ap[dst + i] = a[s0 + i * lda + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++, dst += mr) {
                        for (int i = 0; i < rows; i++) ap[dst + i] = a[s0 + i * lda + p];
                        for (int i = rows; i < mr; i++) ap[dst + i] = 0f;
                    }
                }
            }
        } else {
            // A stored [k, m] (gᵀ in a Linear's weight gradient): row p of the block is contiguous; read it
            // once, front to back, and deal it out to the panels (walking one panel down its kc rows would
            // stride by lda). Full panels take their mr floats in straight-line code and only the last, partial
            // one loops: with a loop of mr iterations per panel the packing cost 40-70% more, and for
            // dW = gᵀ·x (k = all tokens of the batch, n = in_features, little reuse per packed float) it was
            // 15% of a ViT training step.
            int full = mc / mr * mr;
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * lda + ic, dst = apOff + p * mr, ir = 0;
                if (mr == 3) {
                    for (; ir < full; ir += 3) {
                        int d = dst + ir * kc, s = src + ir;
                        ap[d] = a[s];
                        ap[d + 1] = a[s + 1];
                        ap[d + 2] = a[s + 2];
                    }
                } else {
                    // Six rows at a time, for 6-row panels and both halves of 12-row ones: rows ir .. ir+5 go to
                    // panel ir / mr, lanes ir % mr ...
                    for (; ir < full; ir += 6) {
                        int lane = ir % mr, d = dst + (ir - lane) * kc + lane, s = src + ir;
                        ap[d] = a[s];
                        ap[d + 1] = a[s + 1];
                        ap[d + 2] = a[s + 2];
                        ap[d + 3] = a[s + 3];
                        ap[d + 4] = a[s + 4];
                        ap[d + 5] = a[s + 5];
                    }
                }
                if (ir < mc) {
                    int d = dst + ir * kc, rows = mc - ir;
                    for (int i = 0; i < rows; i++) ap[d + i] = a[src + ir + i];
                    for (int i = rows; i < mr; i++) ap[d + i] = 0f;
                }
            }
        }
    }

    /** The mr x panelWidth(mr) micro-kernel: {@code C = acc}, or {@code C += acc} when {@code accumulate}. */
    static void kernel(int mr, int kc, float[] ap, int ao, float[] bp, int bo,
                       float[] c, int co, int ldc, boolean accumulate) {
        if (mr == 3) kernel3x3(kc, ap, ao, bp, bo, c, co, ldc, accumulate);
        else if (mr == 6) kernel6x3(kc, ap, ao, bp, bo, c, co, ldc, accumulate);
        else kernel12x2(kc, ap, ao, bp, bo, c, co, ldc, accumulate);
    }

    /** C[3, NR] = Apanel[3, kc] * Bpanel[kc, NR] (+ C when accumulate), nine vector accumulators. */
    private static void kernel3x3(int kc, float[] ap, int ao, float[] bp, int bo,
                                  float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 3;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        }
        // C (+)= acc, written out (see the class comment). No float arguments: one live across the loop takes a
        // register, and C2 then spilled three accumulators to the stack in every K step.
        int r1 = co + ldc, r2 = co + 2 * ldc;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + 2 * L));
            c10 = c10.add(FloatVector.fromArray(S, c, r1)); c11 = c11.add(FloatVector.fromArray(S, c, r1 + L));
            c12 = c12.add(FloatVector.fromArray(S, c, r1 + 2 * L));
            c20 = c20.add(FloatVector.fromArray(S, c, r2)); c21 = c21.add(FloatVector.fromArray(S, c, r2 + L));
            c22 = c22.add(FloatVector.fromArray(S, c, r2 + 2 * L));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L);
    }

    /** C[6, NR] = Apanel[6, kc] * Bpanel[kc, NR] (+ C when accumulate), eighteen vector accumulators (AVX-512). */
    private static void kernel6x3(int kc, float[] ap, int ao, float[] bp, int bo,
                                  float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
        }
        // C (+)= acc, written out (see the class comment). No float arguments: one live across the loop takes a
        // register, and C2 then spilled three accumulators to the stack in every K step.
        int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + 2 * L));
            c10 = c10.add(FloatVector.fromArray(S, c, r1)); c11 = c11.add(FloatVector.fromArray(S, c, r1 + L));
            c12 = c12.add(FloatVector.fromArray(S, c, r1 + 2 * L));
            c20 = c20.add(FloatVector.fromArray(S, c, r2)); c21 = c21.add(FloatVector.fromArray(S, c, r2 + L));
            c22 = c22.add(FloatVector.fromArray(S, c, r2 + 2 * L));
            c30 = c30.add(FloatVector.fromArray(S, c, r3)); c31 = c31.add(FloatVector.fromArray(S, c, r3 + L));
            c32 = c32.add(FloatVector.fromArray(S, c, r3 + 2 * L));
            c40 = c40.add(FloatVector.fromArray(S, c, r4)); c41 = c41.add(FloatVector.fromArray(S, c, r4 + L));
            c42 = c42.add(FloatVector.fromArray(S, c, r4 + 2 * L));
            c50 = c50.add(FloatVector.fromArray(S, c, r5)); c51 = c51.add(FloatVector.fromArray(S, c, r5 + L));
            c52 = c52.add(FloatVector.fromArray(S, c, r5 + 2 * L));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + L); c42.intoArray(c, r4 + 2 * L);
        c50.intoArray(c, r5); c51.intoArray(c, r5 + L); c52.intoArray(c, r5 + 2 * L);
    }

    /**
     * C[12, 2 lanes] = Apanel[12, kc] * Bpanel[kc, 2 lanes] (+ C when accumulate), twenty-four vector accumulators
     * (AVX-512; see {@link #MR_WIDE}). Two B loads and twelve broadcasts feed 24 fmas.
     */
    private static void kernel12x2(int kc, float[] ap, int ao, float[] bp, int bo,
                                   float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00;
        FloatVector c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * (2 * L), ai = ao + p * 12;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[ai + 10]);
            ca0 = x.fma(b0, ca0); ca1 = x.fma(b1, ca1);
            x = FloatVector.broadcast(S, ap[ai + 11]);
            cb0 = x.fma(b0, cb0); cb1 = x.fma(b1, cb1);
        }
        // C (+)= acc, written out (see the class comment): one branch for all rows, as in kernel6x3.
        int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        int r6 = r5 + ldc, r7 = r6 + ldc, r8 = r7 + ldc, r9 = r8 + ldc, ra = r9 + ldc, rb = ra + ldc;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c10 = c10.add(FloatVector.fromArray(S, c, r1)); c11 = c11.add(FloatVector.fromArray(S, c, r1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, r2)); c21 = c21.add(FloatVector.fromArray(S, c, r2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, r3)); c31 = c31.add(FloatVector.fromArray(S, c, r3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, r4)); c41 = c41.add(FloatVector.fromArray(S, c, r4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, r5)); c51 = c51.add(FloatVector.fromArray(S, c, r5 + L));
            c60 = c60.add(FloatVector.fromArray(S, c, r6)); c61 = c61.add(FloatVector.fromArray(S, c, r6 + L));
            c70 = c70.add(FloatVector.fromArray(S, c, r7)); c71 = c71.add(FloatVector.fromArray(S, c, r7 + L));
            c80 = c80.add(FloatVector.fromArray(S, c, r8)); c81 = c81.add(FloatVector.fromArray(S, c, r8 + L));
            c90 = c90.add(FloatVector.fromArray(S, c, r9)); c91 = c91.add(FloatVector.fromArray(S, c, r9 + L));
            ca0 = ca0.add(FloatVector.fromArray(S, c, ra)); ca1 = ca1.add(FloatVector.fromArray(S, c, ra + L));
            cb0 = cb0.add(FloatVector.fromArray(S, c, rb)); cb1 = cb1.add(FloatVector.fromArray(S, c, rb + L));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + L);
        c50.intoArray(c, r5); c51.intoArray(c, r5 + L);
        c60.intoArray(c, r6); c61.intoArray(c, r6 + L);
        c70.intoArray(c, r7); c71.intoArray(c, r7 + L);
        c80.intoArray(c, r8); c81.intoArray(c, r8 + L);
        c90.intoArray(c, r9); c91.intoArray(c, r9 + L);
        ca0.intoArray(c, ra); ca1.intoArray(c, ra + L);
        cb0.intoArray(c, rb); cb1.intoArray(c, rb + L);
    }

    /**
     * Columns {@code [j0, j1)} of C for a short A (a few rows): each row of C is built straight from B
     * without packing, as {@code C[i,:] += alpha*a(i,p) * B[p,:]} when B is {@code [k,n]}, or as dot
     * products of A's row with B's rows when B is stored {@code [n,k]}.
     */
    private static void rowwise(boolean transA, boolean transB, int m, int j0, int j1, int k, float alpha,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        int ars = transA ? 1 : lda, acs = transA ? lda : 1;
        int n = j1 - j0;
        int nv = S.loopBound(n);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc + j0;
            if (!transB) {
                GemmScalar.scale(1, n, beta, c, ci, ldc);
                for (int p = 0; p < k; p++) {
                    float aip = alpha * a[aOff + i * ars + p * acs];
                    FloatVector av = FloatVector.broadcast(S, aip);
                    int bi = bOff + p * ldb + j0;
                    int j = 0;
                    for (; j < nv; j += L) {
                        av.fma(FloatVector.fromArray(S, b, bi + j), FloatVector.fromArray(S, c, ci + j)).intoArray(c, ci + j);
                    }
                    for (; j < n; j++) c[ci + j] += aip * b[bi + j];
                }
            } else {
                // Row i of op(A) as a contiguous vector: copy it once when A is stored transposed.
                float[] row = a;
                int ro = aOff + i * ars;
                if (transA) {
                    row = BUFFERS.get().row(k);
                    for (int p = 0; p < k; p++) row[p] = a[aOff + i + p * lda];
                    ro = 0;
                }
                int kv = S.loopBound(k);
                for (int j = 0; j < n; j++) {
                    int bj = bOff + (j0 + j) * ldb;
                    FloatVector acc = FloatVector.zero(S);
                    int p = 0;
                    for (; p < kv; p += L) {
                        acc = FloatVector.fromArray(S, row, ro + p).fma(FloatVector.fromArray(S, b, bj + p), acc);
                    }
                    float s = VectorMath.sumLanes(acc);
                    for (; p < k; p++) s += row[ro + p] * b[bj + p];
                    c[ci + j] = beta == 0f ? alpha * s : alpha * s + beta * c[ci + j];
                }
            }
        }
    }
}
