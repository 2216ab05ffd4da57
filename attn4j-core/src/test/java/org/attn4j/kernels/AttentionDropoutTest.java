package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link AttentionDropout}: a pure function of (seed, item, row, column) that behaves like independent
 * Bernoulli(1 - p) draws. Statistical bounds are 5 standard deviations of the binomial count, so a correct
 * generator fails them with probability below 1e-6 per check.
 */
class AttentionDropoutTest {
    private static void assertRate(String what, int kept, int n, double q) {
        double sd = Math.sqrt(n * q * (1 - q));
        assertTrue(Math.abs(kept - n * q) <= 5 * sd, what + ": " + kept + " of " + n + " kept, expected " + n * q + " +- " + 5 * sd);
    }

    @Test
    void keepsAboutOneMinusPEverywhereAndNeighboursIndependently() {
        float p = 0.3f;
        int batch = 4, l = 256, s = 256;
        boolean[] m = AttentionDropout.keepMask(12345L, p, batch, l, s);
        int all = 0, pairs = 0, rowsPairs = 0;
        int[] perColumn = new int[s], perRow = new int[batch * l];
        for (int r = 0; r < batch * l; r++) {
            for (int j = 0; j < s; j++) {
                boolean k = m[r * s + j];
                if (k) {
                    all++;
                    perColumn[j]++;
                    perRow[r]++;
                }
                if (j > 0 && k && m[r * s + j - 1]) pairs++;
                if (r % l > 0 && k && m[(r - 1) * s + j]) rowsPairs++;
            }
        }
        double q = 1 - p;
        assertRate("all", all, batch * l * s, q);
        for (int j = 0; j < s; j++) assertRate("column " + j, perColumn[j], batch * l, q);
        for (int r = 0; r < batch * l; r++) assertRate("row " + r, perRow[r], s, q);
        // Neighbours along a row and down a column are kept together with probability q², as independent draws.
        assertRate("horizontal pairs", pairs, batch * l * (s - 1), q * q);
        assertRate("vertical pairs", rowsPairs, batch * (l - 1) * s, q * q);
    }

    @Test
    void aFunctionOfItsArguments() {
        boolean[] a = AttentionDropout.keepMask(7L, 0.5f, 2, 33, 17), b = AttentionDropout.keepMask(7L, 0.5f, 2, 33, 17);
        assertArrayEquals(a, b, "same seed, same mask");
        assertFalse(Arrays.equals(a, AttentionDropout.keepMask(8L, 0.5f, 2, 33, 17)), "another seed, another mask");
        // Element by element it is keep(rowKey(seed, b, i), j): what the kernels compute without the array.
        int t = AttentionDropout.threshold(0.5f);
        for (int b0 = 0; b0 < 2; b0++) {
            for (int i = 0; i < 33; i++) {
                for (int j = 0; j < 17; j++) {
                    assertEquals(AttentionDropout.keep(AttentionDropout.rowKey(7L, b0, i), j, t), a[(b0 * 33 + i) * 17 + j]);
                }
            }
        }
        boolean[] none = AttentionDropout.keepMask(1L, 0f, 1, 8, 8), every = AttentionDropout.keepMask(1L, 1f, 1, 8, 8);
        for (int i = 0; i < 64; i++) {
            assertTrue(none[i], "p = 0 keeps everything");
            assertFalse(every[i], "p = 1 drops everything");
        }
        assertEquals(0f, AttentionDropout.keepScale(1f));
        assertEquals(1f / 0.75f, AttentionDropout.keepScale(0.25f));
        assertThrows(IllegalArgumentException.class, () -> AttentionDropout.threshold(1.5f));
    }
}
