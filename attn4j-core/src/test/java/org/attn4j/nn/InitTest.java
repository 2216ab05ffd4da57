package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Initialisers: fan computation and gains as {@code torch.nn.init}, and the distributions' statistics.
 *
 * <p>Statistical checks draw n = 200 000 values and accept a sample mean within 5 standard errors of the true
 * mean (SE = σ/√n) and a sample variance within 5 standard errors of the true variance
 * (SE = √((μ₄ - σ⁴)/n), with the sample's fourth central moment): a correct sampler fails such a check with
 * probability below 1e-6, and the seeds are fixed anyway. Bounds are checked exactly.
 */
class InitTest {
    private static final int N = 200_000;

    @Test
    void fanInAndFanOutFollowPyTorch() {
        // _calculate_fan_in_and_fan_out: fan_in = size(1)·receptive, fan_out = size(0)·receptive.
        assertArrayEquals(new int[] {3, 5}, Init.fanInAndFanOut(new int[] {5, 3}));                 // Linear(3, 5)
        assertArrayEquals(new int[] {12, 24}, Init.fanInAndFanOut(new int[] {8, 4, 3}));            // Conv1d(4, 8, 3)
        assertArrayEquals(new int[] {75, 400}, Init.fanInAndFanOut(new int[] {16, 3, 5, 5}));       // Conv2d(3, 16, 5)
        assertArrayEquals(new int[] {36, 288}, Init.fanInAndFanOut(new int[] {32, 4, 3, 3}));       // Conv2d(16, 32, 3, groups=4)
        var e = assertThrows(IllegalArgumentException.class, () -> Init.fanInAndFanOut(new int[] {7}));
        assertEquals("Init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape [7]",
                e.getMessage());
    }

    @Test
    void gainsFollowCalculateGain() {
        assertEquals(1.0, Init.calculateGain("linear", Double.NaN));
        assertEquals(1.0, Init.calculateGain("conv2d", Double.NaN));
        assertEquals(1.0, Init.calculateGain("sigmoid", Double.NaN));
        assertEquals(5.0 / 3, Init.calculateGain("tanh", Double.NaN));
        assertEquals(Math.sqrt(2), Init.calculateGain("relu", Double.NaN));
        assertEquals(Math.sqrt(2 / 1.0001), Init.calculateGain("leaky_relu", Double.NaN), 1e-15);
        assertEquals(Math.sqrt(2.0), Init.calculateGain("leaky_relu", 0), 1e-15);
        assertEquals(Math.sqrt(1.0 / 3), Init.calculateGain("leaky_relu", Math.sqrt(5)), 1e-15);
        assertEquals(0.75, Init.calculateGain("selu", Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Init.calculateGain("swish", Double.NaN));
    }

    @Test
    void uniformAndNormalHaveTheirMoments() {
        Tensor t = Tensor.zeros(N);
        Init.uniform_(t, -0.3, 0.7, new Generator(1));
        assertFills(t, -0.3f, 0.7f);
        assertMoments("uniform_", t, 0.2, 1.0 / 12);
        Init.normal_(t, 2.0, 0.5, new Generator(2));
        assertMoments("normal_", t, 2.0, 0.25);
        Init.constant_(t, 1.5);
        for (float v : t.toFloatArray()) assertEquals(1.5f, v);
        Init.zeros_(t);
        for (float v : t.toFloatArray()) assertEquals(0f, v);
    }

    @Test
    void initialisersWorkOnParametersOutsideNoGrad() {
        Tensor p = Tensor.zeros(3, 4).requiresGrad(true);
        Init.ones_(p);
        Init.xavier_uniform_(p, 1.0, new Generator(3));
        assertTrue(p.requiresGrad() && p.isLeaf());
    }

    @Test
    void kaimingUniformWithSqrt5IsLinearsDefault() {
        // kaiming_uniform_(w, a=√5): bound = √3 · √(2/(1+5)) / √fan_in = 1/√fan_in; fan_in of [64, 8, 5, 5] is 200.
        Tensor w = Tensor.zeros(64, 8, 5, 5);
        Init.kaiming_uniform_(w, Math.sqrt(5), Init.Mode.FAN_IN, "leaky_relu", new Generator(4));
        double bound = 1 / Math.sqrt(200);
        assertFills(w, (float) -bound, (float) bound);
        assertMoments("kaiming_uniform_", w, 0, bound * bound / 3);
    }

    @Test
    void kaimingNormalUsesTheChosenFan() {
        // relu gain √2; fan_out of [20, 30, 3, 112] is 20·3·112: std = √2/√fan_out.
        Tensor w = Tensor.zeros(20, 30, 3, 112);
        Init.kaiming_normal_(w, 0, Init.Mode.FAN_OUT, "relu", new Generator(5));
        double fanOut = 20 * 3 * 112;
        assertMoments("kaiming_normal_ fan_out", w, 0, 2 / fanOut);
        Tensor v = Tensor.zeros(500, 400);
        Init.kaiming_uniform_(v, 0, Init.Mode.FAN_IN, "relu", new Generator(6));
        double bound = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(400);
        assertFills(v, (float) -bound, (float) bound);
        assertMoments("kaiming_uniform_ relu", v, 0, bound * bound / 3);
    }

    @Test
    void xavierUsesBothFans() {
        // receptive field 3·36: fan_in = 40·108, fan_out = 50·108 for a weight [50, 40, 3, 36].
        Tensor w = Tensor.zeros(50, 40, 3, 36);
        double fanIn = 40 * 3 * 36, fanOut = 50 * 3 * 36;
        Init.xavier_uniform_(w, 2.0, new Generator(7));
        double a = 2.0 * Math.sqrt(6 / (fanIn + fanOut));
        assertFills(w, (float) -a, (float) a);
        assertMoments("xavier_uniform_", w, 0, a * a / 3);
        Init.xavier_normal_(w, 1.0, new Generator(8));
        assertMoments("xavier_normal_", w, 0, 2 / (fanIn + fanOut));
    }

    @Test
    void truncNormalStaysInBoundsWithTheTruncatedMoments() {
        checkTruncNormal(0, 1, -2, 2, 9);           // PyTorch's defaults
        checkTruncNormal(1, 0.5, 1.5, 2.5, 10);     // one-sided: α = 1, β = 3
        checkTruncNormal(0, 0.02, -2, 2, 11);       // ViT's trunc_normal_(std=.02): practically a plain normal
        checkTruncNormal(0, 1, 5, 6, 12);           // far tail (acceptance 3e-7 for rejection sampling)
        checkTruncNormal(-3, 2, -20, -12, 13);      // far lower tail
    }

    /** Checks bounds and the moments of N(mean, std²) truncated to [a, b], its normaliser taken from libtorch's erf. */
    private static void checkTruncNormal(double mean, double std, double a, double b, long seed) {
        Tensor t = Tensor.zeros(N);
        Init.trunc_normal_(t, mean, std, a, b, new Generator(seed));
        assertWithin(t, (float) a, (float) b);
        double alpha = (a - mean) / std, beta = (b - mean) / std;
        // Z = Φ(β) - Φ(α), computed in the tail where it is not a difference of numbers close to 1.
        double z = alpha > 0 ? torchUpperTail(alpha) - torchUpperTail(beta) : beta < 0
                ? torchUpperTail(-beta) - torchUpperTail(-alpha) : 1 - torchUpperTail(-alpha) - torchUpperTail(beta);
        double pa = pdf(alpha), pb = pdf(beta);
        double m = mean + std * (pa - pb) / z;
        double var = std * std * (1 + (alpha * pa - beta * pb) / z - Math.pow((pa - pb) / z, 2));
        assertMoments("trunc_normal_(" + mean + ", " + std + ", " + a + ", " + b + ")", t, m, var);
    }

    private static double pdf(double x) {
        return Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    }

    /** 1 - Φ(x) = (1 - erf(x/√2)) / 2 for x >= 0, by libtorch in float64. */
    private static double torchUpperTail(double x) {
        try (NDManager m = Torch.scope()) {
            double erf = m.create(new double[] {x / Math.sqrt(2)}).erf().toDoubleArray()[0];
            return (1 - erf) / 2;
        }
    }

    @Test
    void normalQuantileMatchesTorchErfinv() {
        // Φ⁻¹(p) = √2 · erfinv(2p - 1); libtorch in float64 is the reference. Tolerance: 1e-12 relative, plus the
        // reference's own conditioning — rounding 2p - 1 to double moves its answer by up to ulp(2p-1)/(4φ(z)),
        // 1e-11 at p = 1e-6 (allowed twice that); and 1e-15 absolute near p = 1/2, where both sides work with p - 1/2
        // whose rounding (ulp(1/2)) is already 1e-16.
        double[] ps = {1e-6, 1e-4, 0.01, 0.02425, 0.1, 0.3, 0.5, 0.5 + 1e-9, 0.7, 0.9, 0.97575, 0.99, 0.9999, 1 - 1e-6};
        double[] twoPMinus1 = new double[ps.length];
        for (int i = 0; i < ps.length; i++) twoPMinus1[i] = 2 * ps[i] - 1;
        double[] ref;
        try (NDManager m = Torch.scope()) {
            ref = m.create(twoPMinus1).erfinv().toDoubleArray();
        }
        for (int i = 0; i < ps.length; i++) {
            double expected = Math.sqrt(2) * ref[i];
            double actual = Init.normalQuantile(ps[i]);
            double conditioning = Math.ulp(twoPMinus1[i]) / (2 * pdf(expected));
            assertEquals(expected, actual, 1e-15 + 1e-12 * Math.abs(expected) + conditioning, "quantile(" + ps[i] + ")");
        }
        // Deep in the tails (where 2p - 1 rounds away the information), Φ(Φ⁻¹(p)) returns p to 1e-12 relative.
        for (double p : new double[] {1e-300, 1e-100, 1e-20, 1e-10}) {
            assertEquals(p, Init.normalCdf(Init.normalQuantile(p)), p * 1e-12, "round trip " + p);
        }
    }

    /** All values in [lo, hi]. */
    private static void assertWithin(Tensor t, float lo, float hi) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float v : t.toFloatArray()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= lo && max <= hi, "values in [" + min + ", " + max + "] escape [" + lo + ", " + hi + "]");
    }

    /** All values in [lo, hi], and (a uniform law over it) the extremes of 10^5 draws within 0.1% of its ends. */
    private static void assertFills(Tensor t, float lo, float hi) {
        assertWithin(t, lo, hi);
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float v : t.toFloatArray()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min - lo < 1e-3 * (hi - lo) && hi - max < 1e-3 * (hi - lo), "[" + min + ", " + max + "] does not fill ["
                + lo + ", " + hi + "]");
    }

    private static void assertMoments(String what, Tensor t, double mean, double variance) {
        float[] v = t.toFloatArray();
        int n = v.length;
        double s = 0;
        for (float x : v) s += x;
        double m = s / n;
        double m2 = 0, m4 = 0;
        for (float x : v) {
            double d = x - m;
            m2 += d * d;
            m4 += d * d * d * d;
        }
        m2 /= n;
        m4 /= n;
        double seMean = Math.sqrt(variance / n), seVar = Math.sqrt(Math.max(m4 - m2 * m2, 0) / n);
        assertEquals(mean, m, 5 * seMean, what + ": mean");
        assertEquals(variance, m2, 5 * seVar, what + ": variance");
    }
}
