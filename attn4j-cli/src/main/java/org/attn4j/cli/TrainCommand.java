package org.attn4j.cli;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.attn4j.data.Augment;
import org.attn4j.data.DataLoader;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.kernels.Parallel;
import org.attn4j.models.FashionModels;
import org.attn4j.nn.UnaryModule;
import org.attn4j.optim.Adam;
import org.attn4j.optim.LRScheduler;
import org.attn4j.optim.Optimizer;
import org.attn4j.optim.ParamGroup;
import org.attn4j.optim.SGD;
import org.attn4j.tensor.Generator;
import org.attn4j.train.Checkpoint;
import org.attn4j.train.EpochStats;
import org.attn4j.train.Trainer;
import org.attn4j.train.TrainingListener;

/**
 * {@code attn4j train}: trains a Fashion-MNIST classifier with progress, evaluates every epoch, and writes
 * metrics (CSV and JSON), a curve plot and an atomic checkpoint per epoch into the output directory.
 */
final class TrainCommand {
    private TrainCommand() {}

    static final Set<String> VALUED = Set.of("model", "epochs", "batch-size", "lr", "optimizer", "weight-decay", "seed",
            "threads", "out", "resume", "data", "limit", "test-limit", "label-smoothing", "warmup-epochs", "clip-norm", "momentum", "drop-path");
    static final Set<String> FLAGS = Set.of("no-augment", "help", "quiet");

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = new Args("train", argv, 1, VALUED, FLAGS);
        if (a.has("help")) {
            out.print(Main.USAGE);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new Args.UsageException("train: unexpected argument '" + a.positional().get(0) + "'");
        Path resume = a.has("resume") ? Path.of(a.get("resume", "")) : null;
        Checkpoint.Loaded ckpt = resume == null ? null : Checkpoint.load(resume);

        // Configuration: a resumed run keeps its saved settings unless overridden on the command line.
        Map<String, String> saved = ckpt == null ? Map.of() : ckpt.config();
        String model = a.get("model", saved.getOrDefault("model", "cnn-cbam"));
        if (!FashionModels.names().contains(model)) {
            throw new Args.UsageException("train: unknown model '" + model + "' (models: " + String.join(", ", FashionModels.names()) + ")");
        }
        if (ckpt != null) ckpt.requireModel(model);
        FashionModels.Recipe recipe = FashionModels.recipe(model);
        int epochs = a.getInt("epochs", Integer.parseInt(saved.getOrDefault("epochs", Integer.toString(recipe.epochs()))), 1);
        int batchSize = a.getInt("batch-size", Integer.parseInt(saved.getOrDefault("batch_size", "128")), 1);
        String optName = a.get("optimizer", saved.getOrDefault("optimizer", recipe.optimizer()));
        double lr = a.getDouble("lr", Double.parseDouble(saved.getOrDefault("lr", Double.toString(recipe.lr()))), 0, 10);
        if (lr <= 0) throw new Args.UsageException("train: --lr must be positive, got " + lr);
        double wd = a.getDouble("weight-decay", Double.parseDouble(saved.getOrDefault("weight_decay", Double.toString(recipe.weightDecay()))), 0, 1);
        double momentum = a.getDouble("momentum", 0.9, 0, 0.9999);
        long seed = a.getLong("seed", Long.parseLong(saved.getOrDefault("seed", "0")));
        int threads = a.getInt("threads", Parallel.threads(), 1);
        int limit = a.getInt("limit", Integer.parseInt(saved.getOrDefault("limit", "0")), 0);
        float smoothing = (float) a.getDouble("label-smoothing", Double.parseDouble(saved.getOrDefault("label_smoothing", Double.toString(recipe.labelSmoothing()))), 0, 1);
        // Warm-up: a tenth of the run, at most one epoch (a 1-epoch run would otherwise be all warm-up).
        double warmupEpochs = a.getDouble("warmup-epochs", Math.min(1.0, 0.1 * epochs), 0, 1000);
        double clipNorm = a.getDouble("clip-norm", recipe.clipNorm(), 0, 1e6);
        // Stochastic depth (timm's --drop-path): only for models that have it.
        if (a.has("drop-path") && recipe.dropPath() == null) {
            throw new Args.UsageException("train: --drop-path applies to vit, not to '" + model + "' (no stochastic depth)");
        }
        Double dropPath = recipe.dropPath() == null ? null
                : a.getDouble("drop-path", Double.parseDouble(saved.getOrDefault("drop_path", Double.toString(recipe.dropPath()))), 0, 1);
        boolean augment = !a.has("no-augment") && !"false".equals(saved.getOrDefault("augment", "true"));
        if (!Set.of("sgd", "adam", "adamw").contains(optName)) {
            throw new Args.UsageException("train: unknown optimizer '" + optName + "' (sgd, adam, adamw)");
        }
        Path outDir = resume != null ? resume : Path.of(a.get("out", "runs/" + model + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        Parallel.setThreads(threads);

        Map<String, String> config = new LinkedHashMap<>();
        config.put("model", model);
        config.put("epochs", Integer.toString(epochs));
        config.put("batch_size", Integer.toString(batchSize));
        config.put("optimizer", optName);
        config.put("lr", Double.toString(lr));
        config.put("weight_decay", Double.toString(wd));
        config.put("seed", Long.toString(seed));
        config.put("threads", Integer.toString(threads));
        config.put("limit", Integer.toString(limit));
        config.put("label_smoothing", Float.toString(smoothing));
        if (dropPath != null) config.put("drop_path", Double.toString(dropPath));
        config.put("augment", Boolean.toString(augment));

        // Data: found (or fetched) and verified before any work starts.
        Path dataDir = a.has("data") ? Path.of(a.get("data", "")) : null;
        Dataset train = FashionMnist.load(FashionMnist.Split.TRAIN, dataDir);
        Dataset test = FashionMnist.load(FashionMnist.Split.TEST, dataDir);
        if (limit > 0) train = head(train, limit);
        int testLimit = a.getInt("test-limit", 0, 0);
        if (testLimit > 0) test = head(test, testLimit);
        train = train.normalized(FashionMnist.MEAN, FashionMnist.STD);
        test = test.normalized(FashionMnist.MEAN, FashionMnist.STD);
        DataLoader trainLoader = new DataLoader(train, batchSize, true, true,
                augment ? new Augment(recipe.cropPadding(), true) : Augment.NONE, seed);
        if (trainLoader.batches() == 0) {
            throw new IllegalArgumentException("batch size " + batchSize + " is larger than the " + train.n() + " training images");
        }
        DataLoader testLoader = new DataLoader(test, 500, false, false, Augment.NONE, seed);

        // One generator initialises the model and then feeds its dropout; the trainer reseeds it every epoch.
        Generator randomness = new Generator(seed);
        UnaryModule net = dropPath == null ? FashionModels.create(model, randomness) : FashionModels.create(model, dropPath, randomness);
        Optimizer optimizer = optimizer(optName, net, lr, wd, momentum);
        List<EpochStats> history = new ArrayList<>();
        int startEpoch = 0;
        if (ckpt != null) {
            ckpt.restore(model, net, optimizer);
            history.addAll(ckpt.history());
            startEpoch = ckpt.epoch();
            if (startEpoch >= epochs) {
                out.println("checkpoint in " + resume + " already completed " + startEpoch + " of " + epochs + " epochs; nothing to do");
                return 0;
            }
        }
        long steps = (long) epochs * trainLoader.batches();
        long warmup = Math.min(steps, Math.round(warmupEpochs * trainLoader.batches()));
        LRScheduler schedule = LRScheduler.cosineWithWarmup(lr * 0.01, warmup, lr * 0.01, steps);
        Trainer trainer = new Trainer(net, optimizer, schedule, smoothing, clipNorm, randomness, seed);

        Files.createDirectories(outDir);
        out.printf(Locale.ROOT, "attn4j train: %s, %,d parameters, %s lr %.4g wd %.3g, batch %d, %d epochs, %d threads, seed %d%n",
                model, net.numParameters(), optName, lr, wd, batchSize, epochs, threads, seed);
        out.printf(Locale.ROOT, "data: %,d training and %,d test images; output: %s%n", train.n(), test.n(), outDir);
        boolean interactive = ProgressBar.stdoutIsTerminal() && !a.has("quiet");
        final Path dir = outDir;
        final String modelName = model;
        Thread hook = new Thread(() -> System.err.println("\nattn4j train: interrupted; the last complete checkpoint is in " + dir
                + " (resume with --resume " + dir + ")"));
        Runtime.getRuntime().addShutdownHook(hook);
        TrainingListener listener = new TrainingListener() {
            ProgressBar bar;

            @Override
            public void epochStarted(int epoch, int batches) {
                bar = new ProgressBar(out, interactive, String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs), batches);
            }

            @Override
            public void batchEnded(int epoch, int batch, double loss, double acc, double ips) {
                bar.update(batch, String.format(Locale.ROOT, "loss %.4f acc %.4f", loss, acc), ips);
            }

            @Override
            public void epochEnded(EpochStats s) throws IOException {
                bar.finish(String.format(Locale.ROOT, "loss %.4f acc %.4f | test loss %.4f acc %.4f top5 %.4f | %.0f img/s",
                        s.trainLoss(), s.trainAccuracy(), s.testLoss(), s.testAccuracy(), s.testTopK(), s.imagesPerSecond()));
                history.add(s);
                MetricsFiles.write(dir, history);
                CurvePlot.write(dir.resolve("curves.png"),
                        List.of(new CurvePlot.Series("train loss", new Color(31, 119, 180), col(history, EpochStats::trainLoss)),
                                new CurvePlot.Series("test loss", new Color(255, 127, 14), col(history, EpochStats::testLoss))),
                        List.of(new CurvePlot.Series("train acc", new Color(31, 119, 180), col(history, EpochStats::trainAccuracy)),
                                new CurvePlot.Series("test acc", new Color(255, 127, 14), col(history, EpochStats::testAccuracy))));
                Checkpoint.save(dir, modelName, s.epoch(), net, optimizer, config, history);
            }
        };
        trainer.fit(trainLoader, testLoader, epochs, startEpoch, listener);
        Runtime.getRuntime().removeShutdownHook(hook);
        var ev = trainer.evaluate(testLoader, 5);
        out.println();
        out.println("confusion matrix (test set):");
        out.print(ev.confusion().format(test.classNames()));
        EpochStats last = history.get(history.size() - 1);
        out.printf(Locale.ROOT, "test accuracy: %.4f (top-5 %.4f) after %d epochs, %.1f s per epoch; run in %s%n",
                ev.accuracy(), ev.confusion().topK(), last.epoch(),
                history.stream().mapToDouble(EpochStats::seconds).average().orElse(0), outDir);
        return 0;
    }

    static List<Double> col(List<EpochStats> h, java.util.function.ToDoubleFunction<EpochStats> f) {
        List<Double> out = new ArrayList<>();
        for (EpochStats s : h) out.add(f.applyAsDouble(s));
        return out;
    }

    /** The first {@code n} images of a data set (for quick runs). */
    static Dataset head(Dataset d, int n) {
        int k = Math.min(n, d.n());
        int px = d.rows() * d.cols();
        return new Dataset(java.util.Arrays.copyOf(d.images(), k * px), java.util.Arrays.copyOf(d.labels(), k), k,
                d.rows(), d.cols(), d.classNames(), d.pixels(), d.black());
    }

    /**
     * The optimizer over timm-style parameter groups ({@link ParamGroup#weightDecayGroups}): weight decay on
     * weight matrices and kernels only, none on biases, norm parameters, position embeddings and tokens.
     */
    static Optimizer optimizer(String name, UnaryModule net, double lr, double wd, double momentum) {
        List<ParamGroup> groups = ParamGroup.weightDecayGroups(net.namedParameters(), lr, wd);
        return switch (name) {
            case "sgd" -> new SGD(groups, momentum, 0, true);
            case "adam" -> Adam.adam(groups, 0.9, 0.999, 1e-8);
            default -> Adam.adamW(groups, 0.9, 0.999, 1e-8);
        };
    }
}
