package org.attn4j.kernels;

/**
 * Elementwise loops over flat float arrays: the inner loops of {@code org.attn4j.ops.Arithmetic},
 * {@code UnaryMath} and {@code Activations}.
 *
 * <p>{@link #unary} and {@link #binary} run {@link ElementwiseVector}'s Vector API loops when
 * {@link VectorSupport#ENABLED}, and otherwise the plain loops here ({@link #unaryScalar},
 * {@link #binaryScalar}), which stay the reference the vector kernels are tested against
 * (ElementwiseVectorTest). Each op is one counted loop selected by a switch outside the loop, so there
 * is no per-element dispatch; the scalar math is computed in double and rounded once.
 */
public final class Elementwise {
    private Elementwise() {}

    /** Binary operations with broadcasting. */
    public enum Binary { ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM }

    /** Unary operations without parameters. */
    public enum Unary { NEG, EXP, LOG, SQRT, ABS, RELU, SIGMOID, TANH, ERF, GELU, GELU_TANH }

    /**
     * {@code out[oo + i] = a[ao + i*as] (op) b[bo + i*bs]} for {@code i < n}; strides are 0 (broadcast) or any
     * positive step.
     */
    public static void binary(Binary op, float[] a, int ao, int as, float[] b, int bo, int bs,
                              float[] out, int oo, int n) {
        if (VectorSupport.ENABLED) {
            ElementwiseVector.binary(op, a, ao, as, b, bo, bs, out, oo, n);     // hands back what it cannot vectorize
        } else {
            binaryScalar(op, a, ao, as, b, bo, bs, out, oo, n);
        }
    }

    /** The scalar reference of {@link #binary}. */
    public static void binaryScalar(Binary op, float[] a, int ao, int as, float[] b, int bo, int bs,
                                    float[] out, int oo, int n) {
        if (as == 1 && bs == 1) {
            switch (op) {
                case ADD -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] + b[bo + i]; }
                case SUB -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] - b[bo + i]; }
                case MUL -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] * b[bo + i]; }
                case DIV -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] / b[bo + i]; }
                default -> generic(op, a, ao, as, b, bo, bs, out, oo, n);
            }
        } else if (as == 1 && bs == 0) {
            float s = b[bo];
            switch (op) {
                case ADD -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] + s; }
                case SUB -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] - s; }
                case MUL -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] * s; }
                case DIV -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] / s; }
                default -> generic(op, a, ao, as, b, bo, bs, out, oo, n);
            }
        } else {
            generic(op, a, ao, as, b, bo, bs, out, oo, n);
        }
    }

    private static void generic(Binary op, float[] a, int ao, int as, float[] b, int bo, int bs,
                                float[] out, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] + b[bo + i * bs]; }
            case SUB -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] - b[bo + i * bs]; }
            case MUL -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] * b[bo + i * bs]; }
            case DIV -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] / b[bo + i * bs]; }
            case POW -> { for (int i = 0; i < n; i++) out[oo + i] = pow(a[ao + i * as], b[bo + i * bs]); }
            case MAXIMUM -> { for (int i = 0; i < n; i++) out[oo + i] = maximum(a[ao + i * as], b[bo + i * bs]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) out[oo + i] = minimum(a[ao + i * as], b[bo + i * bs]); }
        }
    }

    /** torch.pow on floats: computed in double, as libm's powf is accurate to an ulp. */
    public static float pow(float x, float y) {
        return (float) Math.pow(x, y);
    }

    /** torch.maximum propagates NaN (Math.max does too). */
    public static float maximum(float x, float y) {
        return Math.max(x, y);
    }

    public static float minimum(float x, float y) {
        return Math.min(x, y);
    }

    /** {@code out[oo + i] = op(x[xo + i])}. */
    public static void unary(Unary op, float[] x, int xo, float[] out, int oo, int n) {
        if (VectorSupport.ENABLED) {
            ElementwiseVector.unary(op, x, xo, out, oo, n);
        } else {
            unaryScalar(op, x, xo, out, oo, n);
        }
    }

    /** The scalar reference of {@link #unary}. */
    public static void unaryScalar(Unary op, float[] x, int xo, float[] out, int oo, int n) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) out[oo + i] = -x[xo + i]; }
            case EXP -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.exp(x[xo + i]); }
            case LOG -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.log(x[xo + i]); }
            case SQRT -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.sqrt(x[xo + i]); }
            case ABS -> { for (int i = 0; i < n; i++) out[oo + i] = Math.abs(x[xo + i]); }
            case RELU -> { for (int i = 0; i < n; i++) { float v = x[xo + i]; out[oo + i] = v > 0 ? v : (v != v ? v : 0f); } }
            case SIGMOID -> { for (int i = 0; i < n; i++) out[oo + i] = sigmoid(x[xo + i]); }
            case TANH -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.tanh(x[xo + i]); }
            case ERF -> { for (int i = 0; i < n; i++) out[oo + i] = erf(x[xo + i]); }
            case GELU -> { for (int i = 0; i < n; i++) out[oo + i] = gelu(x[xo + i]); }
            case GELU_TANH -> { for (int i = 0; i < n; i++) out[oo + i] = geluTanh(x[xo + i]); }
        }
    }

    /**
     * Backward of the parameterless activations: {@code out = g * f'}, where the derivative is taken from the
     * forward output {@code y} (RELU, SIGMOID, TANH) or from the input {@code x} (GELU, GELU_TANH).
     */
    public enum UnaryGrad { RELU, SIGMOID, TANH, GELU, GELU_TANH }

    /**
     * {@code out[oo + i] = g[go + i] * f'(v[vo + i])} for {@code i < n}, {@code v} being the forward output or
     * input as {@link UnaryGrad} says. Runs {@link ElementwiseVector} when the Vector API is on.
     */
    public static void unaryGrad(UnaryGrad op, float[] g, int go, float[] v, int vo, float[] out, int oo, int n) {
        if (VectorSupport.ENABLED) {
            ElementwiseVector.unaryGrad(op, g, go, v, vo, out, oo, n);
        } else {
            unaryGradScalar(op, g, go, v, vo, out, oo, n);
        }
    }

    /**
     * The scalar reference of {@link #unaryGrad}. ReLU as PyTorch's {@code threshold_backward(g, y, 0)}:
     * {@code y <= 0 ? 0 : g} (a NaN output passes the gradient through); sigmoid {@code g y (1 - y)}; tanh
     * {@code g (1 - y²)}, both in float as ATen's CPU kernels compute them; GELU by {@link #geluGrad} and
     * {@link #geluTanhGrad}.
     */
    public static void unaryGradScalar(UnaryGrad op, float[] g, int go, float[] v, int vo, float[] out, int oo, int n) {
        switch (op) {
            case RELU -> { for (int i = 0; i < n; i++) out[oo + i] = v[vo + i] <= 0f ? 0f : g[go + i]; }
            case SIGMOID -> { for (int i = 0; i < n; i++) { float y = v[vo + i]; out[oo + i] = g[go + i] * ((1f - y) * y); } }
            case TANH -> { for (int i = 0; i < n; i++) { float y = v[vo + i]; out[oo + i] = g[go + i] * (1f - y * y); } }
            case GELU -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] * geluGrad(v[vo + i]); }
            case GELU_TANH -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] * geluTanhGrad(v[vo + i]); }
        }
    }

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    private static final double SQRT1_2 = 0.7071067811865476;
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;

    /** Exact GELU, {@code x Φ(x)} ({@code F.gelu(approximate='none')}), with Φ from {@link #normalCdf}. */
    public static float gelu(float x) {
        return (float) (x * normalCdf(x));
    }

    /** d/dx of exact GELU: {@code Φ(x) + x φ(x)}. */
    public static float geluGrad(float x) {
        double pdf = Math.exp(-0.5 * x * (double) x) * 0.3989422804014327;
        return (float) (normalCdf(x) + x * pdf);
    }

    /**
     * The standard normal CDF Φ(x) = ½ (1 + erf(x/√2)) in double. Below x/√2 = -2.5 it is ½ erfc(|x|/√2)
     * from erfc's continued fraction, because 1 + erf(z) cancels there (it loses all digits past z = -6,
     * where GELU's true value is still a representable float).
     */
    static double normalCdf(double x) {
        double z = x * SQRT1_2;
        if (z < -2.5) return 0.5 * erfcContinuedFraction(-z);
        return 0.5 * (1.0 + erfDouble(z));
    }

    /**
     * GELU with the tanh approximation ({@code F.gelu(approximate='tanh')}): {@code ½ x (1 + tanh(u))} with
     * {@code u = √(2/π) (x + 0.044715 x³)}, evaluated as the identical {@code x / (1 + e^(-2u))}, which does
     * not cancel for negative x (1 + tanh(u) loses every digit in double once u < -19).
     */
    public static float geluTanh(float x) {
        double u = SQRT_2_OVER_PI * (x + 0.044715 * x * (double) x * x);
        return (float) (x / (1.0 + Math.exp(-2 * u)));
    }

    /**
     * d/dx of the tanh-approximated GELU, ½(1 + tanh u) + ½ x (1 - tanh² u) u', evaluated as s + 2 x s t u' with
     * s = ½(1 + tanh u) = 1 / (1 + e^(-2u)) and t = 1 - s = 1 / (1 + e^(2u)): the same value without the
     * cancellation of 1 + tanh u and 1 - tanh² u, which in double lose every digit once u < -19.
     */
    public static float geluTanhGrad(float x) {
        double x2 = x * (double) x;
        double twoU = 2 * SQRT_2_OVER_PI * (x + 0.044715 * x2 * x);
        double s = 1 / (1 + Math.exp(-twoU)), t = 1 / (1 + Math.exp(twoU));
        double dInner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x2);
        return (float) (s + 2.0 * x * s * t * dInner);
    }

    /** 1 / (n! (2n+1)) for the Maclaurin series of erf. */
    private static final double[] ERF_SERIES = new double[48];

    static {
        double fact = 1;
        for (int n = 0; n < ERF_SERIES.length; n++) {
            if (n > 0) fact *= n;
            ERF_SERIES[n] = 1.0 / (fact * (2 * n + 1));
        }
    }

    /**
     * The error function, computed in double and rounded to float (error below 1e-7 relative).
     * |x| < 2.5: the Maclaurin series {@code 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))} summed by Horner in x²,
     * which keeps full relative accuracy near 0 (the terms peak near 13 at x = 2.5, costing two of double's
     * sixteen digits); 2.5 <= |x| < 4: 1 - erfc(x) by erfc's continued fraction, which converges fast there;
     * |x| >= 4: ±1 (erfc(4) = 1.5e-8 is below float32's half-ulp of 1).
     */
    public static float erf(double x) {
        return (float) erfDouble(x);
    }

    /** {@link #erf} before the rounding to float. */
    private static double erfDouble(double x) {
        double ax = Math.abs(x);
        if (ax < 2.5) return erfSeries(x);
        if (x != x) return Double.NaN;       // NaN fails every comparison above: it must not become ±1
        double r = ax < 4.0 ? 1.0 - erfcContinuedFraction(ax) : 1.0;
        return x < 0 ? -r : r;
    }

    /** erf by its Maclaurin series, for |x| < 2.5 (see {@link #erf}). */
    private static double erfSeries(double x) {
        double ax = Math.abs(x), x2 = x * x;
        // Number of terms for a 1e-17 tail: grows with |x|.
        int terms = ax < 0.5 ? 12 : ax < 1.0 ? 18 : ax < 1.5 ? 26 : ax < 2.0 ? 34 : 44;
        double s = 0;
        for (int n = terms - 1; n >= 0; n--) {
            s = s * -x2 + ERF_SERIES[n];
        }
        return 1.1283791670955126 * x * s;
    }

    /**
     * The complementary error function 1 - erf(x) in double precision for all x (used where tails matter, e.g.
     * the normal CDF behind truncated-normal initialisation): 1 - series for |x| < 2.5, the continued fraction
     * above (full relative accuracy down to underflow near x = 26), and erfc(-x) = 2 - erfc(x).
     */
    public static double erfc(double x) {
        if (Math.abs(x) < 2.5) return 1.0 - erfSeries(x);
        return x > 0 ? erfcContinuedFraction(x) : 2.0 - erfcContinuedFraction(-x);
    }

    /**
     * erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up; 60 levels
     * give double precision for x >= 2.5 (and it only gets faster as x grows).
     */
    private static double erfcContinuedFraction(double x) {
        double f = x;
        for (int k = 60; k >= 1; k--) {
            f = x + (k * 0.5) / f;
        }
        return Math.exp(-x * x) / (1.7724538509055159 * f);
    }
}
