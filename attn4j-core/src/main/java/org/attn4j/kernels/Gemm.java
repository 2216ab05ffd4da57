package org.attn4j.kernels;

/**
 * Single-precision matrix product, row-major, with the contract of BLAS {@code sgemm}:
 * {@code C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]}.
 *
 * <p>Layouts (all row-major, {@code ld*} = distance between consecutive stored rows):
 * <ul>
 *   <li>{@code op(A)}: A stored {@code [m,k]}, element (i,p) at {@code a[aOff + i*lda + p]}, {@code lda >= k};
 *       or, with {@code transA}, A stored {@code [k,m]}, element (i,p) at {@code a[aOff + p*lda + i]}, {@code lda >= m}.</li>
 *   <li>{@code op(B)}: B stored {@code [k,n]}, element (p,j) at {@code b[bOff + p*ldb + j]}, {@code ldb >= n};
 *       or, with {@code transB}, B stored {@code [n,k]}, element (p,j) at {@code b[bOff + j*ldb + p]}, {@code ldb >= k}.</li>
 *   <li>C stored {@code [m,n]}, element (i,j) at {@code c[cOff + i*ldc + j]}, {@code ldc >= n}.</li>
 * </ul>
 * As in BLAS, {@code beta == 0} overwrites C without reading it (NaN in C does not propagate), and
 * {@code alpha == 0} or {@code k == 0} only scales C, without reading A or B. A transposed operand is read
 * through the kernel's packing step, never through a separate transposed copy.
 *
 * <p>Runs {@link GemmVector} when the Vector API is enabled, otherwise the plain {@link GemmScalar}; tiny
 * products (a few thousand multiply-adds) always take the plain path, where packing would cost more than
 * it saves. Large products use the shared {@link Parallel} pool.
 */
public final class Gemm {
    private Gemm() {}

    /** At or below this many multiply-adds the plain loops beat packing. */
    private static final long TINY = 4096;

    /** {@code C = alpha * op(A) * op(B) + beta * C}; see the class comment for the layouts. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        checkDims("sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        checkExtents("sgemm", transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if ((long) m * n * k <= TINY || !VectorSupport.ENABLED) {
            GemmScalar.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            GemmVector.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /**
     * A batch of same-shaped products, {@code C_i = alpha * op(A_i) * op(B_i) + beta * C_i} for
     * {@code i < aOffs.length}, where {@code A_i} starts at {@code a[aOffs[i]]} (likewise B, C) and all share
     * {@code m, n, k} and leading dimensions. Offsets may repeat in A or B (a broadcast operand); the C blocks
     * must not overlap. Parallel across the batch when it has at least as many items as there are threads
     * (attention: batch x heads small products), otherwise inside each product.
     */
    public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, int[] aOffs, int lda, float[] b, int[] bOffs, int ldb,
                                    float beta, float[] c, int[] cOffs, int ldc) {
        checkDims("sgemmBatched", transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (aOffs == null || bOffs == null || cOffs == null) {
            throw new IllegalArgumentException("sgemmBatched: offset arrays must not be null");
        }
        int batch = aOffs.length;
        if (bOffs.length != batch || cOffs.length != batch) {
            throw new IllegalArgumentException("sgemmBatched: offset arrays differ in length: aOffs " + batch
                    + ", bOffs " + bOffs.length + ", cOffs " + cOffs.length);
        }
        for (int i = 0; i < batch; i++) {
            checkExtents("sgemmBatched[" + i + "]", transA, transB, m, n, k, a, aOffs[i], lda, b, bOffs[i], ldb,
                    c, cOffs[i], ldc);
        }
        long work = (long) m * n * k;
        if (work <= TINY || !VectorSupport.ENABLED) {
            // Plain path: split the batch however small the items, the loops are all the work there is.
            Parallel.forRangeByCost(batch, 2 * work + (long) m * n, (from, to) -> {
                for (int i = from; i < to; i++) {
                    GemmScalar.sgemm(transA, transB, m, n, k, alpha, a, aOffs[i], lda, b, bOffs[i], ldb, beta, c, cOffs[i], ldc);
                }
            });
        } else if (batch >= Parallel.threads()) {
            Parallel.forRangeByCost(batch, 2 * work, (from, to) -> {
                for (int i = from; i < to; i++) {
                    GemmVector.sgemmSerial(transA, transB, m, n, k, alpha, a, aOffs[i], lda, b, bOffs[i], ldb, beta, c, cOffs[i], ldc);
                }
            });
        } else {
            for (int i = 0; i < batch; i++) {
                GemmVector.sgemm(transA, transB, m, n, k, alpha, a, aOffs[i], lda, b, bOffs[i], ldb, beta, c, cOffs[i], ldc);
            }
        }
    }

    private static void checkDims(String op, boolean transA, boolean transB, int m, int n, int k,
                                  float[] a, int lda, float[] b, int ldb, float[] c, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(op + ": dimensions must be >= 0, got m=" + m + ", n=" + n + ", k=" + k);
        }
        if (a == null || b == null || c == null) {
            throw new IllegalArgumentException(op + ": arrays must not be null (a " + (a == null ? "null" : "ok")
                    + ", b " + (b == null ? "null" : "ok") + ", c " + (c == null ? "null" : "ok") + ")");
        }
        int aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < aCols || ldb < bCols || ldc < n) {
            throw new IllegalArgumentException(op + ": leading dimensions too small for m=" + m + ", n=" + n + ", k=" + k
                    + " (transA=" + transA + ", transB=" + transB + "): need lda >= " + aCols + ", ldb >= " + bCols
                    + ", ldc >= " + n + ", got lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc);
        }
    }

    private static void checkExtents(String op, boolean transA, boolean transB, int m, int n, int k,
                                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                     float[] c, int cOff, int ldc) {
        checkMatrix(op, "A", transA ? k : m, transA ? m : k, a, aOff, lda, transA, m, n, k);
        checkMatrix(op, "B", transB ? n : k, transB ? k : n, b, bOff, ldb, transB, m, n, k);
        checkMatrix(op, "C", m, n, c, cOff, ldc, false, m, n, k);
    }

    /** A stored {@code [rows, cols]} matrix at {@code off} with row stride {@code ld} must fit in the array. */
    private static void checkMatrix(String op, String name, int rows, int cols, float[] x, int off, int ld,
                                    boolean trans, int m, int n, int k) {
        if (off < 0) {
            throw new IllegalArgumentException(op + ": " + name + " offset must be >= 0, got " + off);
        }
        if (rows == 0 || cols == 0) return;
        long end = off + (long) (rows - 1) * ld + cols;
        if (end > x.length) {
            throw new IllegalArgumentException(op + ": " + name + (trans ? " (transposed)" : "") + " stored [" + rows + ", "
                    + cols + "] at offset " + off + " with leading dimension " + ld + " needs " + end
                    + " elements, array has " + x.length + " (m=" + m + ", n=" + n + ", k=" + k + ")");
        }
    }
}
