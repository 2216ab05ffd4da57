package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Losses against libtorch. DJL's Loss classes follow MXNet's conventions (no ignore_index, a different
 * weighted mean, sparse-label flags), so the references here are PyTorch's own formulas — LossNLL.cpp's
 * {@code cross_entropy_loss_label_smoothing} / {@code cross_entropy_loss_prob_target} / {@code nll_loss}, and
 * Loss.cpp's {@code binary_cross_entropy_with_logits} — composed from libtorch NDArray ops (log_softmax,
 * gather, take, where, sum), with libtorch's autograd giving the reference gradients.
 *
 * <p>Tolerances: losses are computed here in double and rounded once, libtorch's in float, so values of order
 * 1–10 agree to a few ulps; gradients are single expressions per element. Every comparison below also passed
 * at atol = rtol = 5e-7; the test uses 1e-6 for both (sum reductions over up to 60 rows reach values of 100).
 */
class LossesTest {
    private static final double ATOL = 1e-6, RTOL = 1e-6;
    private static final String[] REDUCTIONS = {"none", "sum", "mean"};

    // ---------------------------------------------------------------- references composed in libtorch

    private static NDArray reduce(NDArray perRow, String red, NDArray denominator) {
        return switch (red) {
            case "none" -> perRow;
            case "sum" -> perRow.sum();
            default -> perRow.sum().div(denominator);
        };
    }

    /** Weight of shape [C] viewed to broadcast along the class dim of an input of the given rank. */
    private static NDArray classView(NDArray w, int rank, int classDim) {
        long[] s = new long[rank];
        Arrays.fill(s, 1);
        s[classDim] = w.getShape().get(0);
        return w.reshape(s);
    }

    /**
     * F.cross_entropy (fromLogits) or F.nll_loss with class-index targets, as LossNLL.cpp defines them:
     * (1 - ε) · nll + ε/C · smooth, both reduced with the weighted-target denominator.
     */
    static NDArray torchClassLoss(NDArray z, NDArray t, NDArray w, int ignore, String red, float eps,
                                  boolean fromLogits) {
        int rank = z.getShape().dimension();
        int cd = rank == 1 ? 0 : 1;
        long c = z.getShape().get(cd);
        NDArray lp = fromLogits ? z.logSoftmax(cd) : z;
        NDArray mask = t.neq(ignore);
        NDArray safe = NDArrays.where(mask, t, t.zerosLike());
        NDArray picked = lp.gather(safe.expandDims(cd), cd).squeeze(cd);
        NDArray maskF = mask.toType(DataType.FLOAT32, false);
        NDArray wt = w == null ? maskF : w.take(safe).mul(maskF);
        NDArray denominator = wt.sum();
        NDArray nll = reduce(picked.neg().mul(wt), red, denominator);
        if (eps == 0f) return nll;
        NDArray weighted = w == null ? lp : lp.mul(classView(w, rank, cd));
        NDArray smooth = reduce(weighted.sum(new int[] {cd}).neg().mul(maskF), red, denominator);
        return nll.mul(Torch.scalar(nll, 1.0 - eps)).add(smooth.mul(Torch.scalar(smooth, (double) eps / c)));
    }

    /** F.cross_entropy with class-probability targets (cross_entropy_loss_prob_target). */
    static NDArray torchProbLoss(NDArray z, NDArray q, NDArray w, String red, float eps) {
        int rank = z.getShape().dimension();
        int cd = rank == 1 ? 0 : 1;
        long c = z.getShape().get(cd);
        NDArray lp = z.logSoftmax(cd);
        NDArray target = eps > 0 ? q.mul(Torch.scalar(q, 1.0 - eps)).add((double) eps / c) : q;
        NDArray prod = lp.mul(target);
        if (w != null) prod = prod.mul(classView(w, rank, cd));
        NDArray per = prod.sum(new int[] {cd}).neg();
        long rows = z.getShape().size() / c;
        return reduce(per, red, z.getManager().create((float) rows));
    }

    // ---------------------------------------------------------------- cross entropy

    private static int[] logitShape(Generator g, int kind, int c) {
        int n = 1 + g.nextInt(6);
        return switch (kind) {
            case 0 -> new int[] {c};
            case 1 -> new int[] {n, c};
            case 2 -> new int[] {n, c, 1 + g.nextInt(4)};
            default -> new int[] {n, c, 1 + g.nextInt(3), 1 + g.nextInt(3)};
        };
    }

    private static int[] targetShape(int[] logits) {
        if (logits.length == 1) return new int[0];
        int[] t = new int[logits.length - 1];
        t[0] = logits[0];
        System.arraycopy(logits, 2, t, 1, logits.length - 2);
        return t;
    }

    /**
     * Makes sure at least one target is not ignored. With every target ignored the mean is 0/0: ATen's
     * nll_loss backward then writes zero gradients while the composed reference divides by 0 and gives NaN —
     * that case has its own test against ATen's rule.
     */
    private static void keepOneCounted(long[] targets, int ignore, int c) {
        for (long t : targets) if (t != ignore) return;
        if (targets.length > 0) targets[0] = ignore >= 0 ? (ignore + 1) % c : 0;
    }

    @Test
    void crossEntropyWithClassTargetsMatchesTorch() {
        Generator g = new Generator(41);
        float[] smoothings = {0f, 0.1f, 0.35f, 1f};
        for (int trial = 0; trial < 48; trial++) {
            int c = 2 + g.nextInt(6);
            int[] zs = logitShape(g, trial % 4, c);
            int[] ts = targetShape(zs);
            boolean weighted = g.nextInt(2) == 0;
            int ignore = g.nextInt(3) == 0 ? g.nextInt(c) : -100;
            String red = REDUCTIONS[trial % 3];
            float eps = smoothings[(trial / 3) % 4];
            Tensor z = Tensor.randn(g, zs).mul(2f).requiresGrad(true);
            long[] tv = new long[Tensor.zeros(ts).numel()];
            for (int i = 0; i < tv.length; i++) tv[i] = g.nextInt(5) == 0 && ignore == -100 ? -100 : g.nextInt(c);
            keepOneCounted(tv, ignore, c);
            Tensor t = Tensor.ofLongs(tv, ts);
            Tensor w = Tensor.rand(g, c).add(0.2f);
            List<Tensor> in = new ArrayList<>(List.of(z, t));
            if (weighted) in.add(w);
            String what = "cross_entropy logits " + Arrays.toString(zs) + " weight=" + weighted + " ignore=" + ignore
                    + " " + red + " ε=" + eps;
            Torch.check(what, in,
                    x -> Losses.crossEntropy(x.get(0), x.get(1), weighted ? x.get(2) : null, ignore, red, eps),
                    x -> torchClassLoss(x.get(0), x.get(1), weighted ? x.get(2) : null, ignore, red, eps, true),
                    ATOL, RTOL, 400 + trial);
        }
    }

    @Test
    void crossEntropyWithProbabilityTargetsMatchesTorch() {
        Generator g = new Generator(42);
        float[] smoothings = {0f, 0.2f, 1f};
        for (int trial = 0; trial < 24; trial++) {
            int c = 2 + g.nextInt(6);
            int[] zs = logitShape(g, trial % 4, c);
            boolean weighted = trial % 2 == 0;
            String red = REDUCTIONS[trial % 3];
            float eps = smoothings[(trial / 3) % 3];
            Tensor z = Tensor.randn(g, zs).mul(2f).requiresGrad(true);
            // Soft targets (a softmax of noise); they require grad too, as a distillation target may.
            int cd = zs.length == 1 ? 0 : 1;
            Tensor q = Tensor.randn(g, zs).softmax(cd).detach().requiresGrad(true);
            Tensor w = Tensor.rand(g, c).add(0.2f);
            List<Tensor> in = new ArrayList<>(List.of(z, q));
            if (weighted) in.add(w);
            String what = "cross_entropy probabilities " + Arrays.toString(zs) + " weight=" + weighted + " " + red
                    + " ε=" + eps;
            Torch.check(what, in,
                    x -> Losses.crossEntropy(x.get(0), x.get(1), weighted ? x.get(2) : null, -100, red, eps),
                    x -> torchProbLoss(x.get(0), x.get(1), weighted ? x.get(2) : null, red, eps),
                    ATOL, RTOL, 500 + trial);
        }
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        Tensor z = Tensor.of(new float[] {1e4f, -1e4f, 0f, -3e4f, 2e4f, 2e4f}, 2, 3).requiresGrad(true);
        Tensor t = Tensor.ofInts(new int[] {1, 2}, 2);
        Torch.check("cross_entropy huge logits", List.of(z, t), x -> Losses.crossEntropy(x.get(0), x.get(1)),
                x -> torchClassLoss(x.get(0), x.get(1), null, -100, "mean", 0f, true), 1e-3, 1e-6, 1);
    }

    @Test
    void allIgnoredMeanIsNanWithZeroGradient() {
        // nll_loss_out_frame divides 0 by a total weight of 0; its backward writes nothing for ignored rows.
        Tensor z = Tensor.randn(new Generator(1), 3, 4).requiresGrad(true);
        Tensor t = Tensor.ofInts(new int[] {-100, -100, -100}, 3);
        Tensor loss = Losses.crossEntropy(z, t, null, -100, "mean", 0.1f);
        assertTrue(Float.isNaN(loss.item()));
        loss.backward();
        assertArrayEquals(new float[12], z.grad().toFloatArray());
        assertEquals(0f, Losses.crossEntropy(z.detach(), t, null, -100, "sum", 0f).item());
        assertTrue(Float.isNaN(Losses.crossEntropy(Tensor.zeros(0, 4), Tensor.ofInts(new int[0], 0)).item()));
    }

    @Test
    void crossEntropyChecksItsArguments() {
        Tensor z = Tensor.zeros(4, 5);
        assertEquals("cross_entropy: class-index target must be int64, got float32 of shape [4] (input [4, 5])",
                assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(z, Tensor.zeros(4))).getMessage());
        assertEquals("cross_entropy: target of shape [3] does not fit input [4, 5]: expected class indices of shape [4]",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.crossEntropy(z, Tensor.ofInts(new int[] {0, 1, 2}, 3))).getMessage());
        assertEquals("cross_entropy: target of shape [4, 4] does not fit input [4, 5]: expected int64 class indices of"
                        + " shape [4] or float32 class probabilities of shape [4, 5]",
                assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(z, Tensor.zeros(4, 4))).getMessage());
        assertEquals("cross_entropy: target 5 at flat position 2 is out of range for 5 classes (input [4, 5], target [4],"
                        + " ignore_index -100)",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.crossEntropy(z, Tensor.ofInts(new int[] {0, 1, 5, 2}, 4))).getMessage());
        assertEquals("cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5",
                assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(z, Tensor.ofInts(new int[] {0, 1, 2, 3},
                        4), null, -100, "mean", 1.5f)).getMessage());
        assertEquals("cross_entropy: reduction must be 'mean', 'sum' or 'none', got 'avg'",
                assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(z, Tensor.ofInts(new int[] {0, 1, 2, 3},
                        4), null, -100, "avg", 0f)).getMessage());
        assertEquals("cross_entropy: weight must be a float32 tensor of shape [5] (one weight per class), got float32 of"
                        + " shape [4]",
                assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(z, Tensor.ofInts(new int[] {0, 1, 2, 3},
                        4), Tensor.ones(4), -100, "mean", 0f)).getMessage());
        assertEquals("cross_entropy: a target of the input's shape [4, 5] holds class probabilities and must be float32,"
                        + " got int64",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.crossEntropy(z, Tensor.zeros(4, 5).withDType(org.attn4j.tensor.DType.INT64))).getMessage());
        assertEquals("cross_entropy: ignore_index (0) is not supported for class-probability targets (input and target"
                        + " [4, 5])",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.crossEntropy(z, Tensor.zeros(4, 5), null, 0, "mean", 0f)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(Tensor.scalar(1f),
                Tensor.ofInts(new int[] {0}))).getMessage().startsWith("cross_entropy: input must have the classes"));
    }

    @Test
    void classWeightsThatRequireGradFailInBackwardAsInTorch() {
        Tensor z = Tensor.zeros(2, 3).requiresGrad(true);
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor loss = Losses.crossEntropy(z, Tensor.ofInts(new int[] {0, 2}, 2), w, -100, "mean", 0f);
        var e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().startsWith("cross_entropy: 'weight' has no gradient (PyTorch defines none either)"),
                e.getMessage());
    }

    // ---------------------------------------------------------------- nll

    @Test
    void nllLossMatchesTorch() {
        Generator g = new Generator(43);
        for (int trial = 0; trial < 24; trial++) {
            int c = 2 + g.nextInt(6);
            int[] zs = logitShape(g, trial % 4, c);
            int[] ts = targetShape(zs);
            boolean weighted = g.nextInt(2) == 0;
            int ignore = trial % 5 == 0 ? g.nextInt(c) : -100;
            String red = REDUCTIONS[trial % 3];
            int cd = zs.length == 1 ? 0 : 1;
            Tensor lp = Tensor.randn(g, zs).logSoftmax(cd).detach().requiresGrad(true);
            int numel = Tensor.zeros(ts).numel();
            long[] tv = new long[numel];
            for (int i = 0; i < numel; i++) tv[i] = g.nextInt(6) == 0 && ignore == -100 ? -100 : g.nextInt(c);
            keepOneCounted(tv, ignore, c);
            Tensor t = Tensor.ofLongs(tv, ts);
            Tensor w = Tensor.rand(g, c).add(0.2f);
            List<Tensor> in = new ArrayList<>(List.of(lp, t));
            if (weighted) in.add(w);
            Torch.check("nll_loss " + Arrays.toString(zs) + " weight=" + weighted + " ignore=" + ignore + " " + red, in,
                    x -> Losses.nllLoss(x.get(0), x.get(1), weighted ? x.get(2) : null, ignore, red),
                    x -> torchClassLoss(x.get(0), x.get(1), weighted ? x.get(2) : null, ignore, red, 0f, false),
                    ATOL, RTOL, 600 + trial);
        }
        assertEquals("nll_loss: class-index target must be int64, got float32 of shape [2] (input [2, 3])",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.nllLoss(Tensor.zeros(2, 3), Tensor.zeros(2), null, -100, "mean")).getMessage());
    }

    // ---------------------------------------------------------------- mse

    @Test
    void mseLossMatchesTorch() {
        Generator g = new Generator(44);
        int[][][] pairs = {{{7}, {7}}, {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 1, 5}, {3, 1}}, {{}, {}}};
        int trial = 0;
        for (int[][] p : pairs) {
            for (String red : REDUCTIONS) {
                Tensor a = Tensor.randn(g, p[0]).requiresGrad(true);
                Tensor b = Tensor.randn(g, p[1]).requiresGrad(true);
                Torch.check("mse_loss " + Arrays.toString(p[0]) + " vs " + Arrays.toString(p[1]) + " " + red,
                        List.of(a, b), x -> Losses.mseLoss(x.get(0), x.get(1), red),
                        x -> {
                            NDArray d = x.get(0).sub(x.get(1));   // broadcast, as F.mse_loss does
                            return reduce(d.square(), red, d.getManager().create((float) d.getShape().size()));
                        },
                        ATOL, RTOL, 700 + trial++);
            }
        }
        assertEquals("mse_loss: shapes [3] and [4] cannot be broadcast (dimension 0: 3 vs 4)",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.mseLoss(Tensor.zeros(3), Tensor.zeros(4), "mean")).getMessage());
    }

    // ---------------------------------------------------------------- bce with logits

    /** Loss.cpp: (1 - t)·x - (1 + (pw - 1)·t)·log σ(x), times weight; log σ(x) = min(x, 0) - log(1 + e^-|x|). */
    static NDArray torchBce(NDArray x, NDArray t, NDArray w, NDArray pw, String red) {
        NDArray logSig = x.minimum(Torch.scalar(x, 0)).sub(x.abs().neg().exp().add(1f).log());
        NDArray lw = pw == null ? x.onesLike() : pw.sub(1f).mul(t).add(1f);
        NDArray loss = t.neg().add(1f).mul(x).sub(lw.mul(logSig));
        if (w != null) loss = loss.mul(w);
        return reduce(loss, red, x.getManager().create((float) x.getShape().size()));
    }

    @Test
    void binaryCrossEntropyWithLogitsMatchesTorch() {
        Generator g = new Generator(45);
        int[][] shapes = {{9}, {4, 3}, {2, 3, 5}};
        int trial = 0;
        for (int[] s : shapes) {
            int c = s[s.length - 1];
            for (int opt = 0; opt < 4; opt++) {
                for (String red : REDUCTIONS) {
                    boolean hasW = (opt & 1) != 0, hasPw = (opt & 2) != 0;
                    Tensor x = Tensor.randn(g, s).mul(4f);
                    if (trial % 3 == 0) {
                        // Saturated logits: the stable form keeps both the loss and the gradient exact.
                        float[] v = x.toFloatArray();
                        v[0] = 40f;
                        v[v.length - 1] = -60f;
                        x = Tensor.of(v, s);
                    }
                    x.requiresGrad(true);
                    Tensor t = Tensor.rand(g, s).requiresGrad(true);
                    Tensor w = Tensor.rand(g, c).add(0.5f), pw = Tensor.rand(g, c).mul(3f).add(0.1f);
                    List<Tensor> in = new ArrayList<>(List.of(x, t));
                    if (hasW) in.add(w);
                    if (hasPw) in.add(pw);
                    Torch.check("bce_with_logits " + Arrays.toString(s) + " w=" + hasW + " pw=" + hasPw + " " + red, in,
                            a -> Losses.binaryCrossEntropyWithLogits(a.get(0), a.get(1), hasW ? a.get(2) : null,
                                    hasPw ? a.get(hasW ? 3 : 2) : null, red),
                            a -> torchBce(a.get(0), a.get(1), hasW ? a.get(2) : null, hasPw ? a.get(hasW ? 3 : 2) : null,
                                    red),
                            ATOL, RTOL, 800 + trial++);
                }
            }
        }
        assertEquals("binary_cross_entropy_with_logits: target size [3] must be the same as input size [4]",
                assertThrows(IllegalArgumentException.class, () -> Losses.binaryCrossEntropyWithLogits(Tensor.zeros(4),
                        Tensor.zeros(3), null, null, "mean")).getMessage());
        assertEquals("binary_cross_entropy_with_logits: pos_weight of shape [2, 4] must broadcast to the input's shape [4]",
                assertThrows(IllegalArgumentException.class, () -> Losses.binaryCrossEntropyWithLogits(Tensor.zeros(4),
                        Tensor.zeros(4), null, Tensor.ones(2, 4), "mean")).getMessage());
    }
}
