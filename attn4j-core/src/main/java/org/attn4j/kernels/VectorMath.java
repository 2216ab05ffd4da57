package org.attn4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental functions and lane sums for the Vector API kernels, built only from IEEE-exact lanewise
 * operations (add, mul, fma, compare, blend, shifts, shuffles), so they give bit-identical results in every
 * execution mode.
 *
 * <p>Why not {@code lanewise(EXP)} or {@code reduceLanes(ADD)}: the Vector API computes those with different
 * algorithms in the interpreter (per-lane {@code Math.exp}, left-to-right sums) and in C2-compiled code (SVML
 * approximations, a tree of shuffles), so the first call of a model — still interpreted — produced logits a few
 * ulps away from later calls. attn4j promises identical results for the same inputs and thread count, so its
 * kernels use these instead.
 */
public final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split so that n·LN2_HI is exact for |n| < 2^11 (Cody and Waite's reduction, as in Cephes' expf).
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5·2^23: adding and subtracting it rounds to an integer
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    // Cephes' expf: e^r = 1 + r + r² (Q0 + Q1 r + ... + Q5 r⁵) for |r| <= ln2/2.
    private static final float EXP_Q0 = 5.0000001201e-1f, EXP_Q1 = 1.6666665459e-1f, EXP_Q2 = 4.1665795894e-2f,
            EXP_Q3 = 8.3334519073e-3f, EXP_Q4 = 1.3981999507e-3f, EXP_Q5 = 1.9875691500e-4f;

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    /**
     * e^x per lane, within 2 ulp of the correctly rounded result for normal outputs; 0 below -104, +inf above
     * 89, NaN for NaN. Cephes' expf: e^x = 2^n · e^r with |r| <= ln2/2 and a degree-7 polynomial for e^r.
     *
     * <p>For the preferred species (every attn4j kernel's) the species are static constants: with species
     * obtained at run time ({@link #expAnyShape}, same operations and bits) C2 does not intrinsify the
     * conversions and broadcasts, and exp ran ~3.5x slower (measured on AVX2, 5.5 against 1.6 ns per element).
     */
    public static FloatVector exp(FloatVector x) {
        if (x.species() != FS) return expAnyShape(x);
        FloatVector result = expOfClamped(minConst(maxConst(x, -104f), 89f));
        // Below -104 the true value underflows to 0 in float; above 89 it overflows.
        result = result.blend(0f, x.compare(VectorOperators.LT, -104f));
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72284f));
        return result.blend(x, x.compare(VectorOperators.NE, x));   // NaN in, NaN out
    }

    /**
     * {@link #exp} for arguments that cannot overflow, x <= 88.72 (softmax's x - max <= 0, a Gaussian's -x²/2):
     * the same bits as exp for every such x, 0 for -inf, NaN for NaN (not necessarily the same NaN). It leaves
     * out the upper clamp and the overflow and NaN blends, 6 of exp's ~35 instructions: NaN propagates through
     * the arithmetic by itself. Larger x give undefined results.
     */
    public static FloatVector expNoOverflow(FloatVector x) {
        return expOfClamped(maxConst(x, -104f)).blend(0f, x.compare(VectorOperators.LT, -104f));
    }

    /**
     * e^xc for xc in [-104, 89] (NaN passes through as NaN), the preferred species: Cephes' expf reduction
     * e^x = 2^n · e^r and its polynomial, shared by {@link #exp} and {@link #expNoOverflow}. Called first in
     * both, so that C2 inlines it wherever they are inlined.
     */
    private static FloatVector expOfClamped(FloatVector xc) {
        // The loops that call exp are latency-bound (one exp's chain is ~40 cycles deep and the FP scheduler holds
        // about two of them), so every step below is written for a short dependency chain: fmas instead of mul +
        // add, the polynomial by Estrin's scheme, and the final + 1 folded into the scaling.
        FloatVector nr = xc.fma(FloatVector.broadcast(FS, LOG2E), FloatVector.broadcast(FS, ROUND));   // ROUND + n
        FloatVector n = nr.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(FS, -LN2_HI), xc);   // exact: n·LN2_HI has few enough bits
        r = n.fma(FloatVector.broadcast(FS, -LN2_LO), r);
        // e^r - 1 = r + r² q(r) with q(r) = (a r² + b) r² + c.
        FloatVector r2 = r.mul(r);
        FloatVector a = r.fma(FloatVector.broadcast(FS, EXP_Q5), FloatVector.broadcast(FS, EXP_Q4));
        FloatVector b = r.fma(FloatVector.broadcast(FS, EXP_Q3), FloatVector.broadcast(FS, EXP_Q2));
        FloatVector c = r.fma(FloatVector.broadcast(FS, EXP_Q1), FloatVector.broadcast(FS, EXP_Q0));
        FloatVector em1 = a.fma(r2, b).fma(r2, c).fma(r2, r);           // e^r - 1
        // 2^n as two factors so that n down to -150 stays in the normal exponent range of each. n as an int is
        // read off nr's bits (|n| < 2^22), not converted: F2I's saturation checks cost more than the subtraction.
        IntVector ni = nr.reinterpretAsInts().sub(ROUND_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        // (e^r - 1) s1 + s1 rounds once, to round(e^r) s1: s1 >= 2^-75 is a normal power of two.
        return em1.fma(s1, s1).mul(s2);
    }

    /** {@link #exp} for any vector shape: the same operations, species taken from x at run time. */
    static FloatVector expAnyShape(FloatVector x) {
        FloatVector xc = minConst(maxConst(x, -104f), 89f);
        VectorSpecies<Float> fs = x.species();
        FloatVector nr = xc.fma(FloatVector.broadcast(fs, LOG2E), FloatVector.broadcast(fs, ROUND));
        FloatVector n = nr.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(fs, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(fs, -LN2_LO), r);
        FloatVector r2 = r.mul(r);
        FloatVector a = r.fma(FloatVector.broadcast(fs, EXP_Q5), FloatVector.broadcast(fs, EXP_Q4));
        FloatVector b = r.fma(FloatVector.broadcast(fs, EXP_Q3), FloatVector.broadcast(fs, EXP_Q2));
        FloatVector c = r.fma(FloatVector.broadcast(fs, EXP_Q1), FloatVector.broadcast(fs, EXP_Q0));
        FloatVector em1 = a.fma(r2, b).fma(r2, c).fma(r2, r);
        IntVector ni = nr.reinterpretAsInts().sub(ROUND_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector result = em1.fma(s1, s1).mul(s2);
        // Below -104 the true value underflows to 0 in float; above 89 it overflows.
        result = result.blend(0f, x.compare(VectorOperators.LT, -104f));
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72284f));
        return result.blend(x, x.compare(VectorOperators.NE, x));
    }

    /**
     * {@code min(x, c)} per lane for a constant c that is neither NaN nor zero: the same lanes as lanewise
     * {@code MIN} (a NaN lane stays NaN), as one compare and one blend. C2 compiles {@code MIN} and {@code MAX}
     * on AVX2 with Java's NaN and signed-zero rules as three blends and a compare around the minps, which made
     * exp's two clamps a fifth of its instructions. (With c = ±0 the two differ on min(+0, -0).)
     */
    static FloatVector minConst(FloatVector x, float c) {
        return x.blend(c, x.compare(VectorOperators.GT, c));
    }

    /** {@code max(x, c)} as {@link #minConst} describes. */
    static FloatVector maxConst(FloatVector x, float c) {
        return x.blend(c, x.compare(VectorOperators.LT, c));
    }

    /**
     * tanh per lane within a few ulp: Cephes' odd polynomial for |x| < 0.625, {@code 1 - 2/(e^{2|x|} + 1)} with the
     * sign restored above, ±1 beyond 9.
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = z.mul(-5.70498872745e-3f).add(2.06390887954e-2f);
        p = p.fma(z, FloatVector.broadcast(p.species(), -5.37397155531e-2f));
        p = p.fma(z, FloatVector.broadcast(p.species(), 1.33314422036e-1f));
        p = p.fma(z, FloatVector.broadcast(p.species(), -3.33332819422e-1f));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector e = exp(minConst(ax, 9f).mul(2f));
        FloatVector big = FloatVector.broadcast(x.species(), 1f).sub(FloatVector.broadcast(x.species(), 2f).div(e.add(1f)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        VectorMask<Float> useSmall = ax.compare(VectorOperators.LT, 0.625f);
        FloatVector r = big.blend(small, useSmall);
        return r.blend(x, x.compare(VectorOperators.NE, x));
    }

    private static final java.util.concurrent.ConcurrentHashMap<Integer, VectorShuffle<Float>[]> SHUFFLES =
            new java.util.concurrent.ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterflies(VectorSpecies<Float> s) {
        return SHUFFLES.computeIfAbsent(s.length(), len -> {
            int steps = Integer.numberOfTrailingZeros(len);
            VectorShuffle<Float>[] out = new VectorShuffle[steps];
            for (int k = 0; k < steps; k++) {
                int bit = len >> (k + 1);
                out[k] = VectorShuffle.fromOp(s, i -> i ^ bit);
            }
            return out;
        });
    }

    /**
     * The sum of the lanes in one fixed order (a butterfly: halves, then quarters, ...), the same in every
     * execution mode; use instead of {@code reduceLanes(ADD)}.
     */
    public static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> sh : butterflies(v.species())) v = v.add(v.rearrange(sh));
        return v.lane(0);
    }
}
