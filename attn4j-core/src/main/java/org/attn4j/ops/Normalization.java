package org.attn4j.ops;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.kernels.BatchNormKernel;
import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.LayerNormKernel;
import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Layer and batch normalization with fused forward and closed-form backward ({@code F.layer_norm},
 * {@code F.batch_norm}). Both are on the hot path of the models attn4j runs, so neither is composed from
 * small ops: each reads its input once for the statistics and once to normalize, and its backward is one
 * kernel per gradient.
 */
public final class Normalization {
    private Normalization() {}

    /**
     * {@code F.layer_norm(x, normalizedShape, weight, bias, eps)}: normalizes over the last
     * {@code normalizedShape.length} dims, which must equal {@code normalizedShape}, with the biased variance
     * and eps inside the square root: {@code y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias}.
     *
     * @param x               {@code [*, normalizedShape...]} float32
     * @param normalizedShape the trailing shape normalized over (e.g. {@code {d_model}})
     * @param weight          {@code normalizedShape} elementwise scale, or null for none
     * @param bias            {@code normalizedShape} elementwise shift, or null for none
     * @param eps             added to the variance (PyTorch's default is 1e-5)
     * @return same shape as {@code x}; gradients flow to x, weight and bias
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        String op = "layer_norm";
        Arithmetic.requireFloat(op, x);
        if (normalizedShape == null || normalizedShape.length == 0) {
            throw new IllegalArgumentException(op + ": normalized_shape must name at least one dim, got "
                    + (normalizedShape == null ? "null" : Shape.str(normalizedShape)));
        }
        int[] xs = x.shape();
        int k = normalizedShape.length;
        boolean matches = xs.length >= k;
        for (int i = 0; matches && i < k; i++) matches = xs[xs.length - k + i] == normalizedShape[i];
        if (!matches) {
            throw new IllegalArgumentException(op + ": given normalized_shape " + Shape.str(normalizedShape)
                    + ", expected an input of shape [*, " + Shape.str(normalizedShape).substring(1)
                    + " but got input of shape " + Shape.str(xs));
        }
        checkParam(op, "weight", weight, normalizedShape);
        checkParam(op, "bias", bias, normalizedShape);

        int n = Shape.numel(normalizedShape);
        int rows = n == 0 ? 0 : x.numel() / n;
        float[] xd = x.contiguousData();
        float[] wd = weight == null ? null : weight.contiguousData();
        float[] bd = bias == null ? null : bias.contiguousData();
        float[] y = PrezeroedArrays.floats(x.numel());
        float[] mean = new float[rows], rstd = new float[rows];
        LayerNormKernel.forward(xd, wd, bd, y, mean, rstd, rows, n, eps);

        Tensor[] inputs = inputsOf(x, weight, bias);
        return Tensor.result(y, xs, op, g -> {
            float[] gd = g.contiguousData();
            Tensor gx = null, gw = null, gb = null;
            if (x.requiresGrad()) {
                float[] dx = PrezeroedArrays.floats(gd.length);
                LayerNormKernel.backwardInput(xd, gd, wd, mean, rstd, dx, rows, n);
                gx = Tensor.ofOwned(dx, xs);
            }
            boolean wantW = weight != null && weight.requiresGrad();
            boolean wantB = bias != null && bias.requiresGrad();
            if (wantW || wantB) {
                float[] dw = wantW ? new float[n] : null, db = wantB ? new float[n] : null;
                LayerNormKernel.backwardParams(xd, gd, mean, rstd, dw, db, rows, n);
                if (wantW) gw = Tensor.ofOwned(dw, normalizedShape.clone());
                if (wantB) gb = Tensor.ofOwned(db, normalizedShape.clone());
            }
            return gradsFor(inputs, x, gx, weight, gw, bias, gb);
        }, inputs);
    }

    /**
     * {@code F.batch_norm(x, runningMean, runningVar, weight, bias, training, momentum, eps)} over the channel
     * dim 1 of {@code [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]} (any trailing dims).
     *
     * <p>Training normalizes with the batch mean and biased variance of each channel, and, when given,
     * updates the running statistics in place (they are buffers: no graph is recorded):
     * {@code running = (1 - momentum) * running + momentum * batchStat}, where the running variance takes the
     * <em>unbiased</em> batch variance, as PyTorch does. Evaluation normalizes with the running statistics.
     * A cumulative average ({@code momentum=None} in PyTorch) is not offered here: the caller passes
     * {@code 1 / numBatchesTracked} as momentum for it, as {@code nn.BatchNorm} does.
     *
     * @param x           {@code [N, C, *]} float32
     * @param runningMean {@code [C]}, updated in place when training; null to not track (required in eval)
     * @param runningVar  {@code [C]}, updated in place when training; null to not track (required in eval)
     * @param weight      {@code [C]} scale or null
     * @param bias        {@code [C]} shift or null
     * @param training    batch statistics (true) or running statistics (false)
     * @param momentum    weight of the new batch statistic in the running average (PyTorch default 0.1)
     * @param eps         added to the variance (PyTorch default 1e-5)
     * @return same shape as x; gradients flow to x, weight and bias in both modes
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, float momentum, float eps) {
        return batchNorm("batch_norm", x, runningMean, runningVar, weight, bias, training, momentum, eps, false);
    }

    /**
     * {@code F.relu(F.batch_norm(...))} as one op, with {@link #batchNorm}'s arguments: the same values and
     * gradients, bit for bit, as the two ops composed (NormalizationTest holds them together). Each channel is
     * normalized and then clamped while it is in cache, and the backward masks the incoming gradient into the
     * input gradient's buffer; so neither the normalized tensor nor the ReLU's gradient is allocated, two
     * tensors of the input's size per layer (oneDNN's batch-norm with a ReLU post-op does the same).
     * {@link org.attn4j.nn.Sequential} runs a BatchNorm followed by a ReLU through it.
     */
    public static Tensor batchNormRelu(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                       boolean training, float momentum, float eps) {
        return batchNorm("batch_norm_relu", x, runningMean, runningVar, weight, bias, training, momentum, eps, true);
    }

    private static Tensor batchNorm(String op, Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
                                    Tensor bias, boolean training, float momentum, float eps, boolean relu) {
        Arithmetic.requireFloat(op, x);
        int[] xs = x.shape();
        if (xs.length < 2) {
            throw new IllegalArgumentException(op + ": expected an input of shape [N, C, *] with at least 2 dims, got "
                    + Shape.str(xs));
        }
        int batch = xs[0], channels = xs[1];
        int spatial = spatialSize(xs);
        int[] cShape = {channels};
        checkParam(op, "running_mean", runningMean, cShape);
        checkParam(op, "running_var", runningVar, cShape);
        checkParam(op, "weight", weight, cShape);
        checkParam(op, "bias", bias, cShape);
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException(op + ": running_mean and running_var must be given in evaluation mode"
                    + " (input " + Shape.str(xs) + ")");
        }
        long perChannel = (long) batch * spatial;
        if (training && perChannel == 1) {
            throw new IllegalArgumentException(op + ": expected more than 1 value per channel when training, got input"
                    + " of shape " + Shape.str(xs));
        }
        int count = (int) perChannel;
        int cs = channels * spatial;

        float[] xd = x.contiguousData();
        float[] wd = weight == null ? null : weight.contiguousData();
        float[] bd = bias == null ? null : bias.contiguousData();
        float[] mean = new float[channels], invstd = new float[channels];
        float[] newMean = runningMean == null ? null : new float[channels];
        float[] newVar = runningVar == null ? null : new float[channels];
        float[] rm = runningMean == null ? null : runningMean.contiguousData();
        float[] rv = runningVar == null ? null : runningVar.contiguousData();
        double mom = momentum;
        float[] y = PrezeroedArrays.floats(x.numel());

        Parallel.forRangeByCost(channels, 6L * count, (from, to) -> {
            for (int c = from; c < to; c++) {
                float m, is;
                if (training) {
                    // Two passes: the mean, then the sum of squared deviations from it (double accumulators).
                    double mu = BatchNormKernel.sum(xd, c * spatial, cs, batch, spatial) / count;
                    double ss = BatchNormKernel.sumSquaredDeviations(xd, c * spatial, cs, batch, spatial, mu);
                    m = (float) mu;
                    is = (float) (1.0 / Math.sqrt(ss / count + eps));
                    if (newMean != null) newMean[c] = (float) (mom * mu + (1 - mom) * rm[c]);
                    if (newVar != null) newVar[c] = (float) (mom * (ss / (count - 1)) + (1 - mom) * rv[c]);
                } else {
                    m = rm[c];
                    is = (float) (1.0 / Math.sqrt(rv[c] + (double) eps));
                }
                mean[c] = m;
                invstd[c] = is;
                float w = wd == null ? 1f : wd[c], bb = bd == null ? 0f : bd[c];
                BatchNormKernel.normalize(xd, y, c * spatial, cs, batch, spatial, m, is, w, bb);
                if (relu) {
                    for (int b = 0; b < batch; b++) {
                        int o = b * cs + c * spatial;
                        Elementwise.unary(Elementwise.Unary.RELU, y, o, y, o, spatial);
                    }
                }
            }
        });

        // An empty batch has no statistics: PyTorch's batch_norm leaves the running stats alone then.
        if (training && count > 0 && (newMean != null || newVar != null)) {
            try (var ignored = GradMode.noGrad()) {
                if (newMean != null) runningMean.copy_(Tensor.of(newMean, channels));
                if (newVar != null) runningVar.copy_(Tensor.of(newVar, channels));
            }
        }

        Tensor[] inputs = inputsOf(x, weight, bias);
        return Tensor.result(y, xs, op, g -> {
            float[] gOut = g.contiguousData();
            boolean wantX = x.requiresGrad();
            boolean wantW = weight != null && weight.requiresGrad();
            boolean wantB = bias != null && bias.requiresGrad();
            // With the ReLU, the gradient reaching the batch norm is g where y > 0, else 0: it is written into
            // dx's buffer (a buffer of its own when dx is not wanted) and the kernels below read it from there;
            // each element of dx is computed from the same element of it, so in place is safe.
            float[] gd = relu ? PrezeroedArrays.floats(gOut.length) : gOut;
            float[] dx = wantX ? (relu ? gd : PrezeroedArrays.floats(gd.length)) : null;
            float[] dw = wantW ? new float[channels] : null, db = wantB ? new float[channels] : null;
            Parallel.forRangeByCost(channels, 6L * count, (from, to) -> {
                for (int c = from; c < to; c++) {
                    float m = mean[c], is = invstd[c];
                    if (relu) {
                        for (int b = 0; b < batch; b++) {
                            int o = b * cs + c * spatial;
                            Elementwise.unaryGrad(Elementwise.UnaryGrad.RELU, gOut, o, y, o, gd, o, spatial);
                        }
                    }
                    double[] sums = BatchNormKernel.gradSums(xd, gd, c * spatial, cs, batch, spatial, m);
                    double sumG = sums[0], dotp = sums[1];
                    if (wantW) dw[c] = (float) (dotp * is);
                    if (wantB) db[c] = (float) sumG;
                    if (!wantX) continue;
                    float w = wd == null ? 1f : wd[c];
                    if (training) {
                        // dx = (g - mean(g) - x̂ mean(g x̂)) * invstd * w, with x̂ = (x - mean) * invstd.
                        float k = (float) (dotp * is * is / count);
                        float gMean = (float) (sumG / count);
                        float scale = is * w;
                        BatchNormKernel.inputGrad(xd, gd, dx, c * spatial, cs, batch, spatial, m, gMean, k, scale);
                    } else {
                        float scale = is * w;
                        for (int b = 0; b < batch; b++) {
                            int o = b * cs + c * spatial;
                            for (int i = 0; i < spatial; i++) dx[o + i] = gd[o + i] * scale;
                        }
                    }
                }
            });
            return gradsFor(inputs, x, wantX ? Tensor.ofOwned(dx, xs) : null, weight,
                    wantW ? Tensor.ofOwned(dw, channels) : null, bias, wantB ? Tensor.of(db, channels) : null);
        }, inputs);
    }

    private static int spatialSize(int[] xs) {
        int s = 1;
        for (int i = 2; i < xs.length; i++) s *= xs[i];
        return s;
    }

    /** Checks an optional per-feature tensor: float32 with exactly the expected shape. */
    private static void checkParam(String op, String name, Tensor t, int[] expected) {
        if (t == null) return;
        if (t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": " + name + " must be float32, got " + t.dtype().torchName()
                    + " of shape " + Shape.str(t.shape()));
        }
        if (!Shape.equal(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " of shape " + Shape.str(t.shape())
                    + " does not match the expected shape " + Shape.str(expected));
        }
    }

    /** The non-null inputs among x, weight and bias, in that order (the graph records only those). */
    private static Tensor[] inputsOf(Tensor x, Tensor weight, Tensor bias) {
        List<Tensor> in = new ArrayList<>(3);
        in.add(x);
        if (weight != null) in.add(weight);
        if (bias != null) in.add(bias);
        return in.toArray(new Tensor[0]);
    }

    /** Gradients laid out like {@link #inputsOf}: x first, then weight and bias when present. */
    private static Tensor[] gradsFor(Tensor[] inputs, Tensor x, Tensor gx, Tensor w, Tensor gw, Tensor b, Tensor gb) {
        Tensor[] out = new Tensor[inputs.length];
        int i = 0;
        out[i++] = gx;
        if (w != null) out[i++] = gw;
        if (b != null) out[i] = gb;
        return out;
    }
}
