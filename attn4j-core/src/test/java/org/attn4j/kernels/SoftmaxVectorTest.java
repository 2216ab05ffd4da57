package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link SoftmaxVector#row} to {@link Softmax#rowScalar} on rows of every tail length, masked
 * entries, fully masked and NaN rows, and huge logits.
 *
 * <p>Tolerance: both exponentiate exactly alike up to an ulp (the Vector API's EXP against Math.exp); they
 * differ in the sum, which the scalar reference keeps in double and the vector kernel in 4 float vector
 * accumulators: m = n / (4 · lanes) terms per lane, then a reduction tree, so a relative error below
 * (m + 8) · 6e-8 (the worst case of float summation of positive terms). softmax outputs carry that relative
 * error plus 2 ulps; log_softmax outputs x - max - log Σ carry it as an absolute error, plus 2 ulps.
 */
class SoftmaxVectorTest {
    @BeforeAll
    static void needsTheIncubatorModule() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "SoftmaxVector can only load with --add-modules jdk.incubator.vector");
    }

    private static final int LANES_X4 = 4 * jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();

    private static void compare(String what, float[] row, int s, int n) {
        double sumError = (n / (double) LANES_X4 + 8) * 6e-8;
        for (boolean log : new boolean[] {false, true}) {
            int o = 3;
            float[] vec = new float[o + n], ref = new float[o + n];
            SoftmaxVector.row(row, s, vec, o, n, log);
            Softmax.rowScalar(row, s, ref, o, n, log);
            for (int i = 0; i < n; i++) {
                float v = vec[o + i], r = ref[o + i];
                String at = what + (log ? " log_softmax" : " softmax") + " n=" + n + " at " + i + ": vector " + v + ", scalar " + r;
                if (Float.isNaN(r) || Float.isInfinite(r)) {
                    assertTrue(Float.compare(r, v) == 0, at);
                    continue;
                }
                double allowed = 2 * Math.ulp(r) + (log ? sumError : sumError * Math.abs(r));
                assertTrue(Math.abs((double) v - r) <= allowed, at + ", diff " + Math.abs((double) v - r) + " > " + allowed);
            }
        }
    }

    @Test
    void rowsOfEveryLengthMatchTheScalarReference() {
        Generator g = new Generator(93);
        for (int n = 0; n <= 70; n++) {
            float[] row = new float[n + 2];
            for (int i = 0; i < row.length; i++) row[i] = (float) (3 * g.nextGaussian());
            compare("random", row, 2, n);
        }
        for (int n : new int[] {1000, 10_007}) {
            float[] row = new float[n];
            for (int i = 0; i < n; i++) row[i] = (float) (3 * g.nextGaussian());
            compare("long", row, 0, n);
        }
    }

    @Test
    void maskedNanAndHugeRowsMatchTheScalarReference() {
        Generator g = new Generator(94);
        float ninf = Float.NEGATIVE_INFINITY;
        for (int n : new int[] {5, 8, 19, 64, 77}) {
            float[] masked = new float[n], allMasked = new float[n], withNan = new float[n], huge = new float[n];
            for (int i = 0; i < n; i++) {
                masked[i] = i % 3 == 0 ? ninf : (float) g.nextGaussian();
                allMasked[i] = ninf;
                withNan[i] = i == n / 2 ? Float.NaN : (float) g.nextGaussian();
                huge[i] = (float) (1e30 * g.nextGaussian());
            }
            compare("masked", masked, 0, n);
            compare("all masked (NaN, as PyTorch)", allMasked, 0, n);
            compare("NaN entry", withNan, 0, n);
            compare("huge", huge, 0, n);
        }
    }
}
