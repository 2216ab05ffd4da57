package org.attn4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.attn4j.autograd.GradMode;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Tensor;
import org.attn4j.train.Checkpoint;

/** {@code attn4j predict --checkpoint DIR --index I [--index J ...]}: top-3 classes of test-set images. */
final class PredictCommand {
    private PredictCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        // --index may repeat: collect them by hand before the generic parser sees the rest.
        java.util.List<Integer> indices = new java.util.ArrayList<>();
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 1; i < argv.length; i++) {
            if (argv[i].equals("--index") && i + 1 < argv.length) {
                try {
                    indices.add(Integer.parseInt(argv[++i]));
                } catch (NumberFormatException e) {
                    throw new Args.UsageException("predict: --index must be a whole number, got '" + argv[i] + "'");
                }
            } else {
                rest.add(argv[i]);
            }
        }
        rest.add(0, "predict");
        Args a = new Args("predict", rest.toArray(new String[0]), 1, Set.of("checkpoint", "data"), Set.of("help"));
        if (!a.has("checkpoint")) throw new Args.UsageException("predict: --checkpoint DIR is required");
        if (indices.isEmpty()) indices.add(0);
        Checkpoint.Loaded ckpt = Checkpoint.load(Path.of(a.get("checkpoint", "")));
        UnaryModule net = EvalCommand.loadModel(ckpt);
        Path dataDir = a.has("data") ? Path.of(a.get("data", "")) : null;
        Dataset test = FashionMnist.load(FashionMnist.Split.TEST, dataDir).normalized(FashionMnist.MEAN, FashionMnist.STD);
        int px = test.rows() * test.cols();
        for (int idx : indices) {
            if (idx < 0 || idx >= test.n()) {
                throw new IllegalArgumentException("predict: test-set index " + idx + " is outside [0, " + test.n() + ")");
            }
            float[] img = java.util.Arrays.copyOfRange(test.images(), idx * px, (idx + 1) * px);
            long t0 = System.nanoTime();
            Tensor probs;
            try (var ignored = GradMode.noGrad()) {
                probs = net.forward(Tensor.of(img, 1, 1, test.rows(), test.cols())).softmax(-1);
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            float[] p = probs.toFloatArray();
            Integer[] order = new Integer[p.length];
            for (int i = 0; i < p.length; i++) order[i] = i;
            java.util.Arrays.sort(order, (x, y) -> Float.compare(p[y], p[x]));
            out.printf(Locale.ROOT, "test image %d (true: %s), %.1f ms:%n", idx, test.classNames().get(test.labels()[idx]), ms);
            for (int r = 0; r < 3; r++) {
                out.printf(Locale.ROOT, "  %d. %-12s %.4f%n", r + 1, test.classNames().get(order[r]), p[order[r]]);
            }
        }
        return 0;
    }
}
