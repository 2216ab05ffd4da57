package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.attn4j.data.Batch;
import org.attn4j.data.DataLoader;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.kernels.Parallel;
import org.attn4j.models.FashionModels;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.UnaryModule;
import org.attn4j.ops.Losses;
import org.attn4j.optim.SGD;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Training parity and speed of attn4j's Fashion-MNIST CNNs against the same network in libtorch
 * ({@link TorchFashionCnn}): {@code ./bench.sh train [--models cnn-cbam,cnn] [--batch 128] [--parity 10]
 * [--steps 10] [--warmup 3] [--lr 0.02] [--threads T] [--seed 1]}.
 *
 * <p>Per model: attn4j builds it (seeded), libtorch gets a copy of its state dict, and both train with plain
 * SGD (no momentum, no weight decay) on the same first {@code --parity} batches of the Fashion-MNIST training
 * set (shuffled by the loader's seed, normalised with the usual mean/std, no augmentation). Dropout is
 * switched off on the attn4j side by putting the two {@link Dropout} modules in eval mode while the rest of
 * the model (batch norm) trains; the libtorch twin has no dropout. The losses are printed side by side with
 * their largest difference (the target is 1e-2 over 10 steps), and then the largest parameter difference.
 *
 * <p>Then both go on training, {@code --warmup} untimed steps and {@code --steps} timed ones, interleaved
 * (attn4j then libtorch on even reps, the other order on odd ones, each on the same batch): median wall
 * time and process CPU time per step, images/s, the ratio attn4j/libtorch, and an estimate of an epoch
 * (469 steps of 128 for 60000 images). The process CPU time counts every thread of the JVM (pool, GC,
 * compiler) and libtorch's native threads, which is what a loaded machine leaves comparable.
 * {@code --threads} sets attn4j's pool and libtorch's intra-op threads alike (default 2 for libtorch,
 * from bench.sh, and attn4j's default).
 */
final class TrainBench {
    private TrainBench() {}

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    static void run(String[] args) throws Exception {
        List<String> models = List.of("cnn-cbam", "cnn");
        int batch = 128, parity = 10, steps = 10, warmup = 3;
        float lr = 0.02f;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = List.of(args[++i].split(","));
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--parity" -> parity = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--lr" -> lr = Float.parseFloat(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--threads" -> BenchMain.setThreads(Integer.parseInt(args[++i]));
                default -> throw new IllegalArgumentException("train bench: unknown option '" + args[i] + "'");
            }
        }
        for (String m : models) {
            if (!m.equals("cnn") && !m.equals("cnn-cbam")) {
                throw new IllegalArgumentException("train bench: model '" + m + "' has no libtorch twin (cnn, cnn-cbam)");
            }
        }
        Dataset train = FashionMnist.load(FashionMnist.Split.TRAIN, null).normalized(FashionMnist.MEAN, FashionMnist.STD);
        DataLoader loader = new DataLoader(train, batch, true, true, null, seed);
        int[] order = loader.order(0);
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf("train bench: batch %d, SGD lr %s, attn4j threads %d, libtorch %s threads %s, %d cores%n",
                batch, lr, Parallel.threads(), engine.getVersion(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"), Runtime.getRuntime().availableProcessors());
        try (NDManager base = engine.newBaseManager()) {
            for (String name : models) {
                runModel(base, name, loader, order, batch, parity, steps, warmup, lr, seed);
            }
        }
    }

    private static void runModel(NDManager base, String name, DataLoader loader, int[] order, int batch, int parity,
                                 int steps, int warmup, float lr, long seed) {
        UnaryModule model = FashionModels.create(name, new Generator(seed));
        model.train();
        model.apply(m -> {
            if (m instanceof Dropout) m.eval();
        });
        SGD sgd = new SGD(model.parameters(), lr);
        try (TorchFashionCnn torch = new TorchFashionCnn(base, model.stateDict(), model.namedParameters().keySet())) {
            System.out.printf("%n== %s: first %d SGD steps on the same batches ==%n", name, parity);
            System.out.printf("%4s %12s %12s %10s%n", "step", "attn4j", "libtorch", "|diff|");
            double maxDiff = 0;
            int b = 0;
            for (; b < parity; b++) {
                Batch bt = loader.batch(order, 0, b % loader.batches());
                float ours = ourStep(model, sgd, bt);
                float theirs = torchStep(base, torch, bt, lr);
                double d = Math.abs(ours - theirs);
                maxDiff = Math.max(maxDiff, d);
                System.out.printf("%4d %12.6f %12.6f %10.2e%n", b + 1, ours, theirs, d);
            }
            System.out.printf("max |loss difference| over %d steps: %.3e (target <= 1e-2)%n", parity, maxDiff);
            System.out.printf("max |parameter difference| after %d steps: %.3e%n", parity, maxParamDiff(model, torch));

            long[] ow = new long[steps], oc = new long[steps], tw = new long[steps], tc = new long[steps];
            for (int i = 0; i < warmup + steps; i++, b++) {
                Batch bt = loader.batch(order, 0, b % loader.batches());
                long[] o, t;
                if ((i & 1) == 0) {
                    o = timed(() -> ourStep(model, sgd, bt));
                    t = timed(() -> torchStep(base, torch, bt, lr));
                } else {
                    t = timed(() -> torchStep(base, torch, bt, lr));
                    o = timed(() -> ourStep(model, sgd, bt));
                }
                if (i >= warmup) {
                    int k = i - warmup;
                    ow[k] = o[0];
                    oc[k] = o[1];
                    tw[k] = t[0];
                    tc[k] = t[1];
                }
            }
            double oW = median(ow), oC = median(oc), tW = median(tw), tC = median(tc);
            int perEpoch = (60000 + batch - 1) / batch;
            System.out.printf("%n== %s: %d timed training steps of %d images (after %d warm-up), interleaved ==%n",
                    name, steps, batch, warmup);
            System.out.printf("%-9s %14s %14s %12s %16s%n", "", "wall ms/step", "CPU ms/step", "images/s", "s/epoch wall/CPU");
            System.out.printf("%-9s %14.1f %14.1f %12.0f %8.0f/%-7.0f%n", "attn4j", oW, oC, batch * 1000 / oW,
                    oW * perEpoch / 1000, oC * perEpoch / 1000);
            System.out.printf("%-9s %14.1f %14.1f %12.0f %8.0f/%-7.0f%n", "libtorch", tW, tC, batch * 1000 / tW,
                    tW * perEpoch / 1000, tC * perEpoch / 1000);
            System.out.printf("ratio attn4j/libtorch: wall %.2f, CPU %.2f (target <= 1.0)%n", oW / tW, oC / tC);
        }
    }

    /** One attn4j training step: forward, mean cross-entropy, backward, SGD update; returns the loss. */
    private static float ourStep(UnaryModule model, SGD sgd, Batch b) {
        Tensor loss = Losses.crossEntropy(model.forward(b.images()), b.labels(), null, -100, "mean", 0f);
        sgd.zeroGrad();
        loss.backward();
        sgd.step();
        return loss.item();
    }

    private static float torchStep(NDManager base, TorchFashionCnn torch, Batch b, float lr) {
        try (NDManager step = base.newSubManager()) {
            Tensor x = b.images();
            int n = x.size(0);
            NDArray images = step.create(x.contiguousData(), new Shape(n, 1, x.size(2), x.size(3)));
            float[] hot = new float[n * FashionModels.CLASSES];
            int[] y = b.labels().toIntArray();
            for (int i = 0; i < n; i++) hot[i * FashionModels.CLASSES + y[i]] = 1f;
            NDArray oneHot = step.create(hot, new Shape(n, FashionModels.CLASSES));
            return torch.step(images, oneHot, lr);
        }
    }

    private static double maxParamDiff(UnaryModule model, TorchFashionCnn torch) {
        double max = 0;
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            float[] ours = e.getValue().detach().contiguousData();
            float[] theirs = torch.params().get(e.getKey()).toFloatArray();
            for (int i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
        }
        return max;
    }

    /** Runs {@code r} after {@link Interleaved#settle} and returns {wall ns, process CPU ns}. */
    private static long[] timed(Runnable r) {
        Interleaved.settle();
        long c0 = OS.getProcessCpuTime(), w0 = System.nanoTime();
        r.run();
        return new long[] {System.nanoTime() - w0, OS.getProcessCpuTime() - c0};
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        return (n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0) / 1e6;
    }
}
