package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * PatchEmbed against {@code conv2d(kernel=stride=patch).flatten(2).transpose(1, 2)} (and a LayerNorm) in
 * libtorch. Tolerance atol 2e-5, rtol 1e-5: each token is a 3·8·8 = 192-term dot product of values of order 1;
 * the weight gradient sums 2 images x 16 patches of them.
 */
class PatchEmbedTest {
    @Test
    void matchesConvFlattenTranspose() {
        for (boolean norm : new boolean[] {false, true}) {
            Generator g = new Generator(norm ? 2 : 1);
            PatchEmbed pe = new PatchEmbed(32, 8, 3, 12, norm, g);
            Tensor x = Tensor.randn(g, 2, 3, 32, 32);
            ModuleOracle.check("PatchEmbed norm=" + norm, pe, x, pe::forward, (p, img) -> {
                NDArray y = JniUtils.convolution((PtNDArray) img, (PtNDArray) p.get("proj.weight"), (PtNDArray) p.get("proj.bias"),
                        new Shape(8, 8), new Shape(0, 0), new Shape(1, 1), 1).reshape(2, 12, -1).transpose(0, 2, 1);
                return norm ? JniUtils.layerNorm((PtNDArray) y, new Shape(12), (PtNDArray) p.get("norm.weight"),
                        (PtNDArray) p.get("norm.bias"), 1e-5) : y;
            }, 2e-5, 1e-5, 3);
            assertEquals(norm ? List.of("proj.weight", "proj.bias", "norm.weight", "norm.bias") : List.of("proj.weight", "proj.bias"),
                    List.copyOf(pe.stateDict().keySet()));
        }
    }

    @Test
    void gridIsFloorOfImageOverPatch() {
        PatchEmbed pe = new PatchEmbed(30, 8, 1, 4, false, new Generator(1));
        assertEquals(3, pe.gridSize());
        assertEquals(9, pe.numPatches());
        assertEquals(List.of(2, 9, 4), List.of(pe.forward(Tensor.zeros(2, 1, 30, 30)).shape()[0], 9, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> pe.forward(Tensor.zeros(2, 1, 30, 31)));
        assertEquals("PatchEmbed: Input image size (30*31) doesn't match model (30*30).", e.getMessage());
    }
}
