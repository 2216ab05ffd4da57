package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** StridedCopy against the definition: element i of the copy is the view's element at row-major index i. */
class StridedCopyTest {
    /** The view's elements read one by one through {@link Tensor#get}: the plain reference. */
    private static float[] byIndex(Tensor t) {
        int n = t.numel();
        float[] out = new float[n];
        int[] shape = t.shape();
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            out[i] = t.get(idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    @Test
    void copiesPermutedNarrowedExpandedViewsExactly() {
        Generator g = new Generator(3);
        Tensor base = Tensor.randn(g, 4, 5, 6, 7);
        Tensor[] views = {
            base.permute(2, 0, 3, 1),
            base.transpose(-1, -2),
            base.narrow(1, 1, 3).narrow(3, 2, 4),
            base.select(2, 3).permute(2, 0, 1),
            base.narrow(0, 1, 1).expand(3, 5, 6, 7),
            base.unsqueeze(2).expand(4, 5, 2, 6, 7).permute(4, 2, 3, 1, 0),
            base.view(20, 42).t(),
            base.select(0, 2).select(0, 1).select(0, 5),
        };
        for (Tensor v : views) {
            assertArrayEquals(byIndex(v), v.contiguousCopy().toFloatArray(), 0f, "view " + java.util.Arrays.toString(v.shape()));
        }
    }

    @Test
    void longSingleRunsAreCopiedExactlyOnTwoThreads() {
        // One run (a contiguous offset view, one strided column) is cut into blocks for the threads.
        int saved = Parallel.threads();
        Parallel.setThreads(2);
        try {
            Generator g = new Generator(4);
            int n = 9 * Parallel.BLOCK + 5;
            Tensor flat = Tensor.randn(g, n + 3);
            Tensor[] views = {flat.narrow(0, 3, n), Tensor.randn(g, n, 2).select(1, 1)};
            for (Tensor v : views) {
                assertArrayEquals(byIndex(v), v.contiguousCopy().toFloatArray(), 0f, "run of " + n + ", stride " + v.strides()[0]);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }
}
