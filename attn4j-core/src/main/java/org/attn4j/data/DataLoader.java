package org.attn4j.data;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
    // Named streams of the run's seed (Generator.derive). Arithmetic seeds such as seed * 1_000_003 + epoch
    // made the shuffle of (seed 0, epoch b) the very stream of epoch 0's batch-b augmentation, and seed 1's
    // augmentations those of seed 0 thirty-one epochs later.
    private static final long SHUFFLE_STREAM = "DataLoader.shuffle".hashCode(), AUGMENT_STREAM = "DataLoader.augment".hashCode();

    public DataLoader(Dataset data, int batchSize, boolean shuffle, boolean dropLast, Augment augment, long seed) {
        if (batchSize <= 0) throw new IllegalArgumentException("DataLoader: batch size must be positive, got " + batchSize);
        if (data.n() == 0) throw new IllegalArgumentException("DataLoader: the dataset is empty");
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.augment = augment == null ? Augment.NONE : augment;
        this.seed = seed;
        // Padding shows black, as torchvision's RandomCrop(padding=p) before ToTensor and Normalize: the
        // dataset knows what raw 0 became (the smallest pixel value is not it when no pixel is black).
        this.padValue = data.black();
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

    /** The order of samples in {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch), or the identity. */
    public int[] order(int epoch) {
        int n = data.n();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (shuffle) {
            Generator g = new Generator(Generator.derive(seed, SHUFFLE_STREAM, epoch));
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
        if (b < 0 || b >= batches()) {
            throw new IllegalArgumentException("DataLoader.batch: batch " + b + " is outside an epoch of " + batches() + " batches");
        }
        if (order.length != data.n()) {
            throw new IllegalArgumentException("DataLoader.batch: the order has " + order.length + " indices, the dataset " + data.n() + " images");
        }
        int from = b * batchSize, to = Math.min(order.length, from + batchSize);
        int size = to - from, pixels = data.rows() * data.cols();
        float[] x = new float[size * pixels];
        float[] y = new float[size];
        int[] indices = new int[size];
        Generator g = augment.isIdentity() ? null : new Generator(Generator.derive(seed, AUGMENT_STREAM, epoch, b));
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

    /**
     * The batches of one epoch, built ahead on a background daemon thread (one per iteration). A loop that
     * stops early, by {@code break} or an exception, should close the epoch to stop its thread at once:
     * <pre>{@code
     * try (DataLoader.Epoch batches = loader.epoch(e)) {
     *     for (Batch b : batches) { ... }
     * }
     * }</pre>
     * An iterator dropped without closing stops its thread once it has been garbage collected.
     */
    public Epoch epoch(int epoch) {
        return new Epoch(epoch, order(epoch));
    }

    /** One epoch's batches: iterable (each iteration prefetches on its own thread) and closeable. */
    public final class Epoch implements Iterable<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final List<Prefetcher> started = new ArrayList<>();
        private boolean closed;

        private Epoch(int epoch, int[] order) {
            this.epoch = epoch;
            this.order = order;
        }

        @Override
        public synchronized Iterator<Batch> iterator() {
            if (closed) throw new IllegalStateException("DataLoader: epoch " + epoch + " is closed");
            Prefetcher p = new Prefetcher(order, epoch, batches());
            started.add(p);
            return p;
        }

        /** Stops the prefetching threads of this epoch's iterations; their iterators then refuse {@code next()}. */
        @Override
        public synchronized void close() {
            closed = true;
            for (Prefetcher p : started) p.stop();
            started.clear();
        }
    }

    /** Stops the prefetch thread of an iterator that was dropped without its epoch being closed. */
    private static final Cleaner CLEANER = Cleaner.create();

    /** What the worker hands over instead of a batch when building one failed. */
    private record Failure(Throwable error) {}

    private final class Prefetcher implements Iterator<Batch> {
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(PREFETCH);
        private final int epoch, count;
        private int taken;
        private final Thread worker;
        private volatile boolean stopped;

        Prefetcher(int[] order, int epoch, int count) {
            this.epoch = epoch;
            this.count = count;
            // The worker must not reference this iterator, or a dropped iterator would stay reachable
            // through its own thread and never be cleaned.
            worker = startWorker(DataLoader.this, queue, order, epoch, count);
            CLEANER.register(this, worker::interrupt);
        }

        void stop() {
            stopped = true;
            worker.interrupt();
        }

        @Override
        public boolean hasNext() {
            return taken < count;
        }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            if (stopped) throw new IllegalStateException("DataLoader: epoch " + epoch + " was closed before batch " + taken);
            try {
                Object o = queue.take();
                if (o instanceof Failure f) {
                    stopped = true;
                    if (f.error() instanceof Error e) throw e;
                    throw new IllegalStateException("DataLoader: building batch " + taken + " of epoch " + epoch + " failed: "
                            + f.error(), f.error());
                }
                taken++;
                return (Batch) o;
            } catch (InterruptedException e) {
                stop();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("DataLoader: interrupted while waiting for a batch", e);
            }
        }
    }

    private static Thread startWorker(DataLoader loader, BlockingQueue<Object> queue, int[] order, int epoch, int count) {
        return Thread.ofPlatform().daemon().name("attn4j-loader").start(() -> {
            try {
                for (int b = 0; b < count; b++) queue.put(loader.batch(order, epoch, b));
            } catch (InterruptedException e) {
                // The consumer stopped (closed the epoch, or dropped the iterator): nothing more to build.
            } catch (Throwable t) {
                // Blocking put, not offer: with the queue full, an offered failure would be lost and the
                // consumer would wait forever for a batch that never comes.
                try {
                    queue.put(new Failure(t));
                } catch (InterruptedException ignored) {
                    // The consumer is gone.
                }
            }
        });
    }
}
