package org.attn4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.attn4j.autograd.GradMode;
import org.attn4j.data.images.EvalTransform;
import org.attn4j.models.vit.ImageNetLabels;
import org.attn4j.models.vit.VisionTransformer;
import org.attn4j.models.vit.VitConfig;
import org.attn4j.models.vit.VitModels;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * {@code attn4j predict --model NAME --weights FILE.safetensors IMAGE...}: classifies image files (PNG, JPEG,
 * BMP, GIF) with a registered Vision Transformer and timm weights, printing the top classes with their
 * probabilities (ImageNet-1k names for 1000-class models, class indices otherwise) and the time taken.
 *
 * <p>Each image goes through the evaluation preprocessing of the model's timm configuration
 * ({@link EvalTransform}: bicubic resize of the shorter side, centre crop, normalisation); {@code --crop-pct}
 * and {@code --norm imagenet|inception} override it. All images run as one batch.
 */
final class VitPredictCommand {
    private VitPredictCommand() {}

    static final String USAGE = """
            usage: attn4j predict --model NAME --weights FILE.safetensors [options] IMAGE...

            Classifies images with a Vision Transformer and timm-named weights; prints the top classes.

            options:
              --model NAME      one of: %s
              --weights FILE    a .safetensors checkpoint with timm's parameter names
              --top K           how many classes to print per image (default 5)
              --crop-pct X      resize the shorter side to floor(size / X) before the centre crop
                                (default: the model's timm configuration, 0.9 for ViT, 0.875 for DeiT)
              --norm N          imagenet (mean 0.485,0.456,0.406 std 0.229,0.224,0.225) or inception (0.5, 0.5)
                                (default: the model's timm configuration)
            """;

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = new Args("predict", argv, 1, Set.of("model", "weights", "top", "crop-pct", "norm"), Set.of("help"));
        if (a.has("help")) {
            out.printf(Locale.ROOT, USAGE, String.join(", ", VitModels.names()));
            return 0;
        }
        if (!a.has("model") || !a.has("weights")) throw new Args.UsageException("predict: --model NAME and --weights FILE are both required");
        if (a.positional().isEmpty()) throw new Args.UsageException("predict: give at least one image file");
        VitModels.Entry entry = VitModels.get(a.get("model", ""));
        EvalTransform transform = transform(entry, a);
        VitConfig config = entry.config();
        int top = Math.min(a.getInt("top", 5, 1), Math.max(config.numClasses(), 1));
        Path weights = Path.of(a.get("weights", ""));
        if (!Files.isRegularFile(weights)) throw new IllegalArgumentException("weights file " + weights + " does not exist");
        List<Path> images = new ArrayList<>();
        for (String s : a.positional()) {
            Path p = Path.of(s);
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("image file " + p + " does not exist");
            images.add(p);
        }

        long t0 = System.nanoTime();
        VisionTransformer model = new VisionTransformer(config, new Generator(0), false);
        model.loadCheckpoint(weights, true);
        model.eval();
        long t1 = System.nanoTime();
        Tensor batch = transform.load(images);
        long t2 = System.nanoTime();
        Tensor probs;
        try (var ignored = GradMode.noGrad()) {
            probs = model.forward(batch).softmax(-1);
        }
        long t3 = System.nanoTime();

        boolean imagenet = config.numClasses() == ImageNetLabels.COUNT;
        float[] p = probs.toFloatArray();
        int classes = probs.size(1);
        for (int b = 0; b < images.size(); b++) {
            out.println(images.get(b) + ":");
            Integer[] order = new Integer[classes];
            for (int i = 0; i < classes; i++) order[i] = i;
            final int base = b * classes;
            Arrays.sort(order, (x, y) -> Float.compare(p[base + y], p[base + x]));
            for (int r = 0; r < top; r++) {
                int c = order[r];
                String name = imagenet ? ImageNetLabels.name(c) : "class " + c;
                out.printf(Locale.ROOT, "  %d. %-32s %7.4f  (class %d)%n", r + 1, name, p[base + c], c);
            }
        }
        out.printf(Locale.ROOT, "%s: loaded in %.0f ms; %d image(s) preprocessed in %.0f ms, classified in %.0f ms (%.0f ms per image)%n",
                entry.name(), (t1 - t0) / 1e6, images.size(), (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t2) / 1e6 / images.size());
        return 0;
    }

    private static EvalTransform transform(VitModels.Entry entry, Args a) {
        EvalTransform t = entry.preprocessing();
        if (t == null) {
            throw new IllegalArgumentException("model " + entry.name() + " classifies 28x28 Fashion-MNIST tensors, not image files;"
                    + " use predict --checkpoint for it");
        }
        double cropPct = a.getDouble("crop-pct", t.cropPct(), 1e-3, 1.0);
        float[] mean = t.mean(), std = t.std();
        if (a.has("norm")) {
            switch (a.get("norm", "")) {
                case "imagenet" -> { mean = EvalTransform.IMAGENET_MEAN; std = EvalTransform.IMAGENET_STD; }
                case "inception" -> { mean = EvalTransform.INCEPTION_MEAN_STD; std = EvalTransform.INCEPTION_MEAN_STD; }
                default -> throw new Args.UsageException("predict: --norm must be imagenet or inception, got '" + a.get("norm", "") + "'");
            }
        }
        return new EvalTransform(t.inputSize(), cropPct, mean, std, t.interpolation());
    }
}
