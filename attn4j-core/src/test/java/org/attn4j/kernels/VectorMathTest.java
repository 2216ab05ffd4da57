package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** VectorMath's exp, tanh and lane sum against java.lang.Math in double, and their special values. */
class VectorMathTest {
    private static final jdk.incubator.vector.VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static double ulps(float actual, double exact) {
        float e = (float) exact;
        if (e == actual) return 0;
        return Math.abs(actual - exact) / Math.ulp(e == 0 ? Float.MIN_NORMAL : e);
    }

    @Test
    void expIsWithinTwoUlpAndHandlesTheEdges() {
        float[] in = new float[S.length()], out = new float[S.length()];
        double worst = 0;
        for (int k = 0; k < 200_000; k++) {
            float x = -87f + 175.5f * k / 200_000f;
            java.util.Arrays.fill(in, x);
            VectorMath.exp(FloatVector.fromArray(S, in, 0)).intoArray(out, 0);
            worst = Math.max(worst, ulps(out[0], Math.exp(x)));
        }
        assertTrue(worst <= 2, "exp worst error " + worst + " ulp");
        float[] edge = {Float.NEGATIVE_INFINITY, -200f, 0f, 100f, Float.POSITIVE_INFINITY, Float.NaN, -1e-30f, 1f};
        float[] wide = java.util.Arrays.copyOf(edge, Math.max(edge.length, S.length()));
        float[] res = new float[wide.length];
        for (int i = 0; i + S.length() <= wide.length; i += S.length()) {
            VectorMath.exp(FloatVector.fromArray(S, wide, i)).intoArray(res, i);
        }
        if (S.length() >= 8) {
            assertEquals(0f, res[0]);
            assertEquals(0f, res[1]);
            assertEquals(1f, res[2]);
            assertEquals(Float.POSITIVE_INFINITY, res[3]);
            assertEquals(Float.POSITIVE_INFINITY, res[4]);
            assertTrue(Float.isNaN(res[5]));
            assertEquals(1f, res[6]);
            assertEquals((float) Math.E, res[7], Math.ulp((float) Math.E) * 2);
        }
    }

    @Test
    void constantClampsGiveTheLanesOfMinAndMax() {
        // minConst / maxConst replace lanewise MIN / MAX against non-zero constants in exp, tanh and GELU.
        float[] cs = {-104f, 89f, 9f, 10.5f, -30f, 30f};
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (float c : cs) {
            float[] in = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f, c, Math.nextUp(c),
                Math.nextDown(c), -c, Float.MIN_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE, 1f, -1f, 0.5f, -0.5f};
            in = java.util.Arrays.copyOf(in, Math.max(in.length, S.length()) / S.length() * S.length() + S.length());
            for (int i = 16; i < in.length; i++) in[i] = (float) r.nextDouble(-200, 200);
            float[] mn = new float[in.length], mx = new float[in.length], wantMin = new float[in.length], wantMax = new float[in.length];
            for (int i = 0; i + S.length() <= in.length; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, in, i);
                VectorMath.minConst(v, c).intoArray(mn, i);
                VectorMath.maxConst(v, c).intoArray(mx, i);
                v.min(c).intoArray(wantMin, i);
                v.max(c).intoArray(wantMax, i);
            }
            for (int i = 0; i < in.length; i++) {
                assertEquals(Float.floatToIntBits(wantMin[i]), Float.floatToIntBits(mn[i]), "min(" + in[i] + ", " + c + ")");
                assertEquals(Float.floatToIntBits(wantMax[i]), Float.floatToIntBits(mx[i]), "max(" + in[i] + ", " + c + ")");
            }
        }
    }

    @Test
    void theConstantSpeciesExpGivesTheBitsOfTheGenericOne() {
        // exp's fast path for the preferred species duplicates expAnyShape's operations; they must not drift.
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] in = new float[S.length() * 4096], a = new float[in.length], b = new float[in.length];
        float[] special = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -104f, -103.99f, 88.72284f, 88.7229f,
            89f, -150f, 0f, -0f, 1e-30f, -87.3f, -88f};
        for (int i = 0; i < in.length; i++) in[i] = i < special.length ? special[i] : (float) r.nextDouble(-120, 95);
        for (int i = 0; i < in.length; i += S.length()) {
            VectorMath.exp(FloatVector.fromArray(S, in, i)).intoArray(a, i);
            VectorMath.expAnyShape(FloatVector.fromArray(S, in, i)).intoArray(b, i);
        }
        for (int i = 0; i < in.length; i++) {
            assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), "exp(" + in[i] + ")");
        }
    }

    /**
     * expNoOverflow against exp over every 241st float bit pattern up to 88.72 (9 million inputs, all of the
     * negative range's exponents), the specials included: the same bits, and NaN for NaN.
     */
    @Test
    void expNoOverflowGivesExpsBitsBelowOverflow() {
        int block = S.length() * 1024;
        float[] in = new float[block];
        float[] special = {Float.NaN, Float.NEGATIVE_INFINITY, -104f, -103.99f, 88.72284f, -150f, 0f, -0f, -1e-30f, -87.3f};
        System.arraycopy(special, 0, in, 0, special.length);
        int filled = special.length;
        long checked = 0;
        for (long bits = 0; bits <= 0xFFFFFFFFL; bits += 241) {
            float x = Float.intBitsToFloat((int) bits);
            if (!(x <= 88.72284f)) continue;
            in[filled++] = x;
            if (filled == block) {
                checked += compareExpNoOverflow(in);
                filled = 0;
            }
        }
        java.util.Arrays.fill(in, filled, block, 0f);
        checked += compareExpNoOverflow(in);
        assertTrue(checked > 8_000_000, "checked " + checked);
    }

    /** Compares expNoOverflow with exp on {@code in} (a whole number of vectors); returns how many inputs. */
    private static int compareExpNoOverflow(float[] in) {
        float[] a = new float[in.length], b = new float[in.length];
        for (int i = 0; i < in.length; i += S.length()) {
            VectorMath.exp(FloatVector.fromArray(S, in, i)).intoArray(a, i);
            VectorMath.expNoOverflow(FloatVector.fromArray(S, in, i)).intoArray(b, i);
        }
        for (int i = 0; i < in.length; i++) {
            if (Float.isNaN(in[i])) {
                assertTrue(Float.isNaN(b[i]), "expNoOverflow(NaN) = " + b[i]);
            } else if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                assertEquals(a[i], b[i], "expNoOverflow(" + in[i] + ")");
            }
        }
        return in.length;
    }

    @Test
    void tanhIsWithinFourUlp() {
        float[] in = new float[S.length()], out = new float[S.length()];
        double worst = 0;
        for (int k = 0; k < 200_000; k++) {
            float x = -12f + 24f * k / 200_000f;
            java.util.Arrays.fill(in, x);
            VectorMath.tanh(FloatVector.fromArray(S, in, 0)).intoArray(out, 0);
            worst = Math.max(worst, ulps(out[0], Math.tanh(x)));
        }
        assertTrue(worst <= 4, "tanh worst error " + worst + " ulp");
    }

    @Test
    void sumLanesAddsInAFixedButterflyOrder() {
        float[] v = new float[S.length()];
        for (int i = 0; i < v.length; i++) v[i] = 1f / (i + 1);
        // The butterfly pairs lane i with lane i + L/2 first, then i + L/4, ...
        float[] w = v.clone();
        for (int half = w.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) w[i] = w[i] + w[i + half];
        }
        assertEquals(w[0], VectorMath.sumLanes(FloatVector.fromArray(S, v, 0)), 0f);
    }
}
