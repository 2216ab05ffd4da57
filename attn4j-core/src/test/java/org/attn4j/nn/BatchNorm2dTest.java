package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * BatchNorm2d against libtorch's batch_norm in training (batch statistics, running statistics updated with
 * momentum and the unbiased variance) and in eval (running statistics), forward and gradients. Tolerance atol
 * 1e-5, rtol 1e-5: per-channel statistics over 2·5·6 = 60 float32 values, then a scale (measured at most
 * 9.5e-7 absolute). DJL's momentum is MXNet's, so libtorch is handed 1 - momentum.
 */
class BatchNorm2dTest {
    private static final double ATOL = 1e-5, RTOL = 1e-5;

    @Test
    void trainingThenEvalMatchTorch() {
        Generator g = new Generator(1);
        BatchNorm2d bn = new BatchNorm2d(3);
        try (var ignored = GradMode.noGrad()) {
            bn.weight().copy_(Tensor.randn(g, 3));
            bn.bias().copy_(Tensor.randn(g, 3));
            bn.runningMean().copy_(Tensor.randn(g, 3));
            bn.runningVar().copy_(Tensor.rand(g, 3).add(0.5f));
        }
        Tensor rm0 = bn.runningMean().contiguousCopy(), rv0 = bn.runningVar().contiguousCopy();
        Tensor x = Tensor.randn(g, 2, 3, 5, 6).mul(2f).add(0.5f);
        Tensor[] torchRunning = new Tensor[2];
        ModuleCheck.check("BatchNorm2d train", x, bn::forward, List.of(bn.weight(), bn.bias()), t -> {
            NDArray rm = Torch.nd(t.get(0).getManager(), rm0), rv = Torch.nd(t.get(0).getManager(), rv0);
            // DJL's momentum is MXNet's (the weight of the old value): it hands libtorch 1 - momentum.
            NDArray y = ai.djl.nn.norm.BatchNorm.batchNorm(t.get(0), rm, rv, t.get(1), t.get(2), 1, 0.9f, 1e-5f, true)
                    .singletonOrThrow();
            torchRunning[0] = Torch.tensor(rm);      // libtorch updated them in place
            torchRunning[1] = Torch.tensor(rv);
            return y;
        }, ATOL, RTOL, 2);
        Assertions2.assertClose("running_mean", torchRunning[0], bn.runningMean(), 1e-6, 1e-5);
        Assertions2.assertClose("running_var", torchRunning[1], bn.runningVar(), 1e-6, 1e-5);
        assertEquals(1f, bn.numBatchesTracked().item());

        bn.eval();
        Tensor rm1 = bn.runningMean().contiguousCopy(), rv1 = bn.runningVar().contiguousCopy();
        ModuleCheck.check("BatchNorm2d eval", Tensor.randn(g, 4, 3, 2, 2), bn::forward, List.of(bn.weight(), bn.bias()),
                t -> ai.djl.nn.norm.BatchNorm.batchNorm(t.get(0), Torch.nd(t.get(0).getManager(), rm1),
                        Torch.nd(t.get(0).getManager(), rv1), t.get(1), t.get(2), 1, 0.9f, 1e-5f, false).singletonOrThrow(),
                ATOL, RTOL, 3);
        assertArrayEquals(rm1.toFloatArray(), bn.runningMean().toFloatArray(), "eval leaves the statistics alone");
        assertEquals(1f, bn.numBatchesTracked().item());
    }

    @Test
    void momentumNoneIsACumulativeAverage() {
        Generator g = new Generator(4);
        BatchNorm2d bn = new BatchNorm2d(2, 1e-5, null, true, true);
        Tensor a = Tensor.randn(g, 3, 2, 2, 2), b = Tensor.randn(g, 3, 2, 2, 2).add(4f);
        bn.forward(a);
        bn.forward(b);
        // factor 1/1 then 1/2 from mean 0: the plain average of the two batch means
        float[] expected = new float[2];
        for (Tensor t : List.of(a, b)) {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) expected[(i / 4) % 2] += v[i] / 12f / 2f;
        }
        Assertions2.assertClose("running_mean", Tensor.of(expected, 2), bn.runningMean(), 1e-6, 1e-5);
        assertEquals(2f, bn.numBatchesTracked().item());
        assertEquals("BatchNorm2d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)", bn.toString());
    }

    @Test
    void stateDictIsPyTorchs() {
        BatchNorm2d bn = new BatchNorm2d(16);
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(bn.stateDict().keySet()));
        assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
        assertArrayEquals(new int[] {}, bn.numBatchesTracked().shape());
        assertEquals(DType.INT64, bn.numBatchesTracked().dtype());
        for (float v : bn.runningVar().toFloatArray()) assertEquals(1f, v);
        assertEquals("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.toString());
    }

    @Test
    void withoutTrackedStatisticsEvalUsesTheBatch() {
        Generator g = new Generator(5);
        BatchNorm2d bn = new BatchNorm2d(3, 1e-5, 0.1, false, false);
        assertEquals(List.of(), List.copyOf(bn.stateDict().keySet()));
        assertNull(bn.runningMean());
        bn.eval();
        Tensor x = Tensor.randn(g, 2, 3, 4, 4);
        // batch statistics (biased variance) over N, H, W, composed in libtorch (DJL means one axis at a time;
        // the groups are equal-sized, so the mean of means is the mean)
        ModuleCheck.check("BatchNorm2d untracked eval", x, bn::forward, List.of(), t -> {
            var v = t.get(0);
            var c = v.sub(meanNHW(v));
            return c.div(meanNHW(c.square()).add(1e-5f).sqrt());
        }, ATOL, RTOL, 6);
    }

    private static NDArray meanNHW(NDArray v) {
        return v.mean(new int[] {3}, true).mean(new int[] {2}, true).mean(new int[] {0}, true);
    }

    @Test
    void badInputsAreNamedAndChangeNothing() {
        BatchNorm2d bn = new BatchNorm2d(3);
        var e1 = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 3, 4)));
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): expected 4D input"
                + " (got 3D input of shape [2, 3, 4])", e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 4, 1, 1)));
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): input [2, 4, 1, 1]"
                + " has 4 channels in dim 1, expected 3", e2.getMessage());
        // one value per channel cannot be normalised in training; the batch is not counted
        assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(1, 3, 1, 1)));
        assertEquals(0f, bn.numBatchesTracked().item());
    }
}
