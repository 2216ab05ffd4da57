package org.attn4j.attention;

import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.Init;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.ops.Indexing;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Multi-head self-attention over time with a 1-D relative position bias: reference 002's
 * {@code Attention(dim, num_ttokens, num_heads=8, qkv_bias=False, qk_scale=None, attn_drop=0., proj_drop=0.,
 * with_qkv=True)} (a video-adapter Swin variant; the reference calls the class {@code Attention}):
 * <pre>
 *   q, k, v = self.qkv(x).reshape(B, N, 3, nH, C // nH).permute(2, 0, 3, 1, 4)     # with_qkv
 *           = x.reshape(B, N, nH, C // nH).permute(0, 2, 1, 3) for all three       # without
 *   bias = relative_position_bias_table[relative_coords].view(T, T, -1).permute(2, 0, 1)
 *   attn = attn_drop(softmax((q @ kᵀ) * scale + bias.unsqueeze(0)))
 *   x = (attn @ v).transpose(1, 2).reshape(B, N, C);  x = proj_drop(proj(x))         # proj only with_qkv
 * </pre>
 * Shapes: x {@code [B, T, dim]} with {@code T = num_ttokens} (the bias is {@code [nH, T, T]}) →
 * {@code [B, T, dim]}. {@code relative_coords} is {@code (t_i - t_j + T - 1)} flattened over (i, j): int64
 * {@code [T·T]}, a persistent buffer. {@code qk_scale or head_dim ** -0.5}: null or 0 gives the default.
 *
 * <p>State dict (the reference's keys and order: own parameter, own buffer, then children):
 * {@code relative_position_bias_table [2T-1, nH]} (trunc_normal_, std 0.02), {@code relative_coords [T·T]}, and
 * with_qkv {@code qkv.weight [3·dim, dim]}, {@code qkv.bias} (only with qkv_bias, off by default),
 * {@code proj.weight [dim, dim]}, {@code proj.bias [dim]}.
 */
public final class TemporalAttention extends Module {
    private final int dim, numTtokens, numHeads, headDim;
    private final double scale;
    private final boolean withQkv;
    private final Linear qkv, proj;
    private final Dropout attnDrop, projDrop;
    private final Generator generator;

    /** {@code Attention(dim, num_ttokens)} with the reference's defaults: 8 heads, no qkv bias, no dropout, with_qkv. */
    public TemporalAttention(int dim, int numTtokens) {
        this(dim, numTtokens, 8, false, null, 0.0, 0.0, true, Generator.defaultGenerator());
    }

    /** @param qkScale null (or 0) for {@code head_dim^-1/2} */
    public TemporalAttention(int dim, int numTtokens, int numHeads, boolean qkvBias, Double qkScale, double attnDrop, double projDrop,
                             boolean withQkv, Generator generator) {
        if (dim <= 0 || numHeads <= 0 || dim % numHeads != 0) {
            throw new IllegalArgumentException("TemporalAttention: dim must be a positive multiple of num_heads (the heads split C into"
                    + " C // num_heads), got dim=" + dim + ", num_heads=" + numHeads);
        }
        if (numTtokens <= 0) throw new IllegalArgumentException("TemporalAttention: num_ttokens must be positive, got " + numTtokens);
        this.dim = dim;
        this.numTtokens = numTtokens;
        this.numHeads = numHeads;
        this.headDim = dim / numHeads;
        this.scale = qkScale != null && qkScale != 0 ? qkScale : Math.pow(headDim, -0.5);
        this.withQkv = withQkv;
        this.generator = generator;
        if (withQkv) {
            qkv = registerModule("qkv", new Linear(dim, 3 * dim, qkvBias, generator));
            proj = registerModule("proj", new Linear(dim, dim, true, generator));
            this.projDrop = registerModule("proj_drop", new Dropout(projDrop, generator));
        } else {
            qkv = null;
            proj = null;
            this.projDrop = null;
        }
        this.attnDrop = registerModule("attn_drop", new Dropout(attnDrop, generator));
        Tensor table = registerParameter("relative_position_bias_table", Tensor.zeros(2 * numTtokens - 1, numHeads));
        Init.trunc_normal_(table, 0, 0.02, -2, 2, generator);
        registerBuffer("relative_coords", relativeCoords(numTtokens));
    }

    /** {@code (arange(T)[:, None] - arange(T)[None, :] + T - 1).view(-1)}: int64 {@code [T·T]}. */
    static Tensor relativeCoords(int t) {
        long[] c = new long[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) c[i * t + j] = i - j + t - 1;
        }
        return Tensor.ofLongs(c, t * t);
    }

    /** The bias {@code [nH, T, T]} gathered from the table. */
    public Tensor relativePositionBias() {
        return Indexing.indexSelect(parameter("relative_position_bias_table"), 0, buffer("relative_coords"))
                .view(numTtokens, numTtokens, numHeads).permute(2, 0, 1).contiguous();
    }

    /** {@code [B, T, dim] -> [B, T, dim]}. */
    public Tensor forward(Tensor x) {
        return attend(x, false).output();
    }

    /** The forward, and the weights {@code [B, nH, T, T]} (after attn_drop) when {@code needWeights}. */
    public ScaledDotProductAttention.Result attend(Tensor x, boolean needWeights) {
        AttentionChecks.requireShape(header(), "x", x, 3, dim, "[batch, num_ttokens=" + numTtokens + ", dim=" + dim + "]");
        if (x.size(1) != numTtokens) {
            throw new IllegalArgumentException(header() + ": x of shape " + AttentionChecks.str(x) + " must be [batch, num_ttokens="
                    + numTtokens + ", dim=" + dim + "] (the relative position bias is " + numTtokens + "x" + numTtokens + ")");
        }
        int b = x.size(0), n = numTtokens;
        Tensor q, k, v;
        if (withQkv) {
            Tensor t = qkv.forward(x).reshape(b, n, 3, numHeads, headDim).permute(2, 0, 3, 1, 4);
            q = t.select(0, 0);
            k = t.select(0, 1);
            v = t.select(0, 2);
        } else {
            q = k = v = x.reshape(b, n, numHeads, headDim).permute(0, 2, 1, 3);
        }
        Options o = Options.none().withScale(scale).withMask(relativePositionBias())
                .withDropout(attnDrop.p(), isTraining(), generator);
        var r = ScaledDotProductAttention.compute(q, k, v, o, needWeights);
        Tensor out = r.output().transpose(1, 2).reshape(b, n, dim);
        if (withQkv) out = projDrop.forward(proj.forward(out));
        return new ScaledDotProductAttention.Result(out, r.weights());
    }

    public double scale() {
        return scale;
    }

    public boolean withQkv() {
        return withQkv;
    }

    @Override
    public String header() {
        return "TemporalAttention(dim=" + dim + ", num_ttokens=" + numTtokens + ", num_heads=" + numHeads + ")";
    }
}
