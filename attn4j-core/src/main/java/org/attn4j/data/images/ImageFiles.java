package org.attn4j.data.images;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Reads image files into {@link RgbImage}s with {@code javax.imageio} (PNG, JPEG, BMP, GIF; no display needed),
 * converting to RGB the way PIL's {@code Image.open(f).convert('RGB')} does, which is what timm's and
 * torchvision's loaders feed their transforms:
 * <ul>
 * <li>grayscale ({@code 'L'}): the gray value copied to R, G and B. The samples are read from the raster:
 *     {@code BufferedImage.getRGB} would first convert Java's linear-gray colour space to sRGB and change
 *     every mid-tone;</li>
 * <li>with alpha ({@code 'RGBA'}, {@code 'LA'}, transparent palettes): the alpha channel is dropped, colours are
 *     not blended with any background (PIL's {@code convert('RGB')} does the same);</li>
 * <li>palette ({@code 'P'}): each index looked up in the palette;</li>
 * <li>16 bits per sample: the high byte (PNG 16-bit images; PIL reads those as 16-bit modes whose RGB
 *     conversion differs, so such images are not bit-compatible with PIL).</li>
 * </ul>
 * PNG decoding is lossless, so PNG pixels equal PIL's. JPEG decoders may legitimately differ in their inverse
 * DCT and chroma upsampling; javax.imageio (IJG libjpeg 6b) and PIL's libjpeg-turbo both default to the
 * integer IDCT and triangle chroma upsampling, and agree exactly on the baseline 4:2:0 JPEG of ImageFilesTest.
 * Embedded ICC profiles are ignored, as PIL ignores them. EXIF orientation is not applied (PIL does not apply it
 * either unless asked to with {@code ImageOps.exif_transpose}).
 */
public final class ImageFiles {
    private ImageFiles() {}

    /**
     * Reads {@code file} as an 8-bit RGB image.
     *
     * @throws IOException when the file cannot be read or no installed reader understands its format
     */
    public static RgbImage readRgb(Path file) throws IOException {
        BufferedImage img;
        try (InputStream in = Files.newInputStream(file)) {
            img = ImageIO.read(in);
        }
        if (img == null) {
            throw new IOException("ImageFiles.readRgb: " + file + " is not an image format javax.imageio can read"
                    + " (supported: " + String.join(", ", ImageIO.getReaderFormatNames()) + ")");
        }
        return toRgb(img);
    }

    /** Converts a decoded image to 8-bit RGB as described in the class comment. */
    public static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        RgbImage out = RgbImage.blank(w, h);
        byte[] rgb = out.rgb();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        boolean gray = !(cm instanceof IndexColorModel) && cm.getColorSpace().getNumComponents() == 1;
        if (gray) {
            // 'L' and 'LA': band 0 is the gray sample as stored in the file.
            int shift = Math.max(0, raster.getSampleModel().getSampleSize(0) - 8);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) (row[x] >>> shift);
                    int o = (y * w + x) * 3;
                    rgb[o] = v;
                    rgb[o + 1] = v;
                    rgb[o + 2] = v;
                }
            }
        } else if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getNumComponents() == 3 && bands >= 3
                && minSampleSize(raster, 3) >= 8) {
            // 'RGB' and 'RGBA' (8 or 16 bits): bands 0..2 are R, G, B as stored, whatever the byte order in memory
            // (TYPE_3BYTE_BGR included). getRGB is not used: it would convert an embedded ICC profile's colours to
            // sRGB, which PIL does not do. 16-bit samples keep their high byte.
            int[] px = new int[bands];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    raster.getPixel(x, y, px);
                    int o = (y * w + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        rgb[o + c] = (byte) (px[c] >>> (raster.getSampleModel().getSampleSize(c) - 8));
                    }
                }
            }
        } else {
            // Palette images and anything else (5-6-5 packed, CMYK): getRGB, whose alpha byte is ignored.
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x];
                    int o = (y * w + x) * 3;
                    rgb[o] = (byte) (p >>> 16);
                    rgb[o + 1] = (byte) (p >>> 8);
                    rgb[o + 2] = (byte) p;
                }
            }
        }
        return out;
    }

    private static int minSampleSize(Raster raster, int bands) {
        int min = Integer.MAX_VALUE;
        for (int b = 0; b < bands; b++) min = Math.min(min, raster.getSampleModel().getSampleSize(b));
        return min;
    }

    /**
     * Writes {@code image} as a PNG (lossless), for inspecting what a preprocessing step produced.
     *
     * @throws IOException when the file cannot be written
     */
    public static void writePng(RgbImage image, Path file) throws IOException {
        BufferedImage img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                img.setRGB(x, y, (image.get(x, y, 0) << 16) | (image.get(x, y, 1) << 8) | image.get(x, y, 2));
            }
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("ImageFiles.writePng: no PNG writer installed");
        }
    }
}
