package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Dropout follows the module's mode: inverted dropout in training, the identity in eval. */
class DropoutTest {
    @Test
    void trainingDropsAtRatePAndScalesSurvivors() {
        int n = 100_000;
        double p = 0.25;
        Dropout d = new Dropout(p, new Generator(1));
        float[] y = d.forward(Tensor.ones(n)).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            assertTrue(v == 0f || v == (float) (1 / (1 - p)), "value " + v);
            if (v == 0f) zeros++;
        }
        // Binomial(n, p): within 5 standard deviations
        assertEquals(p * n, zeros, 5 * Math.sqrt(n * p * (1 - p)));
    }

    @Test
    void evalIsTheIdentityAndReprIsPyTorchs() {
        Dropout d = new Dropout(0.5);
        Sequential s = new Sequential(d);
        s.eval();
        Tensor x = Tensor.ones(3);
        assertSame(x, d.forward(x));
        assertEquals("Dropout(p=0.5, inplace=False)", d.toString());
        assertEquals("Dropout(p=0.1, inplace=False)", new Dropout(0.1).toString());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5));
    }
}
