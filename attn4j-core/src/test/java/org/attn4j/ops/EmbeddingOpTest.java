package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.SparseFormat;
import java.util.Arrays;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * embedding against libtorch's {@code torch.embedding} (DJL's NDArrayEx.embedding), forward and backward. DJL
 * passes no padding_idx, so for it the reference is composed as PyTorch defines it: the padding row's lookups
 * read the row but send no gradient to it, i.e. the table with that row detached.
 *
 * <p>Tolerance: the forward is a copy (exact); the weight gradient adds the upstream rows of repeated indices,
 * whose order may differ from libtorch's, so atol 1e-6 and rtol 1e-6 (values of order 1, a handful of terms).
 */
class EmbeddingOpTest {

    @Test
    void matchesTorchOverRandomConfigurations() {
        Generator g = new Generator(31);
        for (int trial = 0; trial < 16; trial++) {
            int v = 1 + g.nextInt(20), d = 1 + g.nextInt(40);
            int rank = g.nextInt(4);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) shape[i] = 1 + g.nextInt(7);
            Tensor idx = Tensor.randint(g, 0, v, shape);
            Tensor w = Tensor.randn(g, v, d).requiresGrad(true);
            Integer pad = trial % 2 == 0 ? null : (trial % 4 == 1 ? g.nextInt(v) : -1 - g.nextInt(v));
            String what = "embedding V=" + v + " D=" + d + " indices " + Arrays.toString(shape) + " padding " + pad;
            int padRow = pad == null ? -1 : pad < 0 ? pad + v : pad;
            Torch.check(what, List.of(idx, w), t -> EmbeddingOp.embedding(t.get(0), t.get(1), pad),
                    t -> {
                        NDArray table = t.get(1);
                        if (padRow >= 0) {
                            NDArray rows = table.getManager().arange(v).eq(padRow).reshape(v, 1).broadcast(Torch.shapeOf(v, d));
                            table = NDArrays.where(rows, table.stopGradient(), table);
                        }
                        return table.getNDArrayInternal().embedding(t.get(0), table, SparseFormat.DENSE)
                                .singletonOrThrow();
                    }, 1e-6, 1e-6, 300 + trial);
        }
    }

    @Test
    void repeatedIndicesAccumulateAndPaddingGetsNothing() {
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2).requiresGrad(true);
        Tensor idx = Tensor.ofInts(new int[] {2, 0, 2, 1, 2}, 5);
        Tensor y = EmbeddingOp.embedding(idx, w, 1);
        assertEquals(Arrays.toString(new float[] {5, 6, 1, 2, 5, 6, 3, 4, 5, 6}), Arrays.toString(y.toFloatArray()));
        y.backward(Tensor.ones(5, 2));
        // Row 2 looked up three times, row 0 once, row 1 is padding.
        assertEquals(Arrays.toString(new float[] {1, 1, 0, 0, 3, 3}), Arrays.toString(w.grad().toFloatArray()));
    }

    @Test
    void badIndicesAndTablesAreNamed() {
        Tensor w = Tensor.zeros(4, 3);
        var e = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingOp.embedding(Tensor.ofInts(new int[] {0, 4}, 2), w, null));
        assertEquals("embedding: index 4 at flat position 1 is out of range for a table of V=4 rows (indices [2],"
                + " weight [4, 3])", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingOp.embedding(Tensor.ofInts(new int[] {-1}, 1), w, null));
        assertEquals("embedding: index -1 at flat position 0 is out of range for a table of V=4 rows (indices [1],"
                + " weight [4, 3])", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingOp.embedding(Tensor.vector(0f, 1f), w, null));
        assertEquals("embedding: indices must be int64, got float32 of shape [2]", e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingOp.embedding(Tensor.ofInts(new int[] {0}, 1), w, 4));
        assertEquals("embedding: padding_idx 4 must be within [-4, 3] for a table of 4 rows (weight [4, 3])",
                e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingOp.embedding(Tensor.ofInts(new int[] {0}, 1), Tensor.zeros(4), null));
        assertEquals("embedding: weight must be a 2-D table [num_embeddings, embedding_dim], got [4]", e5.getMessage());
    }
}
