package org.attn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.attn4j.autograd.GradMode;
import org.attn4j.data.images.ImageFiles;
import org.attn4j.data.images.RgbImage;
import org.attn4j.models.vit.VisionTransformer;
import org.attn4j.models.vit.VitModels;
import org.attn4j.nn.Linear;
import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code predict --model --weights IMAGE...} end to end on ViT-Ti/16 weights whose head ignores the image (zero
 * weight) and has bias 10 for class 281 ("tabby"), 9 for 954 ("banana") and 0 elsewhere: the printed
 * probabilities are then the softmax of that bias, e^10 / (e^10 + e^9 + 998) and so on, whatever the image.
 */
class VitPredictCommandTest {
    @Test
    void printsTopClassesWithImageNetNamesAndTimings(@TempDir Path dir) throws Exception {
        VisionTransformer m = new VisionTransformer(VitModels.config("vit_tiny_patch16_224"), new Generator(1), false);
        Linear head = (Linear) m.head();
        try (var ignored = GradMode.noGrad()) {
            head.weight().zero_();
            head.bias().zero_();
            float[] b = new float[1000];
            b[281] = 10;
            b[954] = 9;
            head.bias().copy_(org.attn4j.tensor.Tensor.of(b, 1000));
        }
        Path weights = dir.resolve("vit_tiny.safetensors");
        m.saveCheckpoint(weights);
        Path img = dir.resolve("cat.png");
        RgbImage image = RgbImage.blank(300, 200);
        for (int y = 0; y < 200; y++) for (int x = 0; x < 300; x++) image.set(x, y, 0, (x * y) % 256);
        ImageFiles.writePng(image, img);

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int status = VitPredictCommand.run(new String[] {"predict", "--model", "vit_tiny_patch16_224", "--weights", weights.toString(),
                "--top", "3", img.toString()}, out, System.err);
        assertEquals(0, status);
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        double z = Math.exp(10) + Math.exp(9) + 998;
        assertEquals(img + ":", lines[0]);
        assertEquals(String.format(Locale.ROOT, "  1. %-32s %7.4f  (class 281)", "tabby", Math.exp(10) / z), lines[1]);
        assertEquals(String.format(Locale.ROOT, "  2. %-32s %7.4f  (class 954)", "banana", Math.exp(9) / z), lines[2]);
        assertTrue(lines[3].startsWith("  3. ") && lines[3].contains(String.format(Locale.ROOT, "%7.4f", 1 / z)), lines[3]);
        assertTrue(lines[4].matches("vit_tiny_patch16_224: loaded in \\d+ ms; 1 image\\(s\\) preprocessed in \\d+ ms, classified in \\d+ ms .*"),
                lines[4]);
    }

    @Test
    void usageErrorsAreClear(@TempDir Path dir) {
        var e = assertThrows(Args.UsageException.class,
                () -> VitPredictCommand.run(new String[] {"predict", "--model", "vit_tiny_patch16_224", "x.png"}, System.out, System.err));
        assertEquals("predict: --model NAME and --weights FILE are both required", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> VitPredictCommand.run(new String[] {"predict", "--model",
                "vit_fashion", "--weights", "w.safetensors", "x.png"}, System.out, System.err));
        assertEquals("model vit_fashion classifies 28x28 Fashion-MNIST tensors, not image files; use predict --checkpoint for it",
                e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> VitPredictCommand.run(new String[] {"predict", "--model",
                "vit_tiny_patch16_224", "--weights", dir.resolve("none.safetensors").toString(), "x.png"}, System.out, System.err));
        assertEquals("weights file " + dir.resolve("none.safetensors") + " does not exist", e3.getMessage());
    }
}
