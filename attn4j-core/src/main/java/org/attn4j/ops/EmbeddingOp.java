package org.attn4j.ops;

import org.attn4j.kernels.Parallel;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The embedding lookup, {@code F.embedding(indices, weight, padding_idx)}: row {@code indices[...]} of the
 * table for every index. (Named {@code EmbeddingOp} so that {@code Embedding} stays free for the nn layer.)
 */
public final class EmbeddingOp {
    private EmbeddingOp() {}

    /**
     * @param indices    int64 of any shape, every value in {@code [0, V)}
     * @param weight     {@code [V, D]} float32 table
     * @param paddingIdx a row that receives no gradient (its forward output is still the row, as in PyTorch);
     *                   negative values count from the end; null for none
     * @return {@code [*indices.shape, D]}; backward accumulates the gradient of every lookup into its row
     *         (repeated indices add up), except into {@code paddingIdx}
     */
    public static Tensor embedding(Tensor indices, Tensor weight, Integer paddingIdx) {
        String op = "embedding";
        if (indices.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + ": indices must be int64, got " + indices.dtype().torchName()
                    + " of shape " + Shape.str(indices.shape()));
        }
        Arithmetic.requireFloat(op, weight);
        if (weight.dim() != 2) {
            throw new IllegalArgumentException(op + ": weight must be a 2-D table [num_embeddings, embedding_dim], got "
                    + Shape.str(weight.shape()));
        }
        int v = weight.size(0), d = weight.size(1);
        int pad = -1;
        if (paddingIdx != null) {
            if (paddingIdx < -v || paddingIdx >= v) {
                throw new IllegalArgumentException(op + ": padding_idx " + paddingIdx + " must be within [" + (-v) + ", "
                        + (v - 1) + "] for a table of " + v + " rows (weight " + Shape.str(weight.shape()) + ")");
            }
            pad = paddingIdx < 0 ? paddingIdx + v : paddingIdx;
        }
        float[] idx = indices.contiguousData();
        int n = indices.numel();
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            float f = idx[i];
            if (!(f >= 0 && f < v)) {
                throw new IllegalArgumentException(op + ": index " + (long) f + " at flat position " + i
                        + " is out of range for a table of V=" + v + " rows (indices " + Shape.str(indices.shape())
                        + ", weight " + Shape.str(weight.shape()) + ")");
            }
            rows[i] = (int) f;
        }
        float[] wd = weight.contiguousData();
        float[] out = new float[n * d];
        Parallel.forRangeByCost(n, d, (from, to) -> {
            for (int i = from; i < to; i++) System.arraycopy(wd, rows[i] * d, out, i * d, d);
        });
        int[] is = indices.shape();
        int[] outShape = new int[is.length + 1];
        System.arraycopy(is, 0, outShape, 0, is.length);
        outShape[is.length] = d;
        int padRow = pad;
        return Tensor.result(out, outShape, op, g -> {
            float[] gd = g.contiguousData();
            float[] gw = new float[v * d];
            // Split by columns: every thread owns a column range of every row, so repeated indices never race
            // and each sum runs in lookup order whatever the thread count.
            Parallel.forRangeByCost(d, n, (c0, c1) -> {
                for (int i = 0; i < n; i++) {
                    int r = rows[i];
                    if (r == padRow) continue;
                    int src = i * d, dst = r * d;
                    for (int c = c0; c < c1; c++) gw[dst + c] += gd[src + c];
                }
            });
            return new Tensor[] {null, Tensor.ofOwned(gw, v, d)};
        }, indices, weight);
    }
}
