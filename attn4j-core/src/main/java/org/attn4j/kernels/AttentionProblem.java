package org.attn4j.kernels;

/**
 * One batched attention problem for {@link FlashAttention}: {@code batch} independent (batch, head) items, each
 * {@code softmax(q kᵀ · scale + mask) v} with q {@code [l, e]}, k {@code [s, e]}, v {@code [s, ev]}.
 *
 * <p>Layout: item {@code b}'s q is the row-major {@code [l, e]} block starting at {@code q[qOffs[b]]} (rows
 * {@code e} apart), likewise k {@code [s, e]} at {@code kOffs[b]} and v {@code [s, ev]} at {@code vOffs[b]}.
 * Offsets may repeat: a q, k or v shared by several items (broadcast batch dims) is stored once.
 *
 * <p>Masks (at most one kind, and not together with causal — as {@code F.scaled_dot_product_attention}):
 * <ul>
 * <li>{@link MaskKind#ADD}: {@code mask[maskOffs[b] + i · maskRowStride + j]} is added to score (i, j) — a
 *     relative position bias, a shifted window's 0/-100 mask, -inf for key padding. {@code maskRowStride} is
 *     {@code s}, or 0 for a mask shared by all query rows ({@code [.., 1, S]} key padding).</li>
 * <li>{@link MaskKind#KEEP}: the same layout holding 1 (the key takes part) or 0 (score replaced by
 *     {@link #maskedValue}).</li>
 * </ul>
 * Causal: score (i, j) with {@code j > i} is replaced by {@link #maskedValue} (top-left aligned, as
 * {@code ones(L, S).tril()}). With the masked value -inf, key blocks entirely above the diagonal are skipped.
 *
 * <p>Dropout on the weights: with probability {@code dropoutP}, by {@link AttentionDropout}'s counter-based
 * mask from {@code dropoutSeed}; kept weights are scaled by {@code 1 / (1 - p)}.
 *
 * <p>Instances are immutable descriptions (the arrays are shared, not copied); built with
 * {@link #of} and the {@code with*} methods, which check every extent so kernels can index without checks.
 */
public final class AttentionProblem {
    /** How {@link #mask} enters the scores. */
    public enum MaskKind { NONE, ADD, KEEP }

    final int batch, l, s, e, ev;
    final float[] q, k, v;
    final int[] qOffs, kOffs, vOffs;
    final float scale;
    final MaskKind maskKind;
    final float[] mask;
    final int[] maskOffs;
    final int maskRowStride;
    final float maskedValue;
    final boolean causal;
    final float dropoutP;
    final long dropoutSeed;

    private AttentionProblem(int batch, int l, int s, int e, int ev, float[] q, int[] qOffs, float[] k, int[] kOffs,
                             float[] v, int[] vOffs, float scale, MaskKind maskKind, float[] mask, int[] maskOffs,
                             int maskRowStride, float maskedValue, boolean causal, float dropoutP, long dropoutSeed) {
        this.batch = batch;
        this.l = l;
        this.s = s;
        this.e = e;
        this.ev = ev;
        this.q = q;
        this.qOffs = qOffs;
        this.k = k;
        this.kOffs = kOffs;
        this.v = v;
        this.vOffs = vOffs;
        this.scale = scale;
        this.maskKind = maskKind;
        this.mask = mask;
        this.maskOffs = maskOffs;
        this.maskRowStride = maskRowStride;
        this.maskedValue = maskedValue;
        this.causal = causal;
        this.dropoutP = dropoutP;
        this.dropoutSeed = dropoutSeed;
    }

    private static final String OP = "flash_attention";

    /**
     * Unmasked attention without dropout. All sizes must be at least 1, and every item's blocks must lie
     * inside their arrays.
     */
    public static AttentionProblem of(int batch, int l, int s, int e, int ev, float[] q, int[] qOffs, float[] k, int[] kOffs,
                                      float[] v, int[] vOffs, float scale) {
        if (batch < 1 || l < 1 || s < 1 || e < 1 || ev < 1) {
            throw new IllegalArgumentException(OP + ": sizes must be >= 1, got batch=" + batch + ", L=" + l + ", S=" + s
                    + ", E=" + e + ", Ev=" + ev);
        }
        if ((long) l * Math.max(e, ev) > Integer.MAX_VALUE / 2 || (long) s * Math.max(e, ev) > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException(OP + ": an item of L=" + l + ", S=" + s + ", E=" + e + ", Ev=" + ev + " is too large");
        }
        if (!Float.isFinite(scale)) throw new IllegalArgumentException(OP + ": scale must be finite, got " + scale);
        checkBlocks("query", q, qOffs, batch, (long) l * e);
        checkBlocks("key", k, kOffs, batch, (long) s * e);
        checkBlocks("value", v, vOffs, batch, (long) s * ev);
        return new AttentionProblem(batch, l, s, e, ev, q, qOffs.clone(), k, kOffs.clone(), v, vOffs.clone(), scale,
                MaskKind.NONE, null, null, 0, Float.NEGATIVE_INFINITY, false, 0f, 0L);
    }

    /**
     * With a mask ({@link MaskKind#ADD} or {@link MaskKind#KEEP}); {@code rowStride} is {@code s} or 0;
     * {@code maskedValue} is what a KEEP mask's 0 entries become (-inf in PyTorch, or e.g. -1e9).
     */
    public AttentionProblem withMask(MaskKind kind, float[] m, int[] offs, int rowStride, float maskedValue) {
        if (kind == null || kind == MaskKind.NONE) throw new IllegalArgumentException(OP + ": withMask needs ADD or KEEP, got " + kind);
        if (causal) throw new IllegalArgumentException(OP + ": an explicit mask cannot be combined with causal");
        if (rowStride != 0 && rowStride != s) {
            throw new IllegalArgumentException(OP + ": mask row stride must be 0 or S=" + s + ", got " + rowStride);
        }
        checkMaskedValue(maskedValue);
        checkBlocks("mask", m, offs, batch, (long) (rowStride == 0 ? 0 : l - 1) * rowStride + s);
        return new AttentionProblem(batch, l, s, e, ev, q, qOffs, k, kOffs, v, vOffs, scale, kind, m, offs.clone(),
                rowStride, maskedValue, false, dropoutP, dropoutSeed);
    }

    /** Causal (top-left aligned), the excluded scores replaced by {@code maskedValue}. */
    public AttentionProblem withCausal(float maskedValue) {
        if (maskKind != MaskKind.NONE) throw new IllegalArgumentException(OP + ": causal cannot be combined with an explicit mask");
        checkMaskedValue(maskedValue);
        return new AttentionProblem(batch, l, s, e, ev, q, qOffs, k, kOffs, v, vOffs, scale, maskKind, mask, maskOffs,
                maskRowStride, maskedValue, true, dropoutP, dropoutSeed);
    }

    /** Dropout with probability {@code p} on the weights, its mask drawn from {@code seed}. */
    public AttentionProblem withDropout(float p, long seed) {
        AttentionDropout.threshold(p);
        return new AttentionProblem(batch, l, s, e, ev, q, qOffs, k, kOffs, v, vOffs, scale, maskKind, mask, maskOffs,
                maskRowStride, maskedValue, causal, p, seed);
    }

    public int batch() { return batch; }
    public int queryLength() { return l; }
    public int keyLength() { return s; }
    public int headDim() { return e; }
    public int valueDim() { return ev; }
    public MaskKind maskKind() { return maskKind; }
    public boolean causal() { return causal; }
    public float dropoutP() { return dropoutP; }

    /** Whether dropout is on (p > 0). */
    boolean dropout() {
        return dropoutP > 0f;
    }

    /** Causal with -inf masked scores: key blocks past the diagonal contribute nothing and are skipped. */
    boolean skipsAboveDiagonal() {
        return causal && maskedValue == Float.NEGATIVE_INFINITY;
    }

    /** Whether a score can be replaced by a finite {@link #maskedValue}: its gradient must then be dropped. */
    boolean replacesFinite() {
        return (causal || maskKind == MaskKind.KEEP) && maskedValue != Float.NEGATIVE_INFINITY;
    }

    /** Number of mask elements a gradient of the mask needs ({@code mask.length}). */
    public int maskLength() {
        return mask == null ? 0 : mask.length;
    }

    /**
     * The items grouped by mask block: items sharing a mask offset accumulate into the same mask gradient, so one
     * task must own them all (deterministic sums). Returns the items in increasing order within each group,
     * groups ordered by first item.
     */
    int[][] maskGroups() {
        java.util.Map<Integer, java.util.List<Integer>> groups = new java.util.LinkedHashMap<>();
        for (int b = 0; b < batch; b++) groups.computeIfAbsent(maskOffs[b], x -> new java.util.ArrayList<>()).add(b);
        int[][] out = new int[groups.size()][];
        int g = 0;
        for (java.util.List<Integer> items : groups.values()) out[g++] = items.stream().mapToInt(Integer::intValue).toArray();
        return out;
    }

    private static void checkMaskedValue(float v) {
        if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(OP + ": masked value must be -inf or finite, got " + v);
        }
    }

    private static void checkBlocks(String name, float[] x, int[] offs, int batch, long extent) {
        if (x == null || offs == null) throw new IllegalArgumentException(OP + ": " + name + " array and offsets must not be null");
        if (offs.length != batch) {
            throw new IllegalArgumentException(OP + ": " + offs.length + " " + name + " offsets for a batch of " + batch);
        }
        for (int b = 0; b < batch; b++) {
            if (offs[b] < 0 || offs[b] + extent > x.length) {
                throw new IllegalArgumentException(OP + ": " + name + " block " + b + " at offset " + offs[b] + " needs " + extent
                        + " elements, array has " + x.length);
            }
        }
    }
}
