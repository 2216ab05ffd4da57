package org.attn4j.ops;

import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.Softmax;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@code softmax} and {@code log_softmax} along one dim, each row by the {@link Softmax} kernel (stable:
 * the row max is subtracted before exponentiating). Rows of the softmax dim are made contiguous once; the
 * common {@code dim=-1} on a contiguous tensor needs no copy.
 */
public final class SoftmaxOps {
    private SoftmaxOps() {}

    /** exp(x_i - max) / Σ exp(x_j - max); d/dx: y ⊙ (g - Σ g ⊙ y). */
    public static Tensor softmax(Tensor x, int dim) {
        Tensor[] out = new Tensor[1];
        out[0] = rowwise("softmax", x, dim, false, g -> {
            Tensor y = out[0].detach();
            return new Tensor[] {y.mul(g.sub(g.mul(y).sum(dim, true)))};
        });
        return out[0];
    }

    /** x_i - max - log Σ exp(x_j - max); d/dx: g - exp(y) Σ g. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        Tensor[] out = new Tensor[1];
        out[0] = rowwise("log_softmax", x, dim, true, g -> {
            Tensor y = out[0].detach();
            return new Tensor[] {g.sub(y.exp().mul(g.sum(dim, true)))};
        });
        return out[0];
    }

    private static Tensor rowwise(String op, Tensor x, int dim, boolean log, org.attn4j.autograd.Node.Backward bw) {
        Arithmetic.requireFloat(op, x);
        int r = x.dim();
        int d = Shape.dim(op, dim, r);
        boolean last = r == 0 || d == r - 1;
        Tensor moved = last ? x.detach().contiguous() : x.detach().transpose(d, r - 1).contiguous();
        int n = r == 0 ? 1 : moved.size(-1);
        int rows = n == 0 ? 0 : moved.numel() / n;
        float[] in = moved.data();
        int base = moved.offset();
        float[] out = new float[moved.numel()];
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(n, 1)), (from, to) -> {
            for (int row = from; row < to; row++) Softmax.row(in, base + row * n, out, row * n, n, log);
        });
        Tensor y = Tensor.of(out, moved.shape());
        if (!last) y = y.transpose(d, r - 1).contiguous();
        return Tensor.attach(y, op, bw, x);
    }
}
