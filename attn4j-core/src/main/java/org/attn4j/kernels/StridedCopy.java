package org.attn4j.kernels;

/**
 * Gathers a strided view into a row-major array: the kernel behind {@code contiguous()}, and so behind every
 * permute-then-reduce and transpose-then-multiply. Size-1 dims are dropped and adjacent dims that are
 * contiguous with each other merged, then the outer dims are walked with an odometer and the innermost run
 * is copied with a unit-stride {@code arraycopy} or a plain strided loop.
 */
public final class StridedCopy {
    private StridedCopy() {}

    /** Copies the view {@code (src, offset, shape, strides)} into {@code dst[0 .. numel)} in row-major order. */
    public static void copy(float[] src, int offset, int[] shape, int[] strides, float[] dst) {
        int r = 0;
        int[] dims = new int[shape.length], st = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return;
            if (shape[d] == 1) continue;
            // Merge with the previous kept dim when that one steps exactly over this one's whole run.
            if (r > 0 && st[r - 1] == strides[d] * shape[d]) {
                dims[r - 1] *= shape[d];
                st[r - 1] = strides[d];
                continue;
            }
            dims[r] = shape[d];
            st[r++] = strides[d];
        }
        if (r == 0) {
            dst[0] = src[offset];
            return;
        }
        int inner = dims[r - 1], innerStride = st[r - 1];
        int outerRank = r - 1;
        int outer = 1;
        for (int d = 0; d < outerRank; d++) outer *= dims[d];
        final int rank = outerRank;
        if (rank == 0) {
            // A single run (a whole contiguous tensor, or one strided row): split it, or one thread copies it all.
            final int stride = innerStride;
            Parallel.forBlocks(inner, (s, e) -> {
                if (stride == 1) {
                    System.arraycopy(src, offset + s, dst, s, e - s);
                } else {
                    for (int i = s, q = offset + s * stride; i < e; i++, q += stride) dst[i] = src[q];
                }
            });
            return;
        }
        Parallel.forRange(outer, Math.max(1, 32_768 / inner), (from, to) -> {
            int[] idx = new int[rank];
            int p = offset, rem = from;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % dims[d];
                rem /= dims[d];
                p += idx[d] * st[d];
            }
            for (int row = from; row < to; row++) {
                int o = row * inner;
                if (innerStride == 1) {
                    System.arraycopy(src, p, dst, o, inner);
                } else {
                    for (int i = 0, q = p; i < inner; i++, q += innerStride) dst[o + i] = src[q];
                }
                for (int d = rank - 1; d >= 0; d--) {
                    if (++idx[d] < dims[d]) {
                        p += st[d];
                        break;
                    }
                    p -= (dims[d] - 1) * st[d];
                    idx[d] = 0;
                }
            }
        });
    }
}
