package org.attn4j.data.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading images as PIL's {@code Image.open(f).convert('RGB')} does: each mode's conversion is compared with
 * the RGB image PIL itself converted and saved (scripts/pil-resize-fixtures.py).
 */
class ImageFilesTest {
    @Test
    void grayscaleIsReplicatedNotGammaConverted() {
        // getRGB on a TYPE_BYTE_GRAY image would map the linear-gray colour space to sRGB (128 -> 186 or so).
        assertNull(Fixtures.firstDifference(Fixtures.read("gray_rgb.png"), Fixtures.read("gray.png")));
    }

    @Test
    void alphaIsDroppedWithoutBlending() {
        assertNull(Fixtures.firstDifference(Fixtures.read("rgba_rgb.png"), Fixtures.read("rgba.png")));
    }

    @Test
    void paletteIndicesAreLookedUp() {
        assertNull(Fixtures.firstDifference(Fixtures.read("palette_rgb.png"), Fixtures.read("palette.png")));
    }

    /**
     * JPEG: javax.imageio's decoder (the JDK's bundled IJG libjpeg 6b) against Pillow's libjpeg-turbo, on a 97x61
     * 4:2:0 JPEG of quality 90. Both use the integer "islow" IDCT and "fancy" (triangle) chroma upsampling by
     * default, and here they agree on every sample. That is measured on this file, not promised for all: other
     * encodings (progressive, arithmetic coding, CMYK) may decode differently or not at all.
     */
    @Test
    void jpegDecodingEqualsLibjpegTurbosOnABaselineJpeg() {
        assertNull(Fixtures.firstDifference(Fixtures.read("photo_pil_decoded.png"), Fixtures.read("photo.jpg")));
    }

    @Test
    void pngRoundTripIsLossless(@TempDir Path dir) throws IOException {
        RgbImage src = Fixtures.read("noise.png");
        Path file = dir.resolve("copy.png");
        ImageFiles.writePng(src, file);
        assertNull(Fixtures.firstDifference(src, ImageFiles.readRgb(file)));
    }

    @Test
    void sixteenBitGrayKeepsTheHighByte(@TempDir Path dir) throws IOException {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] values = {0x0000, 0x80FF, 0xFF00};
        img.getRaster().setSamples(0, 0, 3, 1, 0, values);
        Path file = dir.resolve("g16.png");
        ImageIO.write(img, "png", file.toFile());
        RgbImage read = ImageFiles.readRgb(file);
        int[] expected = {0x00, 0x80, 0xFF};
        for (int x = 0; x < 3; x++) for (int c = 0; c < 3; c++) assertEquals(expected[x], read.get(x, 0, c));
    }

    @Test
    void notAnImageIsAnIOExceptionNamingTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, "not an image");
        var e = assertThrows(IOException.class, () -> ImageFiles.readRgb(file));
        assertTrue(e.getMessage().startsWith("ImageFiles.readRgb: " + file + " is not an image format"), e.getMessage());
    }
}
