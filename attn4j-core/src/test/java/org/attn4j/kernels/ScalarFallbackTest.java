package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.attn4j.ops.Activations;
import org.attn4j.ops.Reductions;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * The library must give correct results on a plain JVM without {@code --add-modules jdk.incubator.vector}.
 *
 * <p>This test runs twice: in the normal test run (Vector API on) and in the {@code scalar-fallback}
 * Surefire execution of attn4j-core's pom, a JVM started without the incubator module and with
 * {@code -Dattn4j.expectVector=false}. Each time it first proves which path is active, then checks a small
 * mixed computation against a float64 golden computed here, independently of attn4j's kernels (erf by
 * Simpson integration, not by attn4j's series). No libtorch: this must hold on the bare library.
 */
class ScalarFallbackTest {
    @Test
    void theExpectedKernelPathIsActive() {
        boolean expected = Boolean.parseBoolean(System.getProperty("attn4j.expectVector", "true"));
        assertEquals(expected, VectorSupport.ENABLED, "VectorSupport.ENABLED in this JVM (attn4j.expectVector="
                + expected + ", incubator module present: " + ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() + ")");
    }

    /** erf by composite Simpson's rule on 2/√π e^(-t²) with 4000 panels: error below 1e-12 for any x. */
    private static double erf(double x) {
        double a = Math.min(Math.abs(x), 8);         // erf(8) = 1 - 1e-29
        int n = 4000;
        double h = a / n, s = 1 + Math.exp(-a * a);
        for (int i = 1; i < n; i++) {
            double t = i * h;
            s += (i % 2 == 1 ? 4 : 2) * Math.exp(-t * t);
        }
        double r = 2 / Math.sqrt(Math.PI) * s * h / 3;
        return x < 0 ? -r : r;
    }

    @Test
    void aMixedComputationMatchesAFloat64Golden() {
        Generator g = new Generator(81);
        int m = 5, k = 37, n = 19;                  // not multiples of 8: vector tails are exercised
        Tensor x = Tensor.randn(g, m, k), w = Tensor.randn(g, k, n).mul(0.3f), b = Tensor.randn(g, n);
        float[] xv = x.toFloatArray(), wv = w.toFloatArray(), bv = b.toFloatArray();

        // Golden, in double from the same float32 inputs.
        double[] h = new double[m * n], gel = new double[m * n], soft = new double[m * n];
        double total = 0;
        for (int i = 0; i < m; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) {
                double acc = bv[j];
                for (int p = 0; p < k; p++) acc += (double) xv[i * k + p] * wv[p * n + j];
                h[i * n + j] = acc;
                gel[i * n + j] = 0.5 * acc * (1 + erf(acc / Math.sqrt(2)));
                max = Math.max(max, gel[i * n + j]);
            }
            for (int j = 0; j < n; j++) sum += Math.exp(gel[i * n + j] - max);
            for (int j = 0; j < n; j++) {
                soft[i * n + j] = Math.exp(gel[i * n + j] - max) / sum;
                total += soft[i * n + j] * (j + 1);
            }
        }
        double[] rowMax = new double[m];
        for (int i = 0; i < m; i++) {
            rowMax[i] = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) rowMax[i] = Math.max(rowMax[i], gel[i * n + j]);
        }

        Tensor hOurs = x.matmul(w).add(b);
        Tensor gelOurs = Activations.gelu(hOurs, false);
        Tensor softOurs = gelOurs.softmax(-1);
        Tensor weighted = softOurs.mul(Tensor.arange(1, n + 1, 1)).sum();
        // Tolerances: h sums k = 37 products of magnitude ~0.3 in float: a few ulps of |h| <= 10, atol 1e-5.
        // GELU and softmax add a few float roundings on top of h's error (softmax is 1-Lipschitz here):
        // atol 2e-5. The weighted sum of 5 rows of probabilities times 1..19 amplifies by up to 19: 5e-4.
        Assertions2.assertClose("x @ w + b", golden(h, m, n), hOurs, 1e-5, 1e-6);
        Assertions2.assertClose("gelu", golden(gel, m, n), gelOurs, 2e-5, 1e-6);
        Assertions2.assertClose("softmax", golden(soft, m, n), softOurs, 2e-6, 1e-5);
        assertEquals(total, weighted.item(), 5e-4, "weighted sum");
        Assertions2.assertClose("amax", Tensor.of(toFloat(rowMax), m), Reductions.amax(gelOurs, new int[] {1}, false), 2e-5, 1e-6);
        assertEquals((double) m, softOurs.sum().item(), 1e-5, "softmax rows sum to one");
    }

    @Test
    void fusedAttentionMatchesAFloat64Golden() {
        // Through the public API: ScaledDotProductAttention without weights runs FlashAttention, whose vector or
        // scalar kernel is the one this JVM has. Causal with L != S, head dims not multiples of 8, forward and
        // backward. Tolerance: float32 sums of at most 21 keys and 13 features of O(1) terms: 2e-6 absolute
        // (outputs) and 1e-5 (gradients, longer sums and a difference of two of them).
        Generator g = new Generator(82);
        int l = 9, s = 21, e = 13, ev = 6;
        Tensor q = Tensor.randn(g, 2, l, e).requiresGrad(true), k = Tensor.randn(g, 2, s, e).requiresGrad(true);
        Tensor v = Tensor.randn(g, 2, s, ev).requiresGrad(true), dOut = Tensor.randn(g, 2, l, ev);
        Tensor out = org.attn4j.attention.ScaledDotProductAttention.compute(q, k, v,
                org.attn4j.attention.ScaledDotProductAttention.Options.none().causal(), false).output();
        out.backward(dOut);
        var gold = org.attn4j.testing.AttentionGolden.compute(2, l, s, e, ev, q.toFloatArray(), k.toFloatArray(), v.toFloatArray(),
                1 / Math.sqrt(e), null, true, Float.NEGATIVE_INFINITY, null, 1, dOut.toFloatArray());
        Assertions2.assertClose("attention output", Tensor.of(toFloat(gold.out()), 2, l, ev), out, 2e-6, 1e-6);
        Assertions2.assertClose("attention dq", Tensor.of(toFloat(gold.dq()), 2, l, e), q.grad(), 1e-5, 1e-5);
        Assertions2.assertClose("attention dk", Tensor.of(toFloat(gold.dk()), 2, s, e), k.grad(), 1e-5, 1e-5);
        Assertions2.assertClose("attention dv", Tensor.of(toFloat(gold.dv()), 2, s, ev), v.grad(), 1e-5, 1e-5);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static Tensor golden(double[] d, int... shape) {
        return Tensor.of(toFloat(d), shape);
    }
}
