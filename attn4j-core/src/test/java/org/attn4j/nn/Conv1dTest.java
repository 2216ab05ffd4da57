package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** Conv1d against libtorch's conv1d (tolerance as {@link Conv2dTest}: short float32 sums, reordered). */
class Conv1dTest {
    @Test
    void matchesTorchConv1dWithEveryArgument() {
        Generator g = new Generator(1);
        Conv1d conv = new Conv1d(4, 6, 3, 2, 1, 2, 2, true, g);
        ModuleCheck.check("Conv1d", Tensor.randn(g, 3, 4, 11), conv::forward, List.of(conv.weight(), conv.bias()),
                t -> ai.djl.nn.convolutional.Conv1d.conv1d(t.get(0), t.get(1), t.get(2), Torch.shapeOf(2), Torch.shapeOf(1),
                        Torch.shapeOf(2), 2).singletonOrThrow(), 1e-5, 1e-5, 2);
        // ECA's layer: Conv1d(1, 1, k, padding=(k - 1) // 2, bias=False) over the channel axis
        Conv1d eca = new Conv1d(1, 1, 5, 1, 2, 1, 1, false, g);
        ModuleCheck.check("ECA Conv1d", Tensor.randn(g, 2, 1, 16), eca::forward, List.of(eca.weight()),
                t -> ai.djl.nn.convolutional.Conv1d.conv1d(t.get(0), t.get(1), null, Torch.shapeOf(1), Torch.shapeOf(2),
                        Torch.shapeOf(1), 1).singletonOrThrow(), 1e-5, 1e-5, 3);
        assertEquals("Conv1d(1, 1, kernel_size=(5,), stride=(1,), padding=(2,), bias=False)", eca.toString());
        assertArrayEquals(new int[] {6, 2, 3}, conv.weight().shape());
    }

    @Test
    void wrongChannelsAreNamed() {
        Conv1d conv = new Conv1d(2, 3, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> conv.forward(Tensor.zeros(4, 3, 10)));
        assertEquals("Conv1d(2, 3, kernel_size=(3,), stride=(1,)): expected input [N, 2, L] or [2, L], got [4, 3, 10]",
                e.getMessage());
    }
}
