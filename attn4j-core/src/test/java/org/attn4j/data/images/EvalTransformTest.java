package org.attn4j.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** timm's eval transform, step by step: sizes by torchvision's rules, pixels by Pillow's goldens. */
class EvalTransformTest {
    @Test
    void scaleSizeIsFloorOfInputOverCropPct() {
        assertEquals(256, EvalTransform.imagenet(224, 0.875).scaleSize());
        assertEquals(248, EvalTransform.inception(224, 0.9).scaleSize()); // 248.89
        assertEquals(224, EvalTransform.inception(224, 1.0).scaleSize());
        assertEquals(36, EvalTransform.imagenet(32, 0.875).scaleSize()); // 36.57
    }

    @Test
    void shorterSideResizeMatchesTorchvisionSizesAndPillowPixels() {
        RgbImage smooth = Fixtures.read("smooth.png"); // 97x61, landscape
        EvalTransform t = EvalTransform.imagenet(32, 0.875);
        RgbImage resized = t.resizeShorterSide(smooth, 36);
        // torchvision: new_long = int(36 * 97 / 61) = int(57.25) = 57.
        assertNull(Fixtures.firstDifference(Fixtures.read("smooth_57x36_bicubic.png"), resized));
        // Portrait: the width is the shorter side.
        RgbImage portrait = RgbImage.blank(10, 33);
        RgbImage p = t.resizeShorterSide(portrait, 4);
        assertEquals(4, p.width());
        assertEquals(13, p.height()); // int(4 * 33 / 10) = int(13.2)
    }

    @Test
    void centerCropRoundsHalfToEvenAsPython() {
        RgbImage img = RgbImage.blank(57, 36);
        for (int y = 0; y < 36; y++) for (int x = 0; x < 57; x++) { img.set(x, y, 0, x); img.set(x, y, 1, y); }
        RgbImage c = EvalTransform.centerCrop(img, 32);
        // left = round((57 - 32) / 2) = round(12.5) = 12 (Python rounds half to even); top = round(2.0) = 2.
        assertEquals(12, c.get(0, 0, 0));
        assertEquals(2, c.get(0, 0, 1));
        RgbImage img2 = RgbImage.blank(59, 32);
        for (int x = 0; x < 59; x++) img2.set(x, 0, 0, x);
        assertEquals(14, EvalTransform.centerCrop(img2, 32).get(0, 0, 0)); // round(13.5) = 14
        var e = assertThrows(IllegalArgumentException.class, () -> EvalTransform.centerCrop(RgbImage.blank(20, 40), 32));
        assertEquals("EvalTransform.centerCrop: RgbImage(20x40) is smaller than the 32x32 crop", e.getMessage());
    }

    @Test
    void normalizeScalesThenStandardisesPerChannel() {
        RgbImage img = RgbImage.blank(2, 1);
        img.set(0, 0, 0, 255); img.set(0, 0, 1, 0); img.set(0, 0, 2, 51);
        img.set(1, 0, 0, 0); img.set(1, 0, 1, 255); img.set(1, 0, 2, 102);
        float[] v = EvalTransform.inception(2, 1.0).normalize(img);
        // Channel-major [3, 1, 2]; with mean = std = 0.5: 255 -> 1, 0 -> -1, 51 -> (0.2 - 0.5) / 0.5 = -0.6.
        assertArrayEquals(new float[] {1f, -1f, -1f, 1f, -0.6f, -0.2f}, v, 1e-6f);
        float[] w = EvalTransform.imagenet(2, 1.0).normalize(img);
        assertEquals((1f - 0.485f) / 0.229f, w[0], 0f);
        assertEquals((0f - 0.456f) / 0.224f, w[2], 0f);
    }

    @Test
    void batchStacksTheTransformedImages() {
        RgbImage smooth = Fixtures.read("smooth.png");
        EvalTransform t = EvalTransform.imagenet(32, 0.875);
        Tensor b = t.batch(List.of(smooth, smooth));
        assertArrayEquals(new int[] {2, 3, 32, 32}, b.shape());
        // Second image equals the first, and the first equals the steps applied by hand to PIL's resize.
        float[] one = t.normalize(EvalTransform.centerCrop(Fixtures.read("smooth_57x36_bicubic.png"), 32));
        float[] data = b.toFloatArray();
        for (int i = 0; i < one.length; i++) {
            assertEquals(one[i], data[i], 0f);
            assertEquals(one[i], data[one.length + i], 0f);
        }
    }

    @Test
    void rejectsBadSettings() {
        var e = assertThrows(IllegalArgumentException.class, () -> EvalTransform.imagenet(224, 1.2));
        assertEquals("EvalTransform: crop_pct must be in (0, 1], got 1.2 (a larger value would need torchvision's padding crop)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new EvalTransform(224, 0.9, new float[] {0.5f}, new float[] {1, 1, 1}, PilResample.Filter.BICUBIC));
    }
}
