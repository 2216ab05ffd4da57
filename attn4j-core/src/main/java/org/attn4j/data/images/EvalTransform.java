package org.attn4j.data.images;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.attn4j.tensor.Tensor;

/**
 * timm's evaluation preprocessing ({@code timm.data.transforms_factory.transforms_imagenet_eval} with the
 * default {@code crop_mode='center'}), step by step on PIL-equivalent images:
 * <ol>
 * <li>{@code Resize(scale_size)} with {@code scale_size = floor(input_size / crop_pct)}: the shorter side
 *     becomes {@code scale_size} and the longer {@code int(scale_size * long / short)} (torchvision's
 *     {@code _compute_resized_output_size}), resampled by {@link PilResample} (Pillow, bit for bit);</li>
 * <li>{@code CenterCrop(input_size)}: top/left offset {@code int(round((size - crop) / 2))}, Python's round
 *     (half to even);</li>
 * <li>{@code ToTensor()}: {@code [H, W, 3]} bytes to {@code [3, H, W]} float32 divided by 255;</li>
 * <li>{@code Normalize(mean, std)}: {@code (x - mean) / std} per channel, in float32.</li>
 * </ol>
 * Every step is computed with the same float32 operations as torchvision's, so a PNG image gives the tensor
 * timm would feed the model exactly (a JPEG one up to the decoders' differences, see {@link ImageFiles}).
 *
 * <p>With timm's default {@code crop_pct = 0.875} and 224 pixels the image is resized to 256 and cropped to
 * 224. Note that timm's ViT weights declare their own values: {@code crop_pct = 0.9} (resize to 248) and
 * mean = std = (0.5, 0.5, 0.5) ({@link #inception}), while DeiT uses the defaults ({@link #imagenet}).
 *
 * @param inputSize    the crop (and model input) size in pixels
 * @param cropPct      fraction of the resized shorter side kept by the crop, in (0, 1]
 * @param mean         per-channel mean subtracted after scaling to 0..1 (3 values)
 * @param std          per-channel divisor (3 values)
 * @param interpolation the resampling filter of the resize
 */
public record EvalTransform(int inputSize, double cropPct, float[] mean, float[] std, PilResample.Filter interpolation) {
    /** timm's {@code IMAGENET_DEFAULT_MEAN}. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** timm's {@code IMAGENET_DEFAULT_STD}. */
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    /** timm's {@code IMAGENET_INCEPTION_MEAN} (and {@code _STD}): 0.5 for every channel. */
    public static final float[] INCEPTION_MEAN_STD = {0.5f, 0.5f, 0.5f};
    /** timm's {@code DEFAULT_CROP_PCT}. */
    public static final double DEFAULT_CROP_PCT = 0.875;

    public EvalTransform {
        if (inputSize < 1) throw new IllegalArgumentException("EvalTransform: input_size must be >= 1, got " + inputSize);
        if (!(cropPct > 0 && cropPct <= 1)) {
            throw new IllegalArgumentException("EvalTransform: crop_pct must be in (0, 1], got " + cropPct
                    + " (a larger value would need torchvision's padding crop)");
        }
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException("EvalTransform: mean and std need 3 values each, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        for (float s : std) {
            if (!(s > 0)) throw new IllegalArgumentException("EvalTransform: std values must be > 0, got " + Arrays.toString(std));
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** ImageNet mean/std with {@code cropPct}, bicubic. */
    public static EvalTransform imagenet(int inputSize, double cropPct) {
        return new EvalTransform(inputSize, cropPct, IMAGENET_MEAN, IMAGENET_STD, PilResample.Filter.BICUBIC);
    }

    /** mean = std = 0.5 with {@code cropPct}, bicubic: timm's ViT configurations. */
    public static EvalTransform inception(int inputSize, double cropPct) {
        return new EvalTransform(inputSize, cropPct, INCEPTION_MEAN_STD, INCEPTION_MEAN_STD, PilResample.Filter.BICUBIC);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** {@code floor(input_size / crop_pct)}: the size the shorter side is resized to. */
    public int scaleSize() {
        return (int) Math.floor(inputSize / cropPct);
    }

    /**
     * torchvision's {@code Resize(size)} with an int size: the shorter side becomes {@code size}, the longer
     * {@code int(size * long / short)}; an image already of that size is returned as is.
     */
    public RgbImage resizeShorterSide(RgbImage image, int size) {
        int w = image.width(), h = image.height();
        int newW, newH;
        if (w <= h) {
            newW = size;
            newH = (int) ((double) size * h / w);
        } else {
            newH = size;
            newW = (int) ((double) size * w / h);
        }
        if (newW == w && newH == h) return image;
        return PilResample.resize(image, newW, newH, interpolation);
    }

    /** torchvision's {@code CenterCrop(size)} for an image at least {@code size} on both sides. */
    public static RgbImage centerCrop(RgbImage image, int size) {
        if (image.width() < size || image.height() < size) {
            throw new IllegalArgumentException("EvalTransform.centerCrop: " + image + " is smaller than the " + size + "x" + size
                    + " crop");
        }
        int top = (int) Math.rint((image.height() - size) / 2.0);
        int left = (int) Math.rint((image.width() - size) / 2.0);
        return image.crop(left, top, size, size);
    }

    /** {@code ToTensor} then {@code Normalize}: {@code [3, H, W]} floats, channel-major. */
    public float[] normalize(RgbImage image) {
        int hw = image.width() * image.height();
        float[] out = new float[3 * hw];
        byte[] rgb = image.rgb();
        for (int c = 0; c < 3; c++) {
            float m = mean[c], s = std[c];
            for (int i = 0; i < hw; i++) {
                float v = (rgb[i * 3 + c] & 0xFF) / 255f;
                out[c * hw + i] = (v - m) / s;
            }
        }
        return out;
    }

    /** The whole transform of one image: {@code [3, inputSize, inputSize]} floats. */
    public float[] apply(RgbImage image) {
        return normalize(centerCrop(resizeShorterSide(image, scaleSize()), inputSize));
    }

    /** The transform of each image, stacked: {@code [B, 3, inputSize, inputSize]}. */
    public Tensor batch(List<RgbImage> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("EvalTransform.batch: no images");
        int per = 3 * inputSize * inputSize;
        float[] data = new float[images.size() * per];
        for (int b = 0; b < images.size(); b++) System.arraycopy(apply(images.get(b)), 0, data, b * per, per);
        return Tensor.of(data, images.size(), 3, inputSize, inputSize);
    }

    /**
     * Reads each file ({@link ImageFiles#readRgb}) and transforms it: {@code [B, 3, inputSize, inputSize]}.
     *
     * @throws IOException when a file cannot be read as an image
     */
    public Tensor load(List<Path> files) throws IOException {
        List<RgbImage> images = new ArrayList<>();
        for (Path f : files) images.add(ImageFiles.readRgb(f));
        return batch(images);
    }

    @Override
    public String toString() {
        return "EvalTransform(input_size=" + inputSize + ", crop_pct=" + cropPct + ", resize=" + scaleSize() + ", mean="
                + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ", interpolation=" + interpolation + ")";
    }
}
