package org.attn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.Test;

/**
 * {@link Augment} against torchvision's definitions, written out here as plainly as torchvision does them:
 * {@code RandomCrop(size, padding=p)} pads every side with {@code p} constant pixels, then crops the
 * original size at a top-left corner {@code (i, j)} drawn uniformly from {@code [0, 2p]} (rows first, as
 * {@code get_params}); {@code RandomHorizontalFlip(0.5)} then mirrors the columns when a uniform draw is
 * below 0.5. The fill is the caller's: the {@link DataLoader} passes the value of a black pixel
 * ({@link Dataset#black()}), because the usual recipe {@code Compose([RandomCrop(28, padding=2),
 * RandomHorizontalFlip(), ToTensor(), Normalize(mean, std)])} pads the raw image with 0 before
 * normalising, so after normalisation the padding is {@code -mean/std}, not 0 (see DataLoaderTest).
 */
class AugmentTest {
    /** The 3 x 3 image 1..9, row-major. */
    private static final float[] NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    private static final float FILL = -0.5f;

    /** torchvision's pad-then-crop at corner (i, j) of the padded image, then an optional flip. */
    private static float[] reference(float[] src, int rows, int cols, int p, int i, int j, boolean flip, float fill) {
        int pr = rows + 2 * p, pc = cols + 2 * p;
        float[] padded = new float[pr * pc];
        java.util.Arrays.fill(padded, fill);
        for (int y = 0; y < rows; y++) System.arraycopy(src, y * cols, padded, (y + p) * pc + p, cols);
        float[] out = new float[rows * cols];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) out[y * cols + x] = padded[(y + i) * pc + x + j];
        }
        if (flip) {
            float[] m = new float[out.length];
            for (int y = 0; y < rows; y++) for (int x = 0; x < cols; x++) m[y * cols + x] = out[y * cols + cols - 1 - x];
            out = m;
        }
        return out;
    }

    /** The draws Augment makes, taken from a twin generator: crop corner (i, j), then the flip. */
    private record Draws(int i, int j, boolean flip) {
        static Draws from(Generator g, Augment a) {
            int i = 0, j = 0;
            if (a.cropPadding() > 0) {
                i = g.nextInt(2 * a.cropPadding() + 1);
                j = g.nextInt(2 * a.cropPadding() + 1);
            }
            boolean flip = a.horizontalFlip() && g.nextFloat() < 0.5f;
            return new Draws(i, j, flip);
        }
    }

    /** The first seed whose draws are {@code want}. */
    private static long seedFor(Augment a, Draws want) {
        for (long s = 0; ; s++) if (Draws.from(new Generator(s), a).equals(want)) return s;
    }

    private static float[] apply(Augment a, float[] src, int rows, int cols, long seed) {
        float[] out = new float[rows * cols];
        a.apply(src, 0, out, 0, rows, cols, FILL, new Generator(seed));
        return out;
    }

    @Test
    void cropAtCornerZeroShiftsTheImageDownRightWithFillEntering() {
        Augment a = new Augment(1, false);
        // Corner (0, 0) of the image padded by 1: the top row and left column are padding.
        float[] out = apply(a, NINE, 3, 3, seedFor(a, new Draws(0, 0, false)));
        assertArrayEquals(new float[] {
                FILL, FILL, FILL,
                FILL, 1, 2,
                FILL, 4, 5}, out);
        // Corner (2, 1): shifted up by one row, not sideways; the bottom row is padding.
        out = apply(a, NINE, 3, 3, seedFor(a, new Draws(2, 1, false)));
        assertArrayEquals(new float[] {
                4, 5, 6,
                7, 8, 9,
                FILL, FILL, FILL}, out);
        // Corner (1, 1) is the image itself.
        assertArrayEquals(NINE, apply(a, NINE, 3, 3, seedFor(a, new Draws(1, 1, false))));
    }

    @Test
    void flipMirrorsColumns() {
        Augment a = new Augment(0, true);
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7}, apply(a, NINE, 3, 3, seedFor(a, new Draws(0, 0, true))));
        assertArrayEquals(NINE, apply(a, NINE, 3, 3, seedFor(a, new Draws(0, 0, false))));
    }

    @Test
    void cropThenFlipAsTorchvisionComposesThem() {
        // Crop at corner (0, 2) (padding on top and right), then mirror: the padding column moves to the left.
        Augment a = new Augment(1, true);
        assertArrayEquals(new float[] {
                FILL, FILL, FILL,
                FILL, 3, 2,
                FILL, 6, 5}, apply(a, NINE, 3, 3, seedFor(a, new Draws(0, 2, true))));
    }

    @Test
    void matchesTheReferenceForManySeedsOnANonSquareImage() {
        int rows = 5, cols = 7;
        float[] src = new float[rows * cols];
        for (int k = 0; k < src.length; k++) src[k] = k + 1;
        Augment a = new Augment(2, true);
        for (long s = 0; s < 200; s++) {
            Draws d = Draws.from(new Generator(s), a);
            assertArrayEquals(reference(src, rows, cols, 2, d.i(), d.j(), d.flip(), FILL), apply(a, src, rows, cols, s),
                    "seed " + s + ", draws " + d);
        }
    }

    @Test
    void offsetsAreUniformOverZeroToTwoPAndHalfTheImagesAreFlipped() {
        // 4000 draws from one generator: each of the 5 corners per axis is expected 800 times (sd 25), a flip
        // 2000 times (sd 32); the bounds are over 6 sd away, and the generator is seeded, so this never flakes.
        Augment a = new Augment(2, true);
        Generator g = new Generator(7);
        int[] rowsHit = new int[5], colsHit = new int[5];
        int flips = 0;
        for (int n = 0; n < 4000; n++) {
            Draws d = Draws.from(g, a);
            rowsHit[d.i()]++;
            colsHit[d.j()]++;
            if (d.flip()) flips++;
        }
        for (int k = 0; k < 5; k++) {
            assertTrue(rowsHit[k] > 650 && rowsHit[k] < 950, "row corner " + k + ": " + rowsHit[k]);
            assertTrue(colsHit[k] > 650 && colsHit[k] < 950, "column corner " + k + ": " + colsHit[k]);
        }
        assertTrue(flips > 1800 && flips < 2200, "flips: " + flips);
        // And Augment's own output sees every shift: the pixel 1 of a padded-by-2 3 x 3 image lands anywhere.
        boolean[][] seen = new boolean[3][3];
        for (long s = 0; s < 300; s++) {
            float[] out = apply(new Augment(2, false), NINE, 3, 3, s);
            for (int k = 0; k < 9; k++) if (out[k] == 5) seen[k / 3][k % 3] = true;
        }
        for (boolean[] r : seen) for (boolean v : r) assertTrue(v, "the centre pixel reached every position");
    }

    @Test
    void noneIsTheIdentityAndDrawsNothing() {
        assertTrue(Augment.NONE.isIdentity());
        assertTrue(!new Augment(1, false).isIdentity() && !new Augment(0, true).isIdentity());
        Generator g = new Generator(3);
        float[] out = new float[9];
        Augment.NONE.apply(NINE, 0, out, 0, 3, 3, FILL, g);
        assertArrayEquals(NINE, out);
        assertEquals(new Generator(3).nextLong(), g.nextLong(), "NONE consumed randomness");
    }

    @Test
    void worksAtOffsetsInsideLargerArrays() {
        // Image 1 of a two-image array into slot 1 of a two-image output; the rest is left untouched.
        float[] src = new float[18];
        System.arraycopy(NINE, 0, src, 9, 9);
        float[] dst = new float[18];
        java.util.Arrays.fill(dst, 42);
        Augment a = new Augment(1, false);
        new Augment(1, false).apply(src, 9, dst, 9, 3, 3, FILL, new Generator(seedFor(a, new Draws(0, 0, false))));
        for (int k = 0; k < 9; k++) assertEquals(42f, dst[k]);
        assertArrayEquals(new float[] {FILL, FILL, FILL, FILL, 1, 2, FILL, 4, 5}, java.util.Arrays.copyOfRange(dst, 9, 18));
    }

    @Test
    void sameSeedSameOutput() {
        float[] src = new float[28 * 28];
        for (int k = 0; k < src.length; k++) src[k] = k % 17;
        Augment a = new Augment(2, true);
        Generator g1 = new Generator(99), g2 = new Generator(99);
        for (int n = 0; n < 20; n++) {
            float[] o1 = new float[src.length], o2 = new float[src.length];
            a.apply(src, 0, o1, 0, 28, 28, 0f, g1);
            a.apply(src, 0, o2, 0, 28, 28, 0f, g2);
            assertArrayEquals(o1, o2, "image " + n);
        }
    }

    @Test
    void negativePaddingIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Augment(-1, false));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }
}
