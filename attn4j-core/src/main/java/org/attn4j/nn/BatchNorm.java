package org.attn4j.nn;

import org.attn4j.autograd.GradMode;
import org.attn4j.ops.Normalization;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * What {@link BatchNorm1d} and {@link BatchNorm2d} share, as PyTorch's {@code _BatchNorm}: per-channel
 * normalization of {@code [N, C, *]} with batch statistics in training and running statistics in eval.
 *
 * <p>Parameters (with {@code affine}): {@code weight [C]} = ones, {@code bias [C]} = zeros. Buffers (with
 * {@code track_running_stats}): {@code running_mean [C]} = zeros, {@code running_var [C]} = ones and
 * {@code num_batches_tracked} (0-d int64) = 0 — PyTorch's state-dict entries, in its order.
 *
 * <p>Forward follows {@code _BatchNorm.forward}: in training with tracked statistics, num_batches_tracked is
 * incremented and the running statistics move by {@code momentum} (or, when momentum is null, by
 * {@code 1/num_batches_tracked}: a cumulative average), the running variance taking the unbiased batch
 * variance. In eval the running statistics are used — or the batch statistics when none are tracked.
 */
public abstract class BatchNorm extends UnaryModule {
    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final boolean affine, trackRunningStats;

    /** {@code momentum} null means a cumulative moving average ({@code momentum=None}). */
    protected BatchNorm(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures <= 0) throw new IllegalArgumentException(typeName() + ": num_features must be positive, got " + numFeatures);
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.affine = affine;
        this.trackRunningStats = trackRunningStats;
        registerParameter("weight", affine ? Tensor.ones(numFeatures) : null);
        registerParameter("bias", affine ? Tensor.zeros(numFeatures) : null);
        registerBuffer("running_mean", trackRunningStats ? Tensor.zeros(numFeatures) : null);
        registerBuffer("running_var", trackRunningStats ? Tensor.ones(numFeatures) : null);
        registerBuffer("num_batches_tracked", trackRunningStats ? Tensor.zeros().withDType(DType.INT64) : null);
    }

    /** The ranks of input this layer accepts, for {@code _check_input_dim}. */
    protected abstract boolean acceptsRank(int rank);

    /** How the accepted input is described in errors, e.g. {@code "2D or 3D"}. */
    protected abstract String expectedRanks();

    public Tensor weight() { return parameter("weight"); }
    public Tensor bias() { return parameter("bias"); }
    public Tensor runningMean() { return buffer("running_mean"); }
    public Tensor runningVar() { return buffer("running_var"); }
    public Tensor numBatchesTracked() { return buffer("num_batches_tracked"); }
    public int numFeatures() { return numFeatures; }

    /** Running statistics back to mean 0, variance 1, no batches tracked. */
    public void resetRunningStats() {
        if (!trackRunningStats) return;
        Init.zeros_(runningMean());
        Init.ones_(runningVar());
        Init.zeros_(numBatchesTracked());
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, false);
    }

    /**
     * {@code relu(forward(x))} as one op ({@link Normalization#batchNormRelu}): the same values and gradients,
     * without allocating the normalized tensor or the ReLU's gradient. {@link Sequential} calls it for a
     * BatchNorm followed by a ReLU.
     */
    public Tensor forwardRelu(Tensor x) {
        return forward(x, true);
    }

    private Tensor forward(Tensor x, boolean relu) {
        if (!acceptsRank(x.dim())) {
            throw new IllegalArgumentException(header() + ": expected " + expectedRanks() + " input (got " + x.dim()
                    + "D input of shape " + Shape.str(x.shape()) + ")");
        }
        if (x.size(1) != numFeatures) {
            throw new IllegalArgumentException(header() + ": input " + Shape.str(x.shape()) + " has " + x.size(1)
                    + " channels in dim 1, expected " + numFeatures);
        }
        boolean counting = isTraining() && trackRunningStats;
        double factor = momentum != null ? momentum : counting ? 1.0 / (numBatchesTracked().item() + 1) : 0.0;
        boolean useBatchStats = isTraining() || (runningMean() == null && runningVar() == null);
        boolean passStats = !isTraining() || trackRunningStats;
        Tensor rm = passStats ? runningMean() : null, rv = passStats ? runningVar() : null;
        Tensor y = relu
                ? Normalization.batchNormRelu(x, rm, rv, weight(), bias(), useBatchStats, (float) factor, (float) eps)
                : Normalization.batchNorm(x, rm, rv, weight(), bias(), useBatchStats, (float) factor, (float) eps);
        // Counted after the op succeeded (PyTorch counts first), so a rejected input changes no state.
        if (counting) {
            try (var ignored = GradMode.noGrad()) {
                numBatchesTracked().add_(Tensor.scalar(1f));
            }
        }
        return y;
    }

    @Override
    public String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps) + ", momentum=" + (momentum == null ? "None" : Repr.pyFloat(momentum))
                + ", affine=" + Repr.bool(affine) + ", track_running_stats=" + Repr.bool(trackRunningStats);
    }
}
