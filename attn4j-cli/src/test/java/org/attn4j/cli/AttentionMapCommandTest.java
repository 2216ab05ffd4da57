package org.attn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.attn4j.io.AtomicFiles;
import org.attn4j.models.FashionModels;
import org.attn4j.tensor.Generator;
import org.attn4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code attention-map} end to end on a ViT trained for a moment on the real Fashion-MNIST files (when Debian's
 * dataset-fashion-mnist is installed), and its refusal of models it cannot draw.
 */
class AttentionMapCommandTest {
    private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static boolean isGrey(int rgb) {
        int r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
        return r == g && g == b;
    }

    @Test
    void drawsTheRolloutOfATinyVit(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(DATA), "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        Path ckpt = dir.resolve("run");
        CliRun t = run("train", "--model", "vit", "--epochs", "1", "--limit", "64", "--test-limit", "32", "--batch-size", "32",
                "--data", DATA.toString(), "--out", ckpt.toString(), "--threads", "1");
        assertEquals(0, t.status(), t.err());

        Path png = dir.resolve("maps.png");
        CliRun m = run("attention-map", "--checkpoint", ckpt.toString(), "--count", "3", "--first", "5", "--data", DATA.toString(),
                "--out", png.toString(), "--threads", "1");
        assertEquals(0, m.status(), m.err());
        assertTrue(m.out().contains("attention rollout over 6 blocks") && m.out().contains("7x7 patch grid"), m.out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null, "not a readable PNG");
        // Layout: 3 columns of 28 px drawn 6x (168) with 8 px padding; per image a 28 px caption, the cell and 8 px;
        // an 18 px strip of column titles on top.
        int cell = 168, pad = 8;
        assertEquals(pad + 3 * (cell + pad), img.getWidth());
        assertEquals(18 + pad + 3 * (cell + 28 + pad), img.getHeight());
        // The input column is grey; the two map columns are coloured by the heat map.
        int y = 18 + pad + 28 + cell / 2;
        assertTrue(isGrey(img.getRGB(pad + cell / 2, y)), "input cell is grey");
        assertTrue(!isGrey(img.getRGB(pad + (cell + pad) + cell / 2, y)), "rollout cell is a heat map");
        assertTrue(!isGrey(img.getRGB(pad + 2 * (cell + pad) + cell / 2, y)), "last-block cell is a heat map");
        assertTrue(!Files.exists(AtomicFiles.temporaryFor(png)), "the temporary file is moved into place");

        // vit-explain's other setting, max fusion with most weights discarded, and a bad fusion name.
        CliRun max = run("attention-map", "--checkpoint", ckpt.toString(), "--count", "1", "--data", DATA.toString(),
                "--out", dir.resolve("max.png").toString(), "--head-fusion", "max", "--discard-ratio", "0.9", "--threads", "1");
        assertEquals(0, max.status(), max.err());
        assertTrue(max.out().contains("head fusion max, discard ratio 0.9"), max.out());
        assertEquals(pad + 3 * (cell + pad), ImageIO.read(dir.resolve("max.png").toFile()).getWidth());
        CliRun bad = run("attention-map", "--checkpoint", ckpt.toString(), "--head-fusion", "median", "--data", DATA.toString());
        assertEquals(2, bad.status());
        assertEquals("attn4j attention-map: --head-fusion must be mean, max or min, got 'median'", bad.err().trim());
        CliRun ratio = run("attention-map", "--checkpoint", ckpt.toString(), "--discard-ratio", "1", "--data", DATA.toString());
        assertEquals(2, ratio.status());
        assertTrue(ratio.err().contains("AttentionRollout: discard ratio 1.0 is outside [0, 1)"), ratio.err());
    }

    @Test
    void refusesAModelWithoutMapsToDraw(@TempDir Path dir) throws Exception {
        // An untrained plain CNN's checkpoint: the command must refuse it before reading any data.
        Checkpoint.save(dir, "cnn", 1, FashionModels.create("cnn", new Generator(0)), null, Map.of(), List.of());
        CliRun r = run("attention-map", "--checkpoint", dir.toString());
        assertEquals(2, r.status());
        assertEquals("attn4j attention-map: attention-map draws CBAM's spatial maps or a ViT's attention rollout: the checkpoint"
                + " is a 'cnn', train one with --model cnn-cbam or --model vit", r.err().trim());
    }
}
