package org.attn4j.data;

import java.util.List;

/**
 * An image classification dataset held in plain arrays: {@code n} single-channel images of
 * {@code rows x cols} pixels and one class label per image.
 *
 * <p>{@code images} is row-major {@code [n, rows, cols]}: pixel {@code (r, c)} of image {@code i} is
 * {@code images[(i * rows + r) * cols + c]}. A loader returns {@link Pixels#RAW} values 0..255 as stored in
 * the file; {@link #scaled()} divides by 255 (PyTorch {@code transforms.ToTensor}) and
 * {@link #normalized(float, float)} then subtracts a mean and divides by a std (PyTorch
 * {@code transforms.Normalize}); for Fashion-MNIST use {@link FashionMnist#MEAN} and {@link FashionMnist#STD}.
 * Both return new datasets and leave this one as it is.
 *
 * <p>The arrays are shared, not copied (a 60000-image set is 188 MB of floats): do not modify them
 * unless you own the dataset.
 *
 * @param images     pixel values, length {@code n * rows * cols}
 * @param labels     class indices in {@code [0, classNames.size())}, length {@code n}
 * @param n          number of images
 * @param rows       image height
 * @param cols       image width
 * @param classNames the name of each class index
 * @param pixels     what the pixel values mean
 * @param black      the value a black pixel (raw 0) has here: 0 for {@link Pixels#RAW} and {@link Pixels#SCALED},
 *                   {@code (0 - mean) / std} after {@link #normalized(float, float)}. Augmentation pads with it, as
 *                   torchvision's {@code RandomCrop(padding=p)} pads the PIL image with 0 before
 *                   {@code ToTensor} and {@code Normalize} in the usual recipe.
 */
public record Dataset(float[] images, int[] labels, int n, int rows, int cols, List<String> classNames,
                      Pixels pixels, float black) {

    /** What the pixel values of a dataset mean. */
    public enum Pixels {
        /** The stored byte values, 0..255. */
        RAW,
        /** {@code raw / 255}, in 0..1. */
        SCALED,
        /** {@code (raw / 255 - mean) / std}. */
        NORMALIZED
    }

    public Dataset {
        if (n < 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("Dataset: need n >= 0 and rows, cols > 0, got n=" + n + " rows=" + rows
                    + " cols=" + cols);
        }
        if ((long) n * rows * cols != images.length) {
            throw new IllegalArgumentException("Dataset: images has " + images.length + " values, expected n*rows*cols = "
                    + n + "*" + rows + "*" + cols + " = " + (long) n * rows * cols);
        }
        if (labels.length != n) {
            throw new IllegalArgumentException("Dataset: labels has " + labels.length + " entries, expected n = " + n);
        }
        classNames = List.copyOf(classNames);
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException("Dataset: label " + labels[i] + " of image " + i + " is outside [0, "
                        + classNames.size() + ")");
            }
        }
        if (pixels == null) throw new IllegalArgumentException("Dataset: pixels must not be null");
        if (pixels != Pixels.NORMALIZED && black != 0) {
            throw new IllegalArgumentException("Dataset: black is 0 in " + pixels + " pixels, got " + black);
        }
        if (!Float.isFinite(black)) throw new IllegalArgumentException("Dataset: black must be finite, got " + black);
    }

    /**
     * A {@link Pixels#RAW} or {@link Pixels#SCALED} dataset, where black is 0. A {@link Pixels#NORMALIZED} one
     * needs the value of black: use the canonical constructor (or {@link #normalized(float, float)}).
     */
    public Dataset(float[] images, int[] labels, int n, int rows, int cols, List<String> classNames, Pixels pixels) {
        this(images, labels, n, rows, cols, classNames, requireUnnormalized(pixels), 0f);
    }

    private static Pixels requireUnnormalized(Pixels pixels) {
        if (pixels == Pixels.NORMALIZED) {
            throw new IllegalArgumentException("Dataset: NORMALIZED pixels need the value of black ((0 - mean) / std): "
                    + "pass it to the canonical constructor");
        }
        return pixels;
    }

    /** Number of classes. */
    public int numClasses() {
        return classNames.size();
    }

    /** Pixels per image, {@code rows * cols}. */
    public int imageSize() {
        return rows * cols;
    }

    /** A copy of image {@code i}, row-major {@code [rows, cols]}. */
    public float[] image(int i) {
        if (i < 0 || i >= n) throw new IllegalArgumentException("Dataset.image: index " + i + " outside [0, " + n + ")");
        float[] out = new float[rows * cols];
        System.arraycopy(images, i * rows * cols, out, 0, out.length);
        return out;
    }

    /** How many images each class has, indexed by class. */
    public int[] labelCounts() {
        int[] counts = new int[classNames.size()];
        for (int label : labels) counts[label]++;
        return counts;
    }

    /**
     * A new dataset with pixels {@code raw / 255}, in 0..1, as PyTorch {@code transforms.ToTensor} gives.
     *
     * @throws IllegalStateException unless this dataset holds {@link Pixels#RAW} values
     */
    public Dataset scaled() {
        requireRaw("scaled");
        float[] out = new float[images.length];
        // Divide rather than multiply by 1/255f: torchvision's to_tensor does img.float().div(255), and the
        // product with a rounded reciprocal differs from the quotient in the last bit for some values.
        for (int i = 0; i < out.length; i++) out[i] = images[i] / 255f;
        return new Dataset(out, labels, n, rows, cols, classNames, Pixels.SCALED);
    }

    /**
     * A new dataset with pixels {@code (raw / 255 - mean) / std}, as PyTorch
     * {@code Compose([ToTensor(), Normalize((mean,), (std,))])} gives. For Fashion-MNIST pass
     * {@link FashionMnist#MEAN} and {@link FashionMnist#STD}.
     *
     * @throws IllegalStateException unless this dataset holds {@link Pixels#RAW} values
     * @throws IllegalArgumentException if {@code std} is not positive
     */
    public Dataset normalized(float mean, float std) {
        requireRaw("normalized");
        if (!(std > 0)) throw new IllegalArgumentException("Dataset.normalized: std must be > 0, got " + std);
        float[] out = new float[images.length];
        for (int i = 0; i < out.length; i++) out[i] = (images[i] / 255f - mean) / std;
        return new Dataset(out, labels, n, rows, cols, classNames, Pixels.NORMALIZED, (0 / 255f - mean) / std);
    }

    private void requireRaw(String op) {
        if (pixels != Pixels.RAW) {
            throw new IllegalStateException("Dataset." + op + ": needs RAW pixels (0..255), this dataset is " + pixels);
        }
    }

    @Override
    public String toString() {
        return "Dataset[n=" + n + ", rows=" + rows + ", cols=" + cols + ", classes=" + classNames.size() + ", pixels="
                + pixels + (pixels == Pixels.NORMALIZED ? ", black=" + black : "") + "]";
    }
}
