package org.attn4j.ops;

import org.attn4j.kernels.Gemm;
import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Matrix products: {@code torch.matmul} with its full semantics, and {@code F.linear}.
 *
 * <p>Operands are handed to GEMM in place whenever their last two dims are row-major or column-major
 * (a transposed view such as {@code k.mT()} is read as a transposed operand, never copied).
 */
public final class MatMul {
    private MatMul() {}

    /**
     * {@code torch.matmul}: 1-D·1-D is a dot product; a 1-D left operand is a row vector and a 1-D right
     * operand a column vector (the added dim is removed again); otherwise a batched product over the
     * broadcast leading dims: {@code [..., m, k] @ [..., k, n] -> [..., m, n]}.
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        Arithmetic.requireFloat("matmul", a);
        Arithmetic.requireFloat("matmul", b);
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, got "
                    + Shape.str(a.shape()) + " and " + Shape.str(b.shape()));
        }
        if (a.dim() == 1 && b.dim() == 1) {
            if (a.size(0) != b.size(0)) {
                throw new IllegalArgumentException("matmul: inconsistent sizes for a dot product of " + Shape.str(a.shape())
                        + " and " + Shape.str(b.shape()));
            }
            return batched(a.unsqueeze(0), b.unsqueeze(1), a, b).reshape();
        }
        if (a.dim() == 1) return batched(a.unsqueeze(0), b, a, b).squeeze(-2);
        if (b.dim() == 1) return batched(a, b.unsqueeze(1), a, b).squeeze(-1);
        return batched(a, b, a, b);
    }

    /** How GEMM reads the last two dims of an operand without a copy, or null if it cannot. */
    private record Operand(boolean trans, int ld) {}

    private static Operand layout(Tensor t) {
        int r = t.dim();
        int rows = t.size(r - 2), cols = t.size(r - 1);
        int rs = t.stride(r - 2), cs = t.stride(r - 1);
        // Overlapping rows (e.g. an expanded row with stride 0) cannot be described by a leading dimension.
        if ((cs == 1 || cols == 1) && (rows == 1 || rs >= Math.max(cols, 1))) {
            return new Operand(false, rows == 1 ? Math.max(cols, 1) : rs);
        }
        if ((rs == 1 || rows == 1) && (cols == 1 || cs >= Math.max(rows, 1))) {
            return new Operand(true, cols == 1 ? Math.max(rows, 1) : cs);
        }
        return null;
    }

    /** Both operands at least 2-D; {@code userA}/{@code userB} are the caller's operands, for error messages. */
    private static Tensor batched(Tensor a, Tensor b, Tensor userA, Tensor userB) {
        int[] as = a.shape(), bs = b.shape();
        int m = as[as.length - 2], k = as[as.length - 1], k2 = bs[bs.length - 2], n = bs[bs.length - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: cannot multiply " + Shape.str(userA.shape()) + " by "
                    + Shape.str(userB.shape()) + " (" + k + " != " + k2 + ")");
        }
        int[] batchA = java.util.Arrays.copyOf(as, as.length - 2), batchB = java.util.Arrays.copyOf(bs, bs.length - 2);
        int[] batch;
        try {
            batch = Shape.broadcast("matmul", batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dims " + Shape.str(batchA) + " of " + Shape.str(userA.shape())
                    + " and " + Shape.str(batchB) + " of " + Shape.str(userB.shape()) + " cannot be broadcast", e);
        }
        int nb = Shape.numel(batch);
        int[] outShape = java.util.Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        float[] out = PrezeroedArrays.floats(nb * m * n);

        Tensor ac = layout(a) == null ? a.detach().contiguous() : a.detach();
        Tensor bc = layout(b) == null ? b.detach().contiguous() : b.detach();
        Operand la = layout(ac), lb = layout(bc);
        int[] aOffs = batchOffsets(ac, batch), bOffs = batchOffsets(bc, batch);
        int[] cOffs = new int[nb];
        for (int i = 0; i < nb; i++) cOffs[i] = i * m * n;
        if (nb > 0 && m > 0 && n > 0) {
            Gemm.sgemmBatched(la.trans, lb.trans, m, n, k, 1f, ac.data(), aOffs, la.ld, bc.data(), bOffs, lb.ld,
                    0f, out, cOffs, Math.max(n, 1));
        }
        int[] sa = a.shape(), sb = b.shape();
        return Tensor.result(out, outShape, "matmul", g -> new Tensor[] {
            a.requiresGrad() ? Reductions.sumToShape(g.matmul(b.detach().mT()), sa) : null,
            b.requiresGrad() ? Reductions.sumToShape(a.detach().mT().matmul(g), sb) : null}, a, b);
    }

    /** Storage offset of each (broadcast) batch matrix of {@code t}. */
    private static int[] batchOffsets(Tensor t, int[] batch) {
        int[] shape = t.shape(), strides = t.strides();
        int r = shape.length - 2;
        int[] bStrides = Shape.broadcastStrides(java.util.Arrays.copyOf(shape, r), java.util.Arrays.copyOf(strides, r), batch);
        int nb = Shape.numel(batch);
        int[] offs = new int[nb];
        int[] idx = new int[batch.length];
        int p = t.offset();
        for (int i = 0; i < nb; i++) {
            offs[i] = p;
            for (int d = batch.length - 1; d >= 0; d--) {
                if (++idx[d] < batch[d]) {
                    p += bStrides[d];
                    break;
                }
                p -= (batch[d] - 1) * bStrides[d];
                idx[d] = 0;
            }
        }
        return offs;
    }

    /**
     * {@code F.linear}: {@code x @ weight^T + bias} for x {@code [..., in]}, weight {@code [out, in]}, bias
     * {@code [out]} or null. One GEMM with a transposed weight operand.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Arithmetic.requireFloat("linear", x);
        Arithmetic.requireFloat("linear", weight);
        if (bias != null) Arithmetic.requireFloat("linear", bias);
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D [out_features, in_features], got " + Shape.str(weight.shape()));
        }
        int outF = weight.size(0), inF = weight.size(1);
        if (x.dim() == 0 || x.size(-1) != inF) {
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shape()) + " does not end in in_features="
                    + inF + " of weight " + Shape.str(weight.shape()));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != outF)) {
            throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shape()) + " must be [" + outF + "] for weight "
                    + Shape.str(weight.shape()));
        }
        int[] xs = x.shape();
        int rows = x.numel() / Math.max(inF, 1);
        if (inF == 0) rows = Shape.numel(java.util.Arrays.copyOf(xs, xs.length - 1));
        Tensor xc = x.detach().contiguous();
        Tensor wc = weight.detach().contiguous();
        float[] out = PrezeroedArrays.floats(rows * outF);
        if (bias != null) {
            float[] bd = bias.contiguousData();
            Parallel.forRange(rows, Math.max(1, Parallel.BLOCK / Math.max(1, outF)), (r0, r1) -> {
                for (int r = r0; r < r1; r++) System.arraycopy(bd, 0, out, r * outF, outF);
            });
        }
        if (rows > 0 && outF > 0) {
            Gemm.sgemm(false, true, rows, outF, inF, 1f, xc.data(), xc.offset(), inF, wc.data(), wc.offset(), inF,
                    bias == null ? 0f : 1f, out, 0, outF);
        }
        int[] outShape = xs.clone();
        outShape[outShape.length - 1] = outF;
        final int nRows = rows;
        Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
        return Tensor.result(out, outShape, "linear", g -> {
            Tensor g2 = g.reshape(nRows, outF);
            Tensor gx = x.requiresGrad() ? g2.matmul(weight.detach()).reshape(xs) : null;
            Tensor gw = weight.requiresGrad() ? g2.mT().matmul(x.detach().reshape(nRows, inF)) : null;
            if (bias == null) return new Tensor[] {gx, gw};
            Tensor gb = bias.requiresGrad() ? g2.sum(0, false) : null;
            return new Tensor[] {gx, gw, gb};
        }, inputs);
    }
}
