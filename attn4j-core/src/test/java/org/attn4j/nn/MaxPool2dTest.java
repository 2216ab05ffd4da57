package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** MaxPool2d: arguments reach libtorch's max_pool2d unchanged (exact: a max selects, it does not round). */
class MaxPool2dTest {
    @Test
    void matchesTorch() {
        Generator g = new Generator(1);
        MaxPool2d pool = new MaxPool2d(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {1}, true);
        ModuleCheck.check("MaxPool2d", Tensor.randn(g, 2, 3, 8, 7), pool::forward, List.of(),
                t -> ai.djl.nn.pooling.Pool.maxPool2d(t.get(0), Torch.shapeOf(3, 2), Torch.shapeOf(2, 1), Torch.shapeOf(1, 0),
                        true), 0, 0, 2);
        MaxPool2d simple = new MaxPool2d(2);
        ModuleCheck.check("MaxPool2d(2)", Tensor.randn(g, 3, 6, 6), simple::forward, List.of(),
                // unbatched [C, H, W]: libtorch (through DJL) gets a batch of one
                t -> ai.djl.nn.pooling.Pool.maxPool2d(t.get(0).expandDims(0), Torch.shapeOf(2, 2), Torch.shapeOf(2, 2),
                        Torch.shapeOf(0, 0), false).squeeze(0), 0, 0, 3);
    }

    @Test
    void reprPrintsSizesAsGiven() {
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).toString());
        assertEquals("MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=1, ceil_mode=True)",
                new MaxPool2d(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {1}, true).toString());
        var e = assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(2).forward(Tensor.zeros(4, 4)));
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False): expected input"
                + " [N, C, H, W] or [C, H, W], got [4, 4]", e.getMessage());
    }
}
