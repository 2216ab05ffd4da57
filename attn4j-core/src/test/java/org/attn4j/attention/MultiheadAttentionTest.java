package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiheadAttention} against libtorch composing {@code torch.nn.MultiheadAttention.forward} →
 * {@code F.multi_head_attention_forward} (PyTorch 2.7, the {@code need_weights=True} path: {@code baddbmm} of the
 * merged float mask with the pre-scaled q, softmax, bmm, out_proj) step by step with the same weights, over many
 * random configurations: L ≠ S, kdim/vdim ≠ embed_dim, bias on/off, add_bias_kv, add_zero_attn, batch_first both
 * ways, unbatched input, key padding and attention masks of both kinds (bool and float, 2-D and 3-D),
 * averaged or per-head weights, train (dropout 0) and eval; float masks get their gradients checked too.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 on outputs, weights and every gradient. PyTorch's own nn.MultiheadAttention
 * tests compare with atol 1e-5; these are float32 compositions of four GEMMs and a softmax summed in a different
 * order; measured worst absolute difference 1.4e-6 over the 80 configurations (ATTN4J_REPORT_DIFFS=1).
 */
class MultiheadAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** One random configuration. */
    record Config(int e, int h, int kdim, int vdim, int l, int s, int n, boolean bias, boolean biasKv, boolean zeroAttn,
                  boolean batchFirst, boolean unbatched, int kpmKind, int maskKind, boolean needWeights, boolean average,
                  boolean train) {}

    private static final String[] MASKS = {"none", "bool 2-D", "bool 3-D", "float 2-D", "float 3-D"};
    private static final String[] KPMS = {"none", "bool", "float"};

    static Config random(Generator g) {
        int[] es = {4, 6, 8, 12};
        int e = es[g.nextInt(es.length)];
        int h;
        do h = 1 + g.nextInt(e); while (e % h != 0);
        boolean sameDims = g.nextDouble() < 0.5;
        return new Config(e, h, sameDims ? e : 1 + g.nextInt(9), sameDims ? e : 1 + g.nextInt(9), 1 + g.nextInt(6),
                1 + g.nextInt(6), 1 + g.nextInt(3), g.nextDouble() < 0.8, g.nextDouble() < 0.25, g.nextDouble() < 0.25,
                g.nextDouble() < 0.5, g.nextDouble() < 0.15, g.nextInt(3), g.nextInt(5), g.nextDouble() < 0.7,
                g.nextDouble() < 0.5, g.nextDouble() < 0.5);
    }

    /** A bool "not allowed" mask with key 0 always allowed (a fully masked row is NaN in PyTorch's weights path). */
    static Tensor boolMask(Generator g, int rows, int s, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        boolean[] b = new boolean[n];
        for (int i = 0; i < n; i++) b[i] = i % s != 0 && g.nextDouble() < 0.35;
        return Tensor.ofBooleans(b, shape);
    }

    /**
     * {@code F.multi_head_attention_forward}, need_weights path, on sequence-first q/k/v after the batch_first
     * transpose; weights under PyTorch's state-dict keys.
     */
    static NDArray[] reference(Map<String, NDArray> st, NDArray query, NDArray key, NDArray value, NDArray kpm, NDArray attnMask,
                               Config c) {
        NDManager m = query.getManager();
        int e = c.e(), h = c.h(), hd = e / h;
        boolean batched = !c.unbatched();
        if (c.batchFirst() && batched) {
            query = query.swapAxes(0, 1);
            key = key.swapAxes(0, 1);
            value = value.swapAxes(0, 1);
        }
        if (!batched) {
            query = query.expandDims(1);
            key = key.expandDims(1);
            value = value.expandDims(1);
            if (kpm != null) kpm = kpm.expandDims(0);
        }
        long l = query.getShape().get(0), n = query.getShape().get(1);
        kpm = canonical(kpm);
        attnMask = canonical(attnMask);
        NDArray b = st.get("in_proj_bias");
        NDArray[] bs = b == null ? new NDArray[3] : new NDArray[] {b.get("0:" + e), b.get(e + ":" + 2 * e), b.get(2 * e + ":")};
        NDArray q, k, v;
        if (st.containsKey("in_proj_weight")) {
            NDArray w = st.get("in_proj_weight");
            q = TorchAttention.linear(query, w.get("0:" + e), bs[0]);
            k = TorchAttention.linear(key, w.get(e + ":" + 2 * e), bs[1]);
            v = TorchAttention.linear(value, w.get(2 * e + ":"), bs[2]);
        } else {
            q = TorchAttention.linear(query, st.get("q_proj_weight"), bs[0]);
            k = TorchAttention.linear(key, st.get("k_proj_weight"), bs[1]);
            v = TorchAttention.linear(value, st.get("v_proj_weight"), bs[2]);
        }
        if (attnMask != null && attnMask.getShape().dimension() == 2) attnMask = attnMask.expandDims(0);
        if (c.biasKv()) {
            k = k.concat(st.get("bias_k").broadcast(1, n, e), 0);       // bias_k.repeat(1, bsz, 1)
            v = v.concat(st.get("bias_v").broadcast(1, n, e), 0);
            if (attnMask != null) attnMask = pad(attnMask);
            if (kpm != null) kpm = pad(kpm);
        }
        q = q.reshape(l, n * h, hd).swapAxes(0, 1);
        k = k.reshape(k.getShape().get(0), n * h, hd).swapAxes(0, 1);
        v = v.reshape(v.getShape().get(0), n * h, hd).swapAxes(0, 1);
        if (c.zeroAttn()) {
            k = k.concat(m.zeros(new ai.djl.ndarray.types.Shape(n * h, 1, hd)), 1);
            v = v.concat(m.zeros(new ai.djl.ndarray.types.Shape(n * h, 1, hd)), 1);
            if (attnMask != null) attnMask = pad(attnMask);
            if (kpm != null) kpm = pad(kpm);
        }
        long s = k.getShape().get(1);
        if (kpm != null) {
            NDArray merged = kpm.reshape(n, 1, 1, s).broadcast(n, h, 1, s).reshape(n * h, 1, s);
            attnMask = attnMask == null ? merged : attnMask.add(merged);
        }
        NDArray qScaled = q.mul(TorchAttention.scalar(q, Math.sqrt(1.0 / hd)));
        NDArray scores = qScaled.batchMatMul(k.swapAxes(1, 2));
        if (attnMask != null) scores = scores.add(attnMask);               // baddbmm(attn_mask, q_scaled, kᵀ)
        NDArray w = scores.softmax(-1);
        NDArray out = w.batchMatMul(v).swapAxes(0, 1).reshape(l * n, e);
        out = TorchAttention.linear(st, "out_proj", out).reshape(l, n, e);
        NDArray weights = w.reshape(n, h, l, s);
        if (c.average()) weights = weights.mean(new int[] {1});
        if (!batched) {
            out = out.squeeze(1);
            weights = weights.squeeze(0);
        } else if (c.batchFirst()) {
            out = out.swapAxes(0, 1);
        }
        return new NDArray[] {out, weights};
    }

    /** {@code _canonical_mask}: bool → zeros with -inf where true. */
    static NDArray canonical(NDArray mask) {
        if (mask == null || mask.getDataType() != DataType.BOOLEAN) return mask;
        return TorchAttention.maskedFill(mask.getManager().zeros(mask.getShape()), mask, Float.NEGATIVE_INFINITY);
    }

    /** {@code F.pad(mask, (0, 1))}. */
    static NDArray pad(NDArray mask) {
        long[] s = mask.getShape().getShape();
        s[s.length - 1] = 1;
        return mask.concat(mask.getManager().zeros(new ai.djl.ndarray.types.Shape(s)), -1);
    }

    static void check(Config c, long seed) {
        Generator g = new Generator(seed);
        MultiheadAttention mha = new MultiheadAttention(c.e(), c.h(), 0.0, c.bias(), c.biasKv(), c.zeroAttn(), c.kdim(), c.vdim(),
                c.batchFirst(), g);
        if (c.bias()) {
            // PyTorch initialises the biases to 0; random values make their gradients and the merge order visible.
            try (var ignored = org.attn4j.autograd.GradMode.noGrad()) {
                mha.parameter("in_proj_bias").copy_(Tensor.randn(g, 3 * c.e()).mul(0.1f));
                mha.outProj().bias().copy_(Tensor.randn(g, c.e()).mul(0.1f));
            }
        }
        mha.train(c.train());
        int sExt = c.s() + (c.biasKv() ? 1 : 0) + (c.zeroAttn() ? 1 : 0);
        int[] qs = c.unbatched() ? new int[] {c.l(), c.e()} : c.batchFirst() ? new int[] {c.n(), c.l(), c.e()} : new int[] {c.l(), c.n(), c.e()};
        int[] ks = c.unbatched() ? new int[] {c.s(), c.kdim()} : c.batchFirst() ? new int[] {c.n(), c.s(), c.kdim()} : new int[] {c.s(), c.n(), c.kdim()};
        int[] vs = ks.clone();
        vs[vs.length - 1] = c.vdim();
        Tensor query = Tensor.randn(g, qs).requiresGrad(true);
        Tensor key = Tensor.randn(g, ks).requiresGrad(true);
        Tensor value = Tensor.randn(g, vs).requiresGrad(true);
        int n = c.unbatched() ? 1 : c.n();
        int[] kpmShape = c.unbatched() ? new int[] {c.s()} : new int[] {c.n(), c.s()};
        Tensor kpm = switch (c.kpmKind()) {
            case 1 -> boolMask(g, 1, c.s(), kpmShape);
            case 2 -> Tensor.randn(g, kpmShape).requiresGrad(true);
            default -> null;
        };
        int heads3d = c.unbatched() ? c.h() : n * c.h();
        Tensor attnMask = switch (c.maskKind()) {
            case 1 -> boolMask(g, c.l(), c.s(), c.l(), c.s());
            case 2 -> boolMask(g, c.l(), c.s(), heads3d, c.l(), c.s());
            case 3 -> Tensor.randn(g, c.l(), c.s()).requiresGrad(true);
            case 4 -> Tensor.randn(g, heads3d, c.l(), c.s()).requiresGrad(true);
            default -> null;
        };
        List<Tensor> in = new ArrayList<>(List.of(query, key, value));
        in.add(kpm == null ? Tensor.zeros(0) : kpm);
        in.add(attnMask == null ? Tensor.zeros(0) : attnMask);
        ModuleOracle.check(c.toString() + " kpm=" + KPMS[c.kpmKind()] + " mask=" + MASKS[c.maskKind()], mha, in,
                t -> {
                    var r = mha.forward(t.get(0), t.get(1), t.get(2), kpm == null ? null : t.get(3), c.needWeights(),
                            attnMask == null ? null : t.get(4), c.average(), false);
                    if (c.needWeights()) {
                        int[] ws = c.average() ? new int[] {n, c.l(), sExt} : new int[] {n, c.h(), c.l(), sExt};
                        if (c.unbatched()) ws = java.util.Arrays.copyOfRange(ws, 1, ws.length);
                        assertArrayEquals(ws, r.weights().shape(), "weights shape");
                    } else {
                        assertNull(r.weights());
                    }
                    List<Tensor> outs = new ArrayList<>();
                    outs.add(r.output());
                    outs.add(r.weights());
                    return outs;
                },
                (st, t) -> {
                    NDArray[] r = reference(st, t.get(0), t.get(1), t.get(2), kpm == null ? null : t.get(3),
                            attnMask == null ? null : t.get(4), c);
                    return List.of(r[0], r[1]);
                }, ATOL, RTOL, seed);
    }

    @Test
    void matchesMultiHeadAttentionForwardOverRandomConfigurations() {
        Generator g = new Generator(2024);
        for (int i = 0; i < 80; i++) check(random(g), 1000 + i);
    }

    @Test
    void causalHintUsesTheTriangle() {
        // is_causal with an attn_mask: with no key padding mask and need_weights=False PyTorch hands is_causal to SDPA;
        // otherwise it uses the mask. Both must equal the explicit causal mask.
        Generator g = new Generator(5);
        MultiheadAttention mha = new MultiheadAttention(8, 2, 0.0, true, false, false, null, null, true, g);
        Tensor x = Tensor.randn(g, 2, 5, 8);
        boolean[] upper = new boolean[25];
        for (int i = 0; i < 25; i++) upper[i] = i % 5 > i / 5;
        Tensor causal = Tensor.ofBooleans(upper, 5, 5);
        var explicit = mha.forward(x, x, x, null, true, causal, true, false);
        var hinted = mha.forward(x, x, x, null, false, causal, true, true);
        var hintedWeights = mha.forward(x, x, x, null, true, causal, true, true);
        Assertions2.assertClose("is_causal through SDPA", explicit.output(), hinted.output(), 1e-6, 1e-6);
        Assertions2.assertClose("is_causal with weights", explicit.weights(), hintedWeights.weights(), 0, 0);
        assertEquals(0f, explicit.weights().get(1, 2, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, x, x, null, false, null, true, true));
        assertTrue(e.getMessage().startsWith("MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True): need attn_mask if"
                + " specifying the is_causal hint"), e.getMessage());
    }

    @Test
    void fullyMaskedQueryGivesZerosNotNaN() {
        Generator g = new Generator(6);
        MultiheadAttention mha = new MultiheadAttention(4, 2);
        Tensor x = Tensor.randn(g, 3, 1, 4).requiresGrad(true);
        Tensor kpm = Tensor.ofBooleans(new boolean[] {true, true, true}, 1, 3);
        var r = mha.forward(x, x, x, kpm, true, null, true, false);
        for (float w : r.weights().toFloatArray()) assertEquals(0f, w);
        // The output is out_proj of zeros: its bias (0 after PyTorch's init).
        for (float o : r.output().toFloatArray()) assertEquals(0f, o);
        r.output().backward(Tensor.onesLike(r.output()));
        for (float gx : x.grad().toFloatArray()) assertTrue(Float.isFinite(gx));
    }

    @Test
    void dropoutOnlyWhileTraining() {
        Generator g = new Generator(7);
        MultiheadAttention mha = new MultiheadAttention(8, 2, 0.5, true, false, false, null, null, false, g);
        Tensor x = Tensor.randn(g, 6, 2, 8);
        mha.eval();
        var a = mha.forward(x, x, x, null, true, null, false, false);
        mha.train();
        var b = mha.forward(x, x, x, null, true, null, false, false);
        float[] wa = a.weights().toFloatArray(), wb = b.weights().toFloatArray();
        int dropped = 0;
        for (int i = 0; i < wa.length; i++) {
            if (wb[i] == 0) dropped++;
            else assertEquals(2 * wa[i], wb[i], 1e-6);
        }
        assertTrue(dropped > 0 && dropped < wa.length);
    }

    @Test
    void stateDictKeysAndInitialisationAreTorchs() {
        // nn.MultiheadAttention(8, 2).state_dict()
        MultiheadAttention same = new MultiheadAttention(8, 2);
        assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"), List.copyOf(same.stateDict().keySet()));
        assertArrayEquals(new int[] {24, 8}, same.stateDict().get("in_proj_weight").shape());
        // nn.MultiheadAttention(8, 2, kdim=3, vdim=5).state_dict()
        MultiheadAttention sep = new MultiheadAttention(8, 2, 0.0, true, false, false, 3, 5, false, new Generator(1));
        assertEquals(List.of("q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                List.copyOf(sep.stateDict().keySet()));
        assertArrayEquals(new int[] {8, 3}, sep.stateDict().get("k_proj_weight").shape());
        assertArrayEquals(new int[] {8, 5}, sep.stateDict().get("v_proj_weight").shape());
        // nn.MultiheadAttention(8, 2, bias=False, add_bias_kv=True).state_dict()
        MultiheadAttention kv = new MultiheadAttention(8, 2, 0.0, false, true, false, null, null, false, new Generator(1));
        assertEquals(List.of("in_proj_weight", "bias_k", "bias_v", "out_proj.weight"), List.copyOf(kv.stateDict().keySet()));
        assertArrayEquals(new int[] {1, 1, 8}, kv.stateDict().get("bias_k").shape());

        // _reset_parameters: xavier_uniform_ on [3E, E] has bound sqrt(6 / (E + 3E)); biases zero.
        MultiheadAttention big = new MultiheadAttention(64, 4);
        double bound = Math.sqrt(6.0 / (64 + 192));
        float[] w = big.stateDict().get("in_proj_weight").toFloatArray();
        double max = 0;
        for (float x : w) max = Math.max(max, Math.abs(x));
        assertTrue(max <= bound && max > 0.99 * bound, "xavier_uniform_ bound " + bound + ", max " + max);
        for (float x : big.stateDict().get("in_proj_bias").toFloatArray()) assertEquals(0f, x);
        for (float x : big.stateDict().get("out_proj.bias").toFloatArray()) assertEquals(0f, x);
        // out_proj.weight keeps nn.Linear's kaiming_uniform_(a=√5): bound 1/√E.
        double outMax = 0;
        for (float x : big.stateDict().get("out_proj.weight").toFloatArray()) outMax = Math.max(outMax, Math.abs(x));
        assertTrue(outMax <= 1 / Math.sqrt(64) && outMax > 0.99 / Math.sqrt(64));
    }

    @Test
    void loadsATorchStateDict() {
        Generator g = new Generator(8);
        MultiheadAttention src = new MultiheadAttention(8, 2, 0.0, true, false, false, 3, 5, false, g);
        MultiheadAttention dst = new MultiheadAttention(8, 2, 0.0, true, false, false, 3, 5, false, new Generator(9));
        dst.loadStateDict(src.stateDict(), true);
        Tensor q = Tensor.randn(g, 4, 2, 8), k = Tensor.randn(g, 6, 2, 3), v = Tensor.randn(g, 6, 2, 5);
        Assertions2.assertClose("same weights, same output", src.forward(q, k, v).output(), dst.forward(q, k, v).output(), 0, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(8, 2).loadStateDict(src.stateDict(), true));
        assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"in_proj_weight\"")
                && e.getMessage().contains("Unexpected key(s) in state_dict: \"q_proj_weight\", \"k_proj_weight\", \"v_proj_weight\""),
                e.getMessage());
    }

    @Test
    void badInputsNameTheModuleArgumentAndShapes() {
        MultiheadAttention m = new MultiheadAttention(8, 2);
        String me = "MultiheadAttention(embed_dim=8, num_heads=2): ";
        Tensor q = Tensor.zeros(5, 2, 8), kv = Tensor.zeros(7, 2, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(1, 5, 2, 8), kv, kv));
        assertEquals(me + "query should be unbatched 2-D or batched 3-D, got a 4-D query (query [1, 5, 2, 8], key [7, 2, 8],"
                + " value [7, 2, 8])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(5, 2, 6), kv, kv));
        assertEquals(me + "was expecting embedding dimension of 8, but got query of shape [5, 2, 6] (sequence-first)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, kv, Tensor.zeros(6, 2, 8)));
        assertEquals(me + "key [7, 2, 8] and value [6, 2, 8] (sequence-first) must share the sequence and batch dims, and the"
                + " batch must be query's 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, kv, kv, Tensor.zeros(2, 6), true, null, true, false));
        assertEquals(me + "expecting key_padding_mask shape of [2, 7], but got [2, 6]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, kv, kv, null, true, Tensor.zeros(7, 5), true, false));
        assertEquals(me + "the shape of the 2D attn_mask is [7, 5], but should be [5, 7] [L, S]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, kv, kv, null, true, Tensor.zeros(2, 5, 7), true, false));
        assertEquals(me + "the shape of the 3D attn_mask is [2, 5, 7], but should be [4, 5, 7] [N*num_heads, L, S]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, kv, kv, null, true, Tensor.zeros(1, 1, 5, 7), true, false));
        assertEquals(me + "attn_mask must be 2-D [L, S] or 3-D [N*num_heads, L, S], got [1, 1, 5, 7]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, kv, kv, Tensor.ofInts(new int[14], 2, 7), true, null,
                true, false));
        assertEquals(me + "only bool and floating types of key_padding_mask are supported, got int64 of shape [2, 7]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(5, 8), Tensor.zeros(7, 8), Tensor.zeros(7, 8),
                Tensor.zeros(2, 7), true, null, true, false));
        assertEquals(me + "for unbatched (2-D) query, expected key_padding_mask to be 1-D [S], got [2, 7]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3));
        assertEquals("MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim=10 and num_heads=3", e.getMessage());
        MultiheadAttention sep = new MultiheadAttention(8, 2, 0.0, true, false, false, 3, 5, false, new Generator(1));
        e = assertThrows(IllegalArgumentException.class, () -> sep.forward(q, Tensor.zeros(7, 2, 3), Tensor.zeros(7, 2, 3)));
        assertEquals("MultiheadAttention(embed_dim=8, num_heads=2, kdim=3, vdim=5): key of shape [7, 2, 3] and value of shape"
                + " [7, 2, 3] (sequence-first) must end in kdim=3 and vdim=5", e.getMessage());
    }
}
