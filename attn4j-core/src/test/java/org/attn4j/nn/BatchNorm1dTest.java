package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** BatchNorm1d on [N, C] and [N, C, L] against libtorch's batch_norm (tolerance as {@link BatchNorm2dTest}). */
class BatchNorm1dTest {
    @Test
    void twoAndThreeDimensionalInputsMatchTorch() {
        Generator g = new Generator(1);
        for (int[] shape : new int[][] {{8, 4}, {3, 4, 5}}) {
            BatchNorm1d bn = new BatchNorm1d(4, 1e-3, 0.3, true, true);
            Tensor x = Tensor.randn(g, shape).mul(3f);
            Tensor[] running = new Tensor[2];
            ModuleCheck.check("BatchNorm1d " + java.util.Arrays.toString(shape), x, bn::forward,
                    List.of(bn.weight(), bn.bias()), t -> {
                        var m = t.get(0).getManager();
                        NDArray rm = m.zeros(Torch.shapeOf(4)), rv = m.ones(Torch.shapeOf(4));
                        // DJL hands libtorch 1 - momentum (MXNet's convention), so pass 1 - 0.3
                        NDArray y = ai.djl.nn.norm.BatchNorm.batchNorm(t.get(0), rm, rv, t.get(1), t.get(2), 1, 0.7f, 1e-3f,
                                true).singletonOrThrow();
                        running[0] = Torch.tensor(rm);
                        running[1] = Torch.tensor(rv);
                        return y;
                    }, 1e-5, 1e-5, 2);
            Assertions2.assertClose("running_mean", running[0], bn.runningMean(), 1e-6, 1e-5);
            Assertions2.assertClose("running_var", running[1], bn.runningVar(), 1e-6, 1e-5);
        }
    }

    @Test
    void reprAndRank() {
        BatchNorm1d bn = new BatchNorm1d(8, 1e-3, null, false, true);
        assertEquals("BatchNorm1d(8, eps=0.001, momentum=None, affine=False, track_running_stats=True)", bn.toString());
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.stateDict().keySet()));
        var e = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 8, 3, 3)));
        assertEquals("BatchNorm1d(8, eps=0.001, momentum=None, affine=False, track_running_stats=True): expected 2D or 3D"
                + " input (got 4D input of shape [2, 8, 3, 3])", e.getMessage());
    }
}
