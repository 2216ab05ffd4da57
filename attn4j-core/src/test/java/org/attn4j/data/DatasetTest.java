package org.attn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetTest {
    private static final List<String> CLASSES = List.of("a", "b", "c");

    /** Two 2 x 3 images: pixels 0, 51, 102, 153, 204, 255 and then 255 down to 0. */
    private static Dataset raw() {
        float[] px = {0, 51, 102, 153, 204, 255, 255, 204, 153, 102, 51, 0};
        return new Dataset(px, new int[] {2, 0}, 2, 2, 3, CLASSES, Dataset.Pixels.RAW);
    }

    @Test
    void scaledDividesBy255() {
        Dataset s = raw().scaled();
        assertEquals(Dataset.Pixels.SCALED, s.pixels());
        assertArrayEquals(new float[] {0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f, 1f, 0.8f, 0.6f, 0.4f, 0.2f, 0f}, s.images(), 1e-7f);
        assertArrayEquals(new int[] {2, 0}, s.labels());
        assertEquals(2, s.n());
    }

    @Test
    void normalizedIsToTensorThenNormalize() {
        Dataset d = raw().normalized(FashionMnist.MEAN, FashionMnist.STD);
        assertEquals(Dataset.Pixels.NORMALIZED, d.pixels());
        // (0 - 0.2860) / 0.3530 and (1 - 0.2860) / 0.3530, worked by hand.
        assertEquals(-0.810198f, d.images()[0], 1e-5f);
        assertEquals(2.022663f, d.images()[5], 1e-5f);
        assertEquals((0.6f - 0.2860f) / 0.3530f, d.images()[3], 1e-6f);
    }

    @Test
    void blackIsTheValueOfARawZeroPixel() {
        assertEquals(0f, raw().black());
        assertEquals(0f, raw().scaled().black());
        Dataset d = raw().normalized(FashionMnist.MEAN, FashionMnist.STD);
        // Pixel 0 of image 0 is a raw 0: black is exactly what normalisation made of it, (0 - mean) / std.
        assertEquals(d.images()[0], d.black());
        assertEquals(-0.810198f, d.black(), 1e-5f);
        float[] px = new float[6];
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(px, new int[] {0}, 1, 2, 3, CLASSES, Dataset.Pixels.NORMALIZED));
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(px, new int[] {0}, 1, 2, 3, CLASSES, Dataset.Pixels.RAW, -1f));
    }

    @Test
    void scalingTwiceIsRefused() {
        Dataset s = raw().scaled();
        assertThrows(IllegalStateException.class, s::scaled);
        assertThrows(IllegalStateException.class, () -> s.normalized(0.5f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> raw().normalized(0.5f, 0f));
    }

    @Test
    void accessors() {
        Dataset d = raw();
        assertArrayEquals(new float[] {255, 204, 153, 102, 51, 0}, d.image(1));
        assertArrayEquals(new int[] {1, 0, 1}, d.labelCounts());
        assertEquals(3, d.numClasses());
        assertEquals(6, d.imageSize());
        assertThrows(IllegalArgumentException.class, () -> d.image(2));
    }

    @Test
    void inconsistentShapesAndLabelsAreRejected() {
        float[] px = new float[12];
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(px, new int[] {0, 0}, 2, 2, 2, CLASSES, Dataset.Pixels.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(px, new int[] {0}, 2, 2, 3, CLASSES, Dataset.Pixels.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(px, new int[] {0, 3}, 2, 2, 3, CLASSES, Dataset.Pixels.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(px, new int[] {0, -1}, 2, 2, 3, CLASSES, Dataset.Pixels.RAW));
    }
}
