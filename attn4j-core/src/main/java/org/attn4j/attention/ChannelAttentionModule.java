package org.attn4j.attention;

import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * DANet's channel attention module (Fu et al., 2019), the reference's {@code CAM_Module}: the channel
 * affinity {@code energy = X Xᵀ} ({@code [B, C, C]}, X the features flattened over space), turned into
 * {@code softmax(rowmax(energy) - energy)} — the paper's trick that makes dissimilar channels weigh more and
 * keeps the softmax stable — then {@code out = gamma · (attention X) + x} with a learned scalar {@code gamma}
 * that starts at 0, so the module starts as the identity. Key: {@code gamma} {@code [1]}.
 *
 * <p>Input {@code [B, C, *spatial]} in the default channels-first layout: the reference's PyTorch code unpacks
 * five dims ({@code [B, C, H, W, D]}) while its comment says four; both work, as does any number of spatial
 * dims. With {@link Layout#CHANNELS_LAST} the input is {@code [B, *spatial, C]} as in the reference's Keras
 * port, and the module computes the same channel attention in that layout.
 *
 * <p>The reference's Keras port, read literally, forms {@code X Xᵀ} over positions ({@code [B, HW, HW]}) —
 * a position affinity, not the channel one its docstring and the PyTorch original describe. attn4j implements
 * the intent (channel attention) in both layouts; {@link Layout#KERAS_PORT_LITERAL} reproduces the port's
 * literal computation for users who trained with it.
 */
public final class ChannelAttentionModule extends UnaryModule {
    /** Where the channel dimension is, and which computation the Keras port gets. */
    public enum Layout {
        /** {@code [B, C, *spatial]}, the PyTorch original. */
        CHANNELS_FIRST,
        /** {@code [B, *spatial, C]}, channel attention in Keras' layout. */
        CHANNELS_LAST,
        /** {@code [B, *spatial, C]} with the Keras port's literal {@code [HW, HW]} energy. */
        KERAS_PORT_LITERAL
    }

    private final int inDim;
    private final Layout layout;
    private final Tensor gamma;

    public ChannelAttentionModule(int inDim) {
        this(inDim, Layout.CHANNELS_FIRST);
    }

    public ChannelAttentionModule(int inDim, Layout layout) {
        if (inDim <= 0) throw new IllegalArgumentException("ChannelAttentionModule: in_dim must be positive, got " + inDim);
        this.inDim = inDim;
        this.layout = layout;
        gamma = registerParameter("gamma", Tensor.zeros(1));
    }

    @Override
    public Tensor forward(Tensor x) {
        boolean first = layout == Layout.CHANNELS_FIRST;
        int channelDim = first ? 1 : x.dim() - 1;
        if (x.dim() < 3 || x.size(channelDim) != inDim) {
            throw new IllegalArgumentException("ChannelAttentionModule: expected input " + (first ? "[B, C=" + inDim + ", *spatial]"
                    : "[B, *spatial, C=" + inDim + "]") + ", got " + Shape.str(x.shape()));
        }
        int b = x.size(0);
        Tensor g = parameter("gamma");
        if (first) {
            Tensor q = x.reshape(b, inDim, -1);                                 // [B, C, N]
            Tensor energy = q.matmul(q.mT());                                   // [B, C, C]
            Tensor attention = energy.amax(-1, true).expand(energy.shape()).sub(energy).softmax(-1);
            Tensor out = attention.matmul(q).reshape(x.shape());                // [B, C, *spatial]
            return g.mul(out).add(x);
        }
        Tensor q = x.reshape(b, -1, inDim);                                     // [B, N, C]
        if (layout == Layout.CHANNELS_LAST) {
            Tensor energy = q.mT().matmul(q);                                   // [B, C, C]
            Tensor attention = energy.amax(-1, true).expand(energy.shape()).sub(energy).softmax(-1);
            Tensor out = q.matmul(attention.mT()).reshape(x.shape());           // [B, N, C]
            return g.mul(out).add(x);
        }
        Tensor energy = q.matmul(q.mT());                                       // [B, N, N] (the port, literally)
        Tensor attention = energy.amax(-1, true).expand(energy.shape()).sub(energy).softmax(-1);
        Tensor out = attention.matmul(q).reshape(x.shape());
        return g.mul(out).add(x);
    }

    @Override
    public String extraRepr() {
        return "in_dim=" + inDim + (layout == Layout.CHANNELS_FIRST ? "" : ", layout=" + layout);
    }
}
