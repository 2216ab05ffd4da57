package org.attn4j.train;

import java.util.List;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Counts of (true class, predicted class) pairs, from which accuracy, top-k and per-class figures follow.
 * Rows are true classes, columns predictions (scikit-learn's convention).
 *
 * <p>Ties: the prediction is the first maximal logit, as {@code torch.argmax}; top-k ranks the classes by
 * logit with the same tie-break (equal logits: lower index first), so top-1 always equals accuracy and a
 * network whose logits are all equal gets the top-k of always guessing classes {@code 0..k-1}, not 1.0.
 * (TensorFlow's {@code in_top_k} instead counts every class tied with the k-th as inside.)
 */
public final class ConfusionMatrix {
    private final long[][] counts;
    private long topKHits;
    private long total;
    private final int k;

    /** A matrix for {@code numClasses} classes that also tracks top-{@code k} accuracy. */
    public ConfusionMatrix(int numClasses, int k) {
        if (numClasses <= 0) throw new IllegalArgumentException("ConfusionMatrix: need at least one class, got " + numClasses);
        if (k <= 0 || k > numClasses) throw new IllegalArgumentException("ConfusionMatrix: top-k " + k + " must be in [1, " + numClasses + "]");
        this.counts = new long[numClasses][numClasses];
        this.k = k;
    }

    /** Adds a batch of logits {@code [B, C]} against int64 labels {@code [B]}. */
    public void add(Tensor logits, Tensor labels) {
        int c = counts.length;
        if (logits.dim() != 2 || logits.size(1) != c || labels.dim() != 1 || labels.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("ConfusionMatrix.add: expected logits [B, " + c + "] and labels [B], got "
                    + Shape.str(logits.shape()) + " and " + Shape.str(labels.shape()));
        }
        float[] z = logits.contiguousData();
        int[] y = labels.toIntArray();
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= c) {
                throw new IllegalArgumentException("ConfusionMatrix.add: label " + y[i] + " of sample " + i + " is outside [0, " + c + ")");
            }
        }
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            int rank = 0;      // how many classes rank before the true one: a higher logit, or an equal one at a lower index
            float truth = z[i * c + y[i]];
            for (int j = 0; j < c; j++) {
                float v = z[i * c + j];
                if (v > z[i * c + best]) best = j;
                if (v > truth || (v == truth && j < y[i])) rank++;
            }
            counts[y[i]][best]++;
            if (rank < k) topKHits++;
            total++;
        }
    }

    public long total() {
        return total;
    }

    /** Top-1 accuracy. */
    public double accuracy() {
        long hit = 0;
        for (int i = 0; i < counts.length; i++) hit += counts[i][i];
        return total == 0 ? 0 : hit / (double) total;
    }

    /** Top-k accuracy, for the k given at construction. */
    public double topK() {
        return total == 0 ? 0 : topKHits / (double) total;
    }

    public int k() {
        return k;
    }

    public long count(int trueClass, int predicted) {
        return counts[trueClass][predicted];
    }

    /** Recall of each class (correct / true count). */
    public double[] perClassAccuracy() {
        double[] out = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            long row = 0;
            for (long v : counts[i]) row += v;
            out[i] = row == 0 ? 0 : counts[i][i] / (double) row;
        }
        return out;
    }

    /** A text table with class names as row labels. */
    public String format(List<String> names) {
        StringBuilder sb = new StringBuilder();
        int w = 6;
        sb.append(String.format("%-14s", "true\\pred"));
        for (int j = 0; j < counts.length; j++) sb.append(String.format("%" + w + "d", j));
        sb.append('\n');
        for (int i = 0; i < counts.length; i++) {
            String name = names != null && i < names.size() ? names.get(i) : Integer.toString(i);
            sb.append(String.format("%-14s", i + " " + (name.length() > 11 ? name.substring(0, 11) : name)));
            for (long v : counts[i]) sb.append(String.format("%" + w + "d", v));
            sb.append('\n');
        }
        return sb.toString();
    }
}
