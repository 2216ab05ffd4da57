package org.attn4j.train;

/** Loss and confusion matrix of a model over a data set. */
public record Evaluation(double loss, ConfusionMatrix confusion) {
    public double accuracy() {
        return confusion.accuracy();
    }
}
