package org.attn4j.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernel of {@link FlashAttention}: the same algorithm as its scalar reference, tiled over blocks of
 * {@code br} query rows and {@code bc} keys.
 *
 * <p>Layout: the score tile is kept transposed, {@code St[j][i]} ({@code bc x br}), so that query rows are
 * vector lanes. The online softmax is then purely vertical — a block's running max, rescale factor, exponentials
 * and row sums are lane-wise operations over the tile's rows, with no horizontal reductions. Every product is a
 * small register-tiled kernel, 6 rows x 2 vectors of accumulators (12 of AVX2's 16 registers; 3 x 3 for an
 * odd number of vectors, 8 x 1 for a single one) with A read by broadcasts and B rows as vectors. B is always packed in panels of two
 * vectors ({@link #packPanels}: scale·Qᵀ and dOᵀ per query block, V, and the rows of Q, dO and K per item), so
 * its loads advance by a constant stride and C2 hoists their bounds checks (with the runtime row stride of the
 * plain arrays it checks every load: measured ~35% slower in the backward). A is read in place where its
 * depth is unit-stride (K and V rows, Pᵀ and dSᵀ in the row-major tile); where the depth runs across the
 * tile (P in {@code P·V}, dS in {@code dS·K}) the tile is stored in lane groups, {@code [br / lanes][bc][lanes]},
 * read at the constant stride of one vector ({@link #mmg}).
 *
 * <p>Forward, per item task (many items) or per (item, query block) task (few): {@code St = K Qᵀ}, mask, one online-softmax step (running max m,
 * sum ℓ, {@code α = exp(m_old - m_new)}), dropout, {@code O = diag(α) O + P V}; then {@code O / ℓ} and
 * {@code LSE = m + log ℓ}. Causal: key blocks past the block's last row are skipped, and the block on the
 * diagonal is cut at that row.
 *
 * <p>Backward (FlashAttention-2's loop order: key blocks outside, query blocks inside): per (key block, query
 * block) pair it recomputes {@code P = exp(S - LSE)} and {@code dPᵀ = V dOᵀ}, forms {@code dS = P ∘ (dP∘Z - D)}
 * and accumulates {@code dV += (P∘Z)ᵀ dO}, {@code dK += dSᵀ Q} in the key block's tile and {@code dQ += dS K}.
 * When there are at least {@link #ITEMS_FOR_ONE_PASS} tasks, each task owns whole items (all blocks of dQ, dK,
 * dV, and the mask gradient of the items sharing a mask block) in one pass; with fewer items the work is split
 * into a dK/dV pass over (item, key block) and a dQ pass over (item, query block), which recomputes P and dP
 * (more flops, but both threads busy on a single long sequence). The choice depends only on the problem, and
 * no sum is ever split across threads, so results do not depend on the thread count.
 *
 * <p>Only load this class when {@link VectorSupport#ENABLED} is true.
 */
final class FlashAttentionVector {
    private FlashAttentionVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final int VL = S.length();

    /**
     * Largest query block (rows, a multiple of the vector length) and key block. N = 197 then runs as one block
     * of 200 query rows against one of 197 keys. In the backward, dK and dV sum over the block's query rows, the
     * depth of their products: 197 instead of 40 (with blocks of 48) means a fifth of the accumulator loads and
     * stores, and the backward measured 6-7% faster on one thread at B=8 H=12 N=197 d=64, 5% at B=1 H=12 N=1024.
     * The forward measured 4-5% faster at N=197 and level at N=1024 (alternating in one JVM). The score, dP and dS
     * tiles (200 x 200 floats, 160 KiB each) share the 1 MiB L2 with the item's packed operands. Key blocks of up
     * to 200 (the tile stays in L2) measured ~5% ahead of 64 forward and backward at N = 197, equal at N = 1024.
     */
    static final int BR_MAX = 200, BC_MAX = 200;
    /** Six-by-four-vector register tiles where 32 vector registers hold them (AVX-512); else six by two. */
    static final boolean WIDE_TILES = VL >= 16;
    /** At least this many independent backward tasks (items or mask groups): one pass, whole items per task. */
    static final int ITEMS_FOR_ONE_PASS = 8;

    private static final int SET = 0, ADD = 1, SCALE = 2;
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /** Block sizes of one problem: equal blocks (1024 rows -> 6 x 171, padded to 176 lanes), not 5 x 200 + 24. */
    static final class Geometry {
        final int br, nQb, bc, nKb, ePad, evPad;

        Geometry(AttentionProblem p, int brMax, int bcMax) {
            nQb = FlashAttention.ceilDiv(p.l, brMax);
            br = roundUp(FlashAttention.ceilDiv(p.l, nQb), VL);
            nKb = FlashAttention.ceilDiv(p.s, bcMax);
            bc = FlashAttention.ceilDiv(p.s, nKb);
            ePad = roundUp(p.e, VL);
            evPad = roundUp(p.ev, VL);
        }
    }

    private static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    // ================================================================== forward

    /** Per-thread forward scratch. */
    private static final class Fwd {
        final float[] qt, st, o, m, l, alpha;
        final int[] keys;
        final float[] vn;           // the item's V [S x evPad] in panels (mmp), packed once per item a thread meets
        int vItem = -1;

        Fwd(AttentionProblem p, Geometry g) {
            qt = new float[p.e * g.br];
            st = new float[g.bc * g.br];
            o = new float[g.br * g.evPad];
            m = new float[g.br];
            l = new float[g.br];
            alpha = new float[g.br];
            keys = new int[g.br];
            vn = new float[p.s * g.evPad];
        }
    }

    static void forward(AttentionProblem p, float[] out, float[] stats) {
        forward(p, out, stats, BR_MAX, BC_MAX);
    }

    /** The forward with chosen block limits (multiples of the vector length), for tests and tuning. */
    static void forward(AttentionProblem p, float[] out, float[] stats, int brMax, int bcMax) {
        Geometry g = new Geometry(p, brMax, bcMax);
        if (p.batch >= 4 * Parallel.threads()) {
            // Many items: a task is a whole item, so each thread packs an item's V once and streams its blocks.
            FlashAttention.runTasks(p.batch, () -> new Fwd(p, g), (b, w) -> {
                for (int qb = g.nQb - 1; qb >= 0; qb--) forwardBlock(p, g, b, qb, w, out, stats);
            });
            return;
        }
        // Few items: tasks are query blocks. Later blocks first: under causal they are the costly ones. Either
        // way every block is computed the same, whichever thread runs it.
        FlashAttention.runTasks(p.batch * g.nQb, () -> new Fwd(p, g),
                (t, w) -> forwardBlock(p, g, t / g.nQb, g.nQb - 1 - t % g.nQb, w, out, stats));
    }

    private static void forwardBlock(AttentionProblem p, Geometry g, int b, int qb, Fwd w, float[] out, float[] stats) {
        int e = p.e, ev = p.ev, br = g.br, evPad = g.evPad;
        int i0 = qb * br, ni = Math.min(br, p.l - i0);
        packQt(p, b, i0, ni, br, w.qt, 0);
        Arrays.fill(w.o, 0f);
        Arrays.fill(w.m, NEG_INF);
        Arrays.fill(w.l, 0f);
        if (w.vItem != b) {
            packPanels(p.v, p.vOffs[b], ev, 1, p.s, ev, evPad, 1f, w.vn, 0);
            w.vItem = b;
        }
        int gs = g.bc * VL;                 // the score tile in lane groups: (j, ii) at (ii / VL)·gs + j·VL + ii % VL
        boolean drop = p.dropout();
        int threshold = drop ? AttentionDropout.threshold(p.dropoutP) : 0;
        float keepScale = AttentionDropout.keepScale(p.dropoutP);
        if (drop) for (int ii = 0; ii < br; ii++) w.keys[ii] = AttentionDropout.rowKey(p.dropoutSeed, b, i0 + ii);
        int iLast = i0 + ni - 1;
        int jEnd = p.skipsAboveDiagonal() ? Math.min(p.s, iLast + 1) : p.s;
        int ko = p.kOffs[b];
        for (int j0 = 0; j0 < jEnd; j0 += g.bc) {
            int nj = Math.min(g.bc, jEnd - j0);
            mmp(nj, br, e, p.k, ko + j0 * e, e, w.qt, 0, e, 0, w.st, 0, VL, gs, SET);
            applyMask(p, b, i0, ni, j0, nj, w.st, VL, gs);
            softmaxStep(nj, br, w.st, gs, w.m, w.l, w.alpha);
            if (drop) applyDropout(w.keys, 0, j0, nj, br, w.st, w.st, VL, gs, threshold, keepScale);
            mmg(br, evPad, nj, w.st, 0, gs, w.vn, 0, p.s, j0, w.o, 0, evPad, SCALE, w.alpha);
        }
        int bound = S.loopBound(ev);
        for (int ii = 0; ii < ni; ii++) {
            float li = w.l[ii];
            float inv = li > 0f ? 1f / li : 0f;
            int oo = (b * p.l + i0 + ii) * ev, src = ii * evPad;
            int c = 0;
            for (; c < bound; c += VL) FloatVector.fromArray(S, w.o, src + c).mul(inv).intoArray(out, oo + c);
            for (; c < ev; c++) out[oo + c] = w.o[src + c] * inv;
            int r = b * p.l + i0 + ii;
            stats[2 * r] = li > 0f ? w.m[ii] : NEG_INF;
            stats[2 * r + 1] = li > 0f ? (float) Math.log(li) : NEG_INF;
        }
    }

    /**
     * One online-softmax step over the tile's {@code nj} rows (keys), lane-wise over the {@code br} query lanes
     * (the tile in lane groups of stride {@code gs}):
     * {@code m_new = max(m, max_j St[j])}, {@code α = exp(m - m_new)}, {@code St[j] = exp(St[j] - m_new)},
     * {@code ℓ = α ℓ + Σ_j St[j]}. A lane that has seen only -inf uses 0 in place of m_new, so its
     * exponentials are exp(-inf) = 0 rather than NaN.
     */
    private static void softmaxStep(int nj, int br, float[] st, int gs, float[] m, float[] l, float[] alpha) {
        for (int c0 = 0; c0 < br; c0 += VL) {
            int base = (c0 / VL) * gs;
            // Four independent running maxima: one chain of maxes (each a compare and blends around vmaxps on AVX2)
            // is latency-bound. max is exact and order-free, so the result is the same bits.
            FloatVector mx = FloatVector.broadcast(S, NEG_INF), mx1 = mx, mx2 = mx, mx3 = mx;
            int j4 = nj & ~3, mat = base;
            for (int j = 0; j < j4; j += 4, mat += 4 * VL) {
                mx = mx.max(FloatVector.fromArray(S, st, mat));
                mx1 = mx1.max(FloatVector.fromArray(S, st, mat + VL));
                mx2 = mx2.max(FloatVector.fromArray(S, st, mat + 2 * VL));
                mx3 = mx3.max(FloatVector.fromArray(S, st, mat + 3 * VL));
            }
            for (int j = j4; j < nj; j++, mat += VL) mx = mx.max(FloatVector.fromArray(S, st, mat));
            mx = mx.max(mx1).max(mx2.max(mx3));
            FloatVector mOld = FloatVector.fromArray(S, m, c0);
            FloatVector mNew = mOld.max(mx);
            FloatVector mu = mNew.blend(0f, mNew.compare(VectorOperators.EQ, NEG_INF));
            // α per lane with Math.exp: once per block, and it keeps this method to one vector exp call site, which
            // C2 inlines (with more it stops inlining VectorMath.exp for node count, and every call boxes vectors).
            mu.intoArray(alpha, c0);
            for (int x = 0; x < VL; x++) alpha[c0 + x] = (float) Math.exp(m[c0 + x] - alpha[c0 + x]);
            mNew.intoArray(m, c0);
            FloatVector sum = FloatVector.zero(S);
            for (int j = 0, at = base; j < nj; j++, at += VL) {
                FloatVector e = VectorMath.expNoOverflow(FloatVector.fromArray(S, st, at).sub(mu));   // <= 0
                e.intoArray(st, at);
                sum = sum.add(e);
            }
            FloatVector.fromArray(S, l, c0).mul(FloatVector.fromArray(S, alpha, c0)).add(sum).intoArray(l, c0);
        }
    }

    // ================================================================== backward

    /** One item's packed operands for the backward, all O(L · d). */
    private static final class BwdItem {
        final float[] qt, dot;      // per query block, panels of scale·Qᵀ [e x br] and dOᵀ [ev x br] (see mmp)
        final float[] qn, don, kn;  // panels of the rows of Q [L x ePad], dO [L x evPad], K [S x ePad]
        final float[] d, mT, logT;  // [nQb·br] rowsum(dO∘O); row max (+inf for fully masked and padding rows) and log ℓ
        final int[] keys;           // [nQb·br] dropout row keys
        final float[] dqAcc;        // [nQb·br][ePad], one-pass tasks only

        BwdItem(AttentionProblem p, Geometry g, boolean dq) {
            int lPad = g.nQb * g.br;
            qt = new float[lPad * p.e];
            dot = new float[lPad * p.ev];
            d = new float[lPad];
            mT = new float[lPad];
            logT = new float[lPad];
            keys = new int[lPad];
            qn = new float[p.l * g.ePad];
            don = new float[p.l * g.evPad];
            kn = new float[p.s * g.ePad];
            dqAcc = dq ? new float[lPad * g.ePad] : null;
        }

        void pack(AttentionProblem p, Geometry g, int b, float[] out, float[] stats, float[] dOut) {
            int br = g.br, e = p.e, ev = p.ev;
            for (int qb = 0; qb < g.nQb; qb++) {
                int i0 = qb * br, ni = Math.min(br, p.l - i0);
                packQt(p, b, i0, ni, br, qt, qb * e * br);
                packPanels(dOut, (b * p.l + i0) * ev, 1, ev, ev, ni, br, 1f, dot, qb * ev * br);
            }
            int lPad = g.nQb * br, bound = S.loopBound(ev);
            for (int i = 0; i < lPad; i++) {
                if (i >= p.l) {
                    d[i] = 0f;
                    mT[i] = Float.POSITIVE_INFINITY;
                    logT[i] = 0f;
                    continue;
                }
                int o = (b * p.l + i) * ev;
                FloatVector acc = FloatVector.zero(S);
                int c = 0;
                for (; c < bound; c += VL) acc = FloatVector.fromArray(S, dOut, o + c).fma(FloatVector.fromArray(S, out, o + c), acc);
                float di = VectorMath.sumLanes(acc);
                for (; c < ev; c++) di += dOut[o + c] * out[o + c];
                d[i] = di;
                float mi = stats[2 * (b * p.l + i)];
                mT[i] = mi == NEG_INF ? Float.POSITIVE_INFINITY : mi;    // exp(s - inf) = 0: no weights, no gradient
                logT[i] = mi == NEG_INF ? 0f : stats[2 * (b * p.l + i) + 1];
            }
            if (p.dropout()) for (int i = 0; i < lPad; i++) keys[i] = AttentionDropout.rowKey(p.dropoutSeed, b, i);
            packPanels(p.q, p.qOffs[b], e, 1, p.l, e, g.ePad, 1f, qn, 0);
            packPanels(dOut, b * p.l * ev, ev, 1, p.l, ev, g.evPad, 1f, don, 0);
            packPanels(p.k, p.kOffs[b], e, 1, p.s, e, g.ePad, 1f, kn, 0);
            if (dqAcc != null) Arrays.fill(dqAcc, 0f);
        }
    }

    /** Per-thread backward tiles. */
    private static final class Tiles {
        final float[] st, dpt, pz, dsg, dkAcc, dvAcc, dqAcc;

        Tiles(AttentionProblem p, Geometry g) {
            st = new float[g.bc * g.br];
            dpt = new float[g.bc * g.br];
            pz = p.dropout() ? new float[g.bc * g.br] : null;
            dsg = new float[g.bc * g.br];
            dkAcc = new float[g.bc * g.ePad];
            dvAcc = new float[g.bc * g.evPad];
            dqAcc = new float[g.br * g.ePad];
        }
    }

    static void backward(AttentionProblem p, float[] out, float[] stats, float[] dOut,
                         float[] dq, float[] dk, float[] dv, float[] dMask) {
        backward(p, out, stats, dOut, dq, dk, dv, dMask, BR_MAX, BC_MAX);
    }

    /** The backward with chosen block limits (multiples of the vector length), for tests and tuning. */
    static void backward(AttentionProblem p, float[] out, float[] stats, float[] dOut,
                         float[] dq, float[] dk, float[] dv, float[] dMask, int brMax, int bcMax) {
        Geometry g = new Geometry(p, brMax, bcMax);
        if (dMask != null) Arrays.fill(dMask, 0f);
        int[][] tasks = FlashAttention.taskItems(p, dMask != null);
        if (dMask != null || tasks.length >= ITEMS_FOR_ONE_PASS) {
            final class Scratch {
                final BwdItem item = new BwdItem(p, g, true);
                final Tiles tiles = new Tiles(p, g);
            }
            FlashAttention.runTasks(tasks.length, Scratch::new, (t, w) -> {
                for (int b : tasks[t]) {
                    w.item.pack(p, g, b, out, stats, dOut);
                    for (int kb = 0; kb < g.nKb; kb++) keyBlock(p, g, b, kb, w.item, w.tiles, true, dk, dv, dMask);
                    storeDq(p, g, b, 0, g.nQb * g.br, w.item.dqAcc, 0, dq);
                }
            });
            return;
        }
        BwdItem[] items = new BwdItem[p.batch];
        FlashAttention.runTasks(p.batch, () -> null, (b, unused) -> {
            items[b] = new BwdItem(p, g, false);
            items[b].pack(p, g, b, out, stats, dOut);
        });
        // dK, dV: one task per (item, key block). Then dQ: one task per (item, query block).
        FlashAttention.runTasks(p.batch * g.nKb, () -> new Tiles(p, g),
                (t, w) -> keyBlock(p, g, t / g.nKb, t % g.nKb, items[t / g.nKb], w, false, dk, dv, null));
        FlashAttention.runTasks(p.batch * g.nQb, () -> new Tiles(p, g), (t, w) -> {
            int b = t / g.nQb, qb = g.nQb - 1 - t % g.nQb;
            Arrays.fill(w.dqAcc, 0f);
            for (int kb = 0; kb < g.nKb; kb++) {
                blockPair(p, g, b, qb, kb, items[b], w, false, true, w.dqAcc, -qb * g.br * g.ePad, null);
            }
            storeDq(p, g, b, qb * g.br, Math.min(p.l, (qb + 1) * g.br), w.dqAcc, -qb * g.br * g.ePad, dq);
        });
    }

    /** dK and dV of key block kb of item b (and, with {@code withDq}, its share of dQ into the item's accumulator). */
    private static void keyBlock(AttentionProblem p, Geometry g, int b, int kb, BwdItem it, Tiles w, boolean withDq,
                                 float[] dk, float[] dv, float[] dMask) {
        int j0 = kb * g.bc, nj = Math.min(g.bc, p.s - j0);
        Arrays.fill(w.dkAcc, 0f);
        Arrays.fill(w.dvAcc, 0f);
        int qbStart = p.skipsAboveDiagonal() ? Math.min(g.nQb, j0 / g.br) : 0;
        for (int qb = qbStart; qb < g.nQb; qb++) {
            blockPair(p, g, b, qb, kb, it, w, true, withDq, it.dqAcc, 0, dMask);
        }
        int e = p.e, ev = p.ev;
        for (int j = 0; j < nj; j++) {
            int dko = (b * p.s + j0 + j) * e, dvo = (b * p.s + j0 + j) * ev;
            for (int c = 0; c < e; c++) dk[dko + c] = w.dkAcc[j * g.ePad + c] * p.scale;
            System.arraycopy(w.dvAcc, j * g.evPad, dv, dvo, ev);
        }
    }

    /** Rows {@code [i0, i1)} of the item's dQ, from an accumulator whose row i is at {@code accOff + i·ePad}. */
    private static void storeDq(AttentionProblem p, Geometry g, int b, int i0, int i1, float[] acc, int accOff, float[] dq) {
        int e = p.e;
        for (int i = i0; i < Math.min(i1, p.l); i++) {
            int o = (b * p.l + i) * e, src = accOff + i * g.ePad;
            for (int c = 0; c < e; c++) dq[o + c] = acc[src + c] * p.scale;
        }
    }

    /**
     * The (query block qb, key block kb) pair of item b: recomputes P and dP and accumulates dV, dK (into the
     * tiles, when {@code kv}), dQ (into {@code dqAcc}, its row i at {@code dqOff + i·ePad}, when {@code q}) and
     * the mask gradient (when {@code dMask} is not null). dK and dQ lack the factor {@code scale}, applied on store.
     */
    private static void blockPair(AttentionProblem p, Geometry g, int b, int qb, int kb, BwdItem it, Tiles w,
                                  boolean kv, boolean q, float[] dqAcc, int dqOff, float[] dMask) {
        int br = g.br, e = p.e, ev = p.ev;
        int i0 = qb * br, ni = Math.min(br, p.l - i0);
        int j0 = kb * g.bc, nj = Math.min(g.bc, p.s - j0);
        if (p.skipsAboveDiagonal()) {
            int iLast = i0 + ni - 1;
            if (j0 > iLast) return;
            nj = Math.min(nj, iLast - j0 + 1);
        }
        float[] st = w.st, dpt = w.dpt;
        // P = exp((S - m) - log ℓ), transposed: rows are keys, lanes are query rows.
        mmp(nj, br, e, p.k, p.kOffs[b] + j0 * e, e, it.qt, qb * e * br, e, 0, st, 0, br, VL, SET);
        applyMask(p, b, i0, ni, j0, nj, st, br, VL);
        for (int c0 = 0; c0 < br; c0 += VL) {
            FloatVector mv = FloatVector.fromArray(S, it.mT, i0 + c0), lv = FloatVector.fromArray(S, it.logT, i0 + c0);
            for (int j = 0, at = c0; j < nj; j++, at += br) {
                // S - m - log ℓ <= 0 but for the recomputation's rounding: far below overflow.
                VectorMath.expNoOverflow(FloatVector.fromArray(S, st, at).sub(mv).sub(lv)).intoArray(st, at);
            }
        }
        // dPᵀ = V dOᵀ.
        mmp(nj, br, ev, p.v, p.vOffs[b] + j0 * ev, ev, it.dot, qb * ev * br, ev, 0, dpt, 0, br, VL, SET);
        float[] pz = st;
        if (p.dropout()) {
            int threshold = AttentionDropout.threshold(p.dropoutP);
            float keepScale = AttentionDropout.keepScale(p.dropoutP);
            pz = w.pz;
            applyDropout(it.keys, i0, j0, nj, br, st, pz, br, VL, threshold, keepScale);
            applyDropout(it.keys, i0, j0, nj, br, dpt, dpt, br, VL, threshold, keepScale);
        }
        // dS = P ∘ (dP∘Z - D), over dP's tile.
        for (int c0 = 0; c0 < br; c0 += VL) {
            FloatVector dv = FloatVector.fromArray(S, it.d, i0 + c0);
            for (int j = 0, at = c0; j < nj; j++, at += br) {
                FloatVector.fromArray(S, dpt, at).sub(dv).mul(FloatVector.fromArray(S, st, at)).intoArray(dpt, at);
            }
        }
        if (p.replacesFinite()) clearReplaced(p, b, i0, ni, j0, nj, dpt, br);
        if (q) {
            // dS again in lane groups, the A operand of dQ += dS K at a constant stride.
            int gs = g.bc * VL;
            for (int c0 = 0; c0 < br; c0 += VL) {
                int base = (c0 / VL) * gs;
                for (int j = 0; j < nj; j++) FloatVector.fromArray(S, dpt, j * br + c0).intoArray(w.dsg, base + j * VL);
            }
        }
        if (kv) {
            // dV += (P∘Z)ᵀ dO and dK += dSᵀ Q over the block's ni valid rows.
            mmp(nj, g.evPad, ni, pz, 0, br, it.don, 0, p.l, i0, w.dvAcc, 0, g.evPad, VL, ADD);
            mmp(nj, g.ePad, ni, dpt, 0, br, it.qn, 0, p.l, i0, w.dkAcc, 0, g.ePad, VL, ADD);
            if (dMask != null) {
                int mo = p.maskOffs[b] + j0, rs = p.maskRowStride;
                for (int ii = 0; ii < ni; ii++) {
                    int mrow = mo + (i0 + ii) * rs;
                    for (int j = 0; j < nj; j++) dMask[mrow + j] += dpt[j * br + ii];
                }
            }
        }
        if (q) {
            // dQ += dS K.
            mmg(ni, g.ePad, nj, w.dsg, 0, g.bc * VL, it.kn, 0, p.s, j0, dqAcc, dqOff + i0 * g.ePad, g.ePad, ADD, null);
        }
    }

    // ================================================================== shared pieces

    /** The query block's {@code scale · Qᵀ} ({@code [e x br]}, lanes {@code ii >= ni} zero) as panels at {@code qt[off]}. */
    private static void packQt(AttentionProblem p, int b, int i0, int ni, int br, float[] qt, int off) {
        packPanels(p.q, p.qOffs[b] + i0 * p.e, 1, p.e, p.e, ni, br, p.scale, qt, off);
    }

    /**
     * Packs the {@code depth x colsPad} matrix {@code M(t, col) = scale · src[off + t·ts + col·cs]} (zero for
     * {@code col >= cols}) at {@code dst[dOff]} in {@link #mmp}'s panel layout: full panels of two vectors of
     * columns, each {@code depth x 2·lanes} row-major, then (when colsPad is an odd number of vectors) one panel
     * of one vector.
     */
    static void packPanels(float[] src, int off, int ts, int cs, int depth, int cols, int colsPad, float scale,
                           float[] dst, int dOff) {
        int pairs = colsPad / (2 * VL) * (2 * VL);
        if (cs == 1) {
            // Rows contiguous in src (Q, K, V, dO): whole vectors of a row go to a panel row.
            for (int col = 0; col < colsPad; col += VL) {
                int base = col < pairs ? dOff + (col / (2 * VL)) * depth * (2 * VL) + col % (2 * VL) : dOff + pairs * depth;
                int w = col < pairs ? 2 * VL : VL, n = Math.min(VL, cols - col);
                if (n == VL) {
                    for (int t = 0; t < depth; t++) {
                        FloatVector.fromArray(S, src, off + t * ts + col).mul(scale).intoArray(dst, base + t * w);
                    }
                } else {
                    for (int t = 0; t < depth; t++) {
                        for (int x = 0; x < VL; x++) dst[base + t * w + x] = x < n ? src[off + t * ts + col + x] * scale : 0f;
                    }
                }
            }
            return;
        }
        // Depth contiguous in src (Qᵀ, dOᵀ): groups of 8 columns, which never straddle a panel, go through 8 x 8
        // register transposes down to the last multiple of 8 of the depth; the rest one element at a time.
        int grouped = ts == 1 && TransposeVector.ENABLED ? cols / 8 * 8 : 0, depth8 = depth / 8 * 8;
        for (int col = 0; col < colsPad; col++) {
            int base, w;
            if (col < pairs) {
                base = dOff + (col / (2 * VL)) * depth * (2 * VL) + col % (2 * VL);
                w = 2 * VL;
            } else {
                base = dOff + pairs * depth + (col - pairs);
                w = VL;
            }
            if (col < grouped) {
                int at = off + col * cs;
                if (col % 8 == 0) {
                    for (int t = 0; t < depth8; t += 8) TransposeVector.transpose8x8(src, at + t, cs, dst, base + t * w, w, scale);
                }
                for (int t = depth8; t < depth; t++) dst[base + t * w] = src[at + t] * scale;
            } else if (col < cols) {
                int at = off + col * cs;
                for (int t = 0; t < depth; t++) dst[base + t * w] = src[at + t * ts] * scale;
            } else {
                for (int t = 0; t < depth; t++) dst[base + t * w] = 0f;
            }
        }
    }

    /**
     * Causal or mask on the transposed score tile: row j (key {@code j0 + j}), lane ii (query {@code i0 + ii}) at
     * {@code (ii / VL)·gs + j·rs + ii % VL} (row-major: {@code rs = br, gs = VL}; lane groups: {@code rs = VL,
     * gs = bc·VL}). Padding lanes ({@code ii >= ni}) are left as they are; nothing reads them.
     */
    private static void applyMask(AttentionProblem p, int b, int i0, int ni, int j0, int nj, float[] st, int rs, int gs) {
        float mv = p.maskedValue;
        int lanes = roundUp(ni, VL);
        if (p.causal) {
            for (int j = 0; j < nj; j++) {
                int upto = Math.min(ni, j0 + j - i0);                  // lanes with i < j are above the diagonal
                for (int ii = 0; ii < upto; ii++) st[(ii / VL) * gs + j * rs + ii % VL] = mv;
            }
            return;
        }
        if (p.maskKind == AttentionProblem.MaskKind.NONE) return;
        int mo = p.maskOffs[b], mrs = p.maskRowStride;
        boolean add = p.maskKind == AttentionProblem.MaskKind.ADD;
        if (mrs == 0) {
            // One value per key (key padding): the whole tile row.
            FloatVector mvv = FloatVector.broadcast(S, mv);
            for (int j = 0; j < nj; j++) {
                float x = p.mask[mo + j0 + j];
                if (add ? x == 0f : x != 0f) continue;
                FloatVector xv = FloatVector.broadcast(S, x);
                for (int c0 = 0; c0 < lanes; c0 += VL) {
                    int at = (c0 / VL) * gs + j * rs;
                    (add ? FloatVector.fromArray(S, st, at).add(xv) : mvv).intoArray(st, at);
                }
            }
            return;
        }
        for (int ii = 0; ii < ni; ii++) {
            int mrow = mo + (i0 + ii) * mrs + j0, at = (ii / VL) * gs + ii % VL;
            if (add) {
                for (int j = 0; j < nj; j++) st[at + j * rs] += p.mask[mrow + j];
            } else {
                for (int j = 0; j < nj; j++) if (p.mask[mrow + j] == 0f) st[at + j * rs] = mv;
            }
        }
    }

    /** Zeroes dS where the score was replaced by a finite masked value (no gradient flows to q and k there). */
    private static void clearReplaced(AttentionProblem p, int b, int i0, int ni, int j0, int nj, float[] dst, int br) {
        if (p.causal) {
            for (int j = 0; j < nj; j++) {
                int upto = Math.min(ni, j0 + j - i0);
                if (upto > 0) Arrays.fill(dst, j * br, j * br + upto, 0f);
            }
            return;
        }
        int mo = p.maskOffs[b], rs = p.maskRowStride;
        for (int ii = 0; ii < ni; ii++) {
            int mrow = mo + (i0 + ii) * rs + j0;
            for (int j = 0; j < nj; j++) if (p.mask[mrow + j] == 0f) dst[j * br + ii] = 0f;
        }
    }

    /**
     * {@code dst[j][lanes] = src[j][lanes] · Z(i0 + lane, j0 + j)} (tiles laid out as in {@link #applyMask}): the
     * dropout factor 0 or {@code keepScale} of
     * {@link AttentionDropout}, computed 32-bit lane-wise ({@code fmix32} vectorised) from the lanes' row keys.
     */
    private static void applyDropout(int[] keys, int i0, int j0, int nj, int br, float[] src, float[] dst,
                                     int rs, int gs, int threshold, float keepScale) {
        FloatVector zero = FloatVector.zero(S);
        for (int c0 = 0; c0 < br; c0 += VL) {
            IntVector kv = IntVector.fromArray(IS, keys, i0 + c0);
            for (int j = 0, at = (c0 / VL) * gs; j < nj; j++, at += rs) {
                IntVector h = kv.add((j0 + j) * AttentionDropout.COLUMN_STEP);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
                VectorMask<Integer> keep = h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.LT, threshold);
                FloatVector z = zero.blend(keepScale, keep.cast(S));
                FloatVector.fromArray(S, src, at).mul(z).intoArray(dst, at);
            }
        }
    }

    // ================================================================== the small matrix product

    // The micro-kernels below (k6x2p ... k4x1g) store their accumulators with Vector API calls written out, not
    // through a helper method taking them: C2 inlines these kernels into their callers, and past about 18,000
    // parsed IR nodes (NodeCountInliningCutoff) it stops inlining methods other than the Vector API's own, so
    // such a helper was called with its vectors boxed (LogCompilation showed it for the 4 x 2 lane-group kernel that k6x2g replaced). See GemmVector.

    /**
     * {@code C[rows, cols] = A·B} ({@link #SET}) or {@code C += A·B} ({@link #ADD}), where
     * {@code A(r, p) = a[aOff + r·ars + p]} (rows of K or V, or the key rows of the P and dS tiles) is read by
     * broadcasts and B is packed in panels ({@link #packPanels}) of {@code bDepth} rows, the product reading rows
     * {@code [t0, t0 + depth)} of them. Every load is then at a constant stride from a fixed base (1 for A,
     * {@code 2·lanes} or {@code lanes} for B), for which C2 hoists the bounds checks out of the loop; with a runtime
     * stride it checked every broadcast (an A stride parameter, always 1, cost 8% of the backward). Vector q of
     * C's row r is stored at {@code cOff + r·ldc + q·cvs} ({@code cvs = lanes} for row-major C;
     * {@code ldc = lanes, cvs = group stride} for a tile in lane groups).
     *
     * <p>Register tiles: 6 rows x 2 vectors (12 accumulators, two B vectors and a broadcast: 15 of AVX2's 16
     * registers; at N = 197 it measured 4% ahead of 4 x 2 in the backward). An odd number of vectors (a query
     * block of 200 rows is 25, one of 40 is 5) runs its last pair and the single vector as 3 x 3 tiles: the single
     * vector alone needs a broadcast per fma, load-bound, and took 12% of the backward (with 40-row blocks) at twice
     * the time per flop. With AVX-512 ({@link #WIDE_TILES}) pairs of pairs go through 6 x 4 tiles (24 accumulators):
     * the 6 x 2 loop issues ~30 instructions for 12 fmas (two loads, six broadcasts, six address adds, loop count),
     * near the front end's limit, and ran at 75-84% of the FMA peak. Measured on a KVM Xeon (Sapphire Rapids class),
     * one thread, the backward's shapes at N = 197, d = 64: dV's product 130 -> 150 GFLOP/s, the scores' 137 -> 147;
     * attention forward + backward B=8 H=12 through the Tensor API 22.6 -> 21.9 ms (median), forward 6.4 -> 6.0.
     */
    static void mmp(int rows, int cols, int depth, float[] a, int aOff, int ars,
                    float[] b, int bOff, int bDepth, int t0, float[] c, int cOff, int ldc, int cvs, int mode) {
        int pairs = cols / (2 * VL) * (2 * VL);
        boolean single = pairs != cols;
        // An odd number of vectors, three or more: the last pair and the single panel go through the 3 x 3 tile,
        // not the single vector on its own (one broadcast per fma, load-bound).
        int pairsAlone = single && pairs > 0 ? pairs - 2 * VL : pairs;
        int quads = WIDE_TILES ? pairsAlone / (4 * VL) * (4 * VL) : 0;
        for (int r = 0; r < rows; r += 6) {
            int valid = Math.min(6, rows - r);
            for (int col = 0; col < quads; col += 4 * VL) {
                int b0 = bOff + (col / (2 * VL)) * bDepth * (2 * VL) + t0 * (2 * VL), b1 = b0 + bDepth * (2 * VL);
                k6x4p(depth, a, aOff + r * ars, ars, b, b0, b1, c, cOff + r * ldc + col / VL * cvs, ldc, cvs, mode, valid);
            }
            for (int col = quads; col < pairsAlone; col += 2 * VL) {
                int b0 = bOff + (col / (2 * VL)) * bDepth * (2 * VL) + t0 * (2 * VL);
                k6x2p(depth, a, aOff + r * ars, ars, b, b0, c, cOff + r * ldc + col / VL * cvs, ldc, cvs, mode, valid);
            }
        }
        if (!single) return;
        int b1 = bOff + pairs * bDepth + t0 * VL;
        if (pairs > 0) {
            int col = pairsAlone, b0 = bOff + (col / (2 * VL)) * bDepth * (2 * VL) + t0 * (2 * VL);
            for (int r = 0; r < rows; r += 3) {
                k3x3p(depth, a, aOff + r * ars, ars, b, b0, b1, c, cOff + r * ldc + col / VL * cvs, ldc, cvs, mode,
                        Math.min(3, rows - r));
            }
            return;
        }
        int r = 0;
        for (; r + 8 <= rows; r += 8) k8x1p(depth, a, aOff + r * ars, ars, b, b1, c, cOff + r * ldc, ldc, mode);
        for (; r < rows; r += 4) {
            k4x1p(depth, a, aOff + r * ars, ars, b, b1, c, cOff + r * ldc, ldc, mode, Math.min(4, rows - r));
        }
    }

    /** Three rows by three vectors: two from a pair panel at {@code b0}, the third from a single panel at {@code b1}. */
    private static void k3x3p(int depth, float[] a, int a0, int ars, float[] b, int b0, int b1,
                              float[] c, int c0, int ldc, int cvs, int mode, int valid) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        int a1 = a0 + Math.min(1, valid - 1) * ars, a2 = a0 + Math.min(2, valid - 1) * ars;
        for (int p = 0; p < depth; p++) {
            int bi = b0 + p * (2 * VL);
            FloatVector x0 = FloatVector.fromArray(S, b, bi), x1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x2 = FloatVector.fromArray(S, b, b1 + p * VL);
            FloatVector y = FloatVector.broadcast(S, a[a0 + p]);
            c00 = y.fma(x0, c00);
            c01 = y.fma(x1, c01);
            c02 = y.fma(x2, c02);
            y = FloatVector.broadcast(S, a[a1 + p]);
            c10 = y.fma(x0, c10);
            c11 = y.fma(x1, c11);
            c12 = y.fma(x2, c12);
            y = FloatVector.broadcast(S, a[a2 + p]);
            c20 = y.fma(x0, c20);
            c21 = y.fma(x1, c21);
            c22 = y.fma(x2, c22);
        }
        int r1 = c0 + ldc, r2 = c0 + 2 * ldc;
        if (mode == ADD) {
            c00 = c00.add(FloatVector.fromArray(S, c, c0)); c01 = c01.add(FloatVector.fromArray(S, c, c0 + cvs));
            c02 = c02.add(FloatVector.fromArray(S, c, c0 + 2 * cvs));
            if (valid > 1) {
                c10 = c10.add(FloatVector.fromArray(S, c, r1)); c11 = c11.add(FloatVector.fromArray(S, c, r1 + cvs));
                c12 = c12.add(FloatVector.fromArray(S, c, r1 + 2 * cvs));
            }
            if (valid > 2) {
                c20 = c20.add(FloatVector.fromArray(S, c, r2)); c21 = c21.add(FloatVector.fromArray(S, c, r2 + cvs));
                c22 = c22.add(FloatVector.fromArray(S, c, r2 + 2 * cvs));
            }
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + cvs); c02.intoArray(c, c0 + 2 * cvs);
        if (valid > 1) { c10.intoArray(c, r1); c11.intoArray(c, r1 + cvs); c12.intoArray(c, r1 + 2 * cvs); }
        if (valid > 2) { c20.intoArray(c, r2); c21.intoArray(c, r2 + cvs); c22.intoArray(c, r2 + 2 * cvs); }
    }

    private static void k6x2p(int depth, float[] a, int a0, int ars, float[] b, int b0,
                              float[] c, int c0, int ldc, int cvs, int mode, int valid) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a1 = a0 + Math.min(1, valid - 1) * ars, a2 = a0 + Math.min(2, valid - 1) * ars, a3 = a0 + Math.min(3, valid - 1) * ars;
        int a4 = a0 + Math.min(4, valid - 1) * ars, a5 = a0 + Math.min(5, valid - 1) * ars;
        for (int p = 0; p < depth; p++) {
            int bi = b0 + p * (2 * VL);
            FloatVector x0 = FloatVector.fromArray(S, b, bi), x1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector y = FloatVector.broadcast(S, a[a0 + p]);
            c00 = y.fma(x0, c00);
            c01 = y.fma(x1, c01);
            y = FloatVector.broadcast(S, a[a1 + p]);
            c10 = y.fma(x0, c10);
            c11 = y.fma(x1, c11);
            y = FloatVector.broadcast(S, a[a2 + p]);
            c20 = y.fma(x0, c20);
            c21 = y.fma(x1, c21);
            y = FloatVector.broadcast(S, a[a3 + p]);
            c30 = y.fma(x0, c30);
            c31 = y.fma(x1, c31);
            y = FloatVector.broadcast(S, a[a4 + p]);
            c40 = y.fma(x0, c40);
            c41 = y.fma(x1, c41);
            y = FloatVector.broadcast(S, a[a5 + p]);
            c50 = y.fma(x0, c50);
            c51 = y.fma(x1, c51);
        }
        int r1 = c0 + ldc, r2 = c0 + 2 * ldc, r3 = c0 + 3 * ldc, r4 = c0 + 4 * ldc, r5 = c0 + 5 * ldc;
        if (mode == ADD) {
            c00 = c00.add(FloatVector.fromArray(S, c, c0)); c01 = c01.add(FloatVector.fromArray(S, c, c0 + cvs));
            if (valid > 1) { c10 = c10.add(FloatVector.fromArray(S, c, r1)); c11 = c11.add(FloatVector.fromArray(S, c, r1 + cvs)); }
            if (valid > 2) { c20 = c20.add(FloatVector.fromArray(S, c, r2)); c21 = c21.add(FloatVector.fromArray(S, c, r2 + cvs)); }
            if (valid > 3) { c30 = c30.add(FloatVector.fromArray(S, c, r3)); c31 = c31.add(FloatVector.fromArray(S, c, r3 + cvs)); }
            if (valid > 4) { c40 = c40.add(FloatVector.fromArray(S, c, r4)); c41 = c41.add(FloatVector.fromArray(S, c, r4 + cvs)); }
            if (valid > 5) { c50 = c50.add(FloatVector.fromArray(S, c, r5)); c51 = c51.add(FloatVector.fromArray(S, c, r5 + cvs)); }
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + cvs);
        if (valid > 1) { c10.intoArray(c, r1); c11.intoArray(c, r1 + cvs); }
        if (valid > 2) { c20.intoArray(c, r2); c21.intoArray(c, r2 + cvs); }
        if (valid > 3) { c30.intoArray(c, r3); c31.intoArray(c, r3 + cvs); }
        if (valid > 4) { c40.intoArray(c, r4); c41.intoArray(c, r4 + cvs); }
        if (valid > 5) { c50.intoArray(c, r5); c51.intoArray(c, r5 + cvs); }
    }

    /**
     * Six rows by four vectors, from two pair panels at {@code b0} and {@code b1}: 24 accumulators, four B loads and
     * six broadcasts per depth step. AVX-512's 32 registers hold it (24 + 4 + 1); per fma it issues half the loads
     * and address arithmetic of {@link #k6x2p}, which keeps the front end below the two FMA ports' rate.
     */
    private static void k6x4p(int depth, float[] a, int a0, int ars, float[] b, int b0, int b1,
                              float[] c, int c0, int ldc, int cvs, int mode, int valid) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        int a1 = a0 + Math.min(1, valid - 1) * ars, a2 = a0 + Math.min(2, valid - 1) * ars, a3 = a0 + Math.min(3, valid - 1) * ars;
        int a4 = a0 + Math.min(4, valid - 1) * ars, a5 = a0 + Math.min(5, valid - 1) * ars;
        for (int p = 0; p < depth; p++) {
            int bi = b0 + p * (2 * VL), bj = b1 + p * (2 * VL);
            FloatVector x0 = FloatVector.fromArray(S, b, bi), x1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x2 = FloatVector.fromArray(S, b, bj), x3 = FloatVector.fromArray(S, b, bj + VL);
            FloatVector y = FloatVector.broadcast(S, a[a0 + p]);
            c00 = y.fma(x0, c00);
            c01 = y.fma(x1, c01);
            c02 = y.fma(x2, c02);
            c03 = y.fma(x3, c03);
            y = FloatVector.broadcast(S, a[a1 + p]);
            c10 = y.fma(x0, c10);
            c11 = y.fma(x1, c11);
            c12 = y.fma(x2, c12);
            c13 = y.fma(x3, c13);
            y = FloatVector.broadcast(S, a[a2 + p]);
            c20 = y.fma(x0, c20);
            c21 = y.fma(x1, c21);
            c22 = y.fma(x2, c22);
            c23 = y.fma(x3, c23);
            y = FloatVector.broadcast(S, a[a3 + p]);
            c30 = y.fma(x0, c30);
            c31 = y.fma(x1, c31);
            c32 = y.fma(x2, c32);
            c33 = y.fma(x3, c33);
            y = FloatVector.broadcast(S, a[a4 + p]);
            c40 = y.fma(x0, c40);
            c41 = y.fma(x1, c41);
            c42 = y.fma(x2, c42);
            c43 = y.fma(x3, c43);
            y = FloatVector.broadcast(S, a[a5 + p]);
            c50 = y.fma(x0, c50);
            c51 = y.fma(x1, c51);
            c52 = y.fma(x2, c52);
            c53 = y.fma(x3, c53);
        }
        // Written out per row (see the note above mmp); ADD as C·1 + acc, the same bits as C + acc.
        boolean add = mode == ADD;
        FloatVector one = FloatVector.broadcast(S, 1f);
        if (add) {
            FloatVector.fromArray(S, c, c0).fma(one, c00).intoArray(c, c0);
            FloatVector.fromArray(S, c, c0 + cvs).fma(one, c01).intoArray(c, c0 + cvs);
            FloatVector.fromArray(S, c, c0 + 2 * cvs).fma(one, c02).intoArray(c, c0 + 2 * cvs);
            FloatVector.fromArray(S, c, c0 + 3 * cvs).fma(one, c03).intoArray(c, c0 + 3 * cvs);
        } else {
            c00.intoArray(c, c0);
            c01.intoArray(c, c0 + cvs);
            c02.intoArray(c, c0 + 2 * cvs);
            c03.intoArray(c, c0 + 3 * cvs);
        }
        if (valid < 2) return;
        if (add) {
            FloatVector.fromArray(S, c, c0 + ldc).fma(one, c10).intoArray(c, c0 + ldc);
            FloatVector.fromArray(S, c, c0 + ldc + cvs).fma(one, c11).intoArray(c, c0 + ldc + cvs);
            FloatVector.fromArray(S, c, c0 + ldc + 2 * cvs).fma(one, c12).intoArray(c, c0 + ldc + 2 * cvs);
            FloatVector.fromArray(S, c, c0 + ldc + 3 * cvs).fma(one, c13).intoArray(c, c0 + ldc + 3 * cvs);
        } else {
            c10.intoArray(c, c0 + ldc);
            c11.intoArray(c, c0 + ldc + cvs);
            c12.intoArray(c, c0 + ldc + 2 * cvs);
            c13.intoArray(c, c0 + ldc + 3 * cvs);
        }
        if (valid < 3) return;
        if (add) {
            FloatVector.fromArray(S, c, c0 + 2 * ldc).fma(one, c20).intoArray(c, c0 + 2 * ldc);
            FloatVector.fromArray(S, c, c0 + 2 * ldc + cvs).fma(one, c21).intoArray(c, c0 + 2 * ldc + cvs);
            FloatVector.fromArray(S, c, c0 + 2 * ldc + 2 * cvs).fma(one, c22).intoArray(c, c0 + 2 * ldc + 2 * cvs);
            FloatVector.fromArray(S, c, c0 + 2 * ldc + 3 * cvs).fma(one, c23).intoArray(c, c0 + 2 * ldc + 3 * cvs);
        } else {
            c20.intoArray(c, c0 + 2 * ldc);
            c21.intoArray(c, c0 + 2 * ldc + cvs);
            c22.intoArray(c, c0 + 2 * ldc + 2 * cvs);
            c23.intoArray(c, c0 + 2 * ldc + 3 * cvs);
        }
        if (valid < 4) return;
        if (add) {
            FloatVector.fromArray(S, c, c0 + 3 * ldc).fma(one, c30).intoArray(c, c0 + 3 * ldc);
            FloatVector.fromArray(S, c, c0 + 3 * ldc + cvs).fma(one, c31).intoArray(c, c0 + 3 * ldc + cvs);
            FloatVector.fromArray(S, c, c0 + 3 * ldc + 2 * cvs).fma(one, c32).intoArray(c, c0 + 3 * ldc + 2 * cvs);
            FloatVector.fromArray(S, c, c0 + 3 * ldc + 3 * cvs).fma(one, c33).intoArray(c, c0 + 3 * ldc + 3 * cvs);
        } else {
            c30.intoArray(c, c0 + 3 * ldc);
            c31.intoArray(c, c0 + 3 * ldc + cvs);
            c32.intoArray(c, c0 + 3 * ldc + 2 * cvs);
            c33.intoArray(c, c0 + 3 * ldc + 3 * cvs);
        }
        if (valid < 5) return;
        if (add) {
            FloatVector.fromArray(S, c, c0 + 4 * ldc).fma(one, c40).intoArray(c, c0 + 4 * ldc);
            FloatVector.fromArray(S, c, c0 + 4 * ldc + cvs).fma(one, c41).intoArray(c, c0 + 4 * ldc + cvs);
            FloatVector.fromArray(S, c, c0 + 4 * ldc + 2 * cvs).fma(one, c42).intoArray(c, c0 + 4 * ldc + 2 * cvs);
            FloatVector.fromArray(S, c, c0 + 4 * ldc + 3 * cvs).fma(one, c43).intoArray(c, c0 + 4 * ldc + 3 * cvs);
        } else {
            c40.intoArray(c, c0 + 4 * ldc);
            c41.intoArray(c, c0 + 4 * ldc + cvs);
            c42.intoArray(c, c0 + 4 * ldc + 2 * cvs);
            c43.intoArray(c, c0 + 4 * ldc + 3 * cvs);
        }
        if (valid < 6) return;
        if (add) {
            FloatVector.fromArray(S, c, c0 + 5 * ldc).fma(one, c50).intoArray(c, c0 + 5 * ldc);
            FloatVector.fromArray(S, c, c0 + 5 * ldc + cvs).fma(one, c51).intoArray(c, c0 + 5 * ldc + cvs);
            FloatVector.fromArray(S, c, c0 + 5 * ldc + 2 * cvs).fma(one, c52).intoArray(c, c0 + 5 * ldc + 2 * cvs);
            FloatVector.fromArray(S, c, c0 + 5 * ldc + 3 * cvs).fma(one, c53).intoArray(c, c0 + 5 * ldc + 3 * cvs);
        } else {
            c50.intoArray(c, c0 + 5 * ldc);
            c51.intoArray(c, c0 + 5 * ldc + cvs);
            c52.intoArray(c, c0 + 5 * ldc + 2 * cvs);
            c53.intoArray(c, c0 + 5 * ldc + 3 * cvs);
        }
    }

    private static void k8x1p(int depth, float[] a, int a0, int ars, float[] b, int b0,
                              float[] c, int c0, int ldc, int mode) {
        FloatVector c0v = FloatVector.zero(S), c1v = c0v, c2v = c0v, c3v = c0v, c4v = c0v, c5v = c0v, c6v = c0v, c7v = c0v;
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
        for (int p = 0; p < depth; p++) {
            int ai = p;
            FloatVector x = FloatVector.fromArray(S, b, b0 + p * VL);
            c0v = FloatVector.broadcast(S, a[a0 + ai]).fma(x, c0v);
            c1v = FloatVector.broadcast(S, a[a1 + ai]).fma(x, c1v);
            c2v = FloatVector.broadcast(S, a[a2 + ai]).fma(x, c2v);
            c3v = FloatVector.broadcast(S, a[a3 + ai]).fma(x, c3v);
            c4v = FloatVector.broadcast(S, a[a4 + ai]).fma(x, c4v);
            c5v = FloatVector.broadcast(S, a[a5 + ai]).fma(x, c5v);
            c6v = FloatVector.broadcast(S, a[a6 + ai]).fma(x, c6v);
            c7v = FloatVector.broadcast(S, a[a7 + ai]).fma(x, c7v);
        }
        if (mode == ADD) {
            c0v = c0v.add(FloatVector.fromArray(S, c, c0)); c1v = c1v.add(FloatVector.fromArray(S, c, c0 + ldc));
            c2v = c2v.add(FloatVector.fromArray(S, c, c0 + 2 * ldc)); c3v = c3v.add(FloatVector.fromArray(S, c, c0 + 3 * ldc));
            c4v = c4v.add(FloatVector.fromArray(S, c, c0 + 4 * ldc)); c5v = c5v.add(FloatVector.fromArray(S, c, c0 + 5 * ldc));
            c6v = c6v.add(FloatVector.fromArray(S, c, c0 + 6 * ldc)); c7v = c7v.add(FloatVector.fromArray(S, c, c0 + 7 * ldc));
        }
        c0v.intoArray(c, c0); c1v.intoArray(c, c0 + ldc); c2v.intoArray(c, c0 + 2 * ldc); c3v.intoArray(c, c0 + 3 * ldc);
        c4v.intoArray(c, c0 + 4 * ldc); c5v.intoArray(c, c0 + 5 * ldc); c6v.intoArray(c, c0 + 6 * ldc); c7v.intoArray(c, c0 + 7 * ldc);
    }

    private static void k4x1p(int depth, float[] a, int a0, int ars, float[] b, int b0,
                              float[] c, int c0, int ldc, int mode, int valid) {
        FloatVector c00 = FloatVector.zero(S), c10 = c00, c20 = c00, c30 = c00;
        int a1 = a0 + Math.min(1, valid - 1) * ars, a2 = a0 + Math.min(2, valid - 1) * ars, a3 = a0 + Math.min(3, valid - 1) * ars;
        for (int p = 0; p < depth; p++) {
            int ai = p;
            FloatVector x0 = FloatVector.fromArray(S, b, b0 + p * VL);
            c00 = FloatVector.broadcast(S, a[a0 + ai]).fma(x0, c00);
            c10 = FloatVector.broadcast(S, a[a1 + ai]).fma(x0, c10);
            c20 = FloatVector.broadcast(S, a[a2 + ai]).fma(x0, c20);
            c30 = FloatVector.broadcast(S, a[a3 + ai]).fma(x0, c30);
        }
        int r1 = c0 + ldc, r2 = c0 + 2 * ldc, r3 = c0 + 3 * ldc;
        if (mode == ADD) {
            c00 = c00.add(FloatVector.fromArray(S, c, c0));
            if (valid > 1) c10 = c10.add(FloatVector.fromArray(S, c, r1));
            if (valid > 2) c20 = c20.add(FloatVector.fromArray(S, c, r2));
            if (valid > 3) c30 = c30.add(FloatVector.fromArray(S, c, r3));
        }
        c00.intoArray(c, c0);
        if (valid > 1) c10.intoArray(c, r1);
        if (valid > 2) c20.intoArray(c, r2);
        if (valid > 3) c30.intoArray(c, r3);
    }

    /**
     * {@link #mmp} with A in lane groups: {@code A(r, p) = a[aOff + (r / lanes)·aGroup + p·lanes + r % lanes]} — the
     * score tile as the forward keeps it, read at the constant stride of one vector. A tile of 6 rows may straddle
     * two groups: each row has its own base. With {@link #SCALE}, C's row r is first multiplied by {@code rowScale[r]} (the online softmax's
     * rescale of the running output).
     */
    static void mmg(int rows, int cols, int depth, float[] a, int aOff, int aGroup, float[] b, int bOff, int bDepth, int t0,
                    float[] c, int cOff, int ldc, int mode, float[] rowScale) {
        int pairs = cols / (2 * VL) * (2 * VL), quads = WIDE_TILES ? cols / (4 * VL) * (4 * VL) : 0;
        for (int r = 0; r < rows; r += 6) {
            int valid = Math.min(6, rows - r);
            for (int col = 0; col < quads; col += 4 * VL) {
                int b0 = bOff + (col / (2 * VL)) * bDepth * (2 * VL) + t0 * (2 * VL), b1 = b0 + bDepth * (2 * VL);
                k6x4g(depth, a, aOff, aGroup, b, b0, b1, c, cOff + r * ldc + col, ldc, mode, rowScale, r, valid);
            }
            for (int col = quads; col < pairs; col += 2 * VL) {
                int b0 = bOff + (col / (2 * VL)) * bDepth * (2 * VL) + t0 * (2 * VL);
                k6x2g(depth, a, aOff, aGroup, b, b0, c, cOff + r * ldc + col, ldc, mode, rowScale, r, valid);
            }
        }
        if (pairs == cols) return;
        int b0 = bOff + pairs * bDepth + t0 * VL;
        for (int r = 0; r < rows; r += 4) {
            int a0 = aOff + (r / VL) * aGroup + r % VL;
            k4x1g(depth, a, a0, b, b0, c, cOff + r * ldc + pairs, ldc, mode, rowScale, r, Math.min(4, rows - r));
        }
    }

    private static void k6x2g(int depth, float[] a, int aOff, int aGroup, float[] b, int b0, float[] c, int c0, int ldc,
                              int mode, float[] rs, int r, int valid) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        // Row r + i of A starts at its lane group's base plus its lane; rows past valid repeat the last valid one.
        int a0 = aOff + (r / VL) * aGroup + r % VL;
        int r1 = r + Math.min(1, valid - 1), r2 = r + Math.min(2, valid - 1), r3 = r + Math.min(3, valid - 1);
        int r4 = r + Math.min(4, valid - 1), r5 = r + Math.min(5, valid - 1);
        int a1 = aOff + (r1 / VL) * aGroup + r1 % VL, a2 = aOff + (r2 / VL) * aGroup + r2 % VL;
        int a3 = aOff + (r3 / VL) * aGroup + r3 % VL, a4 = aOff + (r4 / VL) * aGroup + r4 % VL;
        int a5 = aOff + (r5 / VL) * aGroup + r5 % VL;
        for (int p = 0; p < depth; p++) {
            int bi = b0 + p * (2 * VL), ai = p * VL;
            FloatVector x0 = FloatVector.fromArray(S, b, bi), x1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector y = FloatVector.broadcast(S, a[a0 + ai]);
            c00 = y.fma(x0, c00);
            c01 = y.fma(x1, c01);
            y = FloatVector.broadcast(S, a[a1 + ai]);
            c10 = y.fma(x0, c10);
            c11 = y.fma(x1, c11);
            y = FloatVector.broadcast(S, a[a2 + ai]);
            c20 = y.fma(x0, c20);
            c21 = y.fma(x1, c21);
            y = FloatVector.broadcast(S, a[a3 + ai]);
            c30 = y.fma(x0, c30);
            c31 = y.fma(x1, c31);
            y = FloatVector.broadcast(S, a[a4 + ai]);
            c40 = y.fma(x0, c40);
            c41 = y.fma(x1, c41);
            y = FloatVector.broadcast(S, a[a5 + ai]);
            c50 = y.fma(x0, c50);
            c51 = y.fma(x1, c51);
        }
        // The stores are written out: see the note above mmp.
        if (mode == SET) {
            c00.intoArray(c, c0);
            c01.intoArray(c, c0 + VL);
            if (valid < 2) return;
            c10.intoArray(c, c0 + ldc);
            c11.intoArray(c, c0 + ldc + VL);
            if (valid < 3) return;
            c20.intoArray(c, c0 + 2 * ldc);
            c21.intoArray(c, c0 + 2 * ldc + VL);
            if (valid < 4) return;
            c30.intoArray(c, c0 + 3 * ldc);
            c31.intoArray(c, c0 + 3 * ldc + VL);
            if (valid < 5) return;
            c40.intoArray(c, c0 + 4 * ldc);
            c41.intoArray(c, c0 + 4 * ldc + VL);
            if (valid < 6) return;
            c50.intoArray(c, c0 + 5 * ldc);
            c51.intoArray(c, c0 + 5 * ldc + VL);
            return;
        }
        // ADD as C·1 + acc, which the fma rounds once: the same bits as C + acc.
        FloatVector s = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r]);
        FloatVector.fromArray(S, c, c0).fma(s, c00).intoArray(c, c0);
        FloatVector.fromArray(S, c, c0 + VL).fma(s, c01).intoArray(c, c0 + VL);
        if (valid < 2) return;
        s = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 1]);
        FloatVector.fromArray(S, c, c0 + ldc).fma(s, c10).intoArray(c, c0 + ldc);
        FloatVector.fromArray(S, c, c0 + ldc + VL).fma(s, c11).intoArray(c, c0 + ldc + VL);
        if (valid < 3) return;
        s = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 2]);
        FloatVector.fromArray(S, c, c0 + 2 * ldc).fma(s, c20).intoArray(c, c0 + 2 * ldc);
        FloatVector.fromArray(S, c, c0 + 2 * ldc + VL).fma(s, c21).intoArray(c, c0 + 2 * ldc + VL);
        if (valid < 4) return;
        s = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 3]);
        FloatVector.fromArray(S, c, c0 + 3 * ldc).fma(s, c30).intoArray(c, c0 + 3 * ldc);
        FloatVector.fromArray(S, c, c0 + 3 * ldc + VL).fma(s, c31).intoArray(c, c0 + 3 * ldc + VL);
        if (valid < 5) return;
        s = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 4]);
        FloatVector.fromArray(S, c, c0 + 4 * ldc).fma(s, c40).intoArray(c, c0 + 4 * ldc);
        FloatVector.fromArray(S, c, c0 + 4 * ldc + VL).fma(s, c41).intoArray(c, c0 + 4 * ldc + VL);
        if (valid < 6) return;
        s = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 5]);
        FloatVector.fromArray(S, c, c0 + 5 * ldc).fma(s, c50).intoArray(c, c0 + 5 * ldc);
        FloatVector.fromArray(S, c, c0 + 5 * ldc + VL).fma(s, c51).intoArray(c, c0 + 5 * ldc + VL);
    }

    /**
     * {@link #k6x2g} four vectors wide (two pair panels at {@code b0} and {@code b1}), as {@link #k6x4p} is to
     * {@link #k6x2p}.
     */
    private static void k6x4g(int depth, float[] a, int aOff, int aGroup, float[] b, int b0, int b1, float[] c, int c0, int ldc,
                              int mode, float[] rs, int r, int valid) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        int r1 = r + Math.min(1, valid - 1), r2 = r + Math.min(2, valid - 1), r3 = r + Math.min(3, valid - 1);
        int r4 = r + Math.min(4, valid - 1), r5 = r + Math.min(5, valid - 1);
        int a0 = aOff + (r / VL) * aGroup + r % VL, a1 = aOff + (r1 / VL) * aGroup + r1 % VL, a2 = aOff + (r2 / VL) * aGroup + r2 % VL;
        int a3 = aOff + (r3 / VL) * aGroup + r3 % VL, a4 = aOff + (r4 / VL) * aGroup + r4 % VL;
        int a5 = aOff + (r5 / VL) * aGroup + r5 % VL;
        for (int p = 0; p < depth; p++) {
            int bi = b0 + p * (2 * VL), bj = b1 + p * (2 * VL), ai = p * VL;
            FloatVector x0 = FloatVector.fromArray(S, b, bi), x1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x2 = FloatVector.fromArray(S, b, bj), x3 = FloatVector.fromArray(S, b, bj + VL);
            FloatVector y = FloatVector.broadcast(S, a[a0 + ai]);
            c00 = y.fma(x0, c00);
            c01 = y.fma(x1, c01);
            c02 = y.fma(x2, c02);
            c03 = y.fma(x3, c03);
            y = FloatVector.broadcast(S, a[a1 + ai]);
            c10 = y.fma(x0, c10);
            c11 = y.fma(x1, c11);
            c12 = y.fma(x2, c12);
            c13 = y.fma(x3, c13);
            y = FloatVector.broadcast(S, a[a2 + ai]);
            c20 = y.fma(x0, c20);
            c21 = y.fma(x1, c21);
            c22 = y.fma(x2, c22);
            c23 = y.fma(x3, c23);
            y = FloatVector.broadcast(S, a[a3 + ai]);
            c30 = y.fma(x0, c30);
            c31 = y.fma(x1, c31);
            c32 = y.fma(x2, c32);
            c33 = y.fma(x3, c33);
            y = FloatVector.broadcast(S, a[a4 + ai]);
            c40 = y.fma(x0, c40);
            c41 = y.fma(x1, c41);
            c42 = y.fma(x2, c42);
            c43 = y.fma(x3, c43);
            y = FloatVector.broadcast(S, a[a5 + ai]);
            c50 = y.fma(x0, c50);
            c51 = y.fma(x1, c51);
            c52 = y.fma(x2, c52);
            c53 = y.fma(x3, c53);
        }
        // Written out per row (see the note above mmp): SET stores, ADD is C·1 + acc (the same bits as C + acc),
        // SCALE is C·rs[row] + acc.
        if (mode == SET) {
            c00.intoArray(c, c0);
            c01.intoArray(c, c0 + VL);
            c02.intoArray(c, c0 + 2 * VL);
            c03.intoArray(c, c0 + 3 * VL);
        } else {
            FloatVector s0 = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r]);
            FloatVector.fromArray(S, c, c0).fma(s0, c00).intoArray(c, c0);
            FloatVector.fromArray(S, c, c0 + VL).fma(s0, c01).intoArray(c, c0 + VL);
            FloatVector.fromArray(S, c, c0 + 2 * VL).fma(s0, c02).intoArray(c, c0 + 2 * VL);
            FloatVector.fromArray(S, c, c0 + 3 * VL).fma(s0, c03).intoArray(c, c0 + 3 * VL);
        }
        if (valid < 2) return;
        if (mode == SET) {
            c10.intoArray(c, c0 + ldc);
            c11.intoArray(c, c0 + ldc + VL);
            c12.intoArray(c, c0 + ldc + 2 * VL);
            c13.intoArray(c, c0 + ldc + 3 * VL);
        } else {
            FloatVector s1 = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 1]);
            FloatVector.fromArray(S, c, c0 + ldc).fma(s1, c10).intoArray(c, c0 + ldc);
            FloatVector.fromArray(S, c, c0 + ldc + VL).fma(s1, c11).intoArray(c, c0 + ldc + VL);
            FloatVector.fromArray(S, c, c0 + ldc + 2 * VL).fma(s1, c12).intoArray(c, c0 + ldc + 2 * VL);
            FloatVector.fromArray(S, c, c0 + ldc + 3 * VL).fma(s1, c13).intoArray(c, c0 + ldc + 3 * VL);
        }
        if (valid < 3) return;
        if (mode == SET) {
            c20.intoArray(c, c0 + 2 * ldc);
            c21.intoArray(c, c0 + 2 * ldc + VL);
            c22.intoArray(c, c0 + 2 * ldc + 2 * VL);
            c23.intoArray(c, c0 + 2 * ldc + 3 * VL);
        } else {
            FloatVector s2 = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 2]);
            FloatVector.fromArray(S, c, c0 + 2 * ldc).fma(s2, c20).intoArray(c, c0 + 2 * ldc);
            FloatVector.fromArray(S, c, c0 + 2 * ldc + VL).fma(s2, c21).intoArray(c, c0 + 2 * ldc + VL);
            FloatVector.fromArray(S, c, c0 + 2 * ldc + 2 * VL).fma(s2, c22).intoArray(c, c0 + 2 * ldc + 2 * VL);
            FloatVector.fromArray(S, c, c0 + 2 * ldc + 3 * VL).fma(s2, c23).intoArray(c, c0 + 2 * ldc + 3 * VL);
        }
        if (valid < 4) return;
        if (mode == SET) {
            c30.intoArray(c, c0 + 3 * ldc);
            c31.intoArray(c, c0 + 3 * ldc + VL);
            c32.intoArray(c, c0 + 3 * ldc + 2 * VL);
            c33.intoArray(c, c0 + 3 * ldc + 3 * VL);
        } else {
            FloatVector s3 = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 3]);
            FloatVector.fromArray(S, c, c0 + 3 * ldc).fma(s3, c30).intoArray(c, c0 + 3 * ldc);
            FloatVector.fromArray(S, c, c0 + 3 * ldc + VL).fma(s3, c31).intoArray(c, c0 + 3 * ldc + VL);
            FloatVector.fromArray(S, c, c0 + 3 * ldc + 2 * VL).fma(s3, c32).intoArray(c, c0 + 3 * ldc + 2 * VL);
            FloatVector.fromArray(S, c, c0 + 3 * ldc + 3 * VL).fma(s3, c33).intoArray(c, c0 + 3 * ldc + 3 * VL);
        }
        if (valid < 5) return;
        if (mode == SET) {
            c40.intoArray(c, c0 + 4 * ldc);
            c41.intoArray(c, c0 + 4 * ldc + VL);
            c42.intoArray(c, c0 + 4 * ldc + 2 * VL);
            c43.intoArray(c, c0 + 4 * ldc + 3 * VL);
        } else {
            FloatVector s4 = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 4]);
            FloatVector.fromArray(S, c, c0 + 4 * ldc).fma(s4, c40).intoArray(c, c0 + 4 * ldc);
            FloatVector.fromArray(S, c, c0 + 4 * ldc + VL).fma(s4, c41).intoArray(c, c0 + 4 * ldc + VL);
            FloatVector.fromArray(S, c, c0 + 4 * ldc + 2 * VL).fma(s4, c42).intoArray(c, c0 + 4 * ldc + 2 * VL);
            FloatVector.fromArray(S, c, c0 + 4 * ldc + 3 * VL).fma(s4, c43).intoArray(c, c0 + 4 * ldc + 3 * VL);
        }
        if (valid < 6) return;
        if (mode == SET) {
            c50.intoArray(c, c0 + 5 * ldc);
            c51.intoArray(c, c0 + 5 * ldc + VL);
            c52.intoArray(c, c0 + 5 * ldc + 2 * VL);
            c53.intoArray(c, c0 + 5 * ldc + 3 * VL);
        } else {
            FloatVector s5 = FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 5]);
            FloatVector.fromArray(S, c, c0 + 5 * ldc).fma(s5, c50).intoArray(c, c0 + 5 * ldc);
            FloatVector.fromArray(S, c, c0 + 5 * ldc + VL).fma(s5, c51).intoArray(c, c0 + 5 * ldc + VL);
            FloatVector.fromArray(S, c, c0 + 5 * ldc + 2 * VL).fma(s5, c52).intoArray(c, c0 + 5 * ldc + 2 * VL);
            FloatVector.fromArray(S, c, c0 + 5 * ldc + 3 * VL).fma(s5, c53).intoArray(c, c0 + 5 * ldc + 3 * VL);
        }
    }

    private static void k4x1g(int depth, float[] a, int a0, float[] b, int b0, float[] c, int c0, int ldc, int mode,
                              float[] rs, int r, int valid) {
        FloatVector c00 = FloatVector.zero(S), c10 = c00, c20 = c00, c30 = c00;
        int d1 = Math.min(1, valid - 1), d2 = Math.min(2, valid - 1), d3 = Math.min(3, valid - 1);
        for (int p = 0; p < depth; p++) {
            int ai = a0 + p * VL;
            FloatVector x0 = FloatVector.fromArray(S, b, b0 + p * VL);
            c00 = FloatVector.broadcast(S, a[ai]).fma(x0, c00);
            c10 = FloatVector.broadcast(S, a[ai + d1]).fma(x0, c10);
            c20 = FloatVector.broadcast(S, a[ai + d2]).fma(x0, c20);
            c30 = FloatVector.broadcast(S, a[ai + d3]).fma(x0, c30);
        }
        int r1 = c0 + ldc, r2 = c0 + 2 * ldc, r3 = c0 + 3 * ldc;
        if (mode == SET) {
            c00.intoArray(c, c0);
            if (valid > 1) c10.intoArray(c, r1);
            if (valid > 2) c20.intoArray(c, r2);
            if (valid > 3) c30.intoArray(c, r3);
            return;
        }
        // ADD as C·1 + acc (the same bits as C + acc), SCALE as C·rs[row] + acc; written out, as in k6x2g.
        FloatVector.fromArray(S, c, c0).fma(FloatVector.broadcast(S, mode == ADD ? 1f : rs[r]), c00).intoArray(c, c0);
        if (valid > 1) FloatVector.fromArray(S, c, r1).fma(FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 1]), c10).intoArray(c, r1);
        if (valid > 2) FloatVector.fromArray(S, c, r2).fma(FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 2]), c20).intoArray(c, r2);
        if (valid > 3) FloatVector.fromArray(S, c, r3).fma(FloatVector.broadcast(S, mode == ADD ? 1f : rs[r + 3]), c30).intoArray(c, r3);
    }
}
