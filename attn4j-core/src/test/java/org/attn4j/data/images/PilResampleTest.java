package org.attn4j.data.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * PilResample against Pillow 9.4 itself: the golden images were written by {@code Image.resize} in
 * scripts/pil-resize-fixtures.py, and every sample must be equal (tolerance 0: the fixed-point arithmetic is
 * Pillow's). Exact derivations cover what the goldens do not make obvious: constants stay constant, and linear
 * ramps are reproduced where the filter window is symmetric and not clipped by the edge. And libtorch's
 * {@code interpolate(mode='bicubic', antialias=True)}, the same convolution in float without 8-bit rounding,
 * agrees within the rounding Pillow adds.
 */
class PilResampleTest {
    @Test
    void equalsPillowOnNoiseForEverySizeAndFilter() {
        RgbImage src = Fixtures.read("noise.png");
        int[][] sizes = {{17, 11}, {8, 5}, {2, 2}, {1, 1}, {50, 31}, {37, 23}, {37, 9}, {12, 23}, {74, 46}, {29, 19}};
        for (int[] s : sizes) {
            for (PilResample.Filter f : PilResample.Filter.values()) {
                String name = "noise_" + s[0] + "x" + s[1] + "_" + f.name().toLowerCase() + ".png";
                RgbImage ours = PilResample.resize(src, s[0], s[1], f);
                assertNull(Fixtures.firstDifference(Fixtures.read(name), ours), name);
            }
        }
    }

    @Test
    void equalsPillowOnASmoothImage() {
        RgbImage src = Fixtures.read("smooth.png");
        for (int[] s : new int[][] {{57, 36}, {40, 25}, {200, 126}}) {
            String name = "smooth_" + s[0] + "x" + s[1] + "_bicubic.png";
            assertNull(Fixtures.firstDifference(Fixtures.read(name), PilResample.resize(src, s[0], s[1])), name);
        }
    }

    /**
     * Against libtorch's antialiased bicubic (DJL's interpolate, which always passes antialias=True), the same
     * convolution in float, on a smooth image whose values stay inside 0..255 after either pass (so Pillow's
     * clamping of the intermediate 8-bit image never acts): rounded to bytes, they differ by at most 1 — Pillow
     * rounds to 8 bits after the horizontal pass and uses 22-bit weights.
     */
    @Test
    void agreesWithLibtorchsAntialiasedBicubicUpToRounding() {
        int w = 97, h = 61;
        RgbImage src = RgbImage.blank(w, h);
        float[] chw = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = (int) Math.round(128 + 60 * Math.sin(0.21 * x + c) + 40 * Math.cos(0.17 * y - 0.5 * c));
                    src.set(x, y, c, v);
                    chw[(c * h + y) * w + x] = v;
                }
            }
        }
        for (int[] s : new int[][] {{57, 36}, {40, 25}, {200, 126}, {97, 20}}) {
            RgbImage ours = PilResample.resize(src, s[0], s[1]);
            float[] ref;
            try (NDManager m = Torch.scope()) {
                NDArray t = Torch.nd(m, Tensor.of(chw, 1, 3, h, w));
                ref = JniUtils.interpolate((PtNDArray) t, new long[] {s[1], s[0]}, 3, false).toFloatArray();
            }
            int worst = 0;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < s[1]; y++) {
                    for (int x = 0; x < s[0]; x++) {
                        int r = Math.round(ref[(c * s[1] + y) * s[0] + x]);
                        worst = Math.max(worst, Math.abs(r - ours.get(x, y, c)));
                    }
                }
            }
            assertTrue(worst <= 1, s[0] + "x" + s[1] + ": differs from libtorch by " + worst);
        }
    }

    @Test
    void constantImagesStayConstant() {
        RgbImage img = RgbImage.blank(31, 17);
        for (int y = 0; y < 17; y++) for (int x = 0; x < 31; x++) { img.set(x, y, 0, 200); img.set(x, y, 1, 7); img.set(x, y, 2, 255); }
        for (int[] s : new int[][] {{10, 3}, {64, 40}, {31, 5}, {1, 1}, {97, 17}}) {
            RgbImage out = PilResample.resize(img, s[0], s[1]);
            for (int y = 0; y < s[1]; y++) {
                for (int x = 0; x < s[0]; x++) {
                    assertEquals(200, out.get(x, y, 0));
                    assertEquals(7, out.get(x, y, 1));
                    assertEquals(255, out.get(x, y, 2));
                }
            }
        }
    }

    /** A horizontal ramp {@code v(x) = 4x + 2}: value at pixel centre x + 0.5. */
    private static RgbImage ramp(int w, int h) {
        RgbImage img = RgbImage.blank(w, h);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++) img.set(x, y, c, 4 * x + 2);
        return img;
    }

    @Test
    void halvingAveragesARampSymmetrically() {
        // Output i covers input centres 2i + 1 ± k (a symmetric window of the 2x stretched filter, support 4), so
        // on a ramp it returns the ramp's value at input coordinate 2i + 0.5: 4(2i + 0.5) + 2 = 8i + 4.
        RgbImage out = PilResample.resize(ramp(60, 3), 30, 3);
        for (int i = 2; i < 28; i++) assertEquals(8 * i + 4, out.get(i, 1, 0), "output " + i);
    }

    @Test
    void upsamplingInterpolatesARampExactly() {
        // Scale 1/2: output i sits at input coordinate (i + 0.5) / 2 - 0.5 = i/2 - 1/4, where Keys' cubic
        // (a = -0.5) reproduces linear functions: 4(i/2 - 1/4) + 2 = 2i + 1.
        RgbImage out = PilResample.resize(ramp(30, 2), 60, 2);
        for (int i = 4; i < 56; i++) assertEquals(2 * i + 1, out.get(i, 0, 2), "output " + i);
    }

    @Test
    void sameSizeIsACopy() {
        RgbImage src = Fixtures.read("noise.png");
        RgbImage out = PilResample.resize(src, src.width(), src.height());
        assertNull(Fixtures.firstDifference(src, out));
        assertTrue(out.rgb() != src.rgb());
    }

    @Test
    void rejectsEmptyTargets() {
        var e = assertThrows(IllegalArgumentException.class, () -> PilResample.resize(RgbImage.blank(4, 4), 0, 3));
        assertEquals("PilResample.resize: target size must be >= 1x1, got 0x3 for RgbImage(4x4)", e.getMessage());
    }
}
