package org.attn4j.train;

/** Callbacks of {@link Trainer}; every method has an empty default. */
public interface TrainingListener {
    /** Before the first batch of an epoch (0-based) of {@code batches} batches. */
    default void epochStarted(int epoch, int batches) {}

    /** After each training step: running mean loss and accuracy of the epoch so far. */
    default void batchEnded(int epoch, int batch, double runningLoss, double runningAccuracy, double imagesPerSecond) {}

    /** After the epoch's evaluation. Exceptions thrown here stop training (e.g. a failed checkpoint write). */
    default void epochEnded(EpochStats stats) throws Exception {}
}
