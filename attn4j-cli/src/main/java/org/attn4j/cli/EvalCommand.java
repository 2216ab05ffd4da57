package org.attn4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.attn4j.data.Augment;
import org.attn4j.data.DataLoader;
import org.attn4j.data.Dataset;
import org.attn4j.data.FashionMnist;
import org.attn4j.models.FashionModels;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.train.Checkpoint;
import org.attn4j.train.Evaluation;
import org.attn4j.train.Trainer;

/** {@code attn4j eval --checkpoint DIR}: test-set accuracy, top-5 and confusion matrix of a checkpoint. */
final class EvalCommand {
    private EvalCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = new Args("eval", argv, 1, Set.of("checkpoint", "data", "threads", "limit"), Set.of("help"));
        if (a.has("help") || !a.has("checkpoint")) {
            if (!a.has("help")) throw new Args.UsageException("eval: --checkpoint DIR is required");
            out.print(Main.USAGE);
            return 0;
        }
        if (a.has("threads")) org.attn4j.kernels.Parallel.setThreads(a.getInt("threads", 1, 1));
        Path dir = Path.of(a.get("checkpoint", ""));
        Checkpoint.Loaded ckpt = Checkpoint.load(dir);
        UnaryModule net = loadModel(ckpt);
        Path dataDir = a.has("data") ? Path.of(a.get("data", "")) : null;
        Dataset test = FashionMnist.load(FashionMnist.Split.TEST, dataDir).normalized(FashionMnist.MEAN, FashionMnist.STD);
        int limit = a.getInt("limit", 0, 0);
        if (limit > 0) test = TrainCommand.head(test, limit);
        long t0 = System.nanoTime();
        Evaluation ev = Trainer.evaluate(net, new DataLoader(test, 500, false, false, Augment.NONE, 0), 5);
        double secs = (System.nanoTime() - t0) / 1e9;
        out.print(ev.confusion().format(test.classNames()));
        out.printf(Locale.ROOT, "%s epoch %d: test loss %.4f, accuracy %.4f, top-5 %.4f (%,d images in %.1f s)%n",
                ckpt.model(), ckpt.epoch(), ev.loss(), ev.accuracy(), ev.confusion().topK(), test.n(), secs);
        return 0;
    }

    /** Builds the checkpoint's model and loads its weights strictly. */
    static UnaryModule loadModel(Checkpoint.Loaded ckpt) {
        if (!FashionModels.names().contains(ckpt.model())) {
            throw new IllegalArgumentException("the checkpoint is of an unknown model '" + ckpt.model() + "' (models: "
                    + String.join(", ", FashionModels.names()) + ")");
        }
        UnaryModule net = FashionModels.create(ckpt.model(), new Generator(0));
        net.loadStateDict(ckpt.modelState(), true);
        net.eval();
        return net;
    }
}
