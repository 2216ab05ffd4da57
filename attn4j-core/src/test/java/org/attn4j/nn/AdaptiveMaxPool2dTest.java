package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * AdaptiveMaxPool2d: global pooling against libtorch's, and an evenly dividing output size against the
 * equivalent fixed-window max_pool2d. Exact: a max selects a value.
 */
class AdaptiveMaxPool2dTest {
    @Test
    void matchesTorch() {
        Generator g = new Generator(1);
        AdaptiveMaxPool2d global = new AdaptiveMaxPool2d(1);
        ModuleCheck.check("AdaptiveMaxPool2d(1)", Tensor.randn(g, 2, 3, 5, 6), global::forward, List.of(),
                t -> ai.djl.nn.pooling.Pool.globalMaxPool2d(t.get(0)).reshape(2, 3, 1, 1), 0, 0, 2);
        AdaptiveMaxPool2d grid = new AdaptiveMaxPool2d(new int[] {2, 3});
        ModuleCheck.check("AdaptiveMaxPool2d((2, 3))", Tensor.randn(g, 3, 4, 6), grid::forward, List.of(),
                t -> ai.djl.nn.pooling.Pool.maxPool2d(t.get(0).expandDims(0), Torch.shapeOf(2, 2), Torch.shapeOf(2, 2),
                        Torch.shapeOf(0, 0), false).squeeze(0), 0, 0, 3);
        assertEquals("AdaptiveMaxPool2d(output_size=1)", global.toString());
        assertEquals("AdaptiveMaxPool2d(output_size=(2, 3))", grid.toString());
    }
}
