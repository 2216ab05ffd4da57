package org.attn4j.ops;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.kernels.CrossEntropyKernel;
import org.attn4j.kernels.Parallel;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Loss functions with PyTorch's exact conventions ({@code torch.nn.functional}): cross_entropy, nll_loss,
 * mse_loss and binary_cross_entropy_with_logits, each with its backward.
 *
 * <p>Reductions: {@code "none"} keeps one loss per prediction, {@code "sum"} adds them, {@code "mean"} divides
 * the sum by the number of predictions — except for class-index targets with class weights, where, as in
 * PyTorch, it divides by the sum of the weights of the (non-ignored) targets. A mean over nothing is NaN.
 *
 * <p>Class weights and pos_weight receive no gradient, as in PyTorch, whose autograd has no formula for
 * them: if one requires grad, backward fails with an error naming it rather than leaving its grad empty.
 */
public final class Losses {
    private Losses() {}

    private enum Reduction { NONE, MEAN, SUM }

    private static Reduction reduction(String op, String r) {
        if (r != null) {
            switch (r) {
                case "none": return Reduction.NONE;
                case "mean": return Reduction.MEAN;
                case "sum": return Reduction.SUM;
                default: break;
            }
        }
        throw new IllegalArgumentException(op + ": reduction must be 'mean', 'sum' or 'none', got "
                + (r == null ? "null" : "'" + r + "'"));
    }

    /**
     * How an input of shape {@code [C]}, {@code [N, C]} or {@code [N, C, d1, ...]} splits into predictions:
     * {@code batch * spatial} rows of {@code classes} logits, whose per-row losses have shape {@code lossShape}
     * ({@code []}, {@code [N]} or {@code [N, d1, ...]}).
     */
    private record Layout(int batch, int classes, int spatial, int[] lossShape) {
        int rows() {
            return batch * spatial;
        }
    }

    private static Layout layout(String op, Tensor input) {
        int[] s = input.shape();
        if (s.length == 0) {
            throw new IllegalArgumentException(op + ": input must have the classes in dim 1 ([N, C] or [N, C, d1, ...])"
                    + " or be [C], got a 0-dim tensor");
        }
        if (s.length == 1) return new Layout(1, s[0], 1, new int[0]);
        int spatial = 1;
        int[] loss = new int[s.length - 1];
        loss[0] = s[0];
        for (int i = 2; i < s.length; i++) {
            spatial *= s[i];
            loss[i - 1] = s[i];
        }
        return new Layout(s[0], s[1], spatial, loss);
    }

    private static void checkClassWeight(String op, Tensor weight, int classes) {
        if (weight == null) return;
        if (weight.dtype() != DType.FLOAT32 || weight.dim() != 1 || weight.size(0) != classes) {
            throw new IllegalArgumentException(op + ": weight must be a float32 tensor of shape [" + classes
                    + "] (one weight per class), got " + weight.dtype().torchName() + " of shape "
                    + Shape.str(weight.shape()));
        }
    }

    /**
     * Reads class-index targets into {@link CrossEntropyKernel}'s form, checking every value: a class in
     * [0, C) or ignore_index (mapped to {@link CrossEntropyKernel#IGNORED}).
     */
    private static int[] classTargets(String op, Tensor input, Tensor target, Layout lay, int ignoreIndex) {
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + ": class-index target must be int64, got "
                    + target.dtype().torchName() + " of shape " + Shape.str(target.shape()) + " (input "
                    + Shape.str(input.shape()) + ")");
        }
        if (!Shape.equal(target.shape(), lay.lossShape())) {
            throw new IllegalArgumentException(op + ": target of shape " + Shape.str(target.shape())
                    + " does not fit input " + Shape.str(input.shape()) + ": expected class indices of shape "
                    + Shape.str(lay.lossShape()));
        }
        float[] td = target.contiguousData();
        int rows = lay.rows();
        int[] t = new int[rows];
        for (int r = 0; r < rows; r++) {
            long v = (long) td[r];
            if (v == ignoreIndex) {
                t[r] = CrossEntropyKernel.IGNORED;
            } else if (v < 0 || v >= lay.classes()) {
                throw new IllegalArgumentException(op + ": target " + v + " at flat position " + r
                        + " is out of range for " + lay.classes() + " classes (input " + Shape.str(input.shape())
                        + ", target " + Shape.str(target.shape()) + ", ignore_index " + ignoreIndex + ")");
            } else {
                t[r] = (int) v;
            }
        }
        return t;
    }

    /** Sum of per-row losses in double, then the reduction; the denominator is used only for the mean. */
    private static float reduce(double[] loss, Reduction red, double denominator) {
        double sum = 0;
        for (double v : loss) sum += v;
        return (float) (red == Reduction.MEAN ? sum / denominator : sum);
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    /** Per-row upstream scale: g itself for "none", g (or g / denominator) for a reduction. */
    private static float[] rowScale(Tensor g, Reduction red, int rows, double denominator) {
        if (red == Reduction.NONE) return g.contiguousData();
        float[] s = new float[rows];
        float v = (float) (red == Reduction.MEAN ? g.item() / denominator : g.item());
        java.util.Arrays.fill(s, v);
        return s;
    }

    private static void refuseGrad(String op, String name, Tensor t) {
        if (t != null && t.requiresGrad()) {
            throw new IllegalStateException(op + ": '" + name + "' has no gradient (PyTorch defines none either);"
                    + " pass a tensor that does not require grad (shape " + Shape.str(t.shape()) + ")");
        }
    }

    private static Tensor[] inputs(Tensor... maybe) {
        List<Tensor> in = new ArrayList<>();
        for (Tensor t : maybe) if (t != null) in.add(t);
        return in.toArray(new Tensor[0]);
    }

    // ---------------------------------------------------------------- cross entropy

    /**
     * {@code F.cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing)}, fused:
     * log-softmax over the class dim and the negative log-likelihood in one pass, and one pass back.
     *
     * @param logits         {@code [N, C]}, {@code [N, C, d1, ...]} or {@code [C]} float32 (unnormalized scores)
     * @param target         int64 class indices of shape {@code [N]}, {@code [N, d1, ...]} or {@code []}; or float32
     *                       class probabilities of the logits' shape (PyTorch 1.10+), which may require grad
     * @param weight         {@code [C]} per-class weight, or null
     * @param ignoreIndex    class-index targets equal to it contribute neither loss nor gradient, nor weight to the
     *                       mean's denominator (PyTorch default -100); must be negative for probability targets
     * @param reduction      "mean", "sum" or "none" (loss shape {@code [N, d1, ...]})
     * @param labelSmoothing ε in [0, 1]: the target becomes {@code (1 - ε) · target + ε / C}. With class weights and
     *                       the mean, PyTorch divides the smoothing term by the same weight sum as the NLL term
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor weight, int ignoreIndex, String reduction,
                                      float labelSmoothing) {
        String op = "cross_entropy";
        Arithmetic.requireFloat(op, logits);
        Reduction red = reduction(op, reduction);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException(op + ": label_smoothing must be between 0.0 and 1.0, got " + labelSmoothing);
        }
        Layout lay = layout(op, logits);
        checkClassWeight(op, weight, lay.classes());
        int rows = lay.rows(), c = lay.classes(), s = lay.spatial();
        float[] z = logits.contiguousData();
        float[] w = weight == null ? null : weight.contiguousData();
        double[] lse = new double[rows], loss = new double[rows];
        int[] lossShape = red == Reduction.NONE ? lay.lossShape() : new int[0];

        if (Shape.equal(target.shape(), logits.shape())) {
            // Class probabilities (LossNLL.cpp, cross_entropy_loss_prob_target).
            if (target.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(op + ": a target of the input's shape " + Shape.str(target.shape())
                        + " holds class probabilities and must be float32, got " + target.dtype().torchName());
            }
            if (ignoreIndex >= 0) {
                throw new IllegalArgumentException(op + ": ignore_index (" + ignoreIndex + ") is not supported for"
                        + " class-probability targets (input and target " + Shape.str(target.shape()) + ")");
            }
            float[] q = target.contiguousData();
            CrossEntropyKernel.forwardProb(z, q, rows, c, s, w, labelSmoothing, lse, loss);
            double denom = rows;
            float[] out = red == Reduction.NONE ? toFloat(loss) : new float[] {reduce(loss, red, denom)};
            return Tensor.result(out, lossShape, op, g -> {
                refuseGrad(op, "weight", weight);
                float[] scale = rowScale(g, red, rows, denom);
                float[] dz = logits.requiresGrad() ? new float[z.length] : null;
                float[] dq = target.requiresGrad() ? new float[q.length] : null;
                CrossEntropyKernel.backwardProb(z, q, rows, c, s, w, labelSmoothing, lse, scale, dz, dq);
                Tensor[] grads = new Tensor[weight == null ? 2 : 3];
                grads[0] = dz == null ? null : Tensor.ofOwned(dz, logits.shape());
                grads[1] = dq == null ? null : Tensor.ofOwned(dq, target.shape());
                return grads;
            }, inputs(logits, target, weight));
        }

        if (target.dtype() == DType.FLOAT32 && !Shape.equal(target.shape(), lay.lossShape())) {
            throw new IllegalArgumentException(op + ": target of shape " + Shape.str(target.shape()) + " does not fit input "
                    + Shape.str(logits.shape()) + ": expected int64 class indices of shape " + Shape.str(lay.lossShape())
                    + " or float32 class probabilities of shape " + Shape.str(logits.shape()));
        }
        int[] t = classTargets(op, logits, target, lay, ignoreIndex);
        CrossEntropyKernel.forwardClass(z, rows, c, s, t, w, labelSmoothing, lse, loss);
        double denom = targetWeightSum(t, w);
        float[] out = red == Reduction.NONE ? toFloat(loss) : new float[] {reduce(loss, red, denom)};
        return Tensor.result(out, lossShape, op, g -> {
            refuseGrad(op, "weight", weight);
            float[] scale = rowScale(g, red, rows, denom);
            float[] dz = new float[z.length];
            CrossEntropyKernel.backwardClass(z, rows, c, s, t, w, labelSmoothing, lse, scale, dz);
            Tensor[] grads = new Tensor[weight == null ? 2 : 3];
            grads[0] = Tensor.ofOwned(dz, logits.shape());
            return grads;
        }, inputs(logits, target, weight));
    }

    /** {@link #crossEntropy} with PyTorch's defaults: no weight, ignore_index -100, mean, no smoothing. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return crossEntropy(logits, target, null, -100, "mean", 0f);
    }

    /** The mean's denominator for class targets: Σ w[t] over non-ignored rows (their count without weights). */
    private static double targetWeightSum(int[] t, float[] w) {
        double d = 0;
        for (int v : t) {
            if (v != CrossEntropyKernel.IGNORED) d += w == null ? 1.0 : w[v];
        }
        return d;
    }

    // ---------------------------------------------------------------- nll

    /**
     * {@code F.nll_loss(logProbs, target, weight, ignore_index, reduction)}: {@code -weight[t] * logProbs[t]} per
     * prediction; the mean divides by the summed weights of the non-ignored targets.
     *
     * @param logProbs {@code [N, C]}, {@code [N, C, d1, ...]} or {@code [C]} float32 (usually log_softmax output)
     * @param target   int64 class indices {@code [N]}, {@code [N, d1, ...]} or {@code []}
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Tensor weight, int ignoreIndex, String reduction) {
        String op = "nll_loss";
        Arithmetic.requireFloat(op, logProbs);
        Reduction red = reduction(op, reduction);
        Layout lay = layout(op, logProbs);
        checkClassWeight(op, weight, lay.classes());
        int rows = lay.rows(), c = lay.classes(), s = lay.spatial();
        int[] t = classTargets(op, logProbs, target, lay, ignoreIndex);
        float[] x = logProbs.contiguousData();
        float[] w = weight == null ? null : weight.contiguousData();
        double[] loss = new double[rows];
        for (int r = 0; r < rows; r++) {
            if (t[r] == CrossEntropyKernel.IGNORED) continue;
            double wt = w == null ? 1.0 : w[t[r]];
            loss[r] = -wt * x[position(r, t[r], c, s)];
        }
        double denom = targetWeightSum(t, w);
        float[] out = red == Reduction.NONE ? toFloat(loss) : new float[] {reduce(loss, red, denom)};
        int[] lossShape = red == Reduction.NONE ? lay.lossShape() : new int[0];
        return Tensor.result(out, lossShape, op, g -> {
            refuseGrad(op, "weight", weight);
            float[] scale = rowScale(g, red, rows, denom);
            float[] dx = new float[x.length];
            for (int r = 0; r < rows; r++) {
                if (t[r] == CrossEntropyKernel.IGNORED) continue;
                float wt = w == null ? 1f : w[t[r]];
                dx[position(r, t[r], c, s)] = -wt * scale[r];
            }
            Tensor[] grads = new Tensor[weight == null ? 2 : 3];
            grads[0] = Tensor.ofOwned(dx, logProbs.shape());
            return grads;
        }, inputs(logProbs, target, weight));
    }

    /** Flat position of class k of row r in a {@code [B, C, S]} layout. */
    private static int position(int r, int k, int c, int s) {
        return (r / s) * c * s + r % s + k * s;
    }

    // ---------------------------------------------------------------- mse

    /**
     * {@code F.mse_loss(input, target, reduction)}: {@code (input - target)²}. As in PyTorch, shapes that differ
     * are broadcast together (PyTorch warns that this is likely a mistake; so do we, by failing loudly only when
     * they cannot broadcast at all). Both input and target receive gradients.
     */
    public static Tensor mseLoss(Tensor input, Tensor target, String reduction) {
        String op = "mse_loss";
        Arithmetic.requireFloat(op, input);
        Arithmetic.requireFloat(op, target);
        Reduction red = reduction(op, reduction);
        int[] shape = Shape.broadcast(op, input.shape(), target.shape());
        float[] a = input.detach().expand(shape).contiguous().contiguousData();
        float[] b = target.detach().expand(shape).contiguous().contiguousData();
        int n = a.length;
        float[] diff = new float[n];
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            diff[i] = a[i] - b[i];
            loss[i] = (double) diff[i] * diff[i];
        }
        float[] out = red == Reduction.NONE ? toFloat(loss) : new float[] {reduce(loss, red, n)};
        int[] ia = input.shape(), ib = target.shape();
        return Tensor.result(out, red == Reduction.NONE ? shape : new int[0], op, g -> {
            float[] scale = rowScale(g, red, n, n);
            float[] d = new float[n];
            for (int i = 0; i < n; i++) d[i] = 2f * diff[i] * scale[i];
            Tensor full = Tensor.of(d, shape);
            return new Tensor[] {
                input.requiresGrad() ? Reductions.sumToShape(full, ia) : null,
                target.requiresGrad() ? Reductions.sumToShape(full.neg(), ib) : null};
        }, input, target);
    }

    // ---------------------------------------------------------------- bce with logits

    /**
     * {@code F.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)} in PyTorch's
     * numerically stable form (ATen Loss.cpp): {@code loss = (1 - t)·x - (1 + (pw - 1)·t)·log σ(x)}, times
     * weight, with {@code log σ(x) = min(x, 0) - log1p(exp(-|x|))} so large |x| neither overflows nor loses the
     * loss. Input and target receive gradients.
     *
     * @param input     logits, any shape, float32
     * @param target    same shape as input, values usually in [0, 1]
     * @param weight    broadcastable to input's shape, or null
     * @param posWeight broadcastable to input's shape (typically {@code [C]} for the last dim), or null
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
                                                      String reduction) {
        String op = "binary_cross_entropy_with_logits";
        Arithmetic.requireFloat(op, input);
        Arithmetic.requireFloat(op, target);
        Reduction red = reduction(op, reduction);
        int[] shape = input.shape();
        if (!Shape.equal(target.shape(), shape)) {
            throw new IllegalArgumentException(op + ": target size " + Shape.str(target.shape())
                    + " must be the same as input size " + Shape.str(shape));
        }
        float[] w = broadcastTo(op, "weight", weight, shape);
        float[] pw = broadcastTo(op, "pos_weight", posWeight, shape);
        float[] x = input.contiguousData(), t = target.contiguousData();
        int n = x.length;
        double[] loss = new double[n];
        Parallel.forRangeByCost(n, 40, (from, to) -> {
            for (int i = from; i < to; i++) {
                double xi = x[i], ti = t[i];
                double logSig = Math.min(xi, 0.0) - Math.log1p(Math.exp(-Math.abs(xi)));
                double lw = pw == null ? 1.0 : 1.0 + (pw[i] - 1.0) * ti;
                double l = (1.0 - ti) * xi - lw * logSig;
                loss[i] = w == null ? l : l * w[i];
            }
        });
        float[] out = red == Reduction.NONE ? toFloat(loss) : new float[] {reduce(loss, red, n)};
        return Tensor.result(out, red == Reduction.NONE ? shape : new int[0], op, g -> {
            refuseGrad(op, "weight", weight);
            refuseGrad(op, "pos_weight", posWeight);
            float[] scale = rowScale(g, red, n, n);
            float[] dx = input.requiresGrad() ? new float[n] : null;
            float[] dt = target.requiresGrad() ? new float[n] : null;
            Parallel.forRangeByCost(n, 40, (from, to) -> {
                for (int i = from; i < to; i++) {
                    double xi = x[i], ti = t[i];
                    double k = scale[i] * (w == null ? 1.0 : w[i]);
                    double p = pw == null ? 1.0 : pw[i];
                    if (dx != null) {
                        // d/dx = (1 - t) - (1 + (pw - 1) t) · σ(-x)
                        double sigNeg = 1.0 / (1.0 + Math.exp(xi));
                        dx[i] = (float) (k * ((1.0 - ti) - (1.0 + (p - 1.0) * ti) * sigNeg));
                    }
                    if (dt != null) {
                        // d/dt = -x - (pw - 1) · log σ(x)
                        double logSig = Math.min(xi, 0.0) - Math.log1p(Math.exp(-Math.abs(xi)));
                        dt[i] = (float) (k * (-xi - (p - 1.0) * logSig));
                    }
                }
            });
            Tensor[] in = inputs(input, target, weight, posWeight);
            Tensor[] grads = new Tensor[in.length];
            grads[0] = dx == null ? null : Tensor.ofOwned(dx, shape);
            grads[1] = dt == null ? null : Tensor.ofOwned(dt, shape);
            return grads;
        }, inputs(input, target, weight, posWeight));
    }

    /** A float32 operand broadcast to exactly {@code shape} (row-major values), or null when absent. */
    private static float[] broadcastTo(String op, String name, Tensor t, int[] shape) {
        if (t == null) return null;
        Arithmetic.requireFloat(op, t);
        int[] b = Shape.broadcast(op, t.shape(), shape);
        if (!Shape.equal(b, shape)) {
            throw new IllegalArgumentException(op + ": " + name + " of shape " + Shape.str(t.shape())
                    + " must broadcast to the input's shape " + Shape.str(shape));
        }
        return t.detach().expand(shape).contiguous().contiguousData();
    }
}
