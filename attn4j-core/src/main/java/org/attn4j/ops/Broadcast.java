package org.attn4j.ops;

import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Runs a binary elementwise kernel over two tensors broadcast to a common shape, reading any strided
 * layout directly (no expanded copies): the outer dims are walked with an odometer and the last dim is
 * the kernel's inner loop, with stride 0 where an operand is broadcast.
 */
final class Broadcast {
    private Broadcast() {}

    static float[] apply(Elementwise.Binary op, Tensor a, Tensor b, int[] outShape) {
        int n = Shape.numel(outShape);
        float[] out = PrezeroedArrays.floats(n);
        if (n == 0) return out;
        float[] ad = a.data(), bd = b.data();
        int[] as = Shape.broadcastStrides(a.shape(), a.strides(), outShape);
        int[] bs = Shape.broadcastStrides(b.shape(), b.strides(), outShape);
        // Size-1 dims do not move the walk: drop them, then fold trailing dims into one inner run while
        // both operands stay uniformly strided across them (stride 0 folds with stride 0).
        int r = 0;
        int[] dims = new int[outShape.length], sas = new int[outShape.length], sbs = new int[outShape.length];
        for (int d = 0; d < outShape.length; d++) {
            if (outShape[d] == 1) continue;
            dims[r] = outShape[d];
            sas[r] = as[d];
            sbs[r++] = bs[d];
        }
        int inner = r == 0 ? 1 : dims[r - 1], innerA = r == 0 ? 0 : sas[r - 1], innerB = r == 0 ? 0 : sbs[r - 1];
        int outerRank = Math.max(r - 1, 0);
        while (outerRank > 0) {
            int d = outerRank - 1;
            if (sas[d] != innerA * inner || sbs[d] != innerB * inner) break;
            inner *= dims[d];
            outerRank--;
        }
        final int innerLen = inner, sa = innerA, sb = innerB, rank = outerRank;
        int outer = n / Math.max(innerLen, 1);
        if (rank == 0) {
            // One uniform run (same-shape operands, or a scalar against a tensor): the odometer below would
            // give it to one thread.
            Parallel.forBlocks(innerLen, (s, e) ->
                    Elementwise.binary(op, ad, a.offset() + s * sa, sa, bd, b.offset() + s * sb, sb, out, s, e - s));
            return out;
        }
        Parallel.forRange(outer, Math.max(1, 16_384 / Math.max(innerLen, 1)), (from, to) -> {
            int[] idx = new int[rank];
            int pa = a.offset(), pb = b.offset();
            // Position the odometer at row `from`.
            int rem = from;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % dims[d];
                rem /= dims[d];
                pa += idx[d] * sas[d];
                pb += idx[d] * sbs[d];
            }
            for (int row = from; row < to; row++) {
                Elementwise.binary(op, ad, pa, sa, bd, pb, sb, out, row * innerLen, innerLen);
                for (int d = rank - 1; d >= 0; d--) {
                    if (++idx[d] < dims[d]) {
                        pa += sas[d];
                        pb += sbs[d];
                        break;
                    }
                    pa -= (dims[d] - 1) * sas[d];
                    pb -= (dims[d] - 1) * sbs[d];
                    idx[d] = 0;
                }
            }
        });
        return out;
    }
}
