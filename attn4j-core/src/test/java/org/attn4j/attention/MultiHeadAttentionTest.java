package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiHeadAttention} against libtorch running the tutorial's {@code MultiHeadAttention.forward}
 * (reference 003 §3.4) and the annotated transformer's {@code MultiHeadedAttention.forward} (reference 000)
 * with the same weights: output, input gradients and every parameter's gradient.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 — four Linear layers, two batched GEMMs and a softmax in float32, summed
 * in another order by libtorch; measured worst absolute difference 2.4e-6 (ATTN4J_REPORT_DIFFS=1), on
 * projection-weight gradients.
 */
class MultiHeadAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** Reference 003 line by line: heads folded into the batch, bmm, masked_fill(mask == 0, -1e9). */
    static NDArray reference003(Map<String, NDArray> s, NDArray x, int h, NDArray mask) {
        long b = x.getShape().get(0), l = x.getShape().get(1), dModel = x.getShape().get(2);
        long dk = dModel / h;
        NDArray q = TorchAttention.linear(s, "W_q", x).reshape(b, l, h, dk).transpose(0, 2, 1, 3).reshape(b * h, l, dk);
        NDArray k = TorchAttention.linear(s, "W_k", x).reshape(b, l, h, dk).transpose(0, 2, 1, 3).reshape(b * h, l, dk);
        NDArray v = TorchAttention.linear(s, "W_v", x).reshape(b, l, h, dk).transpose(0, 2, 1, 3).reshape(b * h, l, dk);
        NDArray scores = q.batchMatMul(k.transpose(0, 2, 1)).div(TorchAttention.scalar(q, Math.sqrt(dk)));
        if (mask != null) scores = TorchAttention.maskedFill(scores, TorchAttention.isZero(mask), -1e9f);
        NDArray w = scores.softmax(-1);
        NDArray out = w.batchMatMul(v).reshape(b, h, l, dk).transpose(0, 2, 1, 3).reshape(b, l, h * dk);
        return TorchAttention.linear(s, "W_o", out);
    }

    /**
     * The annotated transformer: {@code [lin(x).view(nbatches, -1, h, d_k).transpose(1, 2) for lin, x in
     * zip(linears, (query, key, value))]}, {@code attention()} on 4-D tensors with the unsqueezed mask,
     * {@code x.transpose(1, 2).contiguous().view(nbatches, -1, h * d_k)}, {@code linears[-1]}. Weights are read
     * under the annotated names {@code linears.i}.
     */
    static NDArray annotated(Map<String, NDArray> s, NDArray query, NDArray key, NDArray value, int h, NDArray mask) {
        long b = query.getShape().get(0), dModel = query.getShape().get(2), dk = dModel / h;
        NDArray[] in = {query, key, value};
        NDArray[] p = new NDArray[3];
        for (int i = 0; i < 3; i++) {
            p[i] = TorchAttention.linear(s, "linears." + i, in[i]).reshape(b, -1, h, dk).transpose(0, 2, 1, 3);
        }
        NDArray scores = p[0].matMul(TorchAttention.mT(p[1])).div(TorchAttention.scalar(query, Math.sqrt(dk)));
        if (mask != null) scores = TorchAttention.maskedFill(scores, TorchAttention.isZero(mask.expandDims(1)), -1e9f);
        NDArray x = scores.softmax(-1).matMul(p[2]).transpose(0, 2, 1, 3).reshape(b, -1, h * dk);
        return TorchAttention.linear(s, "linears.3", x);
    }

    private static Tensor mask01(Generator g, double pKeep, int... shape) {
        float[] m = Tensor.rand(g, shape).toFloatArray();
        for (int i = 0; i < m.length; i++) m[i] = m[i] < pKeep ? 1f : 0f;
        return Tensor.of(m, shape);
    }

    @Test
    void matchesReference003() {
        // {n_heads, d_model, batch, seq_len}; the last is d_model not divisible by n_heads (d_k = 3, 9 of 10 used).
        int[][] configs = {{8, 128, 2, 10}, {2, 8, 3, 5}, {4, 16, 1, 7}, {3, 10, 2, 4}};
        long seed = 1;
        for (int[] c : configs) {
            Generator g = new Generator(seed);
            int h = c[0], d = c[1], b = c[2], l = c[3];
            MultiHeadAttention m = new MultiHeadAttention(h, d, 0.0, g);
            Tensor x = Tensor.randn(g, b, l, d).requiresGrad(true);
            Tensor[] masks = {null, mask01(g, 0.7, l, l), mask01(g, 0.7, b * h, l, l), mask01(g, 0.7, 1, l)};
            for (Tensor mask : masks) {
                for (boolean train : new boolean[] {true, false}) {
                    m.train(train);
                    String what = "003 MHA" + java.util.Arrays.toString(c) + " mask " + (mask == null ? "none"
                            : java.util.Arrays.toString(mask.shape())) + (train ? " train" : " eval");
                    List<Tensor> in = mask == null ? List.of(x) : List.of(x, mask);
                    ModuleOracle.check(what, m, in, t -> List.of(m.forward(t.get(0), t.size() > 1 ? t.get(1) : null)),
                            (s, t) -> List.of(reference003(s, t.get(0), h, t.size() > 1 ? t.get(1) : null)), ATOL, RTOL, seed++);
                }
            }
        }
    }

    @Test
    void dropoutOnlyInTrainingAndOnTheWeights() {
        Generator g = new Generator(3);
        MultiHeadAttention m = new MultiHeadAttention(2, 8, 0.5, g);
        Tensor x = Tensor.randn(g, 2, 6, 8);
        m.eval();
        var eval1 = m.attend(x, x, x, null, true);
        var eval2 = m.attend(x, x, x, null, true);
        Assertions2.assertClose("eval is deterministic", eval1.output(), eval2.output(), 0, 0);
        m.train();
        var train = m.attend(x, x, x, null, true);
        float[] w0 = eval1.weights().toFloatArray(), w1 = train.weights().toFloatArray();
        int zeros = 0;
        for (int i = 0; i < w0.length; i++) {
            if (w1[i] == 0) zeros++;
            else assertEquals(2 * w0[i], w1[i], 1e-6, "kept weights are scaled by 1/(1-p)");
        }
        assertTrue(zeros > 0 && zeros < w0.length, "some weights dropped, not all: " + zeros);
    }

    @Test
    void fullyMaskedQueryGetsUniformWeightsAsMaskedFillMinus1e9() {
        Generator g = new Generator(4);
        MultiHeadAttention m = new MultiHeadAttention(2, 4, 0.0, g);
        Tensor x = Tensor.randn(g, 1, 3, 4).requiresGrad(true);
        Tensor mask = Tensor.of(new float[] {1, 1, 1, 0, 0, 0, 1, 0, 1}, 3, 3);   // query 1 sees nothing
        var w = m.attend(x, x, x, mask, true).weights();
        for (int j = 0; j < 3; j++) assertEquals(1f / 3, w.get(0, 1, 1, j), 1e-7f);
        ModuleOracle.check("fully masked row", m, List.of(x, mask), t -> List.of(m.forward(t.get(0), t.get(1))),
                (s, t) -> List.of(reference003(s, t.get(0), 2, t.get(1))), ATOL, RTOL, 40);
    }

    @Test
    void loadsAndMatchesTheAnnotatedTransformer() {
        // MultiHeadedAttention(h=4, d_model=16).state_dict(): linears.0..3 .weight [16, 16] / .bias [16], under a prefix
        // as in a full EncoderDecoder (encoder.layers.0.self_attn.linears.0.weight, ...).
        Generator g = new Generator(5);
        int h = 4, d = 16;
        Map<String, Tensor> annotated = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            annotated.put("self_attn.linears." + i + ".weight", Tensor.randn(g, d, d).mul(0.25f));
            annotated.put("self_attn.linears." + i + ".bias", Tensor.randn(g, d).mul(0.1f));
        }
        annotated.put("norm.a_2", Tensor.ones(d));
        Map<String, Tensor> renamed = MultiHeadAttention.fromAnnotatedTransformer(annotated);
        assertEquals(List.of("self_attn.W_q.weight", "self_attn.W_q.bias", "self_attn.W_k.weight", "self_attn.W_k.bias",
                "self_attn.W_v.weight", "self_attn.W_v.bias", "self_attn.W_o.weight", "self_attn.W_o.bias", "norm.a_2"),
                List.copyOf(renamed.keySet()));
        assertTrue(renamed.get("self_attn.W_v.weight") == annotated.get("self_attn.linears.2.weight"));

        MultiHeadAttention m = new MultiHeadAttention(h, d, 0.1, g);
        Map<String, Tensor> own = new LinkedHashMap<>();
        annotated.forEach((k, v) -> { if (k.startsWith("self_attn.")) own.put(k.substring("self_attn.".length()), v); });
        var keys = m.loadAnnotatedTransformerStateDict(own, true);
        assertTrue(keys.missingKeys().isEmpty() && keys.unexpectedKeys().isEmpty());
        Assertions2.assertClose("W_o loaded from linears.3", annotated.get("self_attn.linears.3.weight"), m.stateDict().get("W_o.weight"), 0, 0);

        // Cross-attention with the annotated forward; the libtorch side reads the weights under linears.i.
        m.eval();
        Tensor query = Tensor.randn(g, 2, 5, d).requiresGrad(true);
        Tensor memory = Tensor.randn(g, 2, 7, d).requiresGrad(true);
        Tensor srcMask = mask01(g, 0.7, 2, 1, 7);                                   // [B, 1, S], as the annotated code
        Tensor tgtMask = mask01(g, 0.7, 2, 5, 7);                                   // [B, L, S]
        for (Tensor mask : new Tensor[] {srcMask, tgtMask}) {
            ModuleOracle.check("annotated transformer mask " + java.util.Arrays.toString(mask.shape()), m, List.of(query, memory, mask),
                    t -> List.of(m.forward(t.get(0), t.get(1), t.get(1), t.get(2).unsqueeze(1))),
                    (s, t) -> {
                        Map<String, NDArray> lin = new LinkedHashMap<>();
                        String[] names = {"W_q", "W_k", "W_v", "W_o"};
                        for (int i = 0; i < 4; i++) {
                            lin.put("linears." + i + ".weight", s.get(names[i] + ".weight"));
                            lin.put("linears." + i + ".bias", s.get(names[i] + ".bias"));
                        }
                        return List.of(annotated(lin, t.get(0), t.get(1), t.get(1), h, t.get(2)));
                    }, ATOL, RTOL, 50);
        }

        var e = assertThrows(IllegalArgumentException.class, () -> m.loadAnnotatedTransformerStateDict(Map.of(
                "linears.0.weight", Tensor.zeros(d, d)), true));
        assertTrue(e.getMessage().startsWith("Error(s) in loading state_dict for MultiHeadAttention:\n\tMissing key(s) in"
                + " state_dict: \"W_q.bias\", \"W_k.weight\""), e.getMessage());
    }

    @Test
    void stateDictKeysAreTheReferences() {
        // MultiHeadAttention(n_heads=8, d_model=128).state_dict()
        MultiHeadAttention m = new MultiHeadAttention(8, 128);
        assertEquals(List.of("W_q.weight", "W_q.bias", "W_k.weight", "W_k.bias", "W_v.weight", "W_v.bias", "W_o.weight", "W_o.bias"),
                List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(new int[] {128, 128}, m.stateDict().get("W_q.weight").shape());
        assertEquals(0.1, m.dropout());
        // d_model = 10, n_heads = 3: d_k = 3, the reference's Linear(10, 9) and Linear(9, 10).
        MultiHeadAttention odd = new MultiHeadAttention(3, 10);
        assertArrayEquals(new int[] {9, 10}, odd.stateDict().get("W_k.weight").shape());
        assertArrayEquals(new int[] {10, 9}, odd.stateDict().get("W_o.weight").shape());
        assertFalse(odd.stateDict().containsKey("dropout"));
    }

    @Test
    void badInputsNameTheModuleAndShapes() {
        MultiHeadAttention m = new MultiHeadAttention(2, 8, 0.0);
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(5, 8)));
        assertEquals("MultiHeadAttention(n_heads=2, d_model=8, dropout=0.0): query of shape [5, 8] must be [batch, seq_len, 8]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 6)));
        assertEquals("MultiHeadAttention(n_heads=2, d_model=8, dropout=0.0): query of shape [2, 5, 6] must be [batch, seq_len, 8]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 8), Tensor.ones(3, 5, 5)));
        assertEquals("MultiHeadAttention(n_heads=2, d_model=8, dropout=0.0): mask of shape [3, 5, 5] cannot broadcast to the"
                + " scores' shape [B*n_heads, L, S] = [4, 5, 5] (or, for a 4-D mask, [B, n_heads, L, S] = [2, 2, 5, 5])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 8), Tensor.zeros(2, 4, 8),
                Tensor.zeros(2, 3, 8), null));
        assertEquals("MultiHeadAttention(n_heads=2, d_model=8, dropout=0.0): query [2, 5, 8], key [2, 4, 8] and value [2, 3, 8]"
                + " must share the batch size, and key and value the sequence length", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(9, 8));
        assertEquals("MultiHeadAttention: need 0 < n_heads <= d_model (d_k = d_model // n_heads must be at least 1), got"
                + " n_heads=9, d_model=8", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(2, 8, 1.5));
        assertEquals("MultiHeadAttention: dropout probability has to be between 0 and 1, but got 1.5", e.getMessage());
    }
}
