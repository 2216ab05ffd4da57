package org.attn4j.models.vit;

import org.attn4j.attention.ScaledDotProductAttention;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.Linear;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The reference's ViT {@code Attention}: multi-head self-attention with one fused projection for q, k and v.
 * <pre>
 *   qkv = qkv(x).reshape(B, N, 3, heads, C/heads).permute(2, 0, 3, 1, 4)   # [3, B, heads, N, C/heads]
 *   attn = softmax((q @ kᵀ) * scale), attn_drop(attn)                     # [B, heads, N, N]
 *   x = (attn @ v).transpose(1, 2).reshape(B, N, C), proj(x), proj_drop(x)
 * </pre>
 * {@code [B, N, C] -> [B, N, C]}. Parameters (timm's names): {@code qkv.weight [3C, C]}, {@code qkv.bias [3C]}
 * (when {@code qkv_bias}), {@code proj.weight [C, C]}, {@code proj.bias [C]}. The scale is {@code qk_scale} when
 * it is non-zero, else {@code head_dim ** -0.5} (the reference's {@code qk_scale or head_dim ** -0.5}).
 *
 * <p>The attention itself is {@link ScaledDotProductAttention#compute} with the scale above and attn_drop's
 * probability (applied in training mode only, as {@code nn.Dropout}); its composed path is the reference's
 * {@code softmax((q @ kᵀ) * scale)}, {@code attn @ v}. {@link #forward(Tensor, boolean)} also returns the
 * attention weights {@code [B, heads, N, N]} (after attention dropout, which is what multiplies v), for attention
 * maps.
 */
public final class Attention extends UnaryModule {
    private final int dim, numHeads;
    private final double scale;
    private final Linear qkv, proj;
    private final Dropout attnDrop, projDrop;
    private final Generator generator;

    /** The output and, when requested, the attention weights (else null). */
    public record Result(Tensor output, Tensor weights) {}

    public Attention(int dim, int numHeads, boolean qkvBias, double qkScale, double attnDropRatio, double projDropRatio,
                     Generator g) {
        if (numHeads < 1 || dim % numHeads != 0) {
            throw new IllegalArgumentException("Attention: dim " + dim + " is not divisible by num_heads " + numHeads);
        }
        this.dim = dim;
        this.numHeads = numHeads;
        this.generator = g;
        this.scale = qkScale != 0 ? qkScale : Math.pow(dim / numHeads, -0.5);
        this.qkv = registerModule("qkv", new Linear(dim, dim * 3, qkvBias, g));
        this.attnDrop = registerModule("attn_drop", new Dropout(attnDropRatio, g));
        this.proj = registerModule("proj", new Linear(dim, dim, true, g));
        this.projDrop = registerModule("proj_drop", new Dropout(projDropRatio, g));
    }

    public Linear qkv() {
        return qkv;
    }

    public Linear proj() {
        return proj;
    }

    public int numHeads() {
        return numHeads;
    }

    /** The factor on {@code q kᵀ}. */
    public double scale() {
        return scale;
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, false).output();
    }

    /** {@code [B, N, C]} to the output and, with {@code needWeights}, the weights {@code [B, heads, N, N]}. */
    public Result forward(Tensor x, boolean needWeights) {
        if (x.dim() != 3 || x.size(2) != dim) {
            throw new IllegalArgumentException("Attention: input must be [B, N, " + dim + "], got " + Shape.str(x.shape()));
        }
        int b = x.size(0), n = x.size(1);
        Tensor qkvOut = qkv.forward(x).reshape(b, n, 3, numHeads, dim / numHeads).permute(2, 0, 3, 1, 4);
        Tensor q = qkvOut.select(0, 0), k = qkvOut.select(0, 1), v = qkvOut.select(0, 2);
        ScaledDotProductAttention.Result r = ScaledDotProductAttention.compute(q, k, v,
                ScaledDotProductAttention.Options.none().withScale(scale).withDropout(attnDrop.p(), attnDrop.isTraining(), generator),
                needWeights);
        Tensor out = r.output().transpose(1, 2).reshape(b, n, dim);
        out = projDrop.forward(proj.forward(out));
        return new Result(out, r.weights());
    }
}
