package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** AvgPool2d against libtorch's avg_pool2d (tolerance 1e-6: means of at most 6 float32 values). */
class AvgPool2dTest {
    @Test
    void matchesTorch() {
        Generator g = new Generator(1);
        AvgPool2d pool = new AvgPool2d(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 1}, true, false);
        ModuleCheck.check("AvgPool2d", Tensor.randn(g, 2, 3, 8, 7), pool::forward, List.of(),
                t -> {
                    // DJL does not pass count_include_pad=False on to libtorch; compose it as ops/PoolingTest does:
                    // the padded sum over the count of real elements (the same pool over ones)
                    var a = t.get(0);
                    var sum = ai.djl.nn.pooling.Pool.avgPool2d(a, Torch.shapeOf(3, 2), Torch.shapeOf(2, 1), Torch.shapeOf(1, 1),
                            true, true);
                    return sum.div(ai.djl.nn.pooling.Pool.avgPool2d(a.onesLike(), Torch.shapeOf(3, 2), Torch.shapeOf(2, 1),
                            Torch.shapeOf(1, 1), true, true));
                }, 1e-6, 1e-6, 2);
        AvgPool2d simple = new AvgPool2d(3, 1, 1);
        ModuleCheck.check("AvgPool2d(3, 1, 1)", Tensor.randn(g, 1, 2, 5, 5), simple::forward, List.of(),
                t -> ai.djl.nn.pooling.Pool.avgPool2d(t.get(0), Torch.shapeOf(3, 3), Torch.shapeOf(1, 1), Torch.shapeOf(1, 1),
                        false, true), 1e-6, 1e-6, 3);
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).toString());
        assertEquals("AvgPool2d(kernel_size=3, stride=1, padding=1)", simple.toString());
    }
}
