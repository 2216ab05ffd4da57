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
import org.attn4j.tensor.Generator;
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
 *
 * <p>Reproducibility: with the same seed and thread count, a run gives the same metrics every time, and a
 * run resumed from a {@link Checkpoint} continues exactly as the uninterrupted one. For that, the randomness
 * of epoch {@code e} depends only on (seed, e): the {@link DataLoader} seeds its shuffle and augmentation so,
 * and the trainer reseeds the generator the model's dropout draws from at the start of every epoch. Without
 * that, the dropout masks of epoch 2 would depend on every draw of epoch 1, which a checkpoint does not hold.
 */
public final class Trainer {
    private final UnaryModule model;
    private final Optimizer optimizer;
    private final LRScheduler schedule;
    private final float labelSmoothing;
    private final double clipNorm;
    private final Generator randomness;
    private final long seed;

    /**
     * A trainer that leaves the model's random generator alone: repeatable from a fresh start, but a resumed
     * run's dropout masks differ from the uninterrupted run's (see the other constructor).
     *
     * @param schedule       learning rate per step, or null to keep the optimizer's
     * @param labelSmoothing as {@code F.cross_entropy(label_smoothing=...)}
     * @param clipNorm       max global gradient norm, or 0 for none
     */
    public Trainer(UnaryModule model, Optimizer optimizer, LRScheduler schedule, float labelSmoothing, double clipNorm) {
        this(model, optimizer, schedule, labelSmoothing, clipNorm, null, 0);
    }

    /**
     * @param randomness the generator the model's dropout (and drop-path) layers draw from, usually the one
     *                   it was built with; reseeded from ({@code seed}, epoch) before each epoch. Null: leave it.
     * @param seed       the run's seed
     */
    public Trainer(UnaryModule model, Optimizer optimizer, LRScheduler schedule, float labelSmoothing, double clipNorm,
                   Generator randomness, long seed) {
        this.model = model;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.labelSmoothing = labelSmoothing;
        this.clipNorm = clipNorm;
        this.randomness = randomness;
        this.seed = seed;
    }

    private static final long DROPOUT_STREAM = "Trainer.dropout".hashCode();

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
        if (startEpoch < 0) throw new IllegalArgumentException("Trainer.fit: start epoch must be >= 0, got " + startEpoch);
        if (train.batches() == 0) {
            throw new IllegalArgumentException("Trainer.fit: the training loader has no batches (" + train.dataset().n()
                    + " images, batch size " + train.batchSize() + ", drop_last)");
        }
        List<EpochStats> history = new ArrayList<>();
        TrainingListener l = listener == null ? new TrainingListener() {} : listener;
        for (int epoch = startEpoch; epoch < epochs; epoch++) {
            history.add(trainEpoch(train, test, epoch, l));
        }
        return history;
    }

    private EpochStats trainEpoch(DataLoader train, DataLoader test, int epoch, TrainingListener l) throws Exception {
        model.train();
        if (randomness != null) randomness.manualSeed(Generator.derive(seed, DROPOUT_STREAM, epoch));
        int batches = train.batches();
        l.epochStarted(epoch, batches);
        long start = System.nanoTime();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int b = 0;
        // Closed when the loop ends early (a diverged loss, an exception from the listener): stops the prefetch thread.
        try (DataLoader.Epoch epochBatches = train.epoch(epoch)) {
            for (Batch batch : epochBatches) {
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
        if (data.batches() == 0) {
            throw new IllegalArgumentException("Trainer.evaluate: the loader has no batches (" + data.dataset().n()
                    + " images, batch size " + data.batchSize() + ", drop_last)");
        }
        boolean wasTraining = model.isTraining();
        model.eval();
        ConfusionMatrix cm = null;
        double lossSum = 0;
        long n = 0;
        try (var ignored = GradMode.noGrad(); DataLoader.Epoch batches = data.epoch(0)) {
            for (Batch batch : batches) {
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
