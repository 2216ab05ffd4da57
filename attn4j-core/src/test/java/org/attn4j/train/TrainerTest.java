package org.attn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.attn4j.data.Augment;
import org.attn4j.data.DataLoader;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.models.FashionModels;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.Flatten;
import org.attn4j.nn.Linear;
import org.attn4j.nn.ReLU;
import org.attn4j.nn.Sequential;
import org.attn4j.nn.UnaryModule;
import org.attn4j.optim.Adam;
import org.attn4j.optim.LRScheduler;
import org.attn4j.optim.Optimizer;
import org.attn4j.optim.ParamGroup;
import org.attn4j.optim.SGD;
import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loop as {@code attn4j train} runs it, on a small slice of Fashion-MNIST with the {@code cnn}
 * model (batch norm, two dropouts, crop and flip augmentation, AdamW, cosine schedule with warm-up): two runs
 * with the same seed agree to the bit, and a run stopped after epoch 1 and resumed from its checkpoint ends
 * epoch 2 exactly where the uninterrupted run does. The other tests use a small MLP on a synthetic problem.
 */
class TrainerTest {
    private static final long SEED = 17;
    private static final int EPOCHS = 2, BATCH = 16;
    private static Dataset train, test;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadSlice() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        // The test split is the smaller file; its first 64 images train, the next 64 evaluate.
        Dataset all = FashionMnist.load(FashionMnist.Split.TEST, null).normalized(FashionMnist.MEAN, FashionMnist.STD);
        train = slice(all, 0, 64);
        test = slice(all, 64, 64);
    }

    private static Dataset slice(Dataset d, int from, int n) {
        int px = d.imageSize();
        return new Dataset(Arrays.copyOfRange(d.images(), from * px, (from + n) * px), Arrays.copyOfRange(d.labels(), from, from + n),
                n, d.rows(), d.cols(), d.classNames(), d.pixels(), d.black());
    }

    /** One run's objects, built as TrainCommand builds them. */
    private record Run(UnaryModule net, Optimizer optimizer, Trainer trainer, DataLoader trainLoader, DataLoader testLoader) {
        static Run create() {
            Generator g = new Generator(SEED);
            UnaryModule net = FashionModels.create("cnn", g);
            Optimizer opt = Adam.adamW(List.of(new ParamGroup(net.parameters(), 2e-3, 0.05)), 0.9, 0.999, 1e-8);
            DataLoader trainLoader = new DataLoader(train, BATCH, true, true, new Augment(2, true), SEED);
            DataLoader testLoader = new DataLoader(test, 100, false, false, Augment.NONE, SEED);
            long steps = (long) EPOCHS * trainLoader.batches();
            LRScheduler schedule = LRScheduler.cosineWithWarmup(2e-5, trainLoader.batches(), 2e-5, steps);
            Trainer trainer = new Trainer(net, opt, schedule, 0.1f, 0, g, SEED);
            return new Run(net, opt, trainer, trainLoader, testLoader);
        }
    }

    /** Everything an epoch measured except its wall time and throughput. */
    private static double[] metrics(EpochStats s) {
        return new double[] {s.epoch(), s.trainLoss(), s.trainAccuracy(), s.testLoss(), s.testAccuracy(), s.testTopK(), s.lr()};
    }

    /** Records every callback as text, and saves a checkpoint after each epoch (TrainCommand's listener). */
    private static final class Recorder implements TrainingListener {
        final List<String> calls = new ArrayList<>();
        final Run run;
        final Path checkpointDir;
        final int stopAfter;
        double lastRunningLoss, lastRunningAccuracy;
        final List<EpochStats> history = new ArrayList<>();

        Recorder(Run run, Path checkpointDir, int stopAfter) {
            this.run = run;
            this.checkpointDir = checkpointDir;
            this.stopAfter = stopAfter;
        }

        @Override
        public void epochStarted(int epoch, int batches) {
            calls.add("start " + epoch + " of " + batches);
        }

        @Override
        public void batchEnded(int epoch, int batch, double runningLoss, double runningAccuracy, double imagesPerSecond) {
            calls.add("batch " + epoch + "." + batch);
            lastRunningLoss = runningLoss;
            lastRunningAccuracy = runningAccuracy;
            assertTrue(imagesPerSecond > 0);
        }

        @Override
        public void epochEnded(EpochStats stats) throws IOException, InterruptedException {
            calls.add("end " + stats.epoch());
            // The epoch's training figures are the running means after its last batch.
            assertEquals(lastRunningLoss, stats.trainLoss(), 0);
            assertEquals(lastRunningAccuracy, stats.trainAccuracy(), 0);
            history.add(stats);
            if (checkpointDir != null) {
                Checkpoint.save(checkpointDir, "cnn", stats.epoch(), run.net(), run.optimizer(), Map.of("seed", Long.toString(SEED)), history);
            }
            if (stats.epoch() == stopAfter) throw new InterruptedException("stopped after epoch " + stopAfter + " (as Ctrl-C would)");
        }
    }

    @Test
    void sameSeedSameMetricsAndAResumedRunContinuesExactly() throws Exception {
        // The uninterrupted run.
        Run a = Run.create();
        Recorder ra = new Recorder(a, null, -1);
        List<EpochStats> full = a.trainer().fit(a.trainLoader(), a.testLoader(), EPOCHS, 0, ra);
        assertEquals(2, full.size());
        List<String> expectedCalls = new ArrayList<>();
        for (int e = 0; e < EPOCHS; e++) {
            expectedCalls.add("start " + e + " of 4");
            for (int b = 1; b <= 4; b++) expectedCalls.add("batch " + e + "." + b);
            expectedCalls.add("end " + (e + 1));
        }
        assertEquals(expectedCalls, ra.calls, "the listener sees every batch of every epoch, in order");

        // The same run again, stopped by its listener after epoch 1's checkpoint.
        Run b = Run.create();
        Path ckpt = dir.resolve("run");
        Recorder rb = new Recorder(b, ckpt, 1);
        var stop = assertThrows(InterruptedException.class, () -> b.trainer().fit(b.trainLoader(), b.testLoader(), EPOCHS, 0, rb));
        assertTrue(stop.getMessage().contains("after epoch 1"));
        assertArrayEquals(metrics(full.get(0)), metrics(rb.history.get(0)), "same seed, same epoch 1");

        // Resumed in fresh objects from the checkpoint: epoch 2 must be the uninterrupted run's epoch 2.
        Run c = Run.create();
        Checkpoint.Loaded loaded = Checkpoint.load(ckpt);
        assertEquals(1, loaded.epoch());
        loaded.restore("cnn", c.net(), c.optimizer());
        List<EpochStats> resumed = c.trainer().fit(c.trainLoader(), c.testLoader(), EPOCHS, loaded.epoch(), null);
        assertEquals(1, resumed.size());
        assertArrayEquals(metrics(full.get(1)), metrics(resumed.get(0)), "resumed epoch 2 differs from the uninterrupted one");
        assertEquals(a.net().stateDict().keySet(), c.net().stateDict().keySet());
        a.net().stateDict().forEach((k, v) -> assertArrayEquals(v.toFloatArray(), c.net().stateDict().get(k).toFloatArray(), k));

        // And it learns: both losses fall from epoch 1 to epoch 2 (by about 0.2 at this seed).
        assertTrue(full.get(1).trainLoss() < full.get(0).trainLoss(), "train loss: " + full);
        assertTrue(full.get(1).testLoss() < full.get(0).testLoss(), "test loss: " + full);
        assertTrue(full.get(1).testTopK() >= full.get(1).testAccuracy());
    }

    /**
     * A learnable toy problem: 2 x 2 "images" whose class is which of two fixed patterns (plus noise)
     * they show, 256 of them.
     */
    private static Dataset toy(int n, long seed) {
        Generator g = new Generator(seed);
        float[] px = new float[n * 4];
        int[] labels = new int[n];
        float[][] pattern = {{1, -1, -1, 1}, {-1, 1, 1, -1}};
        for (int i = 0; i < n; i++) {
            labels[i] = g.nextInt(2);
            for (int p = 0; p < 4; p++) px[i * 4 + p] = pattern[labels[i]][p] + (float) g.nextGaussian() * 0.8f;
        }
        return new Dataset(px, labels, n, 2, 2, List.of("x", "o"), Dataset.Pixels.SCALED);
    }

    private static UnaryModule mlp(Generator g) {
        return new Sequential(new Flatten(), new Linear(4, 16, true, g), new ReLU(), new Dropout(0.2, g), new Linear(16, 2, true, g));
    }

    @Test
    void lossDecreasesOnALearnableProblem() throws Exception {
        Generator g = new Generator(1);
        UnaryModule net = mlp(g);
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.05), null, 0f, 0, g, 1);
        DataLoader trainLoader = new DataLoader(toy(256, 2), 16, true, false, Augment.NONE, 1);
        DataLoader testLoader = new DataLoader(toy(200, 3), 50, false, false, Augment.NONE, 1);
        double before = trainer.evaluate(testLoader, 1).loss();
        List<EpochStats> h = trainer.fit(trainLoader, testLoader, 6, 0, null);
        assertEquals(6, h.size());
        for (int e = 0; e < 6; e++) assertEquals(e + 1, h.get(e).epoch());
        assertTrue(h.get(5).trainLoss() < 0.6 * h.get(0).trainLoss(), "train loss " + h.get(0).trainLoss() + " -> " + h.get(5).trainLoss());
        assertTrue(h.get(5).testLoss() < 0.5 * before, "test loss " + before + " -> " + h.get(5).testLoss());
        // Bayes accuracy of the toy problem is about 98% (4 pixels, noise 0.8 against a separation of 2 each).
        assertTrue(h.get(5).testAccuracy() > 0.9, "test accuracy " + h.get(5).testAccuracy());
        assertEquals(1.0, h.get(5).testTopK(), 0, "with 2 classes the top-5 (capped at 2) is everything");
        assertEquals(0.05, h.get(5).lr(), 0, "without a schedule the optimizer's rate stays");
    }

    @Test
    void evaluateIsDeterministicCountsEveryImageAndRestoresTheMode() {
        Generator g = new Generator(4);
        UnaryModule net = mlp(g);
        Dataset data = toy(130, 5);
        DataLoader loader = new DataLoader(data, 50, true, false, Augment.NONE, 1);
        net.train();
        Evaluation e1 = Trainer.evaluate(net, loader, 1);
        assertTrue(net.isTraining(), "evaluate put the model back in training mode");
        Evaluation e2 = Trainer.evaluate(net, loader, 1);
        assertEquals(e1.loss(), e2.loss(), 0, "dropout is off in evaluation");
        assertEquals(130, e1.confusion().total(), "the last, partial batch is evaluated too");
        assertEquals(e1.accuracy(), e1.confusion().accuracy(), 0);
        net.eval();
        Trainer.evaluate(net, loader, 1);
        assertFalse(net.isTraining());
    }

    @Test
    void aDivergedLossStopsWithItsEpochAndBatch() throws InterruptedException {
        Generator g = new Generator(4);
        UnaryModule net = mlp(g);
        try (var ignored = org.attn4j.autograd.GradMode.noGrad()) {
            net.parameters().get(0).fill_(Float.NaN);
        }
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.1), null, 0f, 0);
        // 64 batches of one image: the loader's thread is still busy when the first loss comes back NaN.
        DataLoader loader = new DataLoader(toy(64, 5), 1, true, false, Augment.NONE, 1);
        java.util.Set<Thread> before = loaderThreads();
        var e = assertThrows(IllegalStateException.class, () -> trainer.fit(loader, loader, 1, 0, null));
        assertTrue(e.getMessage().contains("diverged") && e.getMessage().contains("epoch 1, batch 1"), e.getMessage());
        // The abandoned epoch was closed: its prefetch thread ends rather than waiting forever.
        java.util.Set<Thread> started = loaderThreads();
        started.removeAll(before);
        for (Thread t : started) {
            t.join(10_000);
            assertFalse(t.isAlive(), "the loader thread of the abandoned epoch is still running");
        }
    }

    private static java.util.Set<Thread> loaderThreads() {
        java.util.Set<Thread> out = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith("attn4j-loader")) out.add(t);
        return out;
    }

    @Test
    void aLoaderWithoutBatchesIsRefused() {
        Generator g = new Generator(4);
        UnaryModule net = mlp(g);
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.1), null, 0f, 0);
        DataLoader empty = new DataLoader(toy(10, 5), 16, true, true, Augment.NONE, 1);
        DataLoader ok = new DataLoader(toy(10, 5), 4, true, false, Augment.NONE, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(empty, ok, 1, 0, null));
        assertTrue(e.getMessage().contains("no batches"), e.getMessage());
        net.train();
        var ev = assertThrows(IllegalArgumentException.class, () -> trainer.evaluate(empty, 1));
        assertTrue(ev.getMessage().contains("no batches"), ev.getMessage());
        assertTrue(net.isTraining(), "a refused evaluation leaves the mode alone");
        assertThrows(IllegalArgumentException.class, () -> trainer.fit(ok, ok, 1, -1, null));
    }
}
