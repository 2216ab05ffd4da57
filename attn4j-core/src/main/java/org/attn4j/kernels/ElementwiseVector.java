package org.attn4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.attn4j.kernels.Elementwise.Binary;
import org.attn4j.kernels.Elementwise.Unary;

/**
 * Vector API versions of {@link Elementwise}'s loops, over {@link FloatVector#SPECIES_PREFERRED} with the
 * scalar reference finishing the tail. Loaded only when {@link VectorSupport#ENABLED} (through
 * {@link Elementwise#unary} and {@link Elementwise#binary}).
 *
 * <p>exp and tanh are {@link VectorMath}'s, the same bits in every execution mode; log is left to the scalar
 * {@code Math.log} (the Vector API's lanewise {@code LOG} is SVML once compiled and per-lane {@code Math.log}
 * before, so results depended on when the JIT got to it; attn4j has no mode-independent vector log yet).
 * erf has no lanewise operator, so it is evaluated here from two fitted approximations
 * (see {@link #erfSmall} and {@link #erfcLarge}), within 2 ulps of the correctly rounded value. Exact GELU's
 * Φ has a one-branch fit of its own built on the lower tail ({@link #lowerTailPolynomial}), so unlike
 * {@code 1 + erf} it keeps its relative accuracy for negative inputs.
 * ElementwiseVectorTest holds every op to {@link Elementwise#unaryScalar} and {@link Elementwise#binaryScalar}.
 */
final class ElementwiseVector {
    private ElementwiseVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }

    private static FloatVector c(float v) {
        return FloatVector.broadcast(S, v);
    }

    // Each loop lives in its own small method: C2 must inline every Vector API call of a loop for it to
    // become SIMD code, and one method holding all the loops exceeds its inlining budget (measured: the
    // loops then ran 10-40x slower, boxing vectors). Each returns the index where its scalar tail starts.

    /** {@code out[oo + i] = op(x[xo + i])} for {@code i < n}. */
    static void unary(Unary op, float[] x, int xo, float[] out, int oo, int n) {
        int i = switch (op) {
            case NEG -> neg(x, xo, out, oo, n);
            case EXP -> exp(x, xo, out, oo, n);
            case LOG -> 0;   // all scalar: see the class comment
            case SQRT -> sqrt(x, xo, out, oo, n);
            case ABS -> abs(x, xo, out, oo, n);
            case RELU -> relu(x, xo, out, oo, n);
            case SIGMOID -> sigmoid(x, xo, out, oo, n);
            case TANH -> tanh(x, xo, out, oo, n);
            case ERF -> erf(x, xo, out, oo, n);
            case GELU -> gelu(x, xo, out, oo, n);
            case GELU_TANH -> geluTanh(x, xo, out, oo, n);
        };
        if (i < n) Elementwise.unaryScalar(op, x, xo + i, out, oo + i, n - i);
    }

    /** {@link Elementwise#unaryGrad}. */
    static void unaryGrad(Elementwise.UnaryGrad op, float[] g, int go, float[] v, int vo, float[] out, int oo, int n) {
        int i = switch (op) {
            case RELU -> reluGrad(g, go, v, vo, out, oo, n);
            case SIGMOID -> sigmoidGrad(g, go, v, vo, out, oo, n);
            case TANH -> tanhGrad(g, go, v, vo, out, oo, n);
            case GELU -> geluGrad(g, go, v, vo, out, oo, n);
            case GELU_TANH -> geluTanhGrad(g, go, v, vo, out, oo, n);
        };
        if (i < n) Elementwise.unaryGradScalar(op, g, go + i, v, vo + i, out, oo + i, n - i);
    }

    /**
     * Exact GELU's derivative, {@code g (Φ(x) + x φ(x))}, with Φ and φ sharing one Gaussian, e^(-x²/2).
     * The helpers come first, in this order, and only Vector API calls on vectors follow them: see
     * {@link #gelu(float[], int, float[], int, int)}.
     */
    private static int geluGrad(float[] g, int go, float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            FloatVector p = lowerTailPolynomial(xv);
            FloatVector gauss = gaussian(xv);
            FloatVector tail = gauss.mul(p);
            FloatVector cdf = tail.blend(ONE.sub(tail), xv.compare(VectorOperators.GT, ZERO));
            FloatVector gv = FloatVector.fromArray(S, g, go + i);
            gv.mul(xv.fma(gauss.mul(V_INV_SQRT_2PI), cdf)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int geluTanhGrad(float[] g, int go, float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            load(g, go + i).mul(geluTanhGrad(load(x, xo + i))).intoArray(out, oo + i);
        }
        return i;
    }

    private static int reluGrad(float[] g, int go, float[] v, int vo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector y = load(v, vo + i);
            load(g, go + i).blend(0f, y.compare(VectorOperators.LE, 0f)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int sigmoidGrad(float[] g, int go, float[] v, int vo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector y = load(v, vo + i);
            load(g, go + i).mul(c(1f).sub(y).mul(y)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int tanhGrad(float[] g, int go, float[] v, int vo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector y = load(v, vo + i);
            load(g, go + i).mul(c(1f).sub(y.mul(y))).intoArray(out, oo + i);
        }
        return i;
    }

    private static int neg(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(x, xo + i).neg().intoArray(out, oo + i);
        return i;
    }

    private static int exp(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            VectorMath.exp(load(x, xo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int sqrt(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(x, xo + i).sqrt().intoArray(out, oo + i);
        return i;
    }

    private static int abs(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(x, xo + i).abs().intoArray(out, oo + i);
        return i;
    }

    /** max(x, 0) as Math.max: NaN stays NaN, -0 becomes 0. */
    private static int relu(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(x, xo + i).max(0f).intoArray(out, oo + i);
        return i;
    }

    private static int sigmoid(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) sigmoid(load(x, xo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int tanh(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            VectorMath.tanh(load(x, xo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int erf(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) erf(load(x, xo + i)).intoArray(out, oo + i);
        return i;
    }

    /**
     * Exact GELU x Φ(x). The standard normal CDF Φ(x) comes from the lower tail ½ erfc(|x|/√2) = e^(-x²/2) P(t)
     * ({@link #gaussian}, {@link #lowerTailPolynomial}): that is Φ for x <= 0, where it keeps its relative
     * accuracy (1 + erf(x/√2) would cancel), and 1 - tail for x > 0. One branch: every lane evaluates one
     * division, one polynomial and one exponential.
     *
     * <p>C2 stops inlining methods other than the Vector API's own once a compilation has
     * parsed about 18,000 IR nodes (NodeCountInliningCutoff), and each Vector API operation parses to a few
     * hundred, so one {@link VectorMath#exp} is most of that budget. A helper reached after it becomes a call
     * that boxes its vectors, several times slower (measured: 6.5 ns per element instead of 2). So the loop
     * calls its helpers first, the exponential's last, and finishes with Vector API calls only.
     */
    private static int gelu(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            FloatVector p = lowerTailPolynomial(xv);
            FloatVector gauss = gaussian(xv);
            FloatVector tail = gauss.mul(p);
            FloatVector cdf = tail.blend(ONE.sub(tail), xv.compare(VectorOperators.GT, ZERO));
            xv.mul(cdf).intoArray(out, oo + i);
        }
        return i;
    }

    private static int geluTanh(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) geluTanh(load(x, xo + i)).intoArray(out, oo + i);
        return i;
    }

    /**
     * {@code out[oo + i] = a[ao + i*as] (op) b[bo + i*bs]}: vectorized for strides (1, 1), (1, 0) and (0, 1)
     * and every op but POW; other strides, POW and the tail go to {@link Elementwise#binaryScalar}.
     */
    static void binary(Binary op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        int i = 0;
        if (n > 0 && op != Binary.POW) {
            if (as == 1 && bs == 1) {
                i = binaryVV(op, a, ao, b, bo, out, oo, n);
            } else if (as == 1 && bs == 0) {
                i = binaryVS(op, a, ao, b[bo], out, oo, n, false);
            } else if (as == 0 && bs == 1) {
                i = binaryVS(op, b, bo, a[ao], out, oo, n, true);
            }
        }
        if (i < n) Elementwise.binaryScalar(op, a, ao + i * as, as, b, bo + i * bs, bs, out, oo + i, n - i);
    }

    private static int binaryVV(Binary op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        return switch (op) {
            case ADD -> addVV(a, ao, b, bo, out, oo, n);
            case SUB -> subVV(a, ao, b, bo, out, oo, n);
            case MUL -> mulVV(a, ao, b, bo, out, oo, n);
            case DIV -> divVV(a, ao, b, bo, out, oo, n);
            case MAXIMUM -> maxVV(a, ao, b, bo, out, oo, n);
            case MINIMUM -> minVV(a, ao, b, bo, out, oo, n);
            case POW -> 0;
        };
    }

    /** A vector against a scalar {@code s}; {@code scalarFirst} computes {@code s op v} instead of {@code v op s}. */
    private static int binaryVS(Binary op, float[] v, int vo, float s, float[] out, int oo, int n, boolean scalarFirst) {
        return switch (op) {
            case ADD -> addVS(v, vo, s, out, oo, n);
            case MUL -> mulVS(v, vo, s, out, oo, n);
            case MAXIMUM -> maxVS(v, vo, s, out, oo, n);
            case MINIMUM -> minVS(v, vo, s, out, oo, n);
            case SUB -> scalarFirst ? rsubVS(v, vo, s, out, oo, n) : subVS(v, vo, s, out, oo, n);
            case DIV -> scalarFirst ? rdivVS(v, vo, s, out, oo, n) : divVS(v, vo, s, out, oo, n);
            case POW -> 0;
        };
    }

    private static int addVV(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(a, ao + i).add(load(b, bo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int subVV(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(a, ao + i).sub(load(b, bo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int mulVV(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(a, ao + i).mul(load(b, bo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int divVV(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(a, ao + i).div(load(b, bo + i)).intoArray(out, oo + i);
        return i;
    }

    /** Math.max semantics lane by lane (NaN wins, 0 > -0), as torch.maximum. */
    private static int maxVV(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(a, ao + i).max(load(b, bo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int minVV(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(a, ao + i).min(load(b, bo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int addVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(v, vo + i).add(s).intoArray(out, oo + i);
        return i;
    }

    private static int subVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(v, vo + i).sub(s).intoArray(out, oo + i);
        return i;
    }

    private static int rsubVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        FloatVector sv = c(s);
        for (int bound = S.loopBound(n); i < bound; i += S.length()) sv.sub(load(v, vo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int mulVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(v, vo + i).mul(s).intoArray(out, oo + i);
        return i;
    }

    private static int divVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(v, vo + i).div(s).intoArray(out, oo + i);
        return i;
    }

    private static int rdivVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        FloatVector sv = c(s);
        for (int bound = S.loopBound(n); i < bound; i += S.length()) sv.div(load(v, vo + i)).intoArray(out, oo + i);
        return i;
    }

    private static int maxVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(v, vo + i).max(s).intoArray(out, oo + i);
        return i;
    }

    private static int minVS(float[] v, int vo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) load(v, vo + i).min(s).intoArray(out, oo + i);
        return i;
    }

    /** 1 / (1 + e^-x). */
    static FloatVector sigmoid(FloatVector x) {
        return ONE.div(VectorMath.exp(x.neg()).add(1f));
    }

    // erf(x) = x (c0 + s R(s)) with s = x², for |x| < 1: R is a degree-5 least-squares fit of
    // (erf(√s)/√s - c0)/s on s in [0, 1] in double (weighted for relative error), rounded to float; c0 is
    // split into float hi + lo so the leading term carries no rounding of its own. Measured against
    // Elementwise.erf: below 1.4 ulps (ElementwiseVectorTest).
    private static final float C0_HI = 1.128379107e+00f, C0_LO = 5.915930990e-08f;
    private static final float R0 = -3.761262596e-01f, R1 = 1.128358170e-01f, R2 = -2.685366571e-02f,
            R3 = 5.188052543e-03f, R4 = -8.007789147e-04f, R5 = 7.845956861e-05f;

    // erfc(a) = e^(-a²) Q(t) with t = 1 / (1 + a/2), for a >= 1: Q is a degree-8 least-squares fit of the
    // scaled complementary error function erfcx(a) = e^(a²) erfc(a) in t on a in [1, ∞) (t in (0, 2/3]),
    // the form of Abramowitz & Stegun 7.1.26 with more terms. Relative error below 4e-7 up to a = 9.
    private static final float Q0 = 8.913627614e-10f, Q1 = 2.820944190e-01f, Q2 = 2.821169198e-01f,
            Q3 = 2.463536710e-01f, Q4 = 1.813305616e-01f, Q5 = 5.487172678e-02f, Q6 = 9.098600596e-02f,
            Q7 = -2.326389253e-01f, Q8 = 9.547758102e-02f;

    /** Beyond this a, e^(-a²) underflows float (e^-110 = 1.6e-48): clamping keeps inf from making NaN. */
    private static final float ERFC_CLAMP = 10.5f;

    /** erf(x) for |x| < 1, given s = x². */
    private static FloatVector erfSmall(FloatVector x, FloatVector s) {
        FloatVector r = s.fma(V_R5, V_R4).fma(s, V_R3).fma(s, V_R2).fma(s, V_R1).fma(s, V_R0);
        return x.fma(V_C0_HI, x.mul(s.fma(r, V_C0_LO)));
    }

    /**
     * erfc(a) for 1 <= a <= ERFC_CLAMP, given a² as the exact sum hi + lo: e^(-(hi+lo)) = e^-hi (1 - lo) to
     * within lo²/2, so the rounding of a² (up to 3e-6 absolute near a = 10) does not reach e^(-a²).
     */
    private static FloatVector erfcLarge(FloatVector a, FloatVector hi, FloatVector lo) {
        FloatVector t = ONE.div(a.fma(HALF, ONE));
        FloatVector q = t.fma(V_Q8, V_Q7).fma(t, V_Q6).fma(t, V_Q5).fma(t, V_Q4).fma(t, V_Q3)
                .fma(t, V_Q2).fma(t, V_Q1).fma(t, V_Q0);
        return VectorMath.expNoOverflow(hi.neg()).mul(ONE.sub(lo)).mul(q);
    }

    static FloatVector erf(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector small = erfSmall(x, x.mul(x));
        FloatVector ac = VectorMath.minConst(a, ERFC_CLAMP);
        FloatVector hi = ac.mul(ac);
        FloatVector large = ONE.sub(erfcLarge(ac, hi, ac.fma(ac, hi.neg())));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        return small.blend(large, a.compare(VectorOperators.GE, 1f));
    }

    // Φ(x) = ½ erfc(-x/√2) for every x from one fit. With a = |x|/√2, ½ erfc(a) = e^(-a²) P(t), t = 1 / (1 + a/2)
    // in (0, 1], where 2P is a degree-10 fit of the scaled complementary error function erfcx(a) = e^(a²) erfc(a)
    // on a in [0, 10.5] (the form of Abramowitz & Stegun 7.1.26, carried to float accuracy): relative error 2e-8
    // with the coefficients rounded to float (fitted one by one, each refit after the ones above it were
    // rounded), 2.6 ulps evaluated in float. The coefficients are halved, which is exact.
    private static final float P0 = 3.761448625e-06f, P1 = 1.409350634e-01f, P2 = 1.425064504e-01f,
            P3 = 1.125622913e-01f, P4 = 1.393436342e-01f, P5 = -1.176837608e-01f, P6 = 3.283064365e-01f,
            P7 = -4.682091177e-01f, P8 = 3.098419607e-01f, P9 = -1.007445902e-01f, P10 = 1.313787419e-02f;

    /** Beyond this |x|, e^(-x²/2) is 0 in float (e^-110 = 1.6e-48): the clamp keeps x² from overflowing. */
    private static final float GAUSSIAN_CLAMP = 14.85f;

    /**
     * e^(-x²/2), with x² split exactly into hi + lo: e^(-(hi+lo)/2) = e^(-hi/2) (1 - lo/2) to within lo²/8, so the
     * rounding of x² (up to 6e-6 absolute near |x| = 15) does not reach the exponential in the tail.
     */
    private static FloatVector gaussian(FloatVector x) {
        FloatVector xc = VectorMath.minConst(x.abs(), GAUSSIAN_CLAMP);
        FloatVector hi = xc.mul(xc);
        FloatVector lo = xc.fma(xc, hi.neg());
        return VectorMath.expNoOverflow(hi.mul(MINUS_HALF)).mul(lo.fma(MINUS_HALF, ONE));
    }

    /**
     * P(t) with t = 1 / (1 + |x|/(2√2)): the lower tail ½ erfc(|x|/√2) over e^(-x²/2). Estrin's scheme (pairs, then
     * powers t², t⁴, t⁸) instead of Horner's: four dependent fmas deep instead of ten. The loops are latency-bound,
     * not throughput-bound (see VectorMath's exp), so this made GELU's forward 5% and its
     * derivative 14% faster per element, with the same worst error (6 ulps, ElementwiseVectorTest).
     */
    private static FloatVector lowerTailPolynomial(FloatVector x) {
        FloatVector t = ONE.div(x.abs().fma(V_HALF_SQRT1_2, ONE));
        FloatVector t2 = t.mul(t), t4 = t2.mul(t2), t8 = t4.mul(t4);
        FloatVector p01 = t.fma(V_P1, V_P0), p23 = t.fma(V_P3, V_P2), p45 = t.fma(V_P5, V_P4);
        FloatVector p67 = t.fma(V_P7, V_P6), p89 = t.fma(V_P9, V_P8);
        FloatVector p03 = p23.fma(t2, p01), p47 = p67.fma(t2, p45), p810 = t2.fma(V_P10, p89);
        return p810.fma(t8, p47.fma(t4, p03));
    }

    /**
     * d/dx of the tanh-approximated GELU, ½(1 + tanh u) + ½ x (1 - tanh² u) u' with u' = √(2/π)(1 + 3·0.044715 x²),
     * written with s = ½(1 + tanh u) = 1 / (1 + e^(-2u)) and t = 1 - s = 1 / (1 + e^(2u)), 1 - tanh² u = 4 s t:
     * s + 2 x s t u'. Taking the smaller of s and t from the exponential rather than as 1 minus the larger keeps
     * its relative accuracy where the larger rounds to 1 (|x| > 4), and 1 + tanh u does not cancel for negative x.
     */
    static FloatVector geluTanhGrad(FloatVector xIn) {
        // Past |x| = 30, s t is exactly 0; the clamp keeps x² from overflowing to inf (inf · 0).
        FloatVector x = VectorMath.minConst(VectorMath.maxConst(xIn, -30f), 30f);
        FloatVector x2 = x.mul(x);
        FloatVector twoU = x.mul(x2.fma(V_TWO_SQRT_2_OVER_PI_K, V_TWO_SQRT_2_OVER_PI));
        // One exponential, e = e^(-|2u|) in (0, 1]: the larger of s and t is 1 / (1 + e), the smaller e times that.
        // Its relative accuracy holds where 1 / (1 + e^|2u|) would be 0 (e^|2u| overflows past |2u| = 88.7,
        // while e^(-|2u|) still has subnormal digits down to |2u| = 104). A second exponential would also
        // exceed what C2 inlines into one compilation (see gelu).
        FloatVector e = VectorMath.expNoOverflow(twoU.abs().neg());
        FloatVector larger = ONE.div(e.add(ONE));
        FloatVector smaller = e.mul(larger);
        VectorMask<Float> negative = twoU.compare(VectorOperators.LT, ZERO);
        FloatVector s = larger.blend(smaller, negative);
        FloatVector t = smaller.blend(larger, negative);
        FloatVector twoDu = x2.fma(V_THREE_K2, V_TWO_SQRT_2_OVER_PI);   // 2 u'
        // + xIn·0: NaN at x = ±inf, where ATen's (and the scalar reference's) ½ x (1 - tanh²) u' is inf · 0.
        return x.mul(twoDu).mul(s.mul(t)).add(s).add(xIn.mul(ZERO));
    }

    private static final float TWO_SQRT_2_OVER_PI = 1.5957691f;          // 2 √(2/π)
    private static final float TWO_SQRT_2_OVER_PI_K = 1.5957691f * 0.044715f;

    /** tanh-approximated GELU as x / (1 + e^(-2u)), 2u = 2√(2/π) x (1 + 0.044715 x²): no cancellation. */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector twoU = x.mul(x.mul(x).fma(V_TWO_SQRT_2_OVER_PI_K, V_TWO_SQRT_2_OVER_PI));
        return x.div(VectorMath.exp(twoU.neg()).add(1f));
    }

    // Vector constants, broadcast once: a broadcast per use costs C2 enough IR nodes that large kernels
    // (GELU and its derivative inline erf, erfc and exp) hit its inlining cutoff and fall back to boxed calls.
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector V_R5 = FloatVector.broadcast(S, R5);
    private static final FloatVector V_R4 = FloatVector.broadcast(S, R4);
    private static final FloatVector V_R3 = FloatVector.broadcast(S, R3);
    private static final FloatVector V_R2 = FloatVector.broadcast(S, R2);
    private static final FloatVector V_R1 = FloatVector.broadcast(S, R1);
    private static final FloatVector V_R0 = FloatVector.broadcast(S, R0);
    private static final FloatVector V_C0_HI = FloatVector.broadcast(S, C0_HI);
    private static final FloatVector V_C0_LO = FloatVector.broadcast(S, C0_LO);
    private static final FloatVector HALF = FloatVector.broadcast(S, 0.5f);
    private static final FloatVector V_Q8 = FloatVector.broadcast(S, Q8);
    private static final FloatVector V_Q7 = FloatVector.broadcast(S, Q7);
    private static final FloatVector V_Q6 = FloatVector.broadcast(S, Q6);
    private static final FloatVector V_Q5 = FloatVector.broadcast(S, Q5);
    private static final FloatVector V_Q4 = FloatVector.broadcast(S, Q4);
    private static final FloatVector V_Q3 = FloatVector.broadcast(S, Q3);
    private static final FloatVector V_Q2 = FloatVector.broadcast(S, Q2);
    private static final FloatVector V_Q1 = FloatVector.broadcast(S, Q1);
    private static final FloatVector V_Q0 = FloatVector.broadcast(S, Q0);
    private static final FloatVector V_P10 = FloatVector.broadcast(S, P10);
    private static final FloatVector V_P9 = FloatVector.broadcast(S, P9);
    private static final FloatVector V_P8 = FloatVector.broadcast(S, P8);
    private static final FloatVector V_P7 = FloatVector.broadcast(S, P7);
    private static final FloatVector V_P6 = FloatVector.broadcast(S, P6);
    private static final FloatVector V_P5 = FloatVector.broadcast(S, P5);
    private static final FloatVector V_P4 = FloatVector.broadcast(S, P4);
    private static final FloatVector V_P3 = FloatVector.broadcast(S, P3);
    private static final FloatVector V_P2 = FloatVector.broadcast(S, P2);
    private static final FloatVector V_P1 = FloatVector.broadcast(S, P1);
    private static final FloatVector V_P0 = FloatVector.broadcast(S, P0);
    private static final FloatVector V_HALF_SQRT1_2 = FloatVector.broadcast(S, 0.35355339f);   // 1 / (2√2)
    private static final FloatVector V_INV_SQRT_2PI = FloatVector.broadcast(S, 0.39894228f);  // 1 / √(2π)
    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector MINUS_HALF = FloatVector.broadcast(S, -0.5f);
    private static final FloatVector V_TWO_SQRT_2_OVER_PI_K = FloatVector.broadcast(S, TWO_SQRT_2_OVER_PI_K);
    private static final FloatVector V_TWO_SQRT_2_OVER_PI = FloatVector.broadcast(S, TWO_SQRT_2_OVER_PI);
    private static final FloatVector V_THREE_K2 = FloatVector.broadcast(S, 3f * TWO_SQRT_2_OVER_PI_K);
}
