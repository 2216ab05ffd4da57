package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link LayerNormVector} to the scalar reference in {@link LayerNormKernel}, on widths around the
 * vector length (tails), with and without affine parameters, and on enough rows to cross the column
 * kernel's float-to-double flush.
 *
 * <p>Tolerances: the scalar reference sums in double, the vector kernel in float lanes (Welford for the
 * moments), so per-row statistics agree to a few float ulps: outputs and mean/rstd within 2e-6 relative. dx
 * depends on two row sums: 1e-5 relative, 2e-6 absolute. dw and db sum over up to 300 rows: 1e-5 relative,
 * 1e-5 absolute. Both paths are also checked against a two-pass float64 golden on rows with a large offset.
 */
class LayerNormVectorTest {

    private static Tensor t(float[] v) {
        return Tensor.of(v, v.length);
    }

    @Test
    void vectorKernelsMatchTheScalarReference() {
        assumeTrue(VectorSupport.ENABLED, "Vector API not enabled in this JVM");
        Generator g = new Generator(5);
        int[] widths = {1, 3, 7, 8, 9, 16, 17, 31, 63, 100, 768, 1001};
        int trial = 0;
        for (int n : widths) {
            for (int affine = 0; affine < 4; affine++) {
                int rows = trial % 5 == 0 ? 300 : 1 + g.nextInt(6);
                trial++;
                float[] x = Tensor.randn(g, rows * n).mul(1.5f).add(0.3f).toFloatArray();
                float[] w = (affine & 1) != 0 ? Tensor.randn(g, n).toFloatArray() : null;
                float[] b = (affine & 2) != 0 ? Tensor.randn(g, n).toFloatArray() : null;
                float[] gr = Tensor.randn(g, rows * n).toFloatArray();
                String what = "n=" + n + " rows=" + rows + " affine=" + affine;
                compare(what, x, w, b, gr, rows, n, 1e-5f, 2e-6, 2e-6);
            }
        }
    }

    @Test
    void largeOffsetRowsKeepTheirVarianceInBothPaths() {
        Generator g = new Generator(6);
        int rows = 4, n = 301;
        float[] x = Tensor.randn(g, rows * n).add(1000f).toFloatArray();   // mean 1000, std 1
        float[] ySc = new float[rows * n], mSc = new float[rows], rSc = new float[rows];
        LayerNormKernel.forwardRows(x, null, null, ySc, mSc, rSc, n, 1e-5f, 0, rows);
        float[] golden = goldenRstd(x, rows, n, 1e-5);
        // Within 1e-5 relative of float64 two-pass: nothing lost to cancellation at mean/std = 1000.
        Assertions2.assertClose("scalar rstd vs float64", t(golden), t(rSc), 0, 1e-5);
        if (VectorSupport.ENABLED) {
            float[] yV = new float[rows * n], mV = new float[rows], rV = new float[rows];
            LayerNormVector.forwardRows(x, null, null, yV, mV, rV, n, 1e-5f, 0, rows);
            Assertions2.assertClose("vector rstd vs float64", t(golden), t(rV), 0, 1e-5);
            // The normalized values differ by the float rounding of the mean (ulp(1000) / std = 6e-5).
            Assertions2.assertClose("vector vs scalar y", t(ySc), t(yV), 2e-4, 0);
        }
    }

    private static float[] goldenRstd(float[] x, int rows, int n, double eps) {
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += x[r * n + i];
            double mu = s / n, ss = 0;
            for (int i = 0; i < n; i++) ss += (x[r * n + i] - mu) * (x[r * n + i] - mu);
            out[r] = (float) (1 / Math.sqrt(ss / n + eps));
        }
        return out;
    }

    private static void compare(String what, float[] x, float[] w, float[] b, float[] gr, int rows, int n, float eps,
                                double atol, double rtol) {
        float[] yS = new float[rows * n], mS = new float[rows], rS = new float[rows];
        float[] yV = new float[rows * n], mV = new float[rows], rV = new float[rows];
        LayerNormKernel.forwardRows(x, w, b, yS, mS, rS, n, eps, 0, rows);
        LayerNormVector.forwardRows(x, w, b, yV, mV, rV, n, eps, 0, rows);
        Assertions2.assertClose(what + " y", t(yS), t(yV), atol, rtol);
        Assertions2.assertClose(what + " mean", t(mS), t(mV), atol, rtol);
        Assertions2.assertClose(what + " rstd", t(rS), t(rV), atol, rtol);

        // Backward from the same saved statistics, so only the kernels' own sums differ.
        float[] dxS = new float[rows * n], dxV = new float[rows * n];
        LayerNormKernel.backwardInputRows(x, gr, w, mS, rS, dxS, n, 0, rows);
        LayerNormVector.backwardInputRows(x, gr, w, mS, rS, dxV, n, 0, rows);
        Assertions2.assertClose(what + " dx", t(dxS), t(dxV), 2e-6, 1e-5);

        float[] dwS = new float[n], dbS = new float[n], dwV = new float[n], dbV = new float[n];
        LayerNormKernel.backwardParamColumns(x, gr, mS, rS, dwS, dbS, rows, n, 0, n);
        LayerNormVector.backwardParamColumns(x, gr, mS, rS, dwV, dbV, rows, n, 0, n);
        Assertions2.assertClose(what + " dw", t(dwS), t(dwV), 1e-5, 1e-5);
        Assertions2.assertClose(what + " db", t(dbS), t(dbV), 1e-5, 1e-5);
        // A column sub-range (as a thread gets) gives the same values as the whole.
        if (n > 2) {
            float[] dwPart = new float[n];
            LayerNormVector.backwardParamColumns(x, gr, mS, rS, dwPart, null, rows, n, 1, n - 1);
            for (int j = 1; j < n - 1; j++) {
                assertTrue(dwPart[j] == dwV[j], what + ": column range changes dw at " + j);
            }
        }
    }
}
