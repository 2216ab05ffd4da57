package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.EnumMap;
import java.util.Map;
import org.attn4j.kernels.Elementwise.Binary;
import org.attn4j.kernels.Elementwise.Unary;
import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link ElementwiseVector} to the scalar reference loops of {@link Elementwise}, op by op, over
 * inputs spread across magnitudes and signs, special values, and lengths that leave every possible tail
 * (0 to several vectors plus a remainder) at unaligned offsets.
 *
 * <p>Tolerances, in ulps of the scalar result (which is the double result rounded once): neg, abs, sqrt,
 * relu and every binary op are exact IEEE operations on both sides, so bit-equal. exp, log and tanh are the
 * Vector API's SVML intrinsics, documented within 1 ulp: 1 ulp (+1 for the scalar's own half ulp). sigmoid
 * adds a division and an addition to exp: 3 ulps. erf uses our fitted approximation: 2 ulps (measured
 * below 1.4). Exact GELU multiplies x by Φ from a fit of the lower tail, e^(-x²/2) P(t), whose polynomial alone
 * is good to 2.6 ulps in float: 8 ulps (measured over every 16th float in [-16, 16]: 6). The tanh
 * GELU evaluates e^(-2u) for a u formed with three float roundings (x², the fma, the product), and
 * e^(-2u(1+δ)) is off by a factor e^(2uδ): its relative error grows like 3 · 6e-8 · |2u| (|2u| up to 87
 * before the result underflows), so 8 ulps + 1.8e-7 · |2u| relative. A floor of 1e-37 absorbs subnormal
 * results, whose ulp is not relative.
 */
class ElementwiseVectorTest {
    @BeforeAll
    static void needsTheIncubatorModule() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "ElementwiseVector can only load with --add-modules jdk.incubator.vector");
    }

    private static final float[] SPECIALS = {
        0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.5f, -0.5f, 0.99999994f, -0.99999994f,
        1f, -1f, 1.0000001f, -1.0000001f, 1.4142135f, -1.4142135f, 1.4142137f, -1.4142137f, 3.92f, -3.92f, 6f, -6f,
        9.5f, -9.5f, 10.5f, -10.5f, 14.85f, -14.85f, 20f, -20f, 87f, -87f, 88.8f, -88.8f, 103f, -104f, 1e10f, -1e10f,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
    };

    /** Values of every magnitude from 1e-8 to 1e4 and both signs, then uniform in [-16, 16], then specials. */
    private static float[] inputs(Generator g, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            switch (i % 3) {
                case 0 -> x[i] = (float) (Math.pow(10, -8 + 12 * g.nextDouble()) * (g.nextInt(2) == 0 ? 1 : -1));
                case 1 -> x[i] = (float) (32 * g.nextDouble() - 16);
                default -> x[i] = SPECIALS[g.nextInt(SPECIALS.length)];
            }
        }
        return x;
    }

    /** Allowed |vector - scalar| for op at input x with scalar result s. */
    private static double allowed(Unary op, float x, float s) {
        double ulp = Math.ulp(s);
        return 1e-37 + switch (op) {
            case NEG, ABS, SQRT, RELU -> 0;
            case EXP, LOG, TANH -> 2 * ulp;
            case SIGMOID -> 3 * ulp;
            case ERF -> 2 * ulp;
            case GELU -> 8 * ulp;
            case GELU_TANH -> 8 * ulp + Math.abs(s) * 1.8e-7 * Math.min(87, Math.abs(1.5957691 * x * (1 + 0.044715 * x * x)));
        };
    }

    private static boolean same(float a, float b) {
        return Float.isNaN(a) ? Float.isNaN(b) : a == b || Math.abs((double) a - b) == 0;
    }

    @Test
    void everyUnaryOpMatchesTheScalarReference() {
        Generator g = new Generator(91);
        Map<Unary, Double> worstUlps = new EnumMap<>(Unary.class);
        int[] lengths = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100, 10_007};
        for (Unary op : Unary.values()) {
            double worst = 0;
            for (int len : lengths) {
                int xo = g.nextInt(5), oo = g.nextInt(5);
                float[] x = inputs(g, xo + len);
                float[] vec = new float[oo + len], ref = new float[oo + len];
                ElementwiseVector.unary(op, x, xo, vec, oo, len);
                Elementwise.unaryScalar(op, x, xo, ref, oo, len);
                for (int i = 0; i < len; i++) {
                    float v = vec[oo + i], s = ref[oo + i], in = x[xo + i];
                    String what = op + "(" + in + ") at " + i + " of " + len + ": vector " + v + ", scalar " + s;
                    if (Float.isNaN(s) || Float.isInfinite(s)) {
                        assertTrue(same(s, v), what);
                        continue;
                    }
                    double diff = Math.abs((double) v - s);
                    assertTrue(diff <= allowed(op, in, s), what + ", diff " + diff + " > " + allowed(op, in, s));
                    if (Math.abs(s) > 1e-30) worst = Math.max(worst, diff / Math.ulp(s));   // normal range only
                }
            }
            worstUlps.put(op, worst);
        }
        System.out.println("ElementwiseVector vs scalar, worst ulps: " + worstUlps);
    }

    @Test
    void erfIsFloatAccurateEverywhere() {
        // A dense sweep of [-6, 6] (erf is ±1 in float beyond 3.92) plus tiny arguments.
        int n = 240_001;
        float[] x = new float[n + 200];
        for (int i = 0; i < n; i++) x[i] = -6f + 12f * i / (n - 1);
        for (int i = 0; i < 200; i++) x[n + i] = (float) Math.pow(10, -38 + 38.0 * i / 200) * (i % 2 == 0 ? 1 : -1);
        float[] vec = new float[x.length], ref = new float[x.length];
        ElementwiseVector.unary(Unary.ERF, x, 0, vec, 0, x.length);
        Elementwise.unaryScalar(Unary.ERF, x, 0, ref, 0, x.length);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double ulps = Math.abs((double) vec[i] - ref[i]) / Math.ulp(ref[i]);
            if (ulps > worst) worst = ulps;
        }
        System.out.println("erf: worst " + worst + " ulps over " + x.length + " points");
        assertTrue(worst <= 2, "erf within 2 ulps of the correctly rounded value, worst " + worst);
    }

    @Test
    void geluKeepsRelativeAccuracyInTheNegativeTail() {
        // Where 1 + erf(x/√2) would cancel to 0 in float (x < -5.5), x Φ(x) is still a normal float. Sixteen
        // inputs, so that the vector loop (not only its scalar tail) sees them.
        float[] x = {-3f, -4f, -5f, -5.5f, -6f, -6.5f, -7f, -7.5f, -8f, -9f, -10f, -10.5f, -11f, -12f, -12.5f, -13f};
        float[] vec = new float[x.length], ref = new float[x.length];
        ElementwiseVector.unary(Unary.GELU, x, 0, vec, 0, x.length);
        Elementwise.unaryScalar(Unary.GELU, x, 0, ref, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertTrue(ref[i] < 0, "reference gelu(" + x[i] + ") = " + ref[i] + " is a negative float");
            assertEquals(ref[i], vec[i], 8 * Math.ulp(ref[i]), "gelu(" + x[i] + ")");
        }
    }

    /**
     * The activation backward loops: ReLU's select and the float products of sigmoid and tanh are the same
     * IEEE operations in both paths, so bit-equal (the GELU derivatives are approximations: next test).
     */
    @Test
    void activationGradientsAreBitExact() {
        Generator g = new Generator(93);
        for (Elementwise.UnaryGrad op : new Elementwise.UnaryGrad[] {
                Elementwise.UnaryGrad.RELU, Elementwise.UnaryGrad.SIGMOID, Elementwise.UnaryGrad.TANH}) {
            for (int len : new int[] {0, 1, 7, 8, 9, 17, 64, 1001}) {
                int go = g.nextInt(4), vo = g.nextInt(4), oo = g.nextInt(4);
                float[] gr = inputs(g, go + Math.max(len, 1)), v = inputs(g, vo + Math.max(len, 1));
                if (op == Elementwise.UnaryGrad.SIGMOID || op == Elementwise.UnaryGrad.TANH) {
                    // Realistic outputs too: sigmoid in [0, 1], tanh in [-1, 1].
                    for (int i = 0; i < v.length; i += 2) v[i] = (float) g.nextDouble();
                }
                float[] vec = new float[oo + len], ref = new float[oo + len];
                ElementwiseVector.unaryGrad(op, gr, go, v, vo, vec, oo, len);
                Elementwise.unaryGradScalar(op, gr, go, v, vo, ref, oo, len);
                for (int i = 0; i < len; i++) {
                    assertEquals(0, Float.compare(ref[oo + i], vec[oo + i]), op + " at " + i + " of " + len + ": g "
                            + gr[go + i] + ", v " + v[vo + i] + " -> vector " + vec[oo + i] + ", scalar " + ref[oo + i]);
                }
            }
        }
        // ReLU passes the gradient where the output is NaN (threshold_backward's y <= 0 is false) and drops it at 0.
        float[] out = new float[3];
        Elementwise.unaryGradScalar(Elementwise.UnaryGrad.RELU, new float[] {2f, 3f, 4f}, 0,
                new float[] {Float.NaN, 0f, 1f}, 0, out, 0, 3);
        assertEquals(2f, out[0]);
        assertEquals(0f, out[1]);
        assertEquals(4f, out[2]);
    }

    /**
     * The GELU derivatives against the scalar reference, which evaluates them in double and rounds once.
     * Exact GELU: Φ(x) + x φ(x); Φ carries the 8 ulps of {@link #allowed}'s GELU, x φ(x) the exponential's
     * 2 ulps plus three float roundings; the terms have opposite signs for x < 0, so the bound is relative to
     * |Φ| + |x φ| rather than to their sum. tanh GELU: s + 2 x s t u' (s = σ(2u), t = σ(-2u)); s and t each carry
     * tanh GELU's 8 ulps + 1.8e-7 · |2u| of the rounding of u, bounded relative to |s| + |2 x s t u'|. Each
     * times |g|, plus the output's own rounding.
     */
    @Test
    void geluGradientsMatchTheScalarReference() {
        Generator g = new Generator(94);
        double eps = Math.ulp(1f);
        for (Elementwise.UnaryGrad op : new Elementwise.UnaryGrad[] {Elementwise.UnaryGrad.GELU, Elementwise.UnaryGrad.GELU_TANH}) {
            double worst = 0;
            for (int len : new int[] {0, 1, 7, 8, 9, 17, 64, 1001, 20_011}) {
                int go = g.nextInt(4), vo = g.nextInt(4), oo = g.nextInt(4);
                float[] gr = new float[go + Math.max(len, 1)], x = inputs(g, vo + Math.max(len, 1));
                for (int i = 0; i < gr.length; i++) gr[i] = (float) (4 * g.nextDouble() - 2);
                float[] vec = new float[oo + len], ref = new float[oo + len];
                ElementwiseVector.unaryGrad(op, gr, go, x, vo, vec, oo, len);
                Elementwise.unaryGradScalar(op, gr, go, x, vo, ref, oo, len);
                for (int i = 0; i < len; i++) {
                    double xi = x[vo + i], r = ref[oo + i], v = vec[oo + i];
                    if (Double.isNaN(r) || Double.isNaN(v)) {
                        assertTrue(Double.isNaN(r) && Double.isNaN(v), op + "'(" + xi + "): vector " + v + ", scalar " + r);
                        continue;
                    }
                    double scale;
                    if (op == Elementwise.UnaryGrad.GELU) {
                        double pdf = Math.exp(-0.5 * xi * xi) * 0.3989422804014327;
                        scale = 8 * eps * (Elementwise.normalCdf(xi) + Math.abs(xi * pdf));
                    } else {
                        double twoU = 1.5957691216057308 * xi * (1 + 0.044715 * xi * xi);
                        double s = 1 / (1 + Math.exp(-twoU)), t = 1 / (1 + Math.exp(twoU));
                        double term = Math.abs(xi * 1.5957691216057308 * (1 + 3 * 0.044715 * xi * xi) * s * t);
                        scale = (8 * eps + 1.8e-7 * Math.min(87, Math.abs(twoU))) * (s + 2 * term);
                    }
                    double allowed = 1e-37 + Math.abs(gr[go + i]) * scale + Math.ulp((float) r);
                    double err = Math.abs(v - r);
                    worst = Math.max(worst, err / allowed);
                    assertTrue(err <= allowed, op + "'(" + xi + ") * " + gr[go + i] + ": vector " + v + ", scalar " + r
                            + ", allowed " + allowed);
                }
            }
            System.out.printf("%s backward: worst error %.2f of its bound%n", op, worst);
        }
    }

    @Test
    void binaryOpsAreBitExactForEveryStridePattern() {
        Generator g = new Generator(92);
        int[][] strides = {{1, 1}, {1, 0}, {0, 1}};
        for (Binary op : Binary.values()) {
            if (op == Binary.POW) continue;
            for (int[] st : strides) {
                for (int len : new int[] {0, 1, 5, 8, 13, 16, 29, 1000}) {
                    int ao = g.nextInt(4), bo = g.nextInt(4), oo = g.nextInt(4);
                    float[] a = inputs(g, ao + Math.max(len, 1)), b = inputs(g, bo + Math.max(len, 1));
                    float[] vec = new float[oo + len], ref = new float[oo + len];
                    ElementwiseVector.binary(op, a, ao, st[0], b, bo, st[1], vec, oo, len);
                    Elementwise.binaryScalar(op, a, ao, st[0], b, bo, st[1], ref, oo, len);
                    for (int i = 0; i < len; i++) {
                        // Float.compare tells -0 from 0 and treats every NaN alike.
                        assertEquals(0, Float.compare(ref[oo + i], vec[oo + i]), op + " strides " + st[0] + "," + st[1]
                                + " at " + i + ": " + a[ao + i * st[0]] + ", " + b[bo + i * st[1]] + " -> vector "
                                + vec[oo + i] + ", scalar " + ref[oo + i]);
                    }
                }
            }
        }
    }
}
