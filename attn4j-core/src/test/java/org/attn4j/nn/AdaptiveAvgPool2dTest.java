package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * AdaptiveAvgPool2d: global pooling against libtorch's, and an evenly dividing output size against the
 * equivalent fixed-window avg_pool2d (DJL exposes no general adaptive pool). Tolerance 1e-6: means of 4-30
 * float32 values.
 */
class AdaptiveAvgPool2dTest {
    @Test
    void matchesTorch() {
        Generator g = new Generator(1);
        AdaptiveAvgPool2d global = new AdaptiveAvgPool2d(1);
        ModuleCheck.check("AdaptiveAvgPool2d(1)", Tensor.randn(g, 2, 3, 5, 6), global::forward, List.of(),
                t -> ai.djl.nn.pooling.Pool.globalAvgPool2d(t.get(0)).reshape(2, 3, 1, 1), 1e-6, 1e-6, 2);
        AdaptiveAvgPool2d grid = new AdaptiveAvgPool2d(new int[] {2, 3});
        ModuleCheck.check("AdaptiveAvgPool2d((2, 3))", Tensor.randn(g, 2, 3, 4, 6), grid::forward, List.of(),
                t -> ai.djl.nn.pooling.Pool.avgPool2d(t.get(0), Torch.shapeOf(2, 2), Torch.shapeOf(2, 2), Torch.shapeOf(0, 0),
                        false, true), 1e-6, 1e-6, 3);
        assertEquals("AdaptiveAvgPool2d(output_size=1)", global.toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(2, 3))", grid.toString());
    }
}
