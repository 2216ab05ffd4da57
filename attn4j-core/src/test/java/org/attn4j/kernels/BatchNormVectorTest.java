package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link BatchNormVector} to the scalar reference loops of {@link BatchNormKernel}, on row lengths
 * around the vector width (tails) and the planes of the Fashion-MNIST CNN (784, 196), at offsets inside a
 * larger [N, C, S] array.
 *
 * <p>Tolerances: the elementwise passes evaluate the same float expression lane by lane, so bit-equal. The
 * reductions sum each row in float lanes before adding rows in double (the reference adds every element
 * in double): a row of n unit-scale values loses at most about n * 6e-8 of its magnitude in float, so the
 * totals agree within 1e-5 relative to the sum of magnitudes (rows here are at most 784 long).
 */
class BatchNormVectorTest {
    @Test
    void vectorLoopsMatchTheScalarReference() {
        assumeTrue(VectorSupport.ENABLED, "Vector API not enabled in this JVM");
        Generator g = new Generator(41);
        for (int n : new int[] {1, 5, 8, 9, 17, 49, 196, 784}) {
            int rows = 3 + g.nextInt(5), channels = 3, c = 1, cs = channels * n, off = c * n;
            float[] x = Tensor.randn(g, rows * cs).mul(2f).add(0.7f).toFloatArray();
            float[] gr = Tensor.randn(g, rows * cs).toFloatArray();
            double absSum = 0, absGrad = 0;
            for (float v : x) absSum += Math.abs(v) * Math.abs(v) + Math.abs(v);
            for (float v : gr) absGrad += Math.abs(v) * 4;
            String what = "n=" + n + " rows=" + rows;

            double s = BatchNormVector.sum(x, off, cs, rows, n), sRef = BatchNormKernel.sumScalar(x, off, cs, rows, n);
            assertEquals(sRef, s, 1e-5 * absSum, what + " sum");
            double mean = sRef / (rows * n);
            assertEquals(BatchNormKernel.sumSquaredDeviationsScalar(x, off, cs, rows, n, mean),
                    BatchNormVector.sumSquaredDeviations(x, off, cs, rows, n, mean), 1e-5 * absSum, what + " squared deviations");
            double[] gs = BatchNormVector.gradSums(x, gr, off, cs, rows, n, (float) mean);
            double[] gsRef = BatchNormKernel.gradSumsScalar(x, gr, off, cs, rows, n, (float) mean);
            assertEquals(gsRef[0], gs[0], 1e-5 * absGrad, what + " sum of g");
            assertEquals(gsRef[1], gs[1], 1e-5 * absGrad * absSum / x.length, what + " sum of (x - mean) g");

            float[] y = new float[x.length], yRef = new float[x.length];
            BatchNormVector.normalize(x, y, off, cs, rows, n, (float) mean, 0.8f, 1.3f, -0.2f);
            BatchNormKernel.normalizeScalar(x, yRef, off, cs, rows, n, (float) mean, 0.8f, 1.3f, -0.2f);
            float[] dx = new float[x.length], dxRef = new float[x.length];
            BatchNormVector.inputGrad(x, gr, dx, off, cs, rows, n, (float) mean, 0.01f, 0.3f, 1.1f);
            BatchNormKernel.inputGradScalar(x, gr, dxRef, off, cs, rows, n, (float) mean, 0.01f, 0.3f, 1.1f);
            for (int i = 0; i < x.length; i++) {
                assertEquals(0, Float.compare(yRef[i], y[i]), what + " normalize at " + i);
                assertEquals(0, Float.compare(dxRef[i], dx[i]), what + " input grad at " + i);
            }
        }
    }
}
