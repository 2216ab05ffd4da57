package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@link ScaledDotProductAttention} against libtorch composing PyTorch 2.5+'s math backend ({@code matmul},
 * mask fill, {@code _safe_softmax}, {@code matmul}), forward and the gradients of q, k, v and float masks.
 *
 * <p>Tolerance: atol 1e-6, rtol 1e-5 on outputs, weights and gradients. The inputs are O(1) and each value
 * passes through two GEMMs with E, S ≤ 16 terms and a softmax; float32 rounding of those sums, done in a
 * different order by the two libraries, stays below 1e-6 absolute here (measured worst 4.8e-7 over all
 * comparisons, ATTN4J_REPORT_DIFFS=1), and the relative term covers the few larger gradient entries.
 */
class ScaledDotProductAttentionTest {
    private static final double ATOL = 1e-6, RTOL = 1e-5;

    private static Tensor randn(Generator g, int... shape) {
        return Tensor.randn(g, shape).requiresGrad(true);
    }

    private static Tensor bools(Generator g, double pTrue, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        boolean[] b = new boolean[n];
        for (int i = 0; i < n; i++) b[i] = g.nextDouble() < pTrue;
        return Tensor.ofBooleans(b, shape);
    }

    /** Checks output and weights, with a bool keep-mask or float bias given as the 4th input. */
    private static void check(String what, Tensor q, Tensor k, Tensor v, Tensor mask, Options opts, long seed) {
        List<Tensor> in = new ArrayList<>(List.of(q, k, v));
        if (mask != null) in.add(mask);
        boolean bool = mask != null && mask.dtype() == org.attn4j.tensor.DType.BOOL;
        double scale = opts.scale() != null ? opts.scale() : 1 / Math.sqrt(q.size(-1));
        Tensor causal = opts.isCausal() ? ScaledDotProductAttention.causalMask(q.size(-2), k.size(-2)) : null;
        ModuleOracle.check(what, null, in,
                t -> {
                    Options o = mask == null ? opts : opts.withMask(t.get(3));
                    var r = ScaledDotProductAttention.compute(t.get(0), t.get(1), t.get(2), o, true);
                    return List.of(r.output(), r.weights());
                },
                (state, t) -> {
                    NDArray keep = bool ? t.get(3) : causal != null ? Torch.nd(t.get(0).getManager(), causal) : null;
                    NDArray bias = mask != null && !bool ? t.get(3) : null;
                    return List.of(TorchAttention.sdpa(t.get(0), t.get(1), t.get(2), keep, bias, scale, opts.maskedValue()));
                }, ATOL, RTOL, seed);
    }

    @Test
    void unmaskedWithDifferentQueryAndKeyLengths() {
        Generator g = new Generator(1);
        check("L != S", randn(g, 2, 3, 5, 8), randn(g, 2, 3, 7, 8), randn(g, 2, 3, 7, 6), null, Options.none(), 1);
        check("3-D", randn(g, 4, 1, 16), randn(g, 4, 9, 16), randn(g, 4, 9, 3), null, Options.none(), 2);
        // Batch dims broadcast: q [2, 1], k and v [3] -> [2, 3].
        check("broadcast batch", randn(g, 2, 1, 4, 5), randn(g, 3, 6, 5), randn(g, 3, 6, 2), null, Options.none(), 3);
        check("explicit scale", randn(g, 2, 5, 4), randn(g, 2, 5, 4), randn(g, 2, 5, 4), null, Options.none().withScale(0.3), 4);
    }

    @Test
    void boolMasksBroadcast() {
        Generator g = new Generator(2);
        // 0.8 keeps most keys; rows that come out fully masked are legitimate cases of the safe softmax too.
        for (int[] ms : new int[][] {{5, 7}, {2, 1, 1, 7}, {2, 3, 5, 7}, {1, 5, 1}, {7}}) {
            check("bool mask " + java.util.Arrays.toString(ms), randn(g, 2, 3, 5, 8), randn(g, 2, 3, 7, 8),
                    randn(g, 2, 3, 7, 4), bools(g, 0.8, ms), Options.none(), 10);
        }
    }

    @Test
    void causalTopLeftAligned() {
        Generator g = new Generator(3);
        check("causal L = S", randn(g, 2, 6, 4), randn(g, 2, 6, 4), randn(g, 2, 6, 5), null, Options.none().causal(), 20);
        check("causal L < S", randn(g, 2, 4, 4), randn(g, 2, 7, 4), randn(g, 2, 7, 5), null, Options.none().causal(), 21);
        check("causal L > S", randn(g, 2, 7, 4), randn(g, 2, 3, 4), randn(g, 2, 3, 5), null, Options.none().causal(), 22);
    }

    @Test
    void floatMasksAreAddedAndGetTheirGradient() {
        Generator g = new Generator(4);
        Tensor bias = Tensor.randn(g, 3, 5, 7).requiresGrad(true);
        check("float bias [H, L, S]", randn(g, 2, 3, 5, 8), randn(g, 2, 3, 7, 8), randn(g, 2, 3, 7, 4), bias, Options.none(), 30);
        // -inf entries, one row entirely -inf: that row is 0 with zero gradient (safe softmax), not NaN.
        float[] b = Tensor.randn(g, 5, 7).toFloatArray();
        for (int j = 0; j < 7; j++) b[2 * 7 + j] = Float.NEGATIVE_INFINITY;
        b[0] = b[8] = b[34] = Float.NEGATIVE_INFINITY;
        check("float mask with -inf", randn(g, 2, 5, 8), randn(g, 2, 7, 8), randn(g, 2, 7, 4), Tensor.of(b, 5, 7),
                Options.none(), 31);
    }

    @Test
    void fullyMaskedRowsAreZeroWithFiniteGradients() {
        Generator g = new Generator(5);
        Tensor q = randn(g, 2, 4, 3), k = randn(g, 2, 5, 3), v = randn(g, 2, 5, 3);
        boolean[] keep = new boolean[4 * 5];
        for (int i = 0; i < 20; i++) keep[i] = i / 5 != 1;     // row 1 sees nothing
        Tensor mask = Tensor.ofBooleans(keep, 4, 5);
        var r = ScaledDotProductAttention.compute(q, k, v, Options.none().withMask(mask), true);
        for (int b = 0; b < 2; b++) {
            for (int j = 0; j < 3; j++) assertEquals(0f, r.output().get(b, 1, j));
            for (int j = 0; j < 5; j++) assertEquals(0f, r.weights().get(b, 1, j));
        }
        r.output().backward(Tensor.onesLike(r.output()));
        for (Tensor t : List.of(q, k, v)) {
            for (float x : t.grad().toFloatArray()) assertTrue(Float.isFinite(x), "gradient must be finite");
        }
        check("fully masked row (bool)", q, k, v, mask, Options.none(), 40);
    }

    @Test
    void finiteMaskedValueGivesUniformRowsAsMaskedFill() {
        // masked_fill(mask == 0, -1e9): a fully masked row is uniform, not zero.
        Generator g = new Generator(6);
        Tensor q = randn(g, 3, 4, 6), k = randn(g, 3, 4, 6), v = randn(g, 3, 4, 5);
        boolean[] keep = new boolean[16];
        for (int i = 0; i < 16; i++) keep[i] = i < 4 || (i % 4) <= (i / 4) && i >= 8;
        Tensor mask = Tensor.ofBooleans(keep, 4, 4);
        Options o = Options.none().withMaskedValue(-1e9f);
        check("masked value -1e9", q, k, v, mask, o, 50);
        var w = ScaledDotProductAttention.compute(q, k, v, o.withMask(mask), true).weights();
        for (int j = 0; j < 4; j++) assertEquals(0.25f, w.get(0, 1, j), 1e-7f);
    }

    @Test
    void dropoutScalesKeptWeightsAndOnlyInTraining() {
        Generator g = new Generator(7);
        Tensor q = Tensor.randn(g, 2, 8, 4), k = Tensor.randn(g, 2, 8, 4), v = Tensor.randn(g, 2, 8, 4);
        var plain = ScaledDotProductAttention.compute(q, k, v, Options.none(), true);
        var eval = ScaledDotProductAttention.compute(q, k, v, Options.none().withDropout(0.5, false, new Generator(1)), true);
        Assertions2.assertClose("eval dropout is identity", plain.output(), eval.output(), 0, 0);
        var train = ScaledDotProductAttention.compute(q, k, v, Options.none().withDropout(0.25, true, new Generator(9)), true);
        float[] w0 = plain.weights().toFloatArray(), w1 = train.weights().toFloatArray();
        int dropped = 0;
        for (int i = 0; i < w0.length; i++) {
            if (w1[i] == 0f) dropped++;
            else assertEquals(w0[i] / 0.75f, w1[i], 1e-6f, "a kept weight is scaled by 1/(1-p)");
        }
        assertTrue(dropped > 0.1 * w0.length && dropped < 0.4 * w0.length, "about a quarter dropped, got " + dropped);
        // The output is the dropped weights times v.
        Assertions2.assertClose("output = dropped weights @ v", train.weights().matmul(v), train.output(), 1e-6, 1e-6);
        var again = ScaledDotProductAttention.compute(q, k, v, Options.none().withDropout(0.25, true, new Generator(9)), true);
        Assertions2.assertClose("same seed, same mask", train.weights(), again.weights(), 0, 0);
        assertNull(ScaledDotProductAttention.compute(q, k, v, Options.none(), false).weights());
    }

    @Test
    void badInputsAreNamed() {
        Tensor q = Tensor.zeros(2, 5, 8), k = Tensor.zeros(2, 7, 8), v = Tensor.zeros(2, 7, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.apply(Tensor.zeros(8), k, v));
        assertEquals("scaled_dot_product_attention: query, key and value need at least 2 dims [..., N, E], got query [8],"
                + " key [2, 7, 8], value [2, 7, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.apply(q, Tensor.zeros(2, 7, 6), v));
        assertEquals("scaled_dot_product_attention: query [2, 5, 8] and key [2, 7, 6] must share the last dim (8 != 6)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.apply(q, k, Tensor.zeros(2, 6, 4)));
        assertEquals("scaled_dot_product_attention: key [2, 7, 8] and value [2, 6, 4] must have the same number of"
                + " positions (7 != 6)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.apply(q, Tensor.zeros(3, 7, 8),
                Tensor.zeros(3, 7, 4)));
        assertEquals("scaled_dot_product_attention: the batch dims of query [2, 5, 8], key [3, 7, 8] and value [3, 7, 4]"
                + " cannot be broadcast together", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.compute(q, k, v,
                Options.none().withMask(Tensor.zeros(5, 5)), false));
        assertEquals("scaled_dot_product_attention: attn_mask of shape [5, 5] cannot broadcast to the scores' shape"
                + " [2, 5, 7] (query [2, 5, 8], key [2, 7, 8])", e.getMessage());
        // A mask may not add batch dims the scores do not have.
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.compute(q, k, v,
                Options.none().withMask(Tensor.zeros(3, 2, 5, 7)), false));
        assertTrue(e.getMessage().contains("attn_mask of shape [3, 2, 5, 7] cannot broadcast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.compute(q, k, v,
                Options.none().withMask(Tensor.zeros(5, 7)).causal(), false));
        assertEquals("scaled_dot_product_attention: explicit attn_mask (shape [5, 7]) should not be set when isCausal"
                + " is true", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.compute(q, k, v,
                Options.none().withMask(Tensor.ofInts(new int[35], 5, 7)), false));
        assertEquals("scaled_dot_product_attention: attn_mask must be bool or float32, got int64 of shape [5, 7]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.compute(q, k, v,
                Options.none().withDropout(1.5, true, null), false));
        assertEquals("scaled_dot_product_attention: dropout_p must be in [0, 1], got 1.5", e.getMessage());
    }
}
