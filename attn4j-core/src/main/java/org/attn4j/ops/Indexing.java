package org.attn4j.ops;

import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/** Indexing and selection: masked_fill, where, gather, index_select, triu, tril. */
public final class Indexing {
    private Indexing() {}

    private static void requireDType(String op, String arg, Tensor t, DType want) {
        if (t.dtype() != want) {
            throw new IllegalArgumentException(op + ": " + arg + " must be " + want.torchName() + ", got "
                    + t.dtype().torchName() + " of shape " + Shape.str(t.shape()));
        }
    }

    /**
     * {@code x.masked_fill(mask, value)}: value where the bool mask (broadcast to x) is true. The gradient
     * passes where the mask is false.
     */
    public static Tensor maskedFill(Tensor x, Tensor mask, float value) {
        Arithmetic.requireFloat("masked_fill", x);
        requireDType("masked_fill", "mask", mask, DType.BOOL);
        int[] shape = x.shape();
        int[] bshape = Shape.broadcast("masked_fill", shape, mask.shape());
        if (!Shape.equal(bshape, shape)) {
            throw new IllegalArgumentException("masked_fill: mask of shape " + Shape.str(mask.shape())
                    + " cannot be broadcast to the input's shape " + Shape.str(shape));
        }
        float[] m = mask.expand(shape).contiguous().contiguousData();
        float[] xd = x.contiguousData();
        float[] out = new float[xd.length];
        for (int i = 0; i < out.length; i++) out[i] = m[i] != 0 ? value : xd[i];
        return Tensor.result(out, shape, "masked_fill", g -> {
            float[] gd = g.contiguousData();
            float[] gx = new float[gd.length];
            for (int i = 0; i < gx.length; i++) gx[i] = m[i] != 0 ? 0f : gd[i];
            return new Tensor[] {Tensor.of(gx, shape)};
        }, x);
    }

    /** {@code torch.where(cond, a, b)} with broadcasting of all three. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        requireDType("where", "condition", cond, DType.BOOL);
        Arithmetic.requireFloat("where", a);
        Arithmetic.requireFloat("where", b);
        int[] shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape(), a.shape()), b.shape());
        float[] c = cond.expand(shape).contiguous().contiguousData();
        float[] ad = a.expand(shape).contiguous().contiguousData();
        float[] bd = b.expand(shape).contiguous().contiguousData();
        float[] out = new float[c.length];
        for (int i = 0; i < out.length; i++) out[i] = c[i] != 0 ? ad[i] : bd[i];
        int[] sa = a.shape(), sb = b.shape();
        return Tensor.result(out, shape, "where", g -> {
            float[] gd = g.contiguousData();
            float[] ga = new float[gd.length], gb = new float[gd.length];
            for (int i = 0; i < gd.length; i++) {
                if (c[i] != 0) ga[i] = gd[i]; else gb[i] = gd[i];
            }
            return new Tensor[] {null, Reductions.sumToShape(Tensor.of(ga, shape), sa),
                Reductions.sumToShape(Tensor.of(gb, shape), sb)};
        }, cond, a, b);
    }

    /** Checks an index value against a size, naming the op. */
    static int checkIndex(String op, float v, int size, int dim) {
        int i = (int) v;
        if (i < -size || i >= size) {
            throw new IllegalArgumentException(op + ": index " + i + " is out of bounds for dimension " + dim + " with size " + size);
        }
        return i < 0 ? i + size : i;
    }

    /**
     * {@code torch.gather(x, dim, index)}: {@code out[i][j][k] = x[i][index[i][j][k]][k]} for dim 1; index has
     * x's rank and sizes no larger than x's outside {@code dim}. Gradient scatters back with accumulation.
     */
    public static Tensor gather(Tensor x, int dim, Tensor index) {
        Arithmetic.requireFloat("gather", x);
        requireDType("gather", "index", index, DType.INT64);
        int r = x.dim();
        int d = Shape.dim("gather", dim, r);
        if (index.dim() != r) {
            throw new IllegalArgumentException("gather: index " + Shape.str(index.shape()) + " must have the same rank as input "
                    + Shape.str(x.shape()));
        }
        int[] xs = x.shape(), is = index.shape();
        for (int i = 0; i < r; i++) {
            if (i != d && is[i] > xs[i]) {
                throw new IllegalArgumentException("gather: index " + Shape.str(is) + " is larger than input " + Shape.str(xs)
                        + " at dimension " + i);
            }
        }
        float[] idx = index.contiguous().contiguousData();
        int n = idx.length;
        // Each output element's source: its storage position (to read x's layout in place) and its
        // row-major position in x's shape (for the gradient; storage positions alias in expanded inputs).
        int[] positions = new int[n], logical = new int[n];
        int[] xst = x.strides(), xcs = Shape.contiguousStrides(xs);
        int[] counter = new int[r];
        for (int e = 0; e < n; e++) {
            int p = x.offset(), l = 0;
            for (int i = 0; i < r; i++) {
                int c = i == d ? checkIndex("gather", idx[e], xs[d], d) : counter[i];
                p += c * xst[i];
                l += c * xcs[i];
            }
            positions[e] = p;
            logical[e] = l;
            for (int i = r - 1; i >= 0; i--) {
                if (++counter[i] < is[i]) break;
                counter[i] = 0;
            }
        }
        float[] xd = x.data();
        float[] out = new float[n];
        for (int e = 0; e < n; e++) out[e] = xd[positions[e]];
        int numel = x.numel();
        return Tensor.result(out, is, "gather", g -> {
            float[] gd = g.contiguousData();
            float[] acc = new float[numel];
            for (int e = 0; e < n; e++) acc[logical[e]] += gd[e];
            return new Tensor[] {Tensor.of(acc, xs), null};
        }, x, index);
    }

    /** {@code torch.index_select(x, dim, index)} with a 1-D int64 index. */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        requireDType("index_select", "index", index, DType.INT64);
        if (index.dim() > 1) {
            throw new IllegalArgumentException("index_select: index must be 1-D, got " + Shape.str(index.shape()));
        }
        int d = Shape.dim("index_select", dim, x.dim());
        int[] xs = x.shape();
        float[] idx = index.contiguousData();
        int k = idx.length;
        int[] ids = new int[k];
        for (int i = 0; i < k; i++) ids[i] = checkIndex("index_select", idx[i], xs[d], d);
        Tensor moved = x.detach().transpose(0, d).contiguous();   // [xs[d], ...rest]
        int inner = xs[d] == 0 ? 0 : moved.numel() / xs[d];
        float[] src = moved.data();
        float[] out = new float[k * inner];
        for (int i = 0; i < k; i++) System.arraycopy(src, moved.offset() + ids[i] * inner, out, i * inner, inner);
        int[] movedShape = moved.shape();
        movedShape[0] = k;
        Tensor y = Tensor.of(out, movedShape).withDType(x.dtype()).transpose(0, d).contiguous();
        return Tensor.attach(y, "index_select", g -> {
            Tensor gm = g.transpose(0, d).contiguous();
            float[] gd = gm.contiguousData();
            float[] acc = new float[moved.numel()];
            for (int i = 0; i < k; i++) {
                int dst = ids[i] * inner, srcOff = i * inner;
                for (int j = 0; j < inner; j++) acc[dst + j] += gd[srcOff + j];
            }
            return new Tensor[] {Tensor.of(acc, moved.shape()).transpose(0, d).contiguous(), null};
        }, x, index);
    }

    /** Upper triangle of the last two dims: keeps elements with {@code col - row >= diagonal}. */
    public static Tensor triu(Tensor x, int diagonal) {
        return triangle("triu", x, diagonal, true);
    }

    /** Lower triangle of the last two dims: keeps elements with {@code col - row <= diagonal}. */
    public static Tensor tril(Tensor x, int diagonal) {
        return triangle("tril", x, diagonal, false);
    }

    private static Tensor triangle(String op, Tensor x, int diagonal, boolean upper) {
        if (x.dim() < 2) throw new IllegalArgumentException(op + ": input must have at least 2 dims, got " + Shape.str(x.shape()));
        int rows = x.size(-2), cols = x.size(-1);
        int[] shape = x.shape();
        // Selects rather than multiplies by a 0/1 mask: -inf * 0 would be NaN, and a negative value * 0
        // would be -0 (torch.full((n, n), -inf).triu(1) is the usual causal mask).
        float[] out = keepTriangle(x.contiguousData(), rows, cols, diagonal, upper);
        if (x.dtype() != DType.FLOAT32) return Tensor.of(out, shape).withDType(x.dtype());
        return Tensor.result(out, shape, op,
                g -> new Tensor[] {Tensor.of(keepTriangle(g.contiguousData(), rows, cols, diagonal, upper), shape)}, x);
    }

    /** A copy of row-major {@code [..., rows, cols]} values with the elements outside the triangle set to 0. */
    private static float[] keepTriangle(float[] v, int rows, int cols, int diagonal, boolean upper) {
        float[] out = new float[v.length];
        for (int base = 0; base < v.length; base += rows * cols) {
            for (int i = 0; i < rows; i++) {
                // Kept columns of row i: j >= i + diagonal (upper) or j <= i + diagonal (lower).
                int from = upper ? Math.max(0, Math.min(cols, i + diagonal)) : 0;
                int to = upper ? cols : Math.max(0, Math.min(cols, i + diagonal + 1));
                int row = base + i * cols;
                System.arraycopy(v, row + from, out, row + from, to - from);
            }
        }
        return out;
    }
}
