package org.attn4j.attention;

import java.util.Arrays;
import org.attn4j.kernels.AttentionDropout;
import org.attn4j.ops.SoftmaxOps;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@code softmax(q kᵀ · scale + mask) v}, as {@code torch.nn.functional.scaled_dot_product_attention}'s math
 * backend ({@code _scaled_dot_product_attention_math}, PyTorch 2.5+), shared by every attention module of
 * attn4j.
 *
 * <p>Shapes: q {@code [..., L, E]}, k {@code [..., S, E]}, v {@code [..., S, Ev]} → output {@code [..., L, Ev]},
 * weights {@code [..., L, S]}; the leading (batch) dims of q, k and v broadcast against each other.
 *
 * <p>Masks ({@link Options#mask()}), broadcasting to {@code [..., L, S]} (the scores' shape; they cannot add
 * batch dims the scores do not have):
 * <ul>
 * <li>bool: true = the key takes part (PyTorch's SDPA convention — the opposite of
 *     {@code nn.MultiheadAttention}'s, see {@link MultiheadAttention}); a false position's score is replaced by
 *     {@link Options#maskedValue()}, -inf by default, as PyTorch's {@code convert_boolean_attn_mask} does;</li>
 * <li>float: added to the scores (a relative position bias, a shifted window's 0/-100 mask, -inf entries).</li>
 * </ul>
 * {@code isCausal} is the top-left aligned lower triangle {@code ones(L, S).tril()}, and like PyTorch it cannot
 * be combined with an explicit mask.
 *
 * <p>Fully masked rows: a query row whose scores are all -inf gets zero weights and zero output (and zero
 * gradient), as PyTorch's {@code _safe_softmax} (2.5+) — never NaN. A finite masked value (the -1e9 of the
 * annotated-transformer style, {@link Options#withMaskedValue}) instead gives such a row uniform weights, as
 * {@code masked_fill(mask == 0, -1e9)} does.
 *
 * <p>Dropout on the weights, with probability {@code dropoutP}, only when {@code training} is set: PyTorch's
 * functional applies it whenever {@code dropout_p > 0}, and its modules pass {@code dropout_p if self.training
 * else 0}; here that choice is the explicit flag. The returned weights are the ones after dropout (what
 * multiplies v), as {@code F.multi_head_attention_forward} returns them. The mask is
 * {@link AttentionDropout}'s, a function of one {@code long} drawn from the generator and of the position
 * (batch-head item, query, key): both paths below draw the same number and apply the same mask, so a model
 * trains identically whether or not its weights are requested ({@link #dropoutKeepMask} materialises it).
 *
 * <p>Two paths compute this:
 * <ul>
 * <li>the fused one ({@link FusedAttention} over {@link org.attn4j.kernels.FlashAttention}), one autograd op
 *     with O(N·d) memory that never materialises the scores, forward or backward. {@link #compute} takes it
 *     whenever the weights are not requested — every module's plain {@code forward};</li>
 * <li>the composed one ({@link #composed}): matmul, mask, safe softmax, dropout, matmul, each an autograd op,
 *     materialising the {@code [..., L, S]} scores. It is what returns the weights, and it is the reference the
 *     fused path is tested against (with libtorch and a float64 golden).</li>
 * </ul>
 */
public final class ScaledDotProductAttention {
    private ScaledDotProductAttention() {}

    private static final String OP = "scaled_dot_product_attention";

    /** The attention output {@code [..., L, Ev]} and, when requested, the weights {@code [..., L, S]} (else null). */
    public record Result(Tensor output, Tensor weights) {}

    /**
     * Options beyond q, k, v.
     *
     * @param mask        bool (true = take part) or float (added) mask broadcasting to {@code [..., L, S]}, or null
     * @param dropoutP    dropout probability on the weights, in [0, 1]
     * @param isCausal    apply the lower-triangular causal mask (no explicit mask allowed)
     * @param scale       factor on {@code q kᵀ}; null means {@code 1/√E}
     * @param training    apply dropout (only with {@code dropoutP > 0})
     * @param generator   randomness for dropout; null means {@link Generator#defaultGenerator()}
     * @param maskedValue the score given to positions a bool or causal mask excludes: -inf (PyTorch), or a
     *                    finite value such as -1e9 for code written with {@code masked_fill(mask == 0, -1e9)}
     */
    public record Options(Tensor mask, double dropoutP, boolean isCausal, Double scale, boolean training,
                          Generator generator, float maskedValue) {
        /** No mask, no dropout, not causal, scale {@code 1/√E}, masked value -inf. */
        public static Options none() {
            return new Options(null, 0, false, null, false, null, Float.NEGATIVE_INFINITY);
        }

        public Options withMask(Tensor m) {
            return new Options(m, dropoutP, isCausal, scale, training, generator, maskedValue);
        }

        public Options causal() {
            return new Options(mask, dropoutP, true, scale, training, generator, maskedValue);
        }

        public Options withScale(double s) {
            return new Options(mask, dropoutP, isCausal, s, training, generator, maskedValue);
        }

        /** Dropout {@code p} on the weights when {@code isTraining}; {@code g} null means the default generator. */
        public Options withDropout(double p, boolean isTraining, Generator g) {
            return new Options(mask, p, isCausal, scale, isTraining, g, maskedValue);
        }

        /** The score for positions a bool or causal mask excludes (default -inf). */
        public Options withMaskedValue(float value) {
            return new Options(mask, dropoutP, isCausal, scale, training, generator, value);
        }
    }

    /** {@code F.scaled_dot_product_attention(q, k, v)} with default options. */
    public static Tensor apply(Tensor q, Tensor k, Tensor v) {
        return compute(q, k, v, Options.none(), false).output();
    }

    /**
     * Attention with options; the weights are returned only when {@code needWeights}. Without weights this runs
     * the fused kernel (see the class comment), otherwise {@link #composed}.
     */
    public static Result compute(Tensor q, Tensor k, Tensor v, Options o, boolean needWeights) {
        int[] batch = check(q, k, v, o);
        if (!needWeights && FusedAttention.supports(q, k, v, o, batch)) {
            return new Result(FusedAttention.forward(q, k, v, o, scale(q, o), batch), null);
        }
        return composedUnchecked(q, k, v, o, needWeights);
    }

    /**
     * The composed reference path, {@code _scaled_dot_product_attention_math} op by op: it materialises the
     * {@code [..., L, S]} scores and weights (O(N²) memory) and returns the weights when {@code needWeights}.
     */
    public static Result composed(Tensor q, Tensor k, Tensor v, Options o, boolean needWeights) {
        check(q, k, v, o);
        return composedUnchecked(q, k, v, o, needWeights);
    }

    /**
     * The dropout keep mask (true = kept) that a call with dropout {@code p} applies to weights of
     * {@code weightsShape} ({@code [..., L, S]}) when its generator is in the state {@code g} is in now (this draws
     * from g as that call would: pass a twin, e.g. a fresh {@code new Generator(seed)} for each). For tests and
     * for inspecting a training step.
     */
    public static Tensor dropoutKeepMask(Generator g, double p, int... weightsShape) {
        int l = weightsShape[weightsShape.length - 2], s = weightsShape[weightsShape.length - 1];
        int items = Shape.numel(weightsShape) / Math.max(1, l * s);
        boolean[] keep = AttentionDropout.keepMask(g.nextLong(), (float) p, items, l, s);
        return Tensor.ofBooleans(keep, weightsShape);
    }

    private static double scale(Tensor q, Options o) {
        return o.scale() != null ? o.scale() : 1.0 / Math.sqrt(q.size(-1));
    }

    private static Result composedUnchecked(Tensor q, Tensor k, Tensor v, Options o, boolean needWeights) {
        int l = q.size(-2), s = k.size(-2);
        double scale = scale(q, o);
        Tensor scores = q.matmul(k.mT()).mul((float) scale);                 // [..., L, S]
        Tensor keep = null;                                                   // bool: true where a key takes part
        if (o.isCausal()) keep = causalMask(l, s);
        if (o.mask() != null) {
            if (o.mask().dtype() == DType.BOOL) keep = o.mask();
            else scores = scores.add(o.mask());
        }
        if (keep != null) scores = scores.maskedFill(not(keep), o.maskedValue());
        Tensor weights = safeSoftmax(scores);
        if (o.dropoutP() > 0 && o.training()) {
            // F.dropout's inverted dropout with the fused kernel's counter-based mask: kept weights times 1/(1-p).
            Generator g = o.generator() != null ? o.generator() : Generator.defaultGenerator();
            float p = (float) o.dropoutP();
            float[] factor = dropoutKeepMask(g, p, weights.shape()).toFloatArray();
            float keepScale = AttentionDropout.keepScale(p);
            for (int i = 0; i < factor.length; i++) factor[i] *= keepScale;
            weights = weights.mul(Tensor.of(factor, weights.shape()));
        }
        Tensor out = weights.matmul(v);                                       // [..., L, Ev]
        return new Result(out, needWeights ? weights : null);
    }

    /** {@code ones(L, S).tril()} as a bool keep-mask: query i sees keys 0..i. */
    static Tensor causalMask(int l, int s) {
        boolean[] m = new boolean[l * s];
        for (int i = 0; i < l; i++) {
            for (int j = 0; j <= Math.min(i, s - 1); j++) m[i * s + j] = true;
        }
        return Tensor.ofBooleans(m, l, s);
    }

    private static Tensor not(Tensor mask) {
        float[] m = mask.toFloatArray();
        float[] out = new float[m.length];
        for (int i = 0; i < m.length; i++) out[i] = m[i] != 0 ? 0f : 1f;
        return Tensor.of(out, mask.shape()).withDType(DType.BOOL);
    }

    /**
     * PyTorch's {@code _safe_softmax} over the last dim: the softmax, except that a row whose inputs are all -inf
     * is 0 instead of NaN. Its gradient is the softmax's, {@code y ⊙ (g - Σ g ⊙ y)}, which is 0 on those rows
     * because y is (derivatives.yaml uses {@code _softmax_backward_data} with the zeroed result).
     */
    static Tensor safeSoftmax(Tensor x) {
        int n = x.dim() == 0 ? 1 : x.size(-1);
        Tensor y = SoftmaxOps.softmax(x.detach(), -1);
        float[] yd = y.toFloatArray();
        float[] xd = x.contiguousData();
        int rows = n == 0 ? 0 : yd.length / n;
        for (int r = 0; r < rows; r++) {
            boolean allMasked = true;
            for (int i = 0; i < n && allMasked; i++) allMasked = xd[r * n + i] == Float.NEGATIVE_INFINITY;
            if (allMasked) Arrays.fill(yd, r * n, r * n + n, 0f);
        }
        Tensor out = Tensor.of(yd, y.shape());
        Tensor saved = out.detach();
        return Tensor.attach(out, "safe_softmax", g -> new Tensor[] {saved.mul(g.sub(g.mul(saved).sum(-1, true)))}, x);
    }

    private static String str(Tensor t) {
        return Shape.str(t.shape());
    }

    /** Checks the inputs and returns the broadcast batch dims of q, k and v. */
    private static int[] check(Tensor q, Tensor k, Tensor v, Options o) {
        if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) {
            throw new IllegalArgumentException(OP + ": query, key and value need at least 2 dims [..., N, E], got query "
                    + str(q) + ", key " + str(k) + ", value " + str(v));
        }
        if (q.size(-1) != k.size(-1)) {
            throw new IllegalArgumentException(OP + ": query " + str(q) + " and key " + str(k)
                    + " must share the last dim (" + q.size(-1) + " != " + k.size(-1) + ")");
        }
        if (k.size(-2) != v.size(-2)) {
            throw new IllegalArgumentException(OP + ": key " + str(k) + " and value " + str(v)
                    + " must have the same number of positions (" + k.size(-2) + " != " + v.size(-2) + ")");
        }
        int[] batch;
        try {
            batch = Shape.broadcast(OP, Shape.broadcast(OP, lead(q), lead(k)), lead(v));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OP + ": the batch dims of query " + str(q) + ", key " + str(k)
                    + " and value " + str(v) + " cannot be broadcast together");
        }
        if (o.isCausal() && o.mask() != null) {
            throw new IllegalArgumentException(OP + ": explicit attn_mask (shape " + str(o.mask())
                    + ") should not be set when isCausal is true");
        }
        if (o.mask() != null) {
            Tensor m = o.mask();
            if (m.dtype() == DType.INT64) {
                throw new IllegalArgumentException(OP + ": attn_mask must be bool or float32, got int64 of shape " + str(m));
            }
            int[] full = Arrays.copyOf(batch, batch.length + 2);
            full[batch.length] = q.size(-2);
            full[batch.length + 1] = k.size(-2);
            boolean ok;
            try {
                ok = Shape.equal(Shape.broadcast(OP, full, m.shape()), full);
            } catch (IllegalArgumentException e) {
                ok = false;
            }
            if (!ok) {
                throw new IllegalArgumentException(OP + ": attn_mask of shape " + str(m)
                        + " cannot broadcast to the scores' shape " + Shape.str(full) + " (query " + str(q) + ", key "
                        + str(k) + ")");
            }
        }
        if (!(o.dropoutP() >= 0 && o.dropoutP() <= 1)) {
            throw new IllegalArgumentException(OP + ": dropout_p must be in [0, 1], got " + o.dropoutP());
        }
        if (o.scale() != null && !Double.isFinite(o.scale())) {
            throw new IllegalArgumentException(OP + ": scale must be finite, got " + o.scale());
        }
        return batch;
    }

    private static int[] lead(Tensor t) {
        return Arrays.copyOf(t.shape(), t.dim() - 2);
    }
}
