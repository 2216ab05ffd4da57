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

    @Test
    void copyIntoViewsWritesExactlyTheViewsElements() {
        // copy_ scatters straight into the view; the rest of the storage keeps its values.
        Generator g = new Generator(5);
        java.util.List<java.util.function.UnaryOperator<Tensor>> views = java.util.List.of(
                t -> t.permute(2, 0, 3, 1),
                t -> t.narrow(1, 1, 3).narrow(3, 2, 4),
                t -> t.select(2, 3),
                t -> t.view(20, 42).t(),
                t -> t.select(0, 2).select(0, 1));
        for (java.util.function.UnaryOperator<Tensor> view : views) {
            Tensor base = Tensor.full(-7f, 4, 5, 6, 7), marks = Tensor.arange(4 * 5 * 6 * 7).reshape(4, 5, 6, 7);
            Tensor target = view.apply(base);
            Tensor src = Tensor.randn(g, target.shape());
            target.copy_(src);
            assertArrayEquals(src.toFloatArray(), byIndex(view.apply(base)), 0f, "view " + java.util.Arrays.toString(target.shape()));
            // Which storage positions the view covers: every other one must still hold -7.
            java.util.Set<Float> covered = new java.util.HashSet<>();
            for (float m : byIndex(view.apply(marks))) covered.add(m);
            float[] all = base.toFloatArray();
            for (int i = 0; i < all.length; i++) {
                if (!covered.contains((float) i)) assertArrayEquals(new float[] {-7f}, new float[] {all[i]}, 0f, "position " + i);
            }
        }
        // A source overlapping the destination in the same storage is read before it is overwritten.
        Tensor row = Tensor.arange(10);
        row.narrow(0, 1, 9).copy_(row.narrow(0, 0, 9));
        assertArrayEquals(new float[] {0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, row.toFloatArray(), 0f);
    }
}
