package org.attn4j.ops;

import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Reductions over dimensions with {@code keepDim}: sum, mean, var, amax, amin, max/min with indices,
 * argmax, argmin. {@code dims == null} or an empty array reduces over every dimension (as an empty dim
 * list does in libtorch).
 *
 * <p>Each reduction lays the input out as {@code [outer, inner]} rows — the kept dims first, the reduced
 * dims last, by a permuted view made contiguous (a no-op in the common case of reducing trailing dims of a
 * contiguous tensor) — and reduces each row. Reducing one block of middle dims of a contiguous tensor
 * (sum, mean, max/min with indices) skips that copy and accumulates whole trailing rows instead.
 */
public final class Reductions {
    private Reductions() {}

    /** The row layout of one reduction. */
    private record Plan(Tensor rows, int outer, int inner, int[] keptShape, int[] keepDimShape) {}

    private static Plan plan(String op, Tensor x, int[] dims) {
        int r = x.dim();
        boolean[] reduce = new boolean[r];
        // An empty dim list reduces every dim, as libtorch does for sum(x, dim=[]) (checked in ReductionsTest).
        if (dims == null || dims.length == 0) {
            java.util.Arrays.fill(reduce, true);
        } else {
            for (int d : dims) {
                int k = Shape.dim(op, d, r);
                if (r == 0) continue;          // a 0-d tensor accepts dim 0 / -1 and has nothing to reduce
                if (reduce[k]) throw new IllegalArgumentException(op + ": dim " + k + " appears more than once in the reduction");
                reduce[k] = true;
            }
        }
        int[] shape = x.shape();
        int[] perm = new int[r];
        int p = 0, kept = 0;
        for (int i = 0; i < r; i++) if (!reduce[i]) { perm[p++] = i; kept++; }
        for (int i = 0; i < r; i++) if (reduce[i]) perm[p++] = i;
        int[] keptShape = new int[kept];
        int[] keepDimShape = shape.clone();
        int outer = 1, inner = 1;
        for (int i = 0, k = 0; i < r; i++) {
            if (reduce[i]) {
                inner *= shape[i];
                keepDimShape[i] = 1;
            } else {
                keptShape[k++] = shape[i];
                outer *= shape[i];
            }
        }
        Tensor rows = x.detach().permute(perm).contiguous();
        return new Plan(rows, outer, inner, keptShape, keepDimShape);
    }

    /**
     * The layout {@code [outer, inner, post]} of a contiguous {@code x} whose reduced dims form one block
     * with kept dims after it ({@code post > 1}), reduced in place without the permuted copy {@link #plan}
     * would make (CBAM's mean/max over channels, the sum over channels of a broadcast product's gradient);
     * null otherwise.
     */
    private record Middle(int outer, int inner, int post, int[] keptShape, int[] keepDimShape) {}

    private static Middle middle(String op, Tensor x, int[] dims) {
        int r = x.dim();
        if (dims == null || dims.length == 0 || r == 0 || !x.isContiguous()) return null;
        boolean[] reduce = new boolean[r];
        int lo = r, hi = -1;
        for (int d : dims) {
            int k = Shape.dim(op, d, r);
            if (reduce[k]) return null;         // the general path reports the duplicate
            reduce[k] = true;
            lo = Math.min(lo, k);
            hi = Math.max(hi, k);
        }
        if (hi - lo + 1 != dims.length || hi == r - 1) return null;
        int[] shape = x.shape();
        int outer = 1, inner = 1, post = 1;
        for (int i = 0; i < lo; i++) outer *= shape[i];
        for (int i = lo; i <= hi; i++) inner *= shape[i];
        for (int i = hi + 1; i < r; i++) post *= shape[i];
        if (post <= 1 || inner == 0) return null;
        int[] kept = new int[r - dims.length], keepDim = shape.clone();
        for (int i = 0, k = 0; i < r; i++) {
            if (reduce[i]) keepDim[i] = 1;
            else kept[k++] = shape[i];
        }
        return new Middle(outer, inner, post, kept, keepDim);
    }

    /** Sums over the middle block of {@code m}, in double per output element (as {@link #sumRowDouble}). */
    private static float[] sumMiddle(Tensor x, Middle m, double scale) {
        float[] d = x.data();
        int base = x.offset(), inner = m.inner, post = m.post;
        float[] out = new float[m.outer * post];
        if (m.outer < Parallel.threads()) {
            // Few output rows (a bias gradient: [tokens, features] summed over the tokens): split the columns
            // instead. Each column is still summed in the same order.
            for (int o = 0; o < m.outer; o++) {
                final int oo = o;
                Parallel.forRange(post, Math.max(1, 16_384 / Math.max(1, inner)),
                        (q0, q1) -> sumColumns(d, base, inner, post, oo, q0, q1, scale, out));
            }
        } else {
            Parallel.forRange(m.outer, Math.max(1, 16_384 / Math.max(1, inner * post)), (from, to) -> {
                for (int o = from; o < to; o++) sumColumns(d, base, inner, post, o, 0, post, scale, out);
            });
        }
        return out;
    }

    /** Columns {@code [q0, q1)} of output row {@code o} of {@link #sumMiddle}: a running double per column, rows in order. */
    private static void sumColumns(float[] d, int base, int inner, int post, int o, int q0, int q1, double scale,
                                   float[] out) {
        double[] acc = new double[q1 - q0];
        for (int i = 0; i < inner; i++) {
            int s = base + (o * inner + i) * post;
            for (int q = q0; q < q1; q++) acc[q - q0] += d[s + q];
        }
        for (int q = q0; q < q1; q++) out[o * post + q] = (float) (acc[q - q0] * scale);
    }

    private interface RowReducer {
        float reduce(float[] d, int start, int n);
    }

    private static float[] reduceRows(Plan p, RowReducer f) {
        float[] d = p.rows.data();
        int base = p.rows.offset();
        float[] out = new float[p.outer];
        int inner = p.inner;
        Parallel.forRange(p.outer, Math.max(1, 8192 / Math.max(inner, 1)), (from, to) -> {
            for (int o = from; o < to; o++) out[o] = f.reduce(d, base + o * inner, inner);
        });
        return out;
    }

    private static float sumRow(float[] d, int s, int n) {
        // Pairwise-ish: four partial sums in double keep float32 sums accurate over long rows.
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            a0 += d[s + i];
            a1 += d[s + i + 1];
            a2 += d[s + i + 2];
            a3 += d[s + i + 3];
        }
        for (; i < n; i++) a0 += d[s + i];
        return (float) ((a0 + a1) + (a2 + a3));
    }

    public static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        Arithmetic.requireFloat("sum", x);
        int[] inShape = x.shape();
        Middle mid = middle("sum", x, dims);
        if (mid != null) {
            return Tensor.result(sumMiddle(x, mid, 1.0), keepDim ? mid.keepDimShape : mid.keptShape, "sum",
                    g -> new Tensor[] {g.reshape(mid.keepDimShape).expand(inShape).contiguous()}, x);
        }
        Plan p = plan("sum", x, dims);
        float[] out = reduceRows(p, Reductions::sumRow);
        return Tensor.result(out, keepDim ? p.keepDimShape : p.keptShape, "sum",
                g -> new Tensor[] {g.reshape(p.keepDimShape).expand(inShape).contiguous()}, x);
    }

    public static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        // Backward: the same products g * (1/n), taken on the small gradient before it is broadcast, so the
        // full-size tensor is written once (not copied from the expanded view and then multiplied).
        Arithmetic.requireFloat("mean", x);
        Middle mid = middle("mean", x, dims);
        if (mid != null) {
            int[] inShape = x.shape();
            int n = mid.inner;
            return Tensor.result(sumMiddle(x, mid, 1.0 / n), keepDim ? mid.keepDimShape : mid.keptShape, "mean",
                    g -> new Tensor[] {g.mul(1f / n).reshape(mid.keepDimShape).expand(inShape).contiguous()}, x);
        }
        Plan p = plan("mean", x, dims);
        int n = p.inner;
        float[] out = reduceRows(p, (d, s, len) -> (float) (sumRowDouble(d, s, len) / len));
        int[] inShape = x.shape();
        return Tensor.result(out, keepDim ? p.keepDimShape : p.keptShape, "mean",
                g -> new Tensor[] {g.mul(1f / n).reshape(p.keepDimShape).expand(inShape).contiguous()}, x);
    }

    private static double sumRowDouble(float[] d, int s, int n) {
        double acc = 0;
        for (int i = 0; i < n; i++) acc += d[s + i];
        return acc;
    }

    /**
     * Variance with Bessel's correction {@code correction} (1 = unbiased, PyTorch's default; 0 = biased), as
     * {@code torch.var(x, dims, correction=c, keepdim)}. Two-pass in double.
     */
    public static Tensor var(Tensor x, int[] dims, int correction, boolean keepDim) {
        Arithmetic.requireFloat("var", x);
        Plan p = plan("var", x, dims);
        int n = p.inner;
        float denom = Math.max(0, n - correction);
        float[] out = reduceRows(p, (d, s, len) -> {
            double mean = sumRowDouble(d, s, len) / len;
            double acc = 0;
            for (int i = 0; i < len; i++) {
                double c = d[s + i] - mean;
                acc += c * c;
            }
            return (float) (acc / denom);
        });
        int[] inShape = x.shape();
        return Tensor.result(out, keepDim ? p.keepDimShape : p.keptShape, "var", g -> {
            // d var / dx_i = 2 (x_i - mean) / (n - correction)
            Tensor centered = x.sub(x.mean(dims == null ? allDims(x.dim()) : dims, true));
            return new Tensor[] {centered.mul(g.reshape(p.keepDimShape).expand(inShape)).mul(2f / denom)};
        }, x);
    }

    static int[] allDims(int r) {
        int[] d = new int[r];
        for (int i = 0; i < r; i++) d[i] = i;
        return d;
    }

    /** Maximum over dims; the gradient is shared evenly among tied maxima (as {@code torch.amax}). */
    public static Tensor amax(Tensor x, int[] dims, boolean keepDim) {
        return extremum("amax", x, dims, keepDim, true);
    }

    /** Minimum over dims; the gradient is shared evenly among tied minima (as {@code torch.amin}). */
    public static Tensor amin(Tensor x, int[] dims, boolean keepDim) {
        return extremum("amin", x, dims, keepDim, false);
    }

    private static Tensor extremum(String op, Tensor x, int[] dims, boolean keepDim, boolean max) {
        Arithmetic.requireFloat(op, x);
        if (x.numel() == 0) throw new IllegalArgumentException(op + ": cannot reduce an empty tensor " + Shape.str(x.shape()));
        Plan p = plan(op, x, dims);
        if (p.inner == 0) throw new IllegalArgumentException(op + ": cannot reduce over a dimension of size 0 in " + Shape.str(x.shape()));
        float[] out = reduceRows(p, (d, s, n) -> {
            float m = d[s];
            for (int i = 1; i < n; i++) {
                float v = d[s + i];
                if (v != v) return v;            // NaN propagates
                if (max ? v > m : v < m) m = v;
            }
            return m;
        });
        int[] inShape = x.shape();
        return Tensor.result(out, keepDim ? p.keepDimShape : p.keptShape, op, g -> {
            Tensor ext = Tensor.of(out, p.keepDimShape).expand(inShape);
            float[] xd = x.contiguousData();
            float[] ed = ext.contiguous().contiguousData();
            float[] mask = PrezeroedArrays.floats(xd.length);
            for (int i = 0; i < xd.length; i++) mask[i] = xd[i] == ed[i] ? 1f : 0f;
            Tensor m = Tensor.of(mask, inShape);
            Tensor count = m.sum(dims == null ? allDims(x.dim()) : dims, true);
            return new Tensor[] {m.mul(g.reshape(p.keepDimShape).expand(inShape)).div(count)};
        }, x);
    }

    /** Values and indices of a max/min along one dim ({@code torch.max(x, dim)}). */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    /** The maximum along {@code dim} and its index (the first one among ties); gradient flows to that index. */
    public static ValuesIndices max(Tensor x, int dim, boolean keepDim) {
        return extremumWithIndex("max", x, dim, keepDim, true);
    }

    public static ValuesIndices min(Tensor x, int dim, boolean keepDim) {
        return extremumWithIndex("min", x, dim, keepDim, false);
    }

    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        return extremumWithIndex("argmax", x, dim, keepDim, true).indices;
    }

    public static Tensor argmin(Tensor x, int dim, boolean keepDim) {
        return extremumWithIndex("argmin", x, dim, keepDim, false).indices;
    }

    private static ValuesIndices extremumWithIndex(String op, Tensor x, int dim, boolean keepDim, boolean max) {
        int d = Shape.dim(op, dim, x.dim());
        if (x.dim() > 0 && x.size(d) == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce over dimension " + d + " of size 0 in " + Shape.str(x.shape()));
        }
        Middle mid = x.dim() == 0 ? null : middle(op, x, new int[] {d});
        if (mid != null) return extremumMiddle(op, x, mid, keepDim, max);
        Plan p = plan(op, x, x.dim() == 0 ? null : new int[] {d});
        float[] rows = p.rows.data();
        int base = p.rows.offset(), n = p.inner;
        float[] values = new float[p.outer];
        float[] indices = new float[p.outer];
        for (int o = 0; o < p.outer; o++) {
            int s = base + o * n;
            int best = 0;
            float m = rows[s];
            for (int i = 1; i < n && m == m; i++) {
                float v = rows[s + i];
                if (v != v || (max ? v > m : v < m)) {
                    m = v;
                    best = i;
                }
            }
            values[o] = m;
            indices[o] = best;
        }
        int[] outShape = keepDim ? p.keepDimShape : p.keptShape;
        Tensor idx = Tensor.of(indices, outShape).withDType(DType.INT64);
        int[] inShape = x.shape();
        Tensor vals = Tensor.result(values, outShape, op, g -> {
            float[] gd = g.contiguousData();
            Tensor gradRows = Tensor.zeros(p.rows.shape());
            float[] gr = gradRows.data();
            for (int o = 0; o < p.outer; o++) gr[o * n + (int) indices[o]] = gd[o];
            // Rows are [kept..., d]: move d back to its place.
            int[] rowShape = p.rows.shape();
            int r = inShape.length;
            int[] inv = new int[r];
            int k = 0;
            for (int i = 0; i < r; i++) if (i != d) inv[i] = k++;
            inv[d] = r - 1;
            return new Tensor[] {r == 0 ? gradRows.reshape(inShape) : gradRows.reshape(rowShape).permute(inv).contiguous()};
        }, x);
        return new ValuesIndices(vals, idx);
    }

    /** {@link #extremumWithIndex} over the middle dim of {@code m}: same ties (first wins) and NaN rule. */
    private static ValuesIndices extremumMiddle(String op, Tensor x, Middle m, boolean keepDim, boolean max) {
        float[] d = x.data();
        int base = x.offset(), inner = m.inner, post = m.post, outer = m.outer;
        float[] values = new float[outer * post], indices = new float[outer * post];
        int[] idx = new int[outer * post];
        Parallel.forRange(outer, Math.max(1, 16_384 / Math.max(1, inner * post)), (from, to) -> {
            for (int o = from; o < to; o++) {
                int vo = o * post;
                System.arraycopy(d, base + o * inner * post, values, vo, post);
                for (int i = 1; i < inner; i++) {
                    int s = base + (o * inner + i) * post;
                    for (int q = 0; q < post; q++) {
                        float v = d[s + q], cur = values[vo + q];
                        // Once the running value is NaN it stays (the row scan stops there).
                        if (cur == cur && (v != v || (max ? v > cur : v < cur))) {
                            values[vo + q] = v;
                            idx[vo + q] = i;
                        }
                    }
                }
            }
        });
        for (int i = 0; i < idx.length; i++) indices[i] = idx[i];
        int[] outShape = keepDim ? m.keepDimShape : m.keptShape;
        Tensor ix = Tensor.of(indices, outShape).withDType(DType.INT64);
        int[] inShape = x.shape();
        Tensor vals = Tensor.result(values, outShape, op, g -> {
            float[] gd = g.contiguousData();
            float[] gr = PrezeroedArrays.floats(x.numel());
            for (int o = 0; o < outer; o++) {
                for (int q = 0; q < post; q++) {
                    int k = o * post + q;
                    gr[(o * inner + idx[k]) * post + q] = gd[k];
                }
            }
            return new Tensor[] {Tensor.of(gr, inShape)};
        }, x);
        return new ValuesIndices(vals, ix);
    }

    /**
     * {@code sumToShape(g.mul(a), shape)}, the gradient of the broadcast operand of a product, without writing
     * the full-size product when g and a are contiguous, of one shape, and the dims to sum form one block (CBAM's
     * {@code [B, C, 1, 1]} channel weights or {@code [B, 1, H, W]} spatial map against {@code [B, C, H, W]}). The
     * same float products are summed in the same order as {@link #sum} sums them ({@link #sumRow} for trailing
     * dims, {@link #sumMiddle}'s running double otherwise), so the result is bit-identical to the two-step form.
     */
    public static Tensor sumProductToShape(Tensor g, Tensor a, int[] shape) {
        int[] gs = g.shape();
        if (Shape.equal(gs, shape)) return g.mul(a);
        int r = gs.length;
        if (!Shape.equal(gs, a.shape()) || shape.length != r || !g.isContiguous() || !a.isContiguous()) {
            return sumToShape(g.mul(a), shape);
        }
        int lo = r, hi = -1, count = 0;
        for (int i = 0; i < r; i++) {
            if (shape[i] == 1 && gs[i] != 1) {
                lo = Math.min(lo, i);
                hi = i;
                count++;
            }
        }
        if (hi - lo + 1 != count) return sumToShape(g.mul(a), shape);
        int outer = 1, inner = 1, post = 1;
        for (int i = 0; i < lo; i++) outer *= gs[i];
        for (int i = lo; i <= hi; i++) inner *= gs[i];
        for (int i = hi + 1; i < r; i++) post *= gs[i];
        final int n = inner, q1 = post;
        final float[] gd = g.data(), ad = a.data(), out = new float[outer * post];
        final int go = g.offset(), ao = a.offset();
        if (post == 1) {
            Parallel.forRange(outer, Math.max(1, 8192 / Math.max(n, 1)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    int s = o * n, i = 0;
                    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    for (; i + 3 < n; i += 4) {
                        a0 += gd[go + s + i] * ad[ao + s + i];
                        a1 += gd[go + s + i + 1] * ad[ao + s + i + 1];
                        a2 += gd[go + s + i + 2] * ad[ao + s + i + 2];
                        a3 += gd[go + s + i + 3] * ad[ao + s + i + 3];
                    }
                    for (; i < n; i++) a0 += gd[go + s + i] * ad[ao + s + i];
                    out[o] = (float) ((a0 + a1) + (a2 + a3));
                }
            });
        } else {
            Parallel.forRange(outer, Math.max(1, 16_384 / Math.max(1, n * q1)), (from, to) -> {
                double[] acc = new double[q1];
                for (int o = from; o < to; o++) {
                    java.util.Arrays.fill(acc, 0);
                    for (int i = 0; i < n; i++) {
                        int s = (o * n + i) * q1;
                        for (int q = 0; q < q1; q++) acc[q] += gd[go + s + q] * ad[ao + s + q];
                    }
                    for (int q = 0; q < q1; q++) out[o * q1 + q] = (float) acc[q];
                }
            });
        }
        return Tensor.of(out, shape);
    }

    /**
     * Sums {@code g} down to {@code shape} — the adjoint of broadcasting {@code shape} to {@code g}'s shape:
     * leading extra dims are summed away, dims where {@code shape} has 1 are summed with keepdim.
     */
    public static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Shape.equal(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int count = 0;
        int[] dims = new int[gs.length];
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims[count++] = i;
        }
        Tensor s = count == 0 ? g : sum(g, java.util.Arrays.copyOf(dims, count), true);
        return s.reshape(shape);
    }
}
