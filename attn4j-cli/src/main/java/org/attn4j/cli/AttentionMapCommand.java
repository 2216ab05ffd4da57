package org.attn4j.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.attn4j.attention.CBAMBlock;
import org.attn4j.autograd.GradMode;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.models.FashionCnn;
import org.attn4j.models.vit.AttentionRollout;
import org.attn4j.models.vit.VisionTransformer;
import org.attn4j.models.vit.VitConfig;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Tensor;
import org.attn4j.train.Checkpoint;

/**
 * {@code attn4j attention-map --checkpoint DIR [--count N] [--first I] [--out FILE.png]}: what a trained network
 * attends to, for each of N test images from the I-th, with the true and predicted class.
 * <ul>
 *   <li>A {@code cnn-cbam} run: the image, and CBAM's spatial attention maps of stage 1 (28×28) and stage 2
 *       (14×14, upsampled) overlaid on it as a heat map.</li>
 *   <li>A {@code vit} run: the image, the attention rollout of all blocks ({@link AttentionRollout}: the class
 *       token's row over the 7×7 patch grid, upsampled bilinearly to the image) and the last block's own
 *       class-token attention, both overlaid as heat maps. {@code --head-fusion mean|max|min} and
 *       {@code --discard-ratio X} are vit-explain's options of the same names (defaults mean and 0).</li>
 * </ul>
 */
final class AttentionMapCommand {
    private AttentionMapCommand() {}

    /** Fashion-MNIST's image side. */
    private static final int SIDE = 28, PX = SIDE * SIDE;

    /** Display layout: each 28×28 map is drawn SCALE times larger, with PAD between cells and a LABEL line above. */
    private static final int SCALE = 6, CELL = SIDE * SCALE, PAD = 8, LABEL = 28;

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = new Args("attention-map", argv, 1,
                Set.of("checkpoint", "count", "out", "data", "first", "threads", "head-fusion", "discard-ratio"), Set.of("help"));
        if (a.has("help")) {
            out.print(Main.USAGE);
            return 0;
        }
        if (!a.has("checkpoint")) throw new Args.UsageException("attention-map: --checkpoint DIR is required");
        if (a.has("threads")) org.attn4j.kernels.Parallel.setThreads(a.getInt("threads", 1, 1));
        int count = a.getInt("count", 8, 1);
        int first = a.getInt("first", 0, 0);
        Path dir = Path.of(a.get("checkpoint", ""));
        Checkpoint.Loaded ckpt = Checkpoint.load(dir);
        UnaryModule net = EvalCommand.loadModel(ckpt);
        boolean cbam = net instanceof FashionCnn c && c.attention(1) instanceof CBAMBlock;
        if (!cbam && !(net instanceof VisionTransformer)) {
            throw new IllegalArgumentException("attention-map draws CBAM's spatial maps or a ViT's attention rollout: the checkpoint is a '"
                    + ckpt.model() + "', train one with --model cnn-cbam or --model vit");
        }
        if (cbam && (a.has("head-fusion") || a.has("discard-ratio"))) {
            throw new Args.UsageException("attention-map: --head-fusion and --discard-ratio apply to a vit checkpoint, this one is a '"
                    + ckpt.model() + "'");
        }
        Path dataDir = a.has("data") ? Path.of(a.get("data", "")) : null;
        Dataset raw = FashionMnist.load(FashionMnist.Split.TEST, dataDir);
        Dataset test = raw.normalized(FashionMnist.MEAN, FashionMnist.STD);
        count = Math.min(count, test.n() - first);
        if (count <= 0) throw new IllegalArgumentException("attention-map: --first " + first + " is past the " + test.n() + " test images");
        float[] x = java.util.Arrays.copyOfRange(test.images(), first * PX, (first + count) * PX);
        Tensor images = Tensor.of(x, count, 1, SIDE, SIDE);
        BufferedImage img;
        String what;
        if (cbam) {
            img = drawCbam((FashionCnn) net, images, raw, first, count);
            what = "the image and CBAM's spatial attention of stage 1 (28x28) and stage 2 (14x14)";
        } else {
            AttentionRollout.HeadFusion fusion = headFusion(a.get("head-fusion", "mean"));
            double discard = a.getDouble("discard-ratio", 0, 0, 1);
            VisionTransformer vit = (VisionTransformer) net;
            img = drawVit(vit, images, raw, first, count, fusion, discard);
            int grid = vit.patchEmbed().gridSize();
            what = "the image, the attention rollout over " + vit.config().depth() + " blocks (head fusion "
                    + fusion.name().toLowerCase(Locale.ROOT) + ", discard ratio " + discard + ") and the last block's"
                    + " class-token attention, on the " + grid + "x" + grid + " patch grid upsampled bilinearly (each"
                    + " map's own min/max written in its corner: near 1 means nearly flat attention)";
        }
        Path file = Path.of(a.get("out", dir.resolve("attention-maps.png").toString()));
        PngFiles.write(file, img);
        out.println("wrote " + file + ": per test image, " + what + ", each stretched to its own min-max (blue low, red high)");
        return 0;
    }

    private static AttentionRollout.HeadFusion headFusion(String name) {
        return switch (name) {
            case "mean" -> AttentionRollout.HeadFusion.MEAN;
            case "max" -> AttentionRollout.HeadFusion.MAX;
            case "min" -> AttentionRollout.HeadFusion.MIN;
            default -> throw new Args.UsageException("attention-map: --head-fusion must be mean, max or min, got '" + name + "'");
        };
    }

    /** A white canvas with {@code columns} image cells per row, one row per image, below a {@code header} strip. */
    private static BufferedImage canvas(int columns, int count, int header) {
        int w = PAD + columns * (CELL + PAD), h = header + PAD + count * (CELL + LABEL + PAD);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    private static Graphics2D textGraphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        return g;
    }

    /** The caption above image {@code i}: its index, true class, predicted class and that class's probability. */
    private static void caption(Graphics2D g, Dataset raw, int first, int i, float[] p, int y0) {
        int pred = 0;
        for (int c = 1; c < 10; c++) if (p[i * 10 + c] > p[i * 10 + pred]) pred = c;
        g.drawString(String.format(Locale.ROOT, "#%d true %s, predicted %s (%.2f)", first + i,
                raw.classNames().get(raw.labels()[first + i]), raw.classNames().get(pred), p[i * 10 + pred]), PAD, y0 + 16);
    }

    private static BufferedImage drawCbam(FashionCnn cnn, Tensor images, Dataset raw, int first, int count) {
        Tensor map1, map2, probs;
        try (var ignored = GradMode.noGrad()) {
            map1 = ((CBAMBlock) cnn.attention(1)).spatialMap(cnn.featuresBeforeAttention(images, 1));   // [N, 1, 28, 28]
            map2 = ((CBAMBlock) cnn.attention(2)).spatialMap(cnn.featuresBeforeAttention(images, 2));   // [N, 1, 14, 14]
            probs = cnn.forward(images).softmax(-1);
        }
        BufferedImage img = canvas(3, count, 0);
        Graphics2D g = textGraphics(img);
        // Each map is stretched to [0, 1] per image (min-max), so the picture shows where attention is relatively high.
        float[] m1 = stretch(map1.toFloatArray(), count), m2 = stretch(map2.toFloatArray(), count), p = probs.toFloatArray();
        for (int i = 0; i < count; i++) {
            int y0 = PAD + i * (CELL + LABEL + PAD);
            caption(g, raw, first, i, p, y0);
            for (int col = 0; col < 3; col++) {
                int x0 = PAD + col * (CELL + PAD);
                for (int yy = 0; yy < CELL; yy++) {
                    for (int xx = 0; xx < CELL; xx++) {
                        int r = yy / SCALE, c = xx / SCALE;
                        float v = raw.images()[(first + i) * PX + r * SIDE + c] / 255f;
                        int rgb;
                        if (col == 0) {
                            int gray = Math.round(v * 255);
                            rgb = gray << 16 | gray << 8 | gray;
                        } else {
                            float att = col == 1 ? m1[i * PX + r * SIDE + c] : m2[i * 196 + (r / 2) * 14 + (c / 2)];
                            rgb = blend(v, att);
                        }
                        img.setRGB(x0 + xx, y0 + LABEL + yy, rgb);
                    }
                }
            }
        }
        g.dispose();
        return img;
    }

    private static BufferedImage drawVit(VisionTransformer vit, Tensor images, Dataset raw, int first, int count,
                                         AttentionRollout.HeadFusion fusion, double discard) {
        VitConfig cfg = vit.config();
        if (cfg.imgSize() != SIDE || cfg.inChans() != 1) {
            throw new IllegalArgumentException("attention-map: the ViT takes " + cfg.inChans() + "-channel " + cfg.imgSize() + "x"
                    + cfg.imgSize() + " images, Fashion-MNIST's are 1-channel " + SIDE + "x" + SIDE);
        }
        int grid = vit.patchEmbed().gridSize(), prefix = cfg.numPrefixTokens(), cells = grid * grid;
        VisionTransformer.WithAttention r;
        try (var ignored = GradMode.noGrad()) {
            r = vit.forwardWithAttention(images);
        }
        List<Tensor> attentions = r.attentions();
        // [N, grid, grid] each: the rollout's class-token row, and the last block's class-token attention alone.
        Tensor rollout = AttentionRollout.classTokenMap(AttentionRollout.rollout(attentions, fusion, discard), prefix, grid, grid);
        Tensor last = AttentionRollout.classTokenMap(AttentionRollout.fuseHeads(attentions.get(attentions.size() - 1).detach(), fusion),
                prefix, grid, grid);
        float[] m1 = rollout.toFloatArray(), m2 = last.toFloatArray();
        // The stretch below shows any map at full contrast, so each cell also states how flat the map really is.
        float[][] flatness = {null, minOverMax(m1, count), minOverMax(m2, count)};
        stretch(m1, count);
        stretch(m2, count);
        float[] p = r.output().softmax(-1).toFloatArray();
        int header = 18;
        BufferedImage img = canvas(3, count, header);
        Graphics2D g = textGraphics(img);
        Font normal = g.getFont(), small = normal.deriveFont(10f);
        String[] titles = {"input", "rollout, " + attentions.size() + " blocks", "last block, class token"};
        for (int col = 0; col < 3; col++) g.drawString(titles[col], PAD + col * (CELL + PAD), 14);
        for (int i = 0; i < count; i++) {
            int y0 = header + PAD + i * (CELL + LABEL + PAD);
            caption(g, raw, first, i, p, y0);
            for (int col = 0; col < 3; col++) {
                int x0 = PAD + col * (CELL + PAD);
                float[] m = col == 1 ? m1 : m2;
                for (int yy = 0; yy < CELL; yy++) {
                    for (int xx = 0; xx < CELL; xx++) {
                        float v = raw.images()[(first + i) * PX + (yy / SCALE) * SIDE + xx / SCALE] / 255f;
                        int rgb;
                        if (col == 0) {
                            int gray = Math.round(v * 255);
                            rgb = gray << 16 | gray << 8 | gray;
                        } else {
                            rgb = blend(v, bilinear(m, i * cells, grid, (yy + 0.5) / CELL, (xx + 0.5) / CELL));
                        }
                        img.setRGB(x0 + xx, y0 + LABEL + yy, rgb);
                    }
                }
                if (col > 0) {
                    String note = String.format(Locale.ROOT, "min/max %.2f", flatness[col][i]);
                    g.setFont(small);
                    g.setColor(Color.BLACK);
                    g.drawString(note, x0 + 5, y0 + LABEL + CELL - 5);
                    g.setColor(Color.WHITE);
                    g.drawString(note, x0 + 4, y0 + LABEL + CELL - 6);
                    g.setFont(normal);
                    g.setColor(Color.BLACK);
                }
            }
        }
        g.dispose();
        return img;
    }

    /** Each of {@code n} equal-sized non-negative maps' minimum over its maximum (1 for a flat map). */
    private static float[] minOverMax(float[] maps, int n) {
        int size = maps.length / n;
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            float lo = Float.POSITIVE_INFINITY, hi = 0;
            for (int j = 0; j < size; j++) {
                lo = Math.min(lo, maps[i * size + j]);
                hi = Math.max(hi, maps[i * size + j]);
            }
            r[i] = hi > 0 ? lo / hi : 1f;
        }
        return r;
    }

    /**
     * The {@code grid × grid} map at {@code offset} in {@code maps}, sampled at the relative position ({@code fy},
     * {@code fx}) in [0, 1) of the image: bilinear between patch centres, clamped at the border (as
     * {@code F.interpolate(mode='bilinear', align_corners=False)}, which vit-explain's {@code cv2.resize} matches).
     */
    static float bilinear(float[] maps, int offset, int grid, double fy, double fx) {
        double y = Math.max(0, fy * grid - 0.5), x = Math.max(0, fx * grid - 0.5);
        int y0 = Math.min((int) y, grid - 1), x0 = Math.min((int) x, grid - 1);
        int y1 = Math.min(y0 + 1, grid - 1), x1 = Math.min(x0 + 1, grid - 1);
        double wy = y - y0, wx = x - x0;
        double top = maps[offset + y0 * grid + x0] * (1 - wx) + maps[offset + y0 * grid + x1] * wx;
        double bottom = maps[offset + y1 * grid + x0] * (1 - wx) + maps[offset + y1 * grid + x1] * wx;
        return (float) (top * (1 - wy) + bottom * wy);
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
