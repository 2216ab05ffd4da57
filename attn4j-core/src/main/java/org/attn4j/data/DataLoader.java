package org.attn4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Mini-batches over an image {@link Dataset}, as {@code torch.utils.data.DataLoader}: seeded shuffling
 * (a new permutation each epoch, reproducible from the seed and epoch number), {@code dropLast},
 * augmentation, and background prefetching of the next batches on one daemon thread.
 *
 * <pre>{@code
 * var loader = new DataLoader(train.normalized(FashionMnist.MEAN, FashionMnist.STD), 128, true, true,
 *         new Augment(2, true), seed);
 * for (Batch b : loader.epoch(0)) { ... b.images() [128, 1, 28, 28], b.labels() [128] ... }
 * }</pre>
 */
public final class DataLoader {
    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle, dropLast;
    private final Augment augment;
    private final long seed;
    private final float padValue;
    private static final int PREFETCH = 4;

    public DataLoader(Dataset data, int batchSize, boolean shuffle, boolean dropLast, Augment augment, long seed) {
        if (batchSize <= 0) throw new IllegalArgumentException("DataLoader: batch size must be positive, got " + batchSize);
        if (data.n() == 0) throw new IllegalArgumentException("DataLoader: the dataset is empty");
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.augment = augment == null ? Augment.NONE : augment;
        this.seed = seed;
        // Padding shows black, whatever transform the pixels went through: black is the smallest value.
        float min = Float.POSITIVE_INFINITY;
        for (float v : data.images()) min = Math.min(min, v);
        this.padValue = min;
    }

    /** Number of batches per epoch. */
    public int batches() {
        return dropLast ? data.n() / batchSize : (data.n() + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public Dataset dataset() {
        return data;
    }

    /** The order of samples in {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch), or identity. */
    public int[] order(int epoch) {
        int n = data.n();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (shuffle) {
            Generator g = new Generator(seed * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = g.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    /** Builds batch {@code b} of an epoch's order (deterministic: the augmentation is seeded per batch). */
    public Batch batch(int[] order, int epoch, int b) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize);
        int size = to - from, pixels = data.rows() * data.cols();
        float[] x = new float[size * pixels];
        float[] y = new float[size];
        int[] indices = new int[size];
        Generator g = augment.isIdentity() ? null : new Generator((seed * 31 + epoch) * 1_000_003L + b);
        float[] images = data.images();
        for (int i = 0; i < size; i++) {
            int k = order[from + i];
            indices[i] = k;
            y[i] = data.labels()[k];
            if (g == null) {
                System.arraycopy(images, k * pixels, x, i * pixels, pixels);
            } else {
                augment.apply(images, k * pixels, x, i * pixels, data.rows(), data.cols(), padValue, g);
            }
        }
        return new Batch(Tensor.of(x, size, 1, data.rows(), data.cols()),
                Tensor.of(y, size).withDType(org.attn4j.tensor.DType.INT64), indices);
    }

    /** The batches of one epoch, built ahead on a background thread. */
    public Iterable<Batch> epoch(int epoch) {
        int[] order = order(epoch);
        int count = batches();
        return () -> new Prefetcher(order, epoch, count);
    }

    private final class Prefetcher implements Iterator<Batch> {
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(PREFETCH);
        private final int count;
        private int taken;
        private final Thread worker;

        Prefetcher(int[] order, int epoch, int count) {
            this.count = count;
            worker = Thread.ofPlatform().daemon().name("attn4j-loader").start(() -> {
                try {
                    for (int b = 0; b < count; b++) queue.put(batch(order, epoch, b));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    queue.offer(e);
                }
            });
        }

        @Override
        public boolean hasNext() {
            return taken < count;
        }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            try {
                Object o = queue.take();
                if (o instanceof RuntimeException e) throw e;
                taken++;
                return (Batch) o;
            } catch (InterruptedException e) {
                worker.interrupt();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("DataLoader: interrupted while waiting for a batch", e);
            }
        }
    }
}
