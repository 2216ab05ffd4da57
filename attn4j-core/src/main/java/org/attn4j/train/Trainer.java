package org.attn4j.train;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.data.Batch;
import org.attn4j.data.DataLoader;
import org.attn4j.nn.UnaryModule;
import org.attn4j.ops.Losses;
import org.attn4j.optim.GradClip;
import org.attn4j.optim.LRScheduler;
import org.attn4j.optim.Optimizer;
import org.attn4j.tensor.Tensor;

/**
 * The classification training loop a PyTorch user writes by hand, as a reusable object:
 * <pre>{@code
 * var trainer = new Trainer(model, optimizer, LRScheduler.cosineWithWarmup(...), 0.1f, 5.0);
 * List<EpochStats> history = trainer.fit(trainLoader, testLoader, 10, 0, listener);
 * }</pre>
 * Each step: {@code model.train()}, forward, cross-entropy (with label smoothing), backward, optional
 * gradient clipping, the scheduled learning rate, optimizer step. Each epoch ends with an evaluation in
 * {@code eval()} mode under no-grad.
 */
public final class Trainer {
    private final UnaryModule model;
    private final Optimizer optimizer;
    private final LRScheduler schedule;
    private final float labelSmoothing;
    private final double clipNorm;

    /**
     * @param schedule       learning rate per step, or null to keep the optimizer's
     * @param labelSmoothing as {@code F.cross_entropy(label_smoothing=...)}
     * @param clipNorm       max global gradient norm, or 0 for none
     */
    public Trainer(UnaryModule model, Optimizer optimizer, LRScheduler schedule, float labelSmoothing, double clipNorm) {
        this.model = model;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.labelSmoothing = labelSmoothing;
        this.clipNorm = clipNorm;
    }

    /** The mean cross-entropy of a batch. */
    public Tensor loss(Tensor logits, Tensor labels, float smoothing) {
        return Losses.crossEntropy(logits, labels, null, -100, "mean", smoothing);
    }

    /**
     * Trains epochs {@code startEpoch .. epochs-1} (a resumed run starts later), evaluating on {@code test}
     * after each; returns the stats of the epochs run.
     */
    public List<EpochStats> fit(DataLoader train, DataLoader test, int epochs, int startEpoch, TrainingListener listener)
            throws Exception {
        List<EpochStats> history = new ArrayList<>();
        TrainingListener l = listener == null ? new TrainingListener() {} : listener;
        for (int epoch = startEpoch; epoch < epochs; epoch++) {
            history.add(trainEpoch(train, test, epoch, l));
        }
        return history;
    }

    private EpochStats trainEpoch(DataLoader train, DataLoader test, int epoch, TrainingListener l) throws Exception {
        model.train();
        int batches = train.batches();
        l.epochStarted(epoch, batches);
        long start = System.nanoTime();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int b = 0;
        for (Batch batch : train.epoch(epoch)) {
            if (schedule != null) schedule.apply(optimizer, (long) epoch * batches + b);
            Tensor logits = model.forward(batch.images());
            Tensor loss = loss(logits, batch.labels(), labelSmoothing);
            optimizer.zeroGrad();
            loss.backward();
            if (clipNorm > 0) GradClip.clipGradNorm(model.parameters(), clipNorm);
            optimizer.step();
            float lv = loss.item();
            if (!Float.isFinite(lv)) {
                throw new IllegalStateException("training diverged: loss is " + lv + " at epoch " + (epoch + 1) + ", batch "
                        + (b + 1) + " (lower the learning rate?)");
            }
            lossSum += lv * batch.size();
            correct += countCorrect(logits, batch.labels());
            seen += batch.size();
            b++;
            double secs = (System.nanoTime() - start) / 1e9;
            l.batchEnded(epoch, b, lossSum / seen, correct / (double) seen, seen / Math.max(secs, 1e-9));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation ev = evaluate(test, 5);
        EpochStats stats = new EpochStats(epoch + 1, lossSum / seen, correct / (double) seen, ev.loss(), ev.accuracy(),
                ev.confusion().topK(), seconds, seen / seconds, optimizer.paramGroups().get(0).lr());
        l.epochEnded(stats);
        return stats;
    }

    /** Loss and confusion matrix over {@code data} in eval mode (restores the previous mode). */
    public Evaluation evaluate(DataLoader data, int topK) {
        return evaluate(model, data, topK);
    }

    /** Loss and confusion matrix of {@code model} over {@code data} in eval mode (restores the previous mode). */
    public static Evaluation evaluate(UnaryModule model, DataLoader data, int topK) {
        boolean wasTraining = model.isTraining();
        model.eval();
        ConfusionMatrix cm = null;
        double lossSum = 0;
        long n = 0;
        try (var ignored = GradMode.noGrad()) {
            for (Batch batch : data.epoch(0)) {
                Tensor logits = model.forward(batch.images());
                if (cm == null) cm = new ConfusionMatrix(logits.size(1), Math.min(topK, logits.size(1)));
                cm.add(logits, batch.labels());
                lossSum += Losses.crossEntropy(logits, batch.labels(), null, -100, "sum", 0f).item();
                n += batch.size();
            }
        } finally {
            model.train(wasTraining);
        }
        return new Evaluation(lossSum / n, cm);
    }

    static long countCorrect(Tensor logits, Tensor labels) {
        int c = logits.size(1);
        float[] z = logits.detach().contiguousData();
        int[] y = labels.toIntArray();
        long hit = 0;
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) if (z[i * c + j] > z[i * c + best]) best = j;
            if (best == y[i]) hit++;
        }
        return hit;
    }
}
