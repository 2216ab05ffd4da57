package org.attn4j.models.vit;

import java.util.Map;
import org.attn4j.autograd.GradMode;
import org.attn4j.nn.Module;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/** Weights at a scale where every path of a ViT component matters (the reference's init is near zero). */
final class VisionTransformerTestSupport {
    private VisionTransformerTestSupport() {}

    /** Redraws every parameter: LayerNorm weights 1 + 0.1·N(0,1), everything else 0.05·N(0,1). */
    static void randomize(Module m, Generator g) {
        try (var ignored = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                boolean lnWeight = e.getKey().matches("(.*\\.)?norm\\d?\\.weight");
                Tensor r = Tensor.randn(g, p.shape()).mul(lnWeight ? 0.1f : 0.05f);
                p.copy_(lnWeight ? r.add(1f) : r);
            }
        }
    }
}
