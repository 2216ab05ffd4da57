package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** DropPath as timm's drop_path: whole samples dropped with probability p, survivors scaled by 1/(1-p). */
class DropPathTest {
    @Test
    void evalModeAndZeroProbabilityAreIdentity() {
        Tensor x = Tensor.ones(4, 3);
        DropPath dp = new DropPath(0.5);
        dp.eval();
        assertSame(x, dp.forward(x));
        assertSame(x, new DropPath(0.0).forward(x));
    }

    @Test
    void dropsWholeSamplesAtTheGivenRateAndScalesSurvivors() {
        int batch = 20_000;
        double p = 0.3;
        DropPath dp = new DropPath(p, true, new Generator(1));
        Tensor x = Tensor.ones(batch, 2, 3).requiresGrad(true);
        Tensor y = dp.forward(x);
        float[] v = y.toFloatArray();
        float kept = (float) (1 / (1 - p));
        int dropped = 0;
        for (int b = 0; b < batch; b++) {
            float first = v[b * 6];
            assertTrue(first == 0f || first == kept, "sample " + b + " is " + first);
            for (int i = 1; i < 6; i++) assertEquals(first, v[b * 6 + i], "sample " + b + " is dropped or kept as a whole");
            if (first == 0f) dropped++;
        }
        // Binomial(20000, 0.3): within 5 standard deviations (√(n p (1-p)) = 65).
        assertEquals(p * batch, dropped, 5 * Math.sqrt(batch * p * (1 - p)));
        // The gradient is the same mask.
        y.backward(Tensor.ones(y.shape()));
        assertEquals(java.util.Arrays.toString(v), java.util.Arrays.toString(x.grad().toFloatArray()));
    }

    @Test
    void withoutScalingAndAtProbabilityOne() {
        Tensor x = Tensor.full(2f, 50, 4);
        for (float v : new DropPath(0.5, false, new Generator(2)).forward(x).toFloatArray()) assertTrue(v == 0f || v == 2f);
        for (float v : new DropPath(1.0, true, new Generator(3)).forward(x).toFloatArray()) assertEquals(0f, v);
    }

    @Test
    void reprIsTimms() {
        assertEquals("DropPath(drop_prob=0.100)", new DropPath(0.1).toString());
    }
}
