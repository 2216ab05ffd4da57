package org.attn4j.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.attn4j.attention.CBAMBlock;
import org.attn4j.autograd.GradMode;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.models.FashionCnn;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Tensor;
import org.attn4j.train.Checkpoint;

/**
 * {@code attn4j attention-map --checkpoint DIR [--count N] [--out FILE.png]}: what a trained CBAM network
 * attends to. For each of the first N test images it draws the image, and CBAM's spatial attention maps of
 * stage 1 (28×28) and stage 2 (14×14, upsampled) overlaid on it as a heat map, with the true and predicted
 * class.
 */
final class AttentionMapCommand {
    private AttentionMapCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = new Args("attention-map", argv, 1, Set.of("checkpoint", "count", "out", "data", "first"), Set.of("help"));
        if (!a.has("checkpoint")) throw new Args.UsageException("attention-map: --checkpoint DIR is required");
        int count = a.getInt("count", 8, 1);
        int first = a.getInt("first", 0, 0);
        Path dir = Path.of(a.get("checkpoint", ""));
        Checkpoint.Loaded ckpt = Checkpoint.load(dir);
        UnaryModule net = EvalCommand.loadModel(ckpt);
        if (!(net instanceof FashionCnn cnn) || !(cnn.attention(1) instanceof CBAMBlock)) {
            throw new IllegalArgumentException("attention-map draws CBAM's spatial maps: the checkpoint is a '" + ckpt.model()
                    + "', train one with --model cnn-cbam");
        }
        Path dataDir = a.has("data") ? Path.of(a.get("data", "")) : null;
        Dataset raw = FashionMnist.load(FashionMnist.Split.TEST, dataDir);
        Dataset test = raw.normalized(FashionMnist.MEAN, FashionMnist.STD);
        count = Math.min(count, test.n() - first);
        if (count <= 0) throw new IllegalArgumentException("attention-map: --first " + first + " is past the " + test.n() + " test images");
        int px = 28 * 28;
        float[] x = java.util.Arrays.copyOfRange(test.images(), first * px, (first + count) * px);
        Tensor images = Tensor.of(x, count, 1, 28, 28);
        Tensor map1, map2, probs;
        try (var ignored = GradMode.noGrad()) {
            map1 = ((CBAMBlock) cnn.attention(1)).spatialMap(cnn.featuresBeforeAttention(images, 1));   // [N, 1, 28, 28]
            map2 = ((CBAMBlock) cnn.attention(2)).spatialMap(cnn.featuresBeforeAttention(images, 2));   // [N, 1, 14, 14]
            probs = cnn.forward(images).softmax(-1);
        }
        int scale = 6, cell = 28 * scale, pad = 8, label = 28;
        int w = pad + 3 * (cell + pad), h = pad + count * (cell + label + pad);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // Each map is stretched to [0, 1] per image (min-max), so the picture shows where attention is relatively high.
        float[] m1 = stretch(map1.toFloatArray(), count), m2 = stretch(map2.toFloatArray(), count), p = probs.toFloatArray();
        for (int i = 0; i < count; i++) {
            int y0 = pad + i * (cell + label + pad);
            int pred = 0;
            for (int c = 1; c < 10; c++) if (p[i * 10 + c] > p[i * 10 + pred]) pred = c;
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "#%d true %s, predicted %s (%.2f)", first + i,
                    raw.classNames().get(raw.labels()[first + i]), raw.classNames().get(pred), p[i * 10 + pred]), pad, y0 + 16);
            for (int col = 0; col < 3; col++) {
                int x0 = pad + col * (cell + pad);
                for (int yy = 0; yy < cell; yy++) {
                    for (int xx = 0; xx < cell; xx++) {
                        int r = yy / scale, c = xx / scale;
                        float v = raw.images()[(first + i) * px + r * 28 + c] / 255f;
                        int rgb;
                        if (col == 0) {
                            int gray = Math.round(v * 255);
                            rgb = gray << 16 | gray << 8 | gray;
                        } else {
                            float att = col == 1 ? m1[i * px + r * 28 + c] : m2[i * 196 + (r / 2) * 14 + (c / 2)];
                            rgb = blend(v, att);
                        }
                        img.setRGB(x0 + xx, y0 + label + yy, rgb);
                    }
                }
            }
        }
        g.dispose();
        Path file = Path.of(a.get("out", dir.resolve("attention-maps.png").toString()));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        out.println("wrote " + file + ": per test image, the image and CBAM's spatial attention of stage 1 (28x28) and stage 2"
                + " (14x14), each stretched to its own min-max (blue low, red high)");
        return 0;
    }

    /** Min-max normalises each of {@code n} equal-sized maps in place. */
    private static float[] stretch(float[] maps, int n) {
        int size = maps.length / n;
        for (int i = 0; i < n; i++) {
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < size; j++) {
                lo = Math.min(lo, maps[i * size + j]);
                hi = Math.max(hi, maps[i * size + j]);
            }
            float range = hi - lo > 1e-12f ? hi - lo : 1f;
            for (int j = 0; j < size; j++) maps[i * size + j] = (maps[i * size + j] - lo) / range;
        }
        return maps;
    }

    /** The grey pixel {@code v} under a blue-to-red heat colour for attention {@code a} in [0, 1]. */
    private static int blend(float v, float a) {
        float r = Math.min(1f, Math.max(0f, 1.5f * a - 0.25f));
        float b = Math.min(1f, Math.max(0f, 1.25f - 1.5f * a));
        float gr = 1f - Math.abs(2f * a - 1f);
        float mix = 0.55f;
        int R = Math.round(255 * (mix * r + (1 - mix) * v));
        int G = Math.round(255 * (mix * gr * 0.8f + (1 - mix) * v));
        int B = Math.round(255 * (mix * b + (1 - mix) * v));
        return R << 16 | G << 8 | B;
    }
}
