package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.attn4j.kernels.Parallel;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Dropout cannot be compared element by element with libtorch (its random stream is not ours), so the test
 * checks what dropout promises: the kept fraction is Binomial(n, 1 - p) — held within 6 standard deviations,
 * a bound a correct implementation breaks with probability about 2e-9 —, kept values are scaled by exactly
 * libtorch's factor (bit for bit, on the elements both keep), backward applies the same mask, and the mask is
 * a function of the generator's seed alone.
 */
class DropoutTest {

    private static int kept(float[] v) {
        int k = 0;
        for (float f : v) if (f != 0f) k++;
        return k;
    }

    private static void assertBinomial(String what, int kept, int n, double keepProb) {
        double mean = n * keepProb, sd = Math.sqrt(n * keepProb * (1 - keepProb));
        assertTrue(Math.abs(kept - mean) <= 6 * sd, what + ": kept " + kept + " of " + n + ", expected " + mean
                + " ± " + 6 * sd);
    }

    @Test
    void keptFractionAndScaleMatchTorch() {
        Generator g = new Generator(1);
        int n = 200_000;
        // Values away from 0, so that "kept" is exactly "non-zero".
        Tensor x = Tensor.rand(g, 400, 500).add(0.5f);
        float[] xd = x.toFloatArray();
        for (float p : new float[] {0.1f, 0.3f, 0.5f, 0.9f}) {
            float[] ours = Dropout.dropout(x, p, true, new Generator(7)).toFloatArray();
            assertBinomial("attn4j p=" + p, kept(ours), n, 1.0 - p);
            float[] theirs;
            try (NDManager m = Torch.scope()) {
                NDArray xn = Torch.nd(m, x);
                theirs = xn.getNDArrayInternal().dropout(xn, p, true).singletonOrThrow().toFloatArray();
            }
            assertBinomial("libtorch p=" + p, kept(theirs), n, 1.0 - p);
            int both = 0;
            for (int i = 0; i < n; i++) {
                if (ours[i] != 0f && theirs[i] != 0f) {
                    both++;
                    assertEquals(theirs[i], ours[i], 0f, "p=" + p + ": kept value at " + i + " scaled differently");
                }
                if (ours[i] != 0f) {
                    assertEquals(xd[i] * (1f / (float) (1.0 - p)), ours[i], 0f, "p=" + p + ": scale at " + i);
                }
            }
            assertTrue(both > n * (1 - p) * (1 - p) / 2, "p=" + p + ": too few elements kept by both to compare");
        }
    }

    @Test
    void backwardUsesTheForwardMask() {
        Generator g = new Generator(2);
        Tensor x = Tensor.rand(g, 37, 53).add(0.5f).requiresGrad(true);
        Tensor y = Dropout.dropout(x, 0.4f, true, new Generator(3));
        Tensor up = Tensor.randn(g, 37, 53);
        y.backward(up);
        float[] yd = y.toFloatArray(), gd = x.grad().toFloatArray(), ud = up.toFloatArray();
        float scale = 1f / 0.6f;
        for (int i = 0; i < yd.length; i++) {
            float expected = yd[i] != 0f ? ud[i] * scale : 0f;
            assertEquals(expected, gd[i], 0f, "gradient at " + i);
        }
    }

    @Test
    void sameSeedSameMaskAndFreshDrawsDiffer() {
        Tensor x = Tensor.ones(10_000);
        float[] a = Dropout.dropout(x, 0.5f, true, new Generator(42)).toFloatArray();
        float[] b = Dropout.dropout(x, 0.5f, true, new Generator(42)).toFloatArray();
        assertArrayEquals(a, b);
        Generator g = new Generator(42);
        Dropout.dropout(x, 0.5f, true, g);
        float[] second = Dropout.dropout(x, 0.5f, true, g).toFloatArray();
        assertFalse(java.util.Arrays.equals(a, second), "a second call on the same generator must draw a new mask");
        float[] other = Dropout.dropout(x, 0.5f, true, new Generator(43)).toFloatArray();
        assertFalse(java.util.Arrays.equals(a, other), "another seed must give another mask");
    }

    @Test
    void maskDoesNotDependOnTheThreadCount() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            boolean[] one = Dropout.mask(100_003, 0.7, 99L);
            Parallel.setThreads(2);
            boolean[] two = Dropout.mask(100_003, 0.7, 99L);
            assertArrayEquals(one, two);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void evalAndZeroProbabilityAreTheIdentity() {
        Tensor x = Tensor.randn(new Generator(4), 3, 4);
        assertSame(x, Dropout.dropout(x, 0.5f, false, new Generator(1)));
        assertSame(x, Dropout.dropout(x, 0f, true, new Generator(1)));
    }

    @Test
    void probabilityOneZeroesValuesAndGradients() {
        Tensor x = Tensor.vector(1f, -2f, 3f).requiresGrad(true);
        Tensor y = Dropout.dropout(x, 1f, true, new Generator(1));
        assertArrayEquals(new float[] {0f, -0f, 0f}, y.toFloatArray());
        y.backward(Tensor.ones(3));
        assertArrayEquals(new float[] {0f, 0f, 0f}, x.grad().toFloatArray());
        // As libtorch's x * 0: a NaN stays NaN.
        assertTrue(Float.isNaN(Dropout.dropout(Tensor.vector(Float.NaN), 1f, true, null).item()));
    }

    @Test
    void probabilityOutsideTheUnitIntervalIsRejected() {
        Tensor x = Tensor.zeros(2, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> Dropout.dropout(x, 1.5f, true, new Generator(1)));
        assertEquals("dropout: probability has to be between 0 and 1, but got 1.5 (input of shape [2, 2])", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Dropout.dropout(x, -0.1f, false, null));
        assertThrows(IllegalArgumentException.class, () -> Dropout.dropout(x, Float.NaN, true, null));
    }
}
