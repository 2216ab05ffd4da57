package org.attn4j.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/**
 * Attention written out in libtorch ops, as the reference code of the tutorials and PyTorch's math backend
 * compose it: the oracle side of the attention tests. Everything here is plain NDArray arithmetic; nothing is
 * taken from attn4j.
 */
final class TorchAttention {
    private TorchAttention() {}

    /**
     * A 0-d float32 constant allocated by libtorch, to scale with: {@code x.mul(scalar(x, s))}. Never
     * {@code x.mul(float)} or {@code x.div(float)} on anything that is backpropagated: DJL builds that scalar on a
     * Java direct buffer ({@code from_blob}) and closes it right after the op, while libtorch's autograd keeps the
     * scalar for the backward (mul and div save their other operand); once the GC frees the buffer, the gradients
     * read freed memory (seen as 1e25-sized gradients in a full test run, reproduced by forcing a GC between
     * forward and backward).
     */
    static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new ai.djl.ndarray.types.Shape(), (float) value);
    }

    /** {@code F.linear(x, w, b)}: {@code x @ wᵀ + b}; b may be null. */
    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        NDArray y = x.matMul(w.transpose());
        return b == null ? y : y.add(b);
    }

    /** {@code nn.Linear} named {@code prefix} in a state dict: {@code prefix.weight}, {@code prefix.bias} (if present). */
    static NDArray linear(java.util.Map<String, NDArray> state, String prefix, NDArray x) {
        return linear(x, state.get(prefix + ".weight"), state.get(prefix + ".bias"));
    }

    /**
     * {@code table[index]} for a 1-D int64 {@code index} into the rows of a 2-D {@code table}: {@code torch.gather}
     * along dim 0 with the index repeated over the columns (the same rows, and the gradient scatter-added back).
     */
    static NDArray rows(NDArray table, NDArray index) {
        long n = index.size(), cols = table.getShape().get(1);
        return table.gather(index.reshape(n, 1).broadcast(n, cols), 0);
    }

    /** {@code mask == 0} for a float mask, {@code ~mask} for a bool one. */
    static NDArray isZero(NDArray mask) {
        return mask.getDataType() == DataType.BOOLEAN ? mask.logicalNot() : mask.eq(0f);
    }

    /** {@code x.transpose(-2, -1)}. */
    static NDArray mT(NDArray x) {
        return x.swapAxes(-1, -2);
    }

    /** {@code scores.masked_fill(excluded, value)}: value where the bool {@code excluded} (broadcast) is true. */
    static NDArray maskedFill(NDArray scores, NDArray excluded, float value) {
        NDArray fill = scores.getManager().full(scores.getShape(), value);
        return NDArrays.where(excluded.broadcast(scores.getShape()), fill, scores);
    }

    /**
     * {@code torch._safe_softmax(x, -1)}: softmax, with rows that are entirely -inf set to 0. Composed so that
     * no NaN reaches the gradient: those rows are replaced by zeros before the softmax and zeroed after.
     */
    static NDArray safeSoftmax(NDArray x) {
        long n = x.getShape().get(x.getShape().dimension() - 1);
        NDArray isNegInf = x.eq(Float.NEGATIVE_INFINITY).toType(DataType.FLOAT32, false);
        NDArray allMasked = isNegInf.sum(new int[] {-1}, true).eq(n);          // [..., 1] bool
        NDArray zeros = x.zerosLike();
        NDArray rows = allMasked.broadcast(x.getShape());   // DJL's where wants equal shapes
        NDArray safeIn = NDArrays.where(rows, zeros, x);
        NDArray y = safeIn.softmax(-1);
        return NDArrays.where(rows, zeros, y);
    }

    /**
     * PyTorch 2.5+'s math SDPA: {@code scores = q kᵀ · scale}; a bool {@code keep} mask (true = take part) fills
     * the rest with {@code maskedValue}; a float {@code bias} is added; safe softmax; {@code @ v}. Returns
     * {output, weights}.
     */
    static NDArray[] sdpa(NDArray q, NDArray k, NDArray v, NDArray keep, NDArray bias, double scale, float maskedValue) {
        NDArray scores = q.matMul(mT(k)).mul(scalar(q, scale));
        if (bias != null) scores = scores.add(bias);
        if (keep != null) scores = maskedFill(scores, keep.logicalNot(), maskedValue);
        NDArray w = safeSoftmax(scores);
        return new NDArray[] {w.matMul(v), w};
    }
}
