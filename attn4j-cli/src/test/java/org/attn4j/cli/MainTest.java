package org.attn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end: usage errors, and a tiny training run on the real Fashion-MNIST files (when
 * Debian's dataset-fashion-mnist is installed; the run names the directory explicitly, so it never downloads)
 * that writes metrics, a plot and a checkpoint, then evaluates and resumes from it.
 */
class MainTest {
    private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void usageErrorsAreOneClearLineAndStatus2() {
        CliRun r = run("fly");
        assertEquals(2, r.status());
        assertEquals("attn4j: unknown command 'fly' (commands: train, eval, predict, inspect, attention-map, help)", r.err().trim());
        CliRun m = run("train", "--model", "resnet");
        assertEquals(2, m.status());
        assertEquals("attn4j train: unknown model 'resnet' (models: cnn, cnn-se, cnn-cbam, cnn-eca, vit, bilstm-attn)", m.err().trim());
        CliRun b = run("train", "--batch-size", "0");
        assertEquals(2, b.status());
        assertEquals("attn4j train: --batch-size must be at least 1, got 0", b.err().trim());
        CliRun lr = run("train", "--lr", "-1");
        assertEquals(2, lr.status());
        assertTrue(lr.err().contains("--lr must be in [0.0, 10.0], got -1"), lr.err());
        CliRun o = run("train", "--bogus");
        assertEquals(2, o.status());
        assertTrue(o.err().startsWith("attn4j train: unknown option --bogus (known: "), o.err());
    }

    @Test
    void dropPathIsRefusedForAModelWithoutStochasticDepth() {
        CliRun r = run("train", "--model", "cnn", "--drop-path", "0.1");
        assertEquals(2, r.status());
        assertEquals("attn4j train: --drop-path applies to vit, not to 'cnn' (no stochastic depth)", r.err().trim());
    }

    @Test
    void missingCheckpointIsNamed(@TempDir Path dir) {
        CliRun r = run("eval", "--checkpoint", dir.toString());
        assertEquals(1, r.status());
        assertEquals("attn4j eval: checkpoint: no checkpoint.json in " + dir + " (is this a training output directory?)", r.err().trim());
    }

    @Test
    void trainsEvaluatesAndResumes(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(DATA), "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        Path out = dir.resolve("run");
        CliRun t = run("train", "--model", "cnn-eca", "--epochs", "1", "--limit", "256", "--test-limit", "200", "--batch-size", "64",
                "--data", DATA.toString(), "--out", out.toString(), "--threads", "2");
        assertEquals(0, t.status(), t.err());
        assertTrue(t.out().contains("test accuracy: "), t.out());
        for (String f : new String[] {"metrics.csv", "metrics.json", "curves.png", "checkpoint.json", "model-epoch1.safetensors",
                "optimizer-epoch1.safetensors"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " was not written");
        }
        assertEquals(2, Files.readAllLines(out.resolve("metrics.csv")).size());

        CliRun e = run("eval", "--checkpoint", out.toString(), "--data", DATA.toString(), "--limit", "200");
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("cnn-eca epoch 1: test loss "), e.out());

        CliRun resumed = run("train", "--resume", out.toString(), "--epochs", "2", "--data", DATA.toString(), "--test-limit", "200");
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("epoch 2/2"), resumed.out());
        assertTrue(Files.isRegularFile(out.resolve("model-epoch2.safetensors")));
        assertTrue(!Files.exists(out.resolve("model-epoch1.safetensors")), "the old epoch's weights are removed after the new manifest");
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size());

        CliRun wrong = run("train", "--resume", out.toString(), "--model", "cnn", "--data", DATA.toString());
        assertEquals(2, wrong.status());
        assertEquals("attn4j train: the checkpoint in " + out + " is of model 'cnn-eca', not 'cnn'", wrong.err().trim());
    }
}
