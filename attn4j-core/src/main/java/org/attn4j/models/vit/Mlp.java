package org.attn4j.models.vit;

import org.attn4j.nn.Dropout;
import org.attn4j.nn.GELU;
import org.attn4j.nn.Linear;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * The reference's {@code Mlp} ("MLP as used in Vision Transformer, MLP-Mixer and related networks"):
 * {@code fc1 -> GELU (exact, erf) -> dropout -> fc2 -> dropout}, {@code [..., in] -> [..., out]}, the same dropout
 * module applied twice as in the reference. Parameters {@code fc1.weight [hidden, in]}, {@code fc1.bias},
 * {@code fc2.weight [out, hidden]}, {@code fc2.bias}.
 */
public final class Mlp extends UnaryModule {
    private final Linear fc1, fc2;
    private final GELU act;
    private final Dropout drop;

    public Mlp(int inFeatures, int hiddenFeatures, int outFeatures, double drop, Generator g) {
        this.fc1 = registerModule("fc1", new Linear(inFeatures, hiddenFeatures, true, g));
        this.act = registerModule("act", new GELU());
        this.fc2 = registerModule("fc2", new Linear(hiddenFeatures, outFeatures, true, g));
        this.drop = registerModule("drop", new Dropout(drop, g));
    }

    public Linear fc1() {
        return fc1;
    }

    public Linear fc2() {
        return fc2;
    }

    @Override
    public Tensor forward(Tensor x) {
        return drop.forward(fc2.forward(drop.forward(act.forward(fc1.forward(x)))));
    }
}
