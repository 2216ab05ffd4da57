package org.attn4j.kernels;

/**
 * Plain-Java reference for {@link Gemm#sgemm}: {@code C = alpha * op(A) * op(B) + beta * C}, row-major
 * float32, the same contract as BLAS {@code sgemm} (including: {@code beta == 0} overwrites C without
 * reading it, so NaN or garbage in C does not leak into the result; {@code alpha == 0} or {@code k == 0}
 * only scales C and never reads A or B).
 *
 * <p>It is the fallback when the Vector API is not available and the yardstick {@link GemmVector} is tested
 * against. Loop order keeps the innermost loop unit-stride wherever the layout allows: for {@code B} in
 * {@code [k,n]} layout it is {@code i, p, j} (a row of C accumulates {@code a(i,p) * B[p,:]}), for
 * {@code B} stored transposed ({@code [n,k]}) it is {@code i, j, p} (a dot product over contiguous rows).
 * Arguments are assumed already checked by {@link Gemm}.
 */
final class GemmScalar {
    private GemmScalar() {}

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        // A's element (i, p): a[aOff + i*ars + p*acs]; B's element (p, j): b[bOff + p*brs + j*bcs].
        int ars = transA ? 1 : lda, acs = transA ? lda : 1;
        if (!transB) {
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                scaleRow(n, beta, c, ci);
                int ai = aOff + i * ars;
                for (int p = 0; p < k; p++) {
                    float aip = alpha * a[ai + p * acs];
                    int bi = bOff + p * ldb;
                    for (int j = 0; j < n; j++) c[ci + j] += aip * b[bi + j];
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                int ai = aOff + i * ars;
                for (int j = 0; j < n; j++) {
                    int bj = bOff + j * ldb;
                    float acc = 0f;
                    for (int p = 0; p < k; p++) acc += a[ai + p * acs] * b[bj + p];
                    c[ci + j] = beta == 0f ? alpha * acc : alpha * acc + beta * c[ci + j];
                }
            }
        }
    }

    /** {@code C = beta * C} over an {@code [m, n]} block; {@code beta == 0} writes zeros (BLAS semantics). */
    static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) scaleRow(n, beta, c, cOff + i * ldc);
    }

    private static void scaleRow(int n, float beta, float[] c, int ci) {
        if (beta == 0f) {
            java.util.Arrays.fill(c, ci, ci + n, 0f);
        } else if (beta != 1f) {
            for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }
}
