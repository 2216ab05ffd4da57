package org.attn4j.kernels;

import org.attn4j.tensor.Shape;

/**
 * Copies one strided view into another: the kernel behind {@code contiguous()} (a gather into a row-major
 * array, and so behind every permute-then-reduce and transpose-then-multiply) and {@code copy_} (a scatter
 * into a view, as in the backward of {@code narrow} and {@code select}). Size-1 dims are dropped and adjacent
 * dims that are contiguous with each other in both views merged, then the outer dims are walked with an
 * odometer and the innermost run is copied with a unit-stride {@code arraycopy} or a plain strided loop.
 */
public final class StridedCopy {
    private StridedCopy() {}

    /** Copies the view {@code (src, offset, shape, strides)} into {@code dst[0 .. numel)} in row-major order. */
    public static void copy(float[] src, int offset, int[] shape, int[] strides, float[] dst) {
        copy(src, offset, strides, dst, 0, Shape.contiguousStrides(shape), shape);
    }

    /**
     * Copies every element of the view {@code (src, srcOffset, srcStrides)} to the same index of the view
     * {@code (dst, dstOffset, dstStrides)}, both of {@code shape}. The views must not overlap in memory.
     */
    public static void copy(float[] src, int srcOffset, int[] srcStrides, float[] dst, int dstOffset, int[] dstStrides,
                            int[] shape) {
        int r = 0;
        int[] dims = new int[shape.length], ss = new int[shape.length], ds = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return;
            if (shape[d] == 1) continue;
            // Merge with the previous kept dim when, in both views, that one steps exactly over this one's run.
            if (r > 0 && ss[r - 1] == srcStrides[d] * shape[d] && ds[r - 1] == dstStrides[d] * shape[d]) {
                dims[r - 1] *= shape[d];
                ss[r - 1] = srcStrides[d];
                ds[r - 1] = dstStrides[d];
                continue;
            }
            dims[r] = shape[d];
            ss[r] = srcStrides[d];
            ds[r++] = dstStrides[d];
        }
        if (r == 0) {
            dst[dstOffset] = src[srcOffset];
            return;
        }
        int inner = dims[r - 1], si = ss[r - 1], di = ds[r - 1];
        final int rank = r - 1;
        if (rank == 0) {
            // A single run (a whole contiguous tensor, one strided row): split it, or one thread copies it all.
            Parallel.forBlocks(inner, (s, e) -> run(src, srcOffset + s * si, si, dst, dstOffset + s * di, di, e - s));
            return;
        }
        int outer = 1;
        for (int d = 0; d < rank; d++) outer *= dims[d];
        Parallel.forRange(outer, Math.max(1, 32_768 / inner), (from, to) -> {
            int[] idx = new int[rank];
            int p = srcOffset, q = dstOffset, rem = from;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % dims[d];
                rem /= dims[d];
                p += idx[d] * ss[d];
                q += idx[d] * ds[d];
            }
            for (int row = from; row < to; row++) {
                run(src, p, si, dst, q, di, inner);
                for (int d = rank - 1; d >= 0; d--) {
                    if (++idx[d] < dims[d]) {
                        p += ss[d];
                        q += ds[d];
                        break;
                    }
                    p -= (dims[d] - 1) * ss[d];
                    q -= (dims[d] - 1) * ds[d];
                    idx[d] = 0;
                }
            }
        });
    }

    /** {@code n} elements from {@code src[p], src[p + ps], ...} to {@code dst[q], dst[q + qs], ...}. */
    private static void run(float[] src, int p, int ps, float[] dst, int q, int qs, int n) {
        if (ps == 1 && qs == 1) {
            System.arraycopy(src, p, dst, q, n);
        } else {
            for (int i = 0; i < n; i++, p += ps, q += qs) dst[q] = src[p];
        }
    }
}
