package org.attn4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 8 x 8 float transposes in registers, for the packing steps that turn rows into panel columns: a Linear's
 * weight as the transposed B of {@link GemmVector}, its A panels of 6 rows (6 x 8), and Qᵀ and dOᵀ in
 * {@link FlashAttentionVector}. Written one
 * element at a time, such a transpose stores at a stride of a panel row (1.1 ns per element measured, 14% of a
 * ViT-B forward at batch 1); through registers each panel row takes 8 floats in one store (0.6 ns).
 *
 * <p>The three butterfly stages use two-input shuffles on 256-bit vectors: stage d pairs rows i and i + d and,
 * within every block of 2d lanes, puts the first d lanes of both in row i and the last d lanes of both in
 * row i + d; after d = 4, 2, 1 the rows are the columns, in order. The scalar reference is the definition,
 * {@code dst[d + p*ldd + j] = scale * src[s + j*lds + p]}, which the callers' element loops also compute for the
 * edges; TransposeVectorTest holds the two together.
 *
 * <p>Only load this class when {@link VectorSupport#ENABLED} is true.
 */
final class TransposeVector {
    private TransposeVector() {}

    /** Whether the transposes run on native vectors here: preferred vectors of 256 bits or wider (so panel widths of whole vectors are multiples of 8). */
    static final boolean ENABLED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    // Indices 8-15 pick lanes of the second vector.
    private static final VectorShuffle<Float> LO4 = VectorShuffle.fromValues(S8, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorShuffle<Float> HI4 = VectorShuffle.fromValues(S8, 4, 5, 6, 7, 12, 13, 14, 15);
    private static final VectorShuffle<Float> LO2 = VectorShuffle.fromValues(S8, 0, 1, 8, 9, 4, 5, 12, 13);
    private static final VectorShuffle<Float> HI2 = VectorShuffle.fromValues(S8, 2, 3, 10, 11, 6, 7, 14, 15);
    private static final VectorShuffle<Float> LO1 = VectorShuffle.fromValues(S8, 0, 8, 2, 10, 4, 12, 6, 14);
    private static final VectorShuffle<Float> HI1 = VectorShuffle.fromValues(S8, 1, 9, 3, 11, 5, 13, 7, 15);

    /**
     * {@code dst[d + p*ldd + j] = scale * src[s + j*lds + p]} for j, p < 8: the 8 x 8 block at {@code s} (rows
     * lds apart) transposed into the block at {@code d} (rows ldd apart), times {@code scale} (1 leaves every
     * value as it is).
     */
    static void transpose8x8(float[] src, int s, int lds, float[] dst, int d, int ldd, float scale) {
        FloatVector r0 = FloatVector.fromArray(S8, src, s), r1 = FloatVector.fromArray(S8, src, s + lds);
        FloatVector r2 = FloatVector.fromArray(S8, src, s + 2 * lds), r3 = FloatVector.fromArray(S8, src, s + 3 * lds);
        FloatVector r4 = FloatVector.fromArray(S8, src, s + 4 * lds), r5 = FloatVector.fromArray(S8, src, s + 5 * lds);
        FloatVector r6 = FloatVector.fromArray(S8, src, s + 6 * lds), r7 = FloatVector.fromArray(S8, src, s + 7 * lds);
        FloatVector a0 = r0.rearrange(LO4, r4), a4 = r0.rearrange(HI4, r4);      // d = 4
        FloatVector a1 = r1.rearrange(LO4, r5), a5 = r1.rearrange(HI4, r5);
        FloatVector a2 = r2.rearrange(LO4, r6), a6 = r2.rearrange(HI4, r6);
        FloatVector a3 = r3.rearrange(LO4, r7), a7 = r3.rearrange(HI4, r7);
        FloatVector b0 = a0.rearrange(LO2, a2), b2 = a0.rearrange(HI2, a2);      // d = 2
        FloatVector b1 = a1.rearrange(LO2, a3), b3 = a1.rearrange(HI2, a3);
        FloatVector b4 = a4.rearrange(LO2, a6), b6 = a4.rearrange(HI2, a6);
        FloatVector b5 = a5.rearrange(LO2, a7), b7 = a5.rearrange(HI2, a7);
        b0.rearrange(LO1, b1).mul(scale).intoArray(dst, d);                     // d = 1
        b0.rearrange(HI1, b1).mul(scale).intoArray(dst, d + ldd);
        b2.rearrange(LO1, b3).mul(scale).intoArray(dst, d + 2 * ldd);
        b2.rearrange(HI1, b3).mul(scale).intoArray(dst, d + 3 * ldd);
        b4.rearrange(LO1, b5).mul(scale).intoArray(dst, d + 4 * ldd);
        b4.rearrange(HI1, b5).mul(scale).intoArray(dst, d + 5 * ldd);
        b6.rearrange(LO1, b7).mul(scale).intoArray(dst, d + 6 * ldd);
        b6.rearrange(HI1, b7).mul(scale).intoArray(dst, d + 7 * ldd);
    }

    /**
     * {@code dst[d + p*ldd + j] = src[s + j*lds + p]} for j < 4, p < 8: four rows of eight columns into eight rows,
     * each stored as eight floats whose last four are zeros ({@link GemmVector}'s 12-row A panels, rows 8-11, with
     * ldd = 12: each row's four zeros land where the next row's first four floats then go, and the eighth row's
     * past the block, so the caller must write those afterwards).
     */
    static void transpose4x8(float[] src, int s, int lds, float[] dst, int d, int ldd) {
        FloatVector r0 = FloatVector.fromArray(S8, src, s), r1 = FloatVector.fromArray(S8, src, s + lds);
        FloatVector r2 = FloatVector.fromArray(S8, src, s + 2 * lds), r3 = FloatVector.fromArray(S8, src, s + 3 * lds);
        FloatVector zero = FloatVector.zero(S8);
        FloatVector a0 = r0.rearrange(LO4, zero), a4 = r0.rearrange(HI4, zero);  // d = 4
        FloatVector a1 = r1.rearrange(LO4, zero), a5 = r1.rearrange(HI4, zero);
        FloatVector a2 = r2.rearrange(LO4, zero), a6 = r2.rearrange(HI4, zero);
        FloatVector a3 = r3.rearrange(LO4, zero), a7 = r3.rearrange(HI4, zero);
        FloatVector b0 = a0.rearrange(LO2, a2), b2 = a0.rearrange(HI2, a2);      // d = 2
        FloatVector b1 = a1.rearrange(LO2, a3), b3 = a1.rearrange(HI2, a3);
        FloatVector b4 = a4.rearrange(LO2, a6), b6 = a4.rearrange(HI2, a6);
        FloatVector b5 = a5.rearrange(LO2, a7), b7 = a5.rearrange(HI2, a7);
        b0.rearrange(LO1, b1).intoArray(dst, d);                                  // d = 1
        b0.rearrange(HI1, b1).intoArray(dst, d + ldd);
        b2.rearrange(LO1, b3).intoArray(dst, d + 2 * ldd);
        b2.rearrange(HI1, b3).intoArray(dst, d + 3 * ldd);
        b4.rearrange(LO1, b5).intoArray(dst, d + 4 * ldd);
        b4.rearrange(HI1, b5).intoArray(dst, d + 5 * ldd);
        b6.rearrange(LO1, b7).intoArray(dst, d + 6 * ldd);
        b6.rearrange(HI1, b7).intoArray(dst, d + 7 * ldd);
    }

    /**
     * {@code dst[d + p*6 + j] = src[s + j*lds + p]} for j < 6, p < 8: six rows of eight columns into eight rows of
     * six, one after the other ({@link GemmVector}'s packed A panel for its 6-row tile). The 8 x 8 transpose with
     * two zero rows; each output row is stored as eight floats, row p's two extra (zeros) landing where row
     * p + 1 then goes. The eighth row's two extra floats fall on {@code dst[d + 48]} and {@code dst[d + 49]},
     * past the block: the caller must own them and write them afterwards (the next columns, or the next panel).
     */
    static void transpose6x8(float[] src, int s, int lds, float[] dst, int d) {
        FloatVector r0 = FloatVector.fromArray(S8, src, s), r1 = FloatVector.fromArray(S8, src, s + lds);
        FloatVector r2 = FloatVector.fromArray(S8, src, s + 2 * lds), r3 = FloatVector.fromArray(S8, src, s + 3 * lds);
        FloatVector r4 = FloatVector.fromArray(S8, src, s + 4 * lds), r5 = FloatVector.fromArray(S8, src, s + 5 * lds);
        FloatVector zero = FloatVector.zero(S8);
        FloatVector a0 = r0.rearrange(LO4, r4), a4 = r0.rearrange(HI4, r4);      // d = 4
        FloatVector a1 = r1.rearrange(LO4, r5), a5 = r1.rearrange(HI4, r5);
        FloatVector a2 = r2.rearrange(LO4, zero), a6 = r2.rearrange(HI4, zero);
        FloatVector a3 = r3.rearrange(LO4, zero), a7 = r3.rearrange(HI4, zero);
        FloatVector b0 = a0.rearrange(LO2, a2), b2 = a0.rearrange(HI2, a2);      // d = 2
        FloatVector b1 = a1.rearrange(LO2, a3), b3 = a1.rearrange(HI2, a3);
        FloatVector b4 = a4.rearrange(LO2, a6), b6 = a4.rearrange(HI2, a6);
        FloatVector b5 = a5.rearrange(LO2, a7), b7 = a5.rearrange(HI2, a7);
        // d = 1. In order: each store overwrites the previous one's two extra lanes.
        b0.rearrange(LO1, b1).intoArray(dst, d);
        b0.rearrange(HI1, b1).intoArray(dst, d + 6);
        b2.rearrange(LO1, b3).intoArray(dst, d + 12);
        b2.rearrange(HI1, b3).intoArray(dst, d + 18);
        b4.rearrange(LO1, b5).intoArray(dst, d + 24);
        b4.rearrange(HI1, b5).intoArray(dst, d + 30);
        b6.rearrange(LO1, b7).intoArray(dst, d + 36);
        b6.rearrange(HI1, b7).intoArray(dst, d + 42);
    }
}
