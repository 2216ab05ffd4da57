package org.attn4j.io;

/**
 * Conversions between float32 and the narrower floating-point formats tensors are stored in.
 *
 * <ul>
 *   <li>IEEE 754 binary16 (F16): 1 sign, 5 exponent (bias 15), 10 mantissa bits, with subnormals,
 *       infinities and NaN. Delegates to {@link Float#float16ToFloat} and {@link Float#floatToFloat16}
 *       (JDK 20+, exact IEEE semantics, round to nearest even, intrinsics on x86 F16C).</li>
 *   <li>bfloat16 (BF16): the top 16 bits of a float32. Widening is a shift. Narrowing rounds to nearest,
 *       ties to even, like PyTorch's {@code c10::BFloat16} ({@code round_to_nearest_even}): add
 *       {@code 0x7FFF} plus the lowest kept bit, then truncate. Overflow rounds to infinity as RNE
 *       requires; NaN stays a quiet NaN with its sign (truncation alone could turn a NaN whose payload
 *       sits only in the low bits into infinity).</li>
 *   <li>float8 (widening only): E5M2 is the top byte of a binary16; E4M3FN (bias 7, no infinities,
 *       {@code S.1111.111} is NaN, max 448) as in PyTorch's {@code float8_e4m3fn}; E8M0 (OCP MX scale:
 *       {@code 2^(e-127)}, {@code 0xFF} is NaN).</li>
 * </ul>
 */
public final class FloatFormats {
    private FloatFormats() {}

    /** Widens an IEEE binary16 bit pattern to float32 (exact). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Narrows to IEEE binary16, round to nearest even (overflow to infinity, underflow through subnormals to zero). */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /** Widens a bfloat16 bit pattern to float32 (exact). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Narrows to bfloat16, round to nearest even; NaN stays a quiet NaN of the same sign. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN: keep sign and top payload, force the quiet bit
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** Widens a float8 E5M2 bit pattern (the top byte of a binary16) to float32 (exact). */
    public static float f8e5m2ToFloat(byte bits) {
        return Float.float16ToFloat((short) ((bits & 0xFF) << 8));
    }

    /** Widens a float8 E4M3FN bit pattern to float32 (exact). */
    public static float f8e4m3fnToFloat(byte bits) {
        int b = bits & 0xFF;
        int exponent = (b >>> 3) & 0xF;
        int mantissa = b & 0x7;
        float sign = (b & 0x80) != 0 ? -1f : 1f;
        if (exponent == 0xF && mantissa == 0x7) return Float.NaN;
        if (exponent == 0) return sign * Math.scalb((float) mantissa, -9); // subnormal: m/8 * 2^-6
        return sign * Math.scalb((float) (8 + mantissa), exponent - 7 - 3);
    }

    /** Widens a float8 E8M0 (OCP MX shared scale) bit pattern to float32 (exact: 2^-127 is a float32 subnormal). */
    public static float f8e8m0ToFloat(byte bits) {
        int e = bits & 0xFF;
        if (e == 0xFF) return Float.NaN;
        return Math.scalb(1f, e - 127);
    }
}
