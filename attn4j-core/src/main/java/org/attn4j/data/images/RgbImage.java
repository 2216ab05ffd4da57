package org.attn4j.data.images;

/**
 * An 8-bit RGB image, the equivalent of a PIL image in mode {@code 'RGB'}: {@code height} rows of
 * {@code width} pixels, each three unsigned bytes R, G, B, stored interleaved row by row ({@code [H, W, 3]},
 * the layout of {@code numpy.asarray(pil_image)}).
 *
 * <p>Sample {@code c} of pixel {@code (x, y)} is {@code rgb[(y * width + x) * 3 + c] & 0xFF}. The array is
 * shared, not copied.
 *
 * @param width  pixels per row, at least 1
 * @param height rows, at least 1
 * @param rgb    {@code width * height * 3} bytes
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("RgbImage: width and height must be >= 1, got " + width + "x" + height);
        }
        if (rgb == null || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("RgbImage: " + width + "x" + height + " needs " + ((long) width * height * 3)
                    + " bytes, got " + (rgb == null ? "null" : rgb.length));
        }
    }

    /** A black image. */
    public static RgbImage blank(int width, int height) {
        return new RgbImage(width, height, new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)]);
    }

    /** Sample {@code c} (0 = R, 1 = G, 2 = B) of pixel {@code (x, y)}, 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /** Sets sample {@code c} of pixel {@code (x, y)} to {@code v} (0..255). */
    public void set(int x, int y, int c, int v) {
        rgb[(y * width + x) * 3 + c] = (byte) v;
    }

    /**
     * The {@code w x h} region whose top-left pixel is {@code (left, top)}, copied. It must lie inside the image
     * (PIL's {@code crop} would pad with black; the centre crops here never need that).
     */
    public RgbImage crop(int left, int top, int w, int h) {
        if (left < 0 || top < 0 || w < 1 || h < 1 || left + w > width || top + h > height) {
            throw new IllegalArgumentException("RgbImage.crop: region " + w + "x" + h + " at (" + left + ", " + top
                    + ") is not inside the " + width + "x" + height + " image");
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(rgb, ((top + y) * width + left) * 3, out, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    @Override
    public String toString() {
        return "RgbImage(" + width + "x" + height + ")";
    }
}
