package org.attn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.attn4j.tensor.DType;
import org.junit.jupiter.api.Test;

/**
 * {@link DataLoader} on small synthetic datasets whose pixels say which image they belong to, so every batch
 * can be checked against the dataset rows it claims to hold.
 */
class DataLoaderTest {
    private static final List<String> CLASSES = List.of("a", "b", "c", "d");
    private static final int ROWS = 2, COLS = 3;

    /** n raw 2 x 3 images; pixel p of image k is 10 k + p; labels cycle through the four classes. */
    private static Dataset numbered(int n) {
        float[] px = new float[n * ROWS * COLS];
        int[] labels = new int[n];
        for (int k = 0; k < n; k++) {
            for (int p = 0; p < ROWS * COLS; p++) px[k * ROWS * COLS + p] = 10 * k + p;
            labels[k] = (k * 7) % CLASSES.size();
        }
        return new Dataset(px, labels, n, ROWS, COLS, CLASSES, Dataset.Pixels.RAW);
    }

    private static List<Batch> collect(Iterable<Batch> batches) {
        List<Batch> out = new ArrayList<>();
        for (Batch b : batches) out.add(b);
        return out;
    }

    private static int[] indices(List<Batch> batches) {
        return batches.stream().flatMapToInt(b -> Arrays.stream(b.indices())).toArray();
    }

    @Test
    void everySampleExactlyOncePerEpochWithoutDropLast() {
        DataLoader loader = new DataLoader(numbered(103), 10, true, false, Augment.NONE, 1);
        assertEquals(11, loader.batches());
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Batch> batches = collect(loader.epoch(epoch));
            assertEquals(11, batches.size());
            for (int b = 0; b < 10; b++) assertEquals(10, batches.get(b).size());
            assertEquals(3, batches.get(10).size(), "the last batch holds the remainder");
            int[] seen = indices(batches);
            Arrays.sort(seen);
            int[] all = new int[103];
            Arrays.setAll(all, i -> i);
            assertArrayEquals(all, seen, "epoch " + epoch);
        }
    }

    @Test
    void dropLastDropsTheIncompleteBatch() {
        DataLoader loader = new DataLoader(numbered(103), 10, true, true, Augment.NONE, 1);
        assertEquals(10, loader.batches());
        Set<Integer> droppedBefore = null;
        for (int epoch = 0; epoch < 2; epoch++) {
            List<Batch> batches = collect(loader.epoch(epoch));
            assertEquals(10, batches.size());
            for (Batch b : batches) assertEquals(10, b.size());
            Set<Integer> seen = Arrays.stream(indices(batches)).boxed().collect(Collectors.toSet());
            assertEquals(100, seen.size(), "no sample twice");
            // The 3 dropped samples are the last 3 of this epoch's order, so they change with the shuffle.
            Set<Integer> dropped = new HashSet<>();
            int[] order = loader.order(epoch);
            for (int k = 100; k < 103; k++) dropped.add(order[k]);
            for (int d : dropped) assertFalse(seen.contains(d));
            if (droppedBefore != null) assertNotEquals(droppedBefore, dropped);
            droppedBefore = dropped;
        }
        // Exact multiples lose nothing either way, and a batch larger than the data gives none with dropLast.
        assertEquals(10, new DataLoader(numbered(100), 10, true, true, null, 1).batches());
        assertEquals(10, new DataLoader(numbered(100), 10, true, false, null, 1).batches());
        assertEquals(0, new DataLoader(numbered(5), 10, true, true, null, 1).batches());
        assertEquals(1, new DataLoader(numbered(5), 10, true, false, null, 1).batches());
        assertEquals(0, collect(new DataLoader(numbered(5), 10, true, true, null, 1).epoch(0)).size());
    }

    @Test
    void shuffleIsSeededPerEpoch() {
        Dataset d = numbered(50);
        DataLoader a = new DataLoader(d, 8, true, false, null, 42), b = new DataLoader(d, 8, true, false, null, 42);
        for (int epoch = 0; epoch < 3; epoch++) {
            assertArrayEquals(a.order(epoch), b.order(epoch), "same seed, epoch " + epoch);
            assertArrayEquals(indices(collect(a.epoch(epoch))), indices(collect(b.epoch(epoch))));
            // The order depends on (seed, epoch) only: asking again, or after other epochs, gives the same.
            assertArrayEquals(a.order(epoch), a.order(epoch));
        }
        assertFalse(Arrays.equals(a.order(0), a.order(1)), "epochs 0 and 1 share an order");
        assertFalse(Arrays.equals(a.order(1), a.order(2)), "epochs 1 and 2 share an order");
        assertFalse(Arrays.equals(a.order(0), new DataLoader(d, 8, true, false, null, 43).order(0)), "seeds 42 and 43");
        int[] identity = new int[50];
        Arrays.setAll(identity, i -> i);
        assertFalse(Arrays.equals(identity, a.order(0)));
        DataLoader sequential = new DataLoader(d, 8, false, false, null, 42);
        assertArrayEquals(identity, sequential.order(0));
        assertArrayEquals(identity, sequential.order(5));
        assertArrayEquals(identity, indices(collect(sequential.epoch(3))));
    }

    @Test
    void neighbouringSeedsShareNoRandomness() {
        // With seeds built as seed * 31 + epoch, seed 1's epoch 0 augmented exactly as seed 0's epoch 31.
        Dataset d = numbered(24).normalized(0.5f, 0.25f);
        DataLoader s0 = new DataLoader(d, 24, true, false, new Augment(1, true), 0);
        DataLoader s1 = new DataLoader(d, 24, true, false, new Augment(1, true), 1);
        int[] order = new DataLoader(d, 24, false, false, null, 0).order(0);
        assertFalse(Arrays.equals(s1.batch(order, 0, 0).images().contiguousData(), s0.batch(order, 31, 0).images().contiguousData()));
        assertFalse(Arrays.equals(s1.order(0), s0.order(1_000_003)));
    }

    @Test
    void batchesHoldTheDatasetRowsAtTheShuffledIndices() {
        Dataset d = numbered(37);
        DataLoader loader = new DataLoader(d, 8, true, false, Augment.NONE, 3);
        int[] order = loader.order(2);
        int b = 0;
        for (Batch batch : loader.epoch(2)) {
            int size = batch.size();
            assertArrayEquals(new int[] {size, 1, ROWS, COLS}, batch.images().shape());
            assertEquals(DType.FLOAT32, batch.images().dtype());
            assertArrayEquals(new int[] {size}, batch.labels().shape());
            assertEquals(DType.INT64, batch.labels().dtype());
            assertArrayEquals(Arrays.copyOfRange(order, b * 8, b * 8 + size), batch.indices());
            float[] x = batch.images().contiguousData();
            int[] y = batch.labels().toIntArray();
            for (int i = 0; i < size; i++) {
                int k = batch.indices()[i];
                assertArrayEquals(d.image(k), Arrays.copyOfRange(x, i * ROWS * COLS, (i + 1) * ROWS * COLS), "image " + k);
                assertEquals(d.labels()[k], y[i], "label of image " + k);
            }
            b++;
        }
        assertEquals(5, b);
    }

    @Test
    void prefetchedBatchesEqualBatchesBuiltInPlace() {
        // With augmentation on, the background thread must give exactly what batch() gives on this thread:
        // the augmentation is seeded per (seed, epoch, batch), not by which thread builds the batch when.
        Dataset d = numbered(40).normalized(0.5f, 0.25f);
        DataLoader loader = new DataLoader(d, 6, true, false, new Augment(1, true), 11);
        for (int epoch = 0; epoch < 2; epoch++) {
            int[] order = loader.order(epoch);
            List<Batch> prefetched = collect(loader.epoch(epoch));
            assertEquals(loader.batches(), prefetched.size());
            for (int b = 0; b < prefetched.size(); b++) {
                Batch inPlace = loader.batch(order, epoch, b);
                assertArrayEquals(inPlace.indices(), prefetched.get(b).indices());
                assertArrayEquals(inPlace.images().contiguousData(), prefetched.get(b).images().contiguousData(),
                        "epoch " + epoch + " batch " + b);
                assertArrayEquals(inPlace.labels().toIntArray(), prefetched.get(b).labels().toIntArray());
            }
            // Iterating the same epoch again gives the same augmented images.
            List<Batch> again = collect(loader.epoch(epoch));
            for (int b = 0; b < again.size(); b++) {
                assertArrayEquals(prefetched.get(b).images().contiguousData(), again.get(b).images().contiguousData());
            }
        }
        // The augmentation does something, and something different in another epoch.
        DataLoader plainLoader = new DataLoader(d, 6, false, false, Augment.NONE, 11);
        int[] sequential = plainLoader.order(0);
        float[] e0 = loader.batch(sequential, 0, 0).images().contiguousData();
        float[] e1 = loader.batch(sequential, 1, 0).images().contiguousData();
        float[] plain = plainLoader.batch(sequential, 0, 0).images().contiguousData();
        assertFalse(Arrays.equals(e0, plain));
        assertFalse(Arrays.equals(e0, e1));
    }

    @Test
    void cropPaddingIsBlackEvenWhenNoPixelIsBlack() {
        // Every raw pixel is 200, none is black (0). torchvision's RandomCrop(padding=2) pads the raw image
        // with 0, which Normalize turns into (0 - mean) / std: the padding must be that, not the smallest
        // pixel value (here 200's) nor 0.
        int n = 64;
        float[] px = new float[n * 28 * 28];
        Arrays.fill(px, 200);
        Dataset d = new Dataset(px, new int[n], n, 28, 28, CLASSES, Dataset.Pixels.RAW).normalized(0.25f, 0.5f);
        float white = (200 / 255f - 0.25f) / 0.5f, black = (0 / 255f - 0.25f) / 0.5f;
        DataLoader loader = new DataLoader(d, 16, true, false, new Augment(2, false), 5);
        int padded = 0;
        for (Batch b : loader.epoch(0)) {
            for (float v : b.images().contiguousData()) {
                assertTrue(v == white || v == black, "pixel " + v + " is neither the image nor black");
                if (v == black) padded++;
            }
        }
        // A crop corner of (2, 2) (no shift) has probability 1/25; the other 24/25 of images show padding.
        assertTrue(padded > 0, "no padding shown in 64 shifted crops");
    }

    @Test
    void stoppingEarlyEndsTheBackgroundThread() throws Exception {
        // 500 batches of one image; the worker fills its small queue and then waits for the consumer.
        DataLoader loader = new DataLoader(numbered(500), 1, true, false, Augment.NONE, 1);
        Set<Thread> before = loaderThreads();
        DataLoader.Epoch epoch = loader.epoch(0);
        Iterator<Batch> it;
        Thread worker;
        try (epoch) {
            it = epoch.iterator();
            it.next();
            it.next();
            worker = newLoaderThread(before);
            assertTrue(worker.isDaemon(), "a loader thread must never keep the JVM alive");
            assertTrue(worker.isAlive(), "the worker waits for room in its queue");
        }
        worker.join(10_000);
        assertFalse(worker.isAlive(), "the loader thread is still running after close()");
        var e = assertThrows(IllegalStateException.class, it::next);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, epoch::iterator);
    }

    @Test
    void breakingOutOfAForEachEndsTheThreadOnceTheIteratorIsCollected() throws Exception {
        DataLoader loader = new DataLoader(numbered(500), 1, true, false, Augment.NONE, 1);
        Set<Thread> before = loaderThreads();
        Thread worker = null;
        int taken = 0;
        for (Batch b : loader.epoch(0)) {
            if (worker == null) worker = newLoaderThread(before);
            if (++taken == 3) break;
        }
        // Nothing references the iterator any more; a collection lets the cleaner stop its thread.
        for (int i = 0; i < 100 && worker.isAlive(); i++) {
            System.gc();
            worker.join(100);
        }
        assertFalse(worker.isAlive(), "the thread of an abandoned iteration is still running");
    }

    @Test
    void aFinishedEpochLeavesNoThread() throws Exception {
        DataLoader loader = new DataLoader(numbered(30), 4, true, false, new Augment(1, true), 1);
        Set<Thread> before = loaderThreads();
        Thread worker = null;
        int count = 0;
        for (Batch b : loader.epoch(0)) {
            if (worker == null) worker = newLoaderThread(before);
            count++;
        }
        assertEquals(8, count);
        worker.join(10_000);
        assertFalse(worker.isAlive(), "the loader thread outlived its epoch");
    }

    private static Set<Thread> loaderThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("attn4j-loader"))
                .collect(Collectors.toSet());
    }

    /**
     * The one loader thread started since {@code before} was listed. Called while the iteration is under
     * way; a finished worker may already be gone, then its (ended) thread object is not listed, so the
     * caller must ask early: for 8 batches and a queue of 4, the worker is still alive at the first batch
     * unless it finished all 8 first, which the assertion reports rather than hides.
     */
    private static Thread newLoaderThread(Set<Thread> before) {
        Set<Thread> now = loaderThreads();
        now.removeAll(before);
        assertEquals(1, now.size(), "threads started by one iteration: " + now);
        return now.iterator().next();
    }

    @Test
    void badArgumentsAreRejectedWithTheirValues() {
        var zero = assertThrows(IllegalArgumentException.class, () -> new DataLoader(numbered(3), 0, true, false, null, 1));
        assertTrue(zero.getMessage().contains("batch size") && zero.getMessage().contains("0"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(numbered(3), -4, true, false, null, 1));
        var empty = assertThrows(IllegalArgumentException.class, () -> new DataLoader(numbered(0), 2, true, false, null, 1));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        DataLoader loader = new DataLoader(numbered(10), 4, false, false, null, 1);
        var range = assertThrows(IllegalArgumentException.class, () -> loader.batch(loader.order(0), 0, 3));
        assertTrue(range.getMessage().contains("batch 3") && range.getMessage().contains("3 batches"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loader.batch(loader.order(0), 0, -1));
        var order = assertThrows(IllegalArgumentException.class, () -> loader.batch(new int[] {0, 1}, 0, 0));
        assertTrue(order.getMessage().contains("2 indices") && order.getMessage().contains("10 images"), order.getMessage());
    }
}
