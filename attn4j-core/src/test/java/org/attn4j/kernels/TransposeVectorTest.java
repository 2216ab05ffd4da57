package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The register transposes against their definitions, e.g. {@code dst[d + p*ldd + j] = scale * src[s + j*lds + p]}. */
class TransposeVectorTest {
    @Test
    void transpose8x8MatchesItsDefinitionOnStridedBlocks() {
        assumeTrue(VectorSupport.ENABLED && TransposeVector.ENABLED);
        Random r = new Random(5);
        int s = 3, lds = 11, d = 5, ldd = 13;
        float[] src = new float[s + 8 * lds];
        for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() * 2 - 1;
        for (float scale : new float[] {1f, 0.125f, -3f}) {
            float[] dst = new float[d + 8 * ldd];
            TransposeVector.transpose8x8(src, s, lds, dst, d, ldd, scale);
            for (int j = 0; j < 8; j++) {
                for (int p = 0; p < 8; p++) {
                    assertEquals(scale * src[s + j * lds + p], dst[d + p * ldd + j], "scale " + scale + ", element (" + j + ", " + p + ")");
                }
            }
            for (int i = 0; i < dst.length; i++) {
                if (i >= d && (i - d) % ldd < 8 && (i - d) / ldd < 8) continue;
                assertEquals(0f, dst[i], "outside the block, index " + i);
            }
        }
    }

    @Test
    void transpose6x8FillsSixWideRowsAndSpillsTwoZerosPastTheBlock() {
        assumeTrue(VectorSupport.ENABLED && TransposeVector.ENABLED);
        Random r = new Random(6);
        int s = 2, lds = 10, d = 3;
        float[] src = new float[s + 6 * lds];
        for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() * 2 - 1;
        float[] dst = new float[d + 48 + 2 + 4];
        java.util.Arrays.fill(dst, Float.NaN);
        TransposeVector.transpose6x8(src, s, lds, dst, d);
        for (int p = 0; p < 8; p++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(src[s + j * lds + p], dst[d + p * 6 + j], "element (" + j + ", " + p + ")");
            }
        }
        // The documented spill: two zeros right after the block, and nothing else touched.
        assertEquals(0f, dst[d + 48]);
        assertEquals(0f, dst[d + 49]);
        for (int i = 0; i < d; i++) assertTrue(Float.isNaN(dst[i]), "before the block, index " + i);
        for (int i = d + 50; i < dst.length; i++) assertTrue(Float.isNaN(dst[i]), "after the spill, index " + i);
    }
}
