package org.attn4j.data;

import org.attn4j.tensor.Generator;

/**
 * Training-time augmentation of single-channel images, in place on one image's pixels:
 * torchvision's {@code RandomCrop(size, padding)} (zero padding, then a random crop back to the
 * original size) and {@code RandomHorizontalFlip(0.5)}.
 */
public record Augment(int cropPadding, boolean horizontalFlip) {
    public static final Augment NONE = new Augment(0, false);

    public Augment {
        if (cropPadding < 0) throw new IllegalArgumentException("Augment: crop padding must be >= 0, got " + cropPadding);
    }

    public boolean isIdentity() {
        return cropPadding == 0 && !horizontalFlip;
    }

    /**
     * Augments {@code src[srcOff .. srcOff + rows*cols)} into {@code dst[dstOff ..]}; {@code fill} is the value
     * of padded pixels (the normalised value of black).
     */
    public void apply(float[] src, int srcOff, float[] dst, int dstOff, int rows, int cols, float fill, Generator g) {
        int dy = 0, dx = 0;
        if (cropPadding > 0) {
            dy = g.nextInt(2 * cropPadding + 1) - cropPadding;
            dx = g.nextInt(2 * cropPadding + 1) - cropPadding;
        }
        boolean flip = horizontalFlip && g.nextFloat() < 0.5f;
        for (int y = 0; y < rows; y++) {
            int sy = y + dy;
            for (int x = 0; x < cols; x++) {
                int sx = (flip ? cols - 1 - x : x) + dx;
                dst[dstOff + y * cols + x] = (sy < 0 || sy >= rows || sx < 0 || sx >= cols) ? fill : src[srcOff + sy * cols + sx];
            }
        }
    }
}
