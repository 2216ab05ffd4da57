package org.attn4j.attention;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.IncompatibleKeys;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.nn.Repr;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Multi-head attention as the tutorial writes it, {@code MultiHeadAttention(n_heads, d_model, dropout=0.1)}
 * (reference 003, section 3.4): four {@code nn.Linear} projections, heads folded into the batch, scores
 * {@code Q Kᵀ / √d_k} with {@code masked_fill(mask == 0, -1e9)}, softmax, dropout on the weights, then the
 * output projection.
 * <pre>
 *   Q = W_q(x).view(B, L, h, d_k).permute(0, 2, 1, 3).view(B*h, L, d_k)       (K, V alike)
 *   scores = bmm(Q, Kᵀ) / sqrt(d_k);  scores = scores.masked_fill(mask == 0, -1e9)
 *   out = W_o(bmm(dropout(softmax(scores)), V) regrouped to [B, L, h*d_k])
 * </pre>
 * with {@code d_k = d_model // n_heads}. As in the reference, d_model need not be divisible by n_heads: the
 * projections are {@code Linear(d_model, n_heads*d_k)} and {@code W_o} is {@code Linear(n_heads*d_k, d_model)}
 * (so some of d_model is simply not attended to); only {@code n_heads > d_model} (d_k = 0) is refused.
 *
 * <p>Masks follow the reference: {@code mask == 0} means masked (bool false or float 0), and a masked score is
 * set to -1e9, not -inf — so a query whose keys are all masked gets uniform weights, as the reference does. A
 * mask of rank ≤ 3 broadcasts against the scores {@code [B*h, L, S]} (the reference's layout; typically
 * {@code [L, S]} or {@code [1, L, S]}); a mask of rank 4 broadcasts against {@code [B, h, L, S]}, which is what the
 * annotated transformer's {@code mask.unsqueeze(1)} produces (pass it already unsqueezed: {@code [B, 1, 1, S]}
 * or {@code [B, 1, L, S]}).
 *
 * <p>State dict: {@code W_q.weight [h*d_k, d_model]}, {@code W_q.bias}, {@code W_k.*}, {@code W_v.*},
 * {@code W_o.weight [d_model, h*d_k]}, {@code W_o.bias}, initialised as {@code nn.Linear}. The annotated
 * transformer's {@code MultiHeadedAttention} keeps the same four layers as {@code linears.0} … {@code linears.3};
 * {@link #fromAnnotatedTransformer} renames such a state dict and {@link #loadAnnotatedTransformerStateDict} loads
 * it. Its forward is {@link #forward(Tensor, Tensor, Tensor, Tensor)} with separate query, key and value.
 */
public final class MultiHeadAttention extends Module {
    private final int nHeads, dModel, dK;
    private final double dropout;
    private final Generator generator;
    private final Linear wQ, wK, wV, wO;

    /** Initialised (and dropping out) from the default generator. */
    public MultiHeadAttention(int nHeads, int dModel, double dropout) {
        this(nHeads, dModel, dropout, Generator.defaultGenerator());
    }

    /** With the reference's default dropout 0.1. */
    public MultiHeadAttention(int nHeads, int dModel) {
        this(nHeads, dModel, 0.1);
    }

    /** @param generator initialises the projections and draws the dropout masks */
    public MultiHeadAttention(int nHeads, int dModel, double dropout, Generator generator) {
        if (nHeads <= 0 || dModel <= 0 || nHeads > dModel) {
            throw new IllegalArgumentException("MultiHeadAttention: need 0 < n_heads <= d_model (d_k = d_model // n_heads"
                    + " must be at least 1), got n_heads=" + nHeads + ", d_model=" + dModel);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("MultiHeadAttention: dropout probability has to be between 0 and 1, but got " + dropout);
        }
        this.nHeads = nHeads;
        this.dModel = dModel;
        this.dK = dModel / nHeads;
        this.dropout = dropout;
        this.generator = generator;
        // The reference's self.dropout = nn.Dropout(p=dropout), first in __init__; no state, and its p drives the
        // dropout inside ScaledDotProductAttention (applied to the weights, where the reference applies it).
        registerModule("dropout", new Dropout(dropout, generator));
        wQ = registerModule("W_q", new Linear(dModel, nHeads * dK, true, generator));
        wK = registerModule("W_k", new Linear(dModel, nHeads * dK, true, generator));
        wV = registerModule("W_v", new Linear(dModel, nHeads * dK, true, generator));
        wO = registerModule("W_o", new Linear(nHeads * dK, dModel, true, generator));
    }

    /** Self-attention, the reference's {@code forward(x, mask=None)}: {@code [B, L, d_model] -> [B, L, d_model]}. */
    public Tensor forward(Tensor x, Tensor mask) {
        return attend(x, x, x, mask, false).output();
    }

    /** {@code forward(x, null)}. */
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /**
     * Attention of {@code query [B, L, d_model]} over {@code key}, {@code value [B, S, d_model]} (the annotated
     * transformer's {@code forward(query, key, value, mask)}, with its mask already unsqueezed to rank 4) →
     * {@code [B, L, d_model]}.
     */
    public Tensor forward(Tensor query, Tensor key, Tensor value, Tensor mask) {
        return attend(query, key, value, mask, false).output();
    }

    /** The forward, and when {@code needWeights} the weights {@code [B, h, L, S]} (after dropout, as the reference's). */
    public ScaledDotProductAttention.Result attend(Tensor query, Tensor key, Tensor value, Tensor mask, boolean needWeights) {
        String expected = "[batch, seq_len, " + dModel + "]";
        AttentionChecks.requireShape(header(), "query", query, 3, dModel, expected);
        AttentionChecks.requireShape(header(), "key", key, 3, dModel, expected);
        AttentionChecks.requireShape(header(), "value", value, 3, dModel, expected);
        int b = query.size(0), l = query.size(1), s = key.size(1);
        if (key.size(0) != b || value.size(0) != b || value.size(1) != s) {
            throw new IllegalArgumentException(header() + ": query " + AttentionChecks.str(query) + ", key "
                    + AttentionChecks.str(key) + " and value " + AttentionChecks.str(value)
                    + " must share the batch size, and key and value the sequence length");
        }
        Tensor keep = null;
        if (mask != null) {
            int[] target = mask.dim() == 4 ? new int[] {b, nHeads, l, s} : new int[] {b * nHeads, l, s};
            if (mask.dim() > 4 || !AttentionChecks.broadcastsTo(mask.shape(), target)) {
                throw new IllegalArgumentException(header() + ": mask of shape " + AttentionChecks.str(mask)
                        + " cannot broadcast to the scores' shape [B*n_heads, L, S] = " + AttentionChecks.dims(b * nHeads, l, s)
                        + " (or, for a 4-D mask, [B, n_heads, L, S] = " + AttentionChecks.dims(b, nHeads, l, s) + ")");
            }
            keep = AttentionChecks.nonZero(mask);
            if (mask.dim() == 4) keep = keep.expand(b, nHeads, l, s).reshape(b * nHeads, l, s);
        }
        Tensor q = heads(wQ.forward(query), b, l), k = heads(wK.forward(key), b, s), v = heads(wV.forward(value), b, s);
        Options o = Options.none().withScale(1 / Math.sqrt(dK)).withMaskedValue(-1e9f)
                .withDropout(dropout, isTraining(), generator);
        if (keep != null) o = o.withMask(keep);
        var r = ScaledDotProductAttention.compute(q, k, v, o, needWeights);     // [B*h, L, d_k]
        Tensor out = r.output().view(b, nHeads, l, dK).permute(0, 2, 1, 3).contiguous().view(b, l, nHeads * dK);
        Tensor weights = r.weights() == null ? null : r.weights().view(b, nHeads, l, s);
        return new ScaledDotProductAttention.Result(wO.forward(out), weights);
    }

    /** {@code [B, N, h*d_k] -> [B*h, N, d_k]}: view, permute(0, 2, 1, 3), contiguous, view. */
    private Tensor heads(Tensor t, int b, int n) {
        return t.view(b, n, nHeads, dK).permute(0, 2, 1, 3).contiguous().view(b * nHeads, n, dK);
    }

    private static final Pattern ANNOTATED = Pattern.compile("(^|.*\\.)linears\\.([0-3])\\.(weight|bias)$");
    private static final String[] NAMES = {"W_q", "W_k", "W_v", "W_o"};

    /**
     * Renames the annotated transformer's {@code MultiHeadedAttention} keys to this module's: for any prefix,
     * {@code prefix + "linears.0."} → {@code "W_q."}, {@code 1} → {@code W_k}, {@code 2} → {@code W_v},
     * {@code 3} → {@code W_o} (its {@code linears = clones(nn.Linear(d_model, d_model), 4)} are applied to
     * query, key, value and the concatenated heads, in that order). Other keys are kept; the order is kept.
     */
    public static Map<String, Tensor> fromAnnotatedTransformer(Map<String, Tensor> state) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Matcher m = ANNOTATED.matcher(e.getKey());
            String key = m.matches() ? m.group(1) + NAMES[m.group(2).charAt(0) - '0'] + "." + m.group(3) : e.getKey();
            if (out.containsKey(key)) {
                throw new IllegalArgumentException("MultiHeadAttention.fromAnnotatedTransformer: key \"" + e.getKey()
                        + "\" renames to \"" + key + "\", which the state dict already has");
            }
            out.put(key, e.getValue());
        }
        return out;
    }

    /** {@code loadStateDict(fromAnnotatedTransformer(state), strict)}. */
    public IncompatibleKeys loadAnnotatedTransformerStateDict(Map<String, Tensor> state, boolean strict) {
        return loadStateDict(fromAnnotatedTransformer(state), strict);
    }

    public int nHeads() {
        return nHeads;
    }

    public int dModel() {
        return dModel;
    }

    /** {@code d_model // n_heads}. */
    public int dK() {
        return dK;
    }

    public double dropout() {
        return dropout;
    }

    @Override
    public String header() {
        return "MultiHeadAttention(n_heads=" + nHeads + ", d_model=" + dModel + ", dropout=" + Repr.pyFloat(dropout) + ")";
    }
}
