package org.attn4j.attention;

import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Linear;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Single-head scaled dot-product self-attention, the tutorial's {@code Self_Attention(dim, dk, dv)}
 * (reference 003, section 3.3):
 * <pre>
 *   q, k, v = self.q(x), self.k(x), self.v(x)          # Linear(dim, dk), Linear(dim, dk), Linear(dim, dv)
 *   attn = (q @ k.transpose(-2, -1)) * dk ** -0.5
 *   x = attn.softmax(dim=-1) @ v
 * </pre>
 * Shapes: x {@code [..., N, dim]} → {@code [..., N, dv]} (the tutorial uses {@code [batch, tokens, dim]}; any
 * leading dims work, as in the Python code). Note the scale is {@code dk^-1/2}, the width of q and k.
 *
 * <p>State dict (PyTorch's names): {@code q.weight [dk, dim]}, {@code q.bias [dk]}, {@code k.weight [dk, dim]},
 * {@code k.bias [dk]}, {@code v.weight [dv, dim]}, {@code v.bias [dv]}; initialised as {@code nn.Linear}.
 *
 * <p>Beyond the reference, {@link #attend} takes an optional mask in {@link ScaledDotProductAttention}'s
 * convention (bool true = take part, or float added; broadcasting to {@code [..., N, N]}) and returns the
 * attention weights.
 */
public final class SelfAttention extends UnaryModule {
    private final int dim, dk, dv;
    private final double scale;
    private final Linear q, k, v;

    /** Initialised from the default generator. */
    public SelfAttention(int dim, int dk, int dv) {
        this(dim, dk, dv, Generator.defaultGenerator());
    }

    public SelfAttention(int dim, int dk, int dv, Generator generator) {
        if (dim <= 0 || dk <= 0 || dv <= 0) {
            throw new IllegalArgumentException("SelfAttention: dim, dk and dv must be positive, got dim=" + dim + ", dk=" + dk
                    + ", dv=" + dv);
        }
        this.dim = dim;
        this.dk = dk;
        this.dv = dv;
        this.scale = Math.pow(dk, -0.5);
        q = registerModule("q", new Linear(dim, dk, true, generator));
        k = registerModule("k", new Linear(dim, dk, true, generator));
        v = registerModule("v", new Linear(dim, dv, true, generator));
    }

    /** {@code [..., N, dim] -> [..., N, dv]}, exactly the reference's forward. */
    @Override
    public Tensor forward(Tensor x) {
        return attend(x, null, false).output();
    }

    /**
     * The forward with an optional mask (bool true = take part, or float added, broadcasting to
     * {@code [..., N, N]}; null for none) and, when {@code needWeights}, the weights {@code [..., N, N]}.
     */
    public ScaledDotProductAttention.Result attend(Tensor x, Tensor mask, boolean needWeights) {
        if (x == null || x.dim() < 2 || x.size(-1) != dim) {
            throw new IllegalArgumentException(header() + ": input x of shape " + (x == null ? "null" : AttentionChecks.str(x))
                    + " must be [..., N, " + dim + "]");
        }
        if (mask != null) {
            int[] scores = x.shape();
            scores[scores.length - 1] = x.size(-2);
            if (!AttentionChecks.broadcastsTo(mask.shape(), scores)) {
                throw new IllegalArgumentException(header() + ": mask of shape " + AttentionChecks.str(mask)
                        + " cannot broadcast to the attention scores' shape " + AttentionChecks.dims(scores));
            }
        }
        Options o = Options.none().withScale(scale);
        if (mask != null) o = o.withMask(mask);
        return ScaledDotProductAttention.compute(q.forward(x), k.forward(x), v.forward(x), o, needWeights);
    }

    public Linear q() {
        return q;
    }

    public Linear k() {
        return k;
    }

    public Linear v() {
        return v;
    }

    /** The factor on {@code q kᵀ}: {@code dk^-1/2}. */
    public double scale() {
        return scale;
    }

    /** Printed as the reference prints {@code Self_Attention}: only its children. Error messages name the sizes. */
    @Override
    public String header() {
        return "SelfAttention(dim=" + dim + ", dk=" + dk + ", dv=" + dv + ")";
    }
}
