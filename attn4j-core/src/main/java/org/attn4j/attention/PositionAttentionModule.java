package org.attn4j.attention;

import org.attn4j.nn.Conv2d;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * DANet's position attention module (Fu et al., 2019), {@code PAM_Module} of the official code: 1×1
 * convolutions give queries and keys of {@code C/8} channels and values of C channels; every position attends
 * to every other, {@code attention = softmax(Qᵀ K)} over positions ({@code [B, N, N]}, N = H·W), and
 * {@code out = gamma · (V attentionᵀ) + x} with {@code gamma} starting at 0.
 *
 * <p>{@code [B, C, H, W] -> [B, C, H, W]}. Keys: {@code query_conv.weight/bias} {@code [C/8, C, 1, 1]},
 * {@code key_conv.*}, {@code value_conv.weight/bias} {@code [C, C, 1, 1]}, {@code gamma} {@code [1]}.
 */
public final class PositionAttentionModule extends UnaryModule {
    private final int inDim;
    private final Conv2d queryConv, keyConv, valueConv;

    public PositionAttentionModule(int inDim, Generator g) {
        if (inDim < 8) {
            throw new IllegalArgumentException("PositionAttentionModule: in_dim " + inDim + " // 8 leaves no query channels");
        }
        this.inDim = inDim;
        queryConv = registerModule("query_conv", new Conv2d(inDim, inDim / 8, 1, 1, 0, 1, 1, true, g));
        keyConv = registerModule("key_conv", new Conv2d(inDim, inDim / 8, 1, 1, 0, 1, 1, true, g));
        valueConv = registerModule("value_conv", new Conv2d(inDim, inDim, 1, 1, 0, 1, 1, true, g));
        registerParameter("gamma", Tensor.zeros(1));
    }

    /** The attention weights {@code [B, N, N]} this module uses for {@code x} (row i: where position i looks). */
    public Tensor attention(Tensor x) {
        ChannelChecks.requireNchw("PositionAttentionModule", x, inDim);
        int b = x.size(0), n = x.size(2) * x.size(3);
        Tensor q = queryConv.forward(x).reshape(b, -1, n).mT();     // [B, N, C/8]
        Tensor k = keyConv.forward(x).reshape(b, -1, n);            // [B, C/8, N]
        return q.matmul(k).softmax(-1);                             // [B, N, N]
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor attention = attention(x);
        int b = x.size(0), n = x.size(2) * x.size(3);
        Tensor v = valueConv.forward(x).reshape(b, -1, n);          // [B, C, N]
        Tensor out = v.matmul(attention.mT()).reshape(x.shape());   // [B, C, H, W]
        return parameter("gamma").mul(out).add(x);
    }

    @Override
    public String extraRepr() {
        return "in_dim=" + inDim;
    }
}
