package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Conv2d: arguments reach libtorch's conv2d unchanged (compared through DJL, forward and the gradients of
 * input, weight and bias), PyTorch's parameter shapes, init bound and repr. Tolerance atol 1e-5, rtol 1e-5:
 * sums of up to 36 float32 products in a different order than libtorch's kernels (values of order 1-10;
 * measured at most 1.9e-6 absolute, on a weight gradient).
 */
class Conv2dTest {
    @Test
    void matchesTorchConv2dWithEveryArgument() {
        Generator g = new Generator(1);
        Conv2d conv = new Conv2d(4, 6, new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 2}, 2, true, g);
        Tensor x = Tensor.randn(g, 2, 4, 7, 6);
        ModuleCheck.check("Conv2d", x, conv::forward, List.of(conv.weight(), conv.bias()),
                t -> ai.djl.nn.convolutional.Conv2d.conv2d(t.get(0), t.get(1), t.get(2), Torch.shapeOf(2, 1), Torch.shapeOf(1, 0),
                        Torch.shapeOf(1, 2), 2).singletonOrThrow(), 1e-5, 1e-5, 2);
        Conv2d noBias = new Conv2d(3, 5, 3, 1, 1, 1, 1, false, g);
        // an unbatched input [C, H, W]; DJL wants a batch, so libtorch gets it as a batch of one
        ModuleCheck.check("Conv2d bias=False", Tensor.randn(g, 3, 5, 4), noBias::forward, List.of(noBias.weight()),
                t -> ai.djl.nn.convolutional.Conv2d.conv2d(t.get(0).expandDims(0), t.get(1), null, Torch.shapeOf(1, 1),
                        Torch.shapeOf(1, 1), Torch.shapeOf(1, 1), 1).singletonOrThrow().squeeze(0), 1e-5, 1e-5, 3);
    }

    @Test
    void parametersInitAndRepr() {
        Conv2d conv = new Conv2d(16, 32, 3, 2, 1, 1, 4, true, new Generator(4));
        assertEquals(List.of("weight", "bias"), List.copyOf(conv.stateDict().keySet()));
        assertArrayEquals(new int[] {32, 4, 3, 3}, conv.weight().shape());
        assertArrayEquals(new int[] {32}, conv.bias().shape());
        // fan_in = in/groups · kH · kW = 4 · 9: weight and bias in U(-1/6, 1/6)
        float bound = 1f / 6;
        float max = 0;
        for (float v : conv.weight().toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.99f * bound, "max |w| " + max);
        for (float v : conv.bias().toFloatArray()) assertTrue(Math.abs(v) <= bound);
        assertEquals("Conv2d(16, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=4)", conv.toString());
        assertEquals("Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))", new Conv2d(3, 16, 3).toString());
        assertEquals("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False)",
                new Conv2d(4, 6, new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 2}, 2, false,
                        new Generator(5)).toString());
    }

    @Test
    void badArgumentsAndInputsAreNamed() {
        var e1 = assertThrows(IllegalArgumentException.class, () -> new Conv2d(6, 4, 3, 1, 0, 1, 4, true, new Generator(6)));
        assertEquals("Conv2d: in_channels 6 must be divisible by groups 4", e1.getMessage());
        Conv2d conv = new Conv2d(3, 8, 3);
        var e2 = assertThrows(IllegalArgumentException.class, () -> conv.forward(Tensor.zeros(2, 4, 8, 8)));
        assertEquals("Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)): expected input [N, 3, H, W] or [3, H, W], got"
                + " [2, 4, 8, 8]", e2.getMessage());
    }
}
