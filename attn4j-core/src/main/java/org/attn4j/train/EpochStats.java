package org.attn4j.train;

/**
 * What one epoch measured: mean training loss and accuracy over the epoch's batches, test loss and
 * accuracy (top-1 and top-k), the epoch's wall time and training throughput.
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                         double testTopK, double seconds, double imagesPerSecond, double lr) {
}
