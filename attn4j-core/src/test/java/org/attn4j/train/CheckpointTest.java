package org.attn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.attn4j.io.AtomicFiles;
import org.attn4j.nn.BatchNorm1d;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.nn.ReLU;
import org.attn4j.nn.Sequential;
import org.attn4j.ops.Losses;
import org.attn4j.optim.Adam;
import org.attn4j.optim.Optimizer;
import org.attn4j.optim.ParamGroup;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Save and load of training checkpoints with a small network that has parameters and batch-norm buffers,
 * trained a few AdamW steps so the optimizer has moments to save; and what is left on disk when a save
 * fails part-way.
 */
class CheckpointTest {
    @TempDir
    Path dir;

    private static final Map<String, String> CONFIG = new LinkedHashMap<>(Map.of("model", "tiny", "lr", "0.01", "seed", "7"));

    /** Linear(4, 3) - BatchNorm1d(3) - ReLU - Linear(3, 2). */
    private static Sequential net(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(4, 3, true, g), new BatchNorm1d(3), new ReLU(), new Linear(3, 2, true, g));
    }

    private static Optimizer adamW(Module m) {
        return Adam.adamW(List.of(new ParamGroup(m.parameters(), 0.01, 0.01)), 0.9, 0.999, 1e-8);
    }

    /** {@code n} training steps on random batches of 8 drawn from {@code g}. */
    private static void train(Sequential m, Optimizer opt, int n, Generator g) {
        m.train();
        for (int i = 0; i < n; i++) {
            Tensor x = Tensor.randn(g, 8, 4);
            Tensor y = Tensor.randint(g, 0, 2, 8);
            Tensor loss = Losses.crossEntropy(m.forward(x), y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
        }
    }

    private static EpochStats stats(int epoch) {
        // Test top-5 is NaN (a 2-class model has none): JSON has no NaN, so it travels as null and comes back NaN.
        return new EpochStats(epoch, 0.5 / epoch, 0.75, 0.625, 0.8125, Double.NaN, 1.5, 1234.5, 1e-3 / epoch);
    }

    /** Every entry of {@code actual} has the same key, shape and bits as in {@code expected}, and nothing more. */
    private static void assertSameState(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k).shape(), actual.get(k).shape(), k);
            assertArrayEquals(expected.get(k).toFloatArray(), actual.get(k).toFloatArray(), k);  // bitwise (floatToIntBits)
        }
    }

    private Map<String, Tensor> copy(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.contiguousCopy()));
        return out;
    }

    private TreeSet<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void saveThenLoadRoundTripsEverythingAndTrainingContinuesIdentically() throws IOException {
        Sequential a = net(1);
        Optimizer optA = adamW(a);
        train(a, optA, 3, new Generator(10));
        Checkpoint.save(dir, "tiny", 2, a, optA, CONFIG, List.of(stats(1), stats(2)));

        Checkpoint.Loaded c = Checkpoint.load(dir);
        assertEquals(dir, c.dir());
        assertEquals("tiny", c.model());
        assertEquals(2, c.epoch());
        assertEquals(CONFIG, c.config());
        assertEquals(List.of(stats(1), stats(2)), c.history());       // record equality: NaN equals NaN
        assertTrue(c.modelState().containsKey("1.running_mean"), "batch-norm buffers are part of the state");
        assertSameState(a.stateDict(), c.modelState());
        assertSameState(optA.stateDict(), c.optimizerState());

        // A differently initialised network and a fresh optimizer take the state over...
        Sequential b = net(2);
        Optimizer optB = adamW(b);
        c.restore("tiny", b, optB);
        assertSameState(a.stateDict(), b.stateDict());
        assertSameState(optA.stateDict(), optB.stateDict());
        assertEquals(optA.steps(), optB.steps());
        // The learning rate exactly, not rounded to float32 by the optimizer's tensor state dict.
        assertEquals(0.01, optB.paramGroups().get(0).lr(), 0);
        // ...and the next steps agree to the bit (Adam's moments and step count came back, not just weights).
        train(a, optA, 2, new Generator(11));
        train(b, optB, 2, new Generator(11));
        assertSameState(a.stateDict(), b.stateDict());
    }

    @Test
    void aNewEpochReplacesTheOldFiles() throws IOException {
        Sequential m = net(1);
        Optimizer opt = adamW(m);
        train(m, opt, 1, new Generator(3));
        Checkpoint.save(dir, "tiny", 1, m, opt, CONFIG, List.of(stats(1)));
        assertEquals(new TreeSet<>(List.of("checkpoint.json", "model-epoch1.safetensors", "optimizer-epoch1.safetensors")), files());
        train(m, opt, 1, new Generator(4));
        Checkpoint.save(dir, "tiny", 2, m, opt, CONFIG, List.of(stats(1), stats(2)));
        assertEquals(new TreeSet<>(List.of("checkpoint.json", "model-epoch2.safetensors", "optimizer-epoch2.safetensors")), files(),
                "epoch 1's files are removed once the new manifest is in place, and no temporary file is left");
        assertEquals(2, Checkpoint.load(dir).epoch());
        assertSameState(m.stateDict(), Checkpoint.load(dir).modelState());
    }

    @Test
    void withoutAnOptimizerOnlyTheWeightsAreSaved() throws IOException {
        Sequential m = net(1);
        Checkpoint.save(dir, "tiny", 1, m, null, CONFIG, List.of());
        assertEquals(new TreeSet<>(List.of("checkpoint.json", "model-epoch1.safetensors")), files());
        Checkpoint.Loaded c = Checkpoint.load(dir);
        assertTrue(c.optimizerState().isEmpty());
        assertTrue(c.history().isEmpty());
        Sequential other = net(5);
        c.restore("tiny", other, null);
        assertSameState(m.stateDict(), other.stateDict());
    }

    @Test
    void aSaveThatFailsAtTheManifestLeavesThePreviousCheckpoint() throws IOException {
        Sequential m = net(1);
        Optimizer opt = adamW(m);
        train(m, opt, 2, new Generator(3));
        Checkpoint.save(dir, "tiny", 1, m, opt, CONFIG, List.of(stats(1)));
        Map<String, Tensor> epoch1 = copy(m.stateDict()), optim1 = copy(opt.stateDict());

        // The manifest is written last, to its temporary file and renamed: a directory in that place makes
        // exactly that last write fail, after epoch 2's weights and optimizer state are on disk.
        Path blocker = Files.createDirectory(AtomicFiles.temporaryFor(dir.resolve(Checkpoint.MANIFEST)));
        train(m, opt, 2, new Generator(4));
        assertThrows(IOException.class, () -> Checkpoint.save(dir, "tiny", 2, m, opt, CONFIG, List.of(stats(1), stats(2))));
        assertTrue(files().contains("model-epoch2.safetensors"), "the failure came after the new weights were written");

        Checkpoint.Loaded c = Checkpoint.load(dir);
        assertEquals(1, c.epoch());
        assertEquals(List.of(stats(1)), c.history());
        assertSameState(epoch1, c.modelState());
        assertSameState(optim1, c.optimizerState());

        // Once the disk is fine again, the next save goes through and cleans up the orphans.
        Files.delete(blocker);
        Checkpoint.save(dir, "tiny", 2, m, opt, CONFIG, List.of(stats(1), stats(2)));
        assertEquals(2, Checkpoint.load(dir).epoch());
        assertEquals(new TreeSet<>(List.of("checkpoint.json", "model-epoch2.safetensors", "optimizer-epoch2.safetensors")), files());
    }

    @Test
    void aSaveThatFailsBetweenTheTwoStateFilesLeavesThePreviousCheckpoint() throws IOException {
        Sequential m = net(1);
        Optimizer opt = adamW(m);
        train(m, opt, 1, new Generator(3));
        Checkpoint.save(dir, "tiny", 1, m, opt, CONFIG, List.of(stats(1)));
        Map<String, Tensor> epoch1 = copy(m.stateDict());

        // An optimizer whose state cannot be produced (standing in for a full disk or a crash between files).
        Optimizer broken = new Optimizer("broken", List.of(new ParamGroup(m.parameters(), 0.01, 0))) {
            @Override
            protected void update(ParamGroup group, float[] param, float[] grad, Map<String, Tensor> state, int[] shape) {
                for (int i = 0; i < param.length; i++) param[i] -= (float) group.lr() * grad[i];
            }

            @Override
            protected java.util.Set<String> stateEntries() {
                return java.util.Set.of();
            }

            @Override
            public Map<String, Tensor> stateDict() {
                throw new UncheckedIOException(new IOException("No space left on device"));
            }
        };
        train(m, broken, 1, new Generator(4));
        assertThrows(UncheckedIOException.class, () -> Checkpoint.save(dir, "tiny", 2, m, broken, CONFIG, List.of()));
        Checkpoint.Loaded c = Checkpoint.load(dir);
        assertEquals(1, c.epoch());
        assertSameState(epoch1, c.modelState());
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedBeforeAnythingIsLoaded() throws IOException {
        Sequential m = net(1);
        Checkpoint.save(dir, "cnn-cbam", 3, m, adamW(m), CONFIG, List.of());
        Checkpoint.Loaded c = Checkpoint.load(dir);
        Sequential other = net(9);
        Map<String, Tensor> before = copy(other.stateDict());
        var e = assertThrows(IllegalArgumentException.class, () -> c.restore("vit", other, adamW(other)));
        assertEquals("the checkpoint in " + dir + " is of model 'cnn-cbam', not 'vit'", e.getMessage());
        assertSameState(before, other.stateDict());
        c.requireModel("cnn-cbam");  // the right name passes
    }

    @Test
    void aCheckpointThatDoesNotFitTheNetworkNamesTheTensor() throws IOException {
        Sequential m = net(1);
        Checkpoint.save(dir, "tiny", 1, m, null, CONFIG, List.of());
        Generator g = new Generator(0);
        Sequential wider = new Sequential(new Linear(4, 5, true, g), new BatchNorm1d(5), new ReLU(), new Linear(5, 2, true, g));
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir).restore("tiny", wider, null));
        assertTrue(e.getMessage().contains("size mismatch for 0.weight"), e.getMessage());
    }

    @Test
    void aTruncatedWeightsFileIsNamed() throws IOException {
        Sequential m = net(1);
        Checkpoint.save(dir, "tiny", 1, m, adamW(m), CONFIG, List.of());
        Path weights = dir.resolve("model-epoch1.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains(weights.toString()), e.getMessage());
    }

    @Test
    void aMissingWeightsFileIsNamed() throws IOException {
        Sequential m = net(1);
        Checkpoint.save(dir, "tiny", 1, m, adamW(m), CONFIG, List.of());
        Files.delete(dir.resolve("optimizer-epoch1.safetensors"));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("optimizer-epoch1.safetensors") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aBadManifestIsNamed() throws IOException {
        IOException none = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(none.getMessage().contains("no checkpoint.json in " + dir), none.getMessage());

        Path mf = dir.resolve(Checkpoint.MANIFEST);
        Files.writeString(mf, "{\"format\": \"attn4j-checkpoint/1\", \"model\": ");
        IOException json = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(json.getMessage().contains(mf + " is not valid JSON"), json.getMessage());

        Files.writeString(mf, "{\"format\": \"something-else/2\"}");
        IOException format = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(format.getMessage().contains("something-else/2"), format.getMessage());

        Files.writeString(mf, "{\"format\": \"attn4j-checkpoint/1\", \"epoch\": 1}");
        IOException fields = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(fields.getMessage().contains(mf.toString()), fields.getMessage());
    }
}
