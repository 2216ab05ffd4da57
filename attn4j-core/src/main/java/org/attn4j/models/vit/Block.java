package org.attn4j.models.vit;

import org.attn4j.nn.DropPath;
import org.attn4j.nn.Identity;
import org.attn4j.nn.LayerNorm;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * The reference's transformer {@code Block}, pre-norm:
 * <pre>
 *   x = x + drop_path(attn(norm1(x)))
 *   x = x + drop_path(mlp(norm2(x)))
 * </pre>
 * {@code [B, N, D] -> [B, N, D]}. The norms are LayerNorms with eps 1e-6 (the reference's VisionTransformer
 * passes {@code partial(nn.LayerNorm, eps=1e-6)}); the MLP is {@code int(D * mlp_ratio)} wide. drop_path is a
 * {@link DropPath} when its rate is above 0, else an Identity, as in the reference (neither has parameters).
 * Parameters: {@code norm1.*}, {@code attn.qkv.*}, {@code attn.proj.*}, {@code norm2.*}, {@code mlp.fc1.*},
 * {@code mlp.fc2.*}.
 */
public final class Block extends UnaryModule {
    private final LayerNorm norm1, norm2;
    private final Attention attn;
    private final UnaryModule dropPath;
    private final Mlp mlp;

    /**
     * @param dropRatio     dropout in the MLP and after the attention projection
     * @param dropPathRatio this block's stochastic depth rate
     */
    public Block(int dim, int numHeads, double mlpRatio, boolean qkvBias, double qkScale, double dropRatio,
                 double attnDropRatio, double dropPathRatio, Generator g) {
        this.norm1 = registerModule("norm1", new LayerNorm(dim, 1e-6));
        this.attn = registerModule("attn", new Attention(dim, numHeads, qkvBias, qkScale, attnDropRatio, dropRatio, g));
        this.dropPath = registerModule("drop_path", dropPathRatio > 0 ? new DropPath(dropPathRatio, true, g) : new Identity());
        this.norm2 = registerModule("norm2", new LayerNorm(dim, 1e-6));
        this.mlp = registerModule("mlp", new Mlp(dim, (int) (dim * mlpRatio), dim, dropRatio, g));
    }

    public Attention attn() {
        return attn;
    }

    public Mlp mlp() {
        return mlp;
    }

    public LayerNorm norm1() {
        return norm1;
    }

    public LayerNorm norm2() {
        return norm2;
    }

    /** The stochastic-depth module: a DropPath, or an Identity for rate 0. */
    public UnaryModule dropPath() {
        return dropPath;
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, false).output();
    }

    /** The block's output and, with {@code needWeights}, its attention weights {@code [B, heads, N, N]}. */
    public Attention.Result forward(Tensor x, boolean needWeights) {
        Attention.Result a = attn.forward(norm1.forward(x), needWeights);
        x = x.add(dropPath.forward(a.output()));
        x = x.add(dropPath.forward(mlp.forward(norm2.forward(x))));
        return new Attention.Result(x, a.weights());
    }
}
