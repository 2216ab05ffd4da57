package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * {@link TemporalAttention} against libtorch running reference 002's temporal {@code Attention.forward} (the
 * video-adapter code the snippet comes from) with the same weights and {@code relative_coords}: with and without
 * {@code with_qkv}, with and without qkv bias; output, input gradient and every parameter's gradient.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 (two Linear layers, two batched GEMMs, a gather and a softmax in float32);
 * measured worst absolute difference 9.5e-7 (ATTN4J_REPORT_DIFFS=1).
 */
class TemporalAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** The reference's forward, line by line. */
    static NDArray reference(Map<String, NDArray> s, NDArray x, int nH, double scale, int t, boolean withQkv) {
        long b = x.getShape().get(0), n = x.getShape().get(1), c = x.getShape().get(2);
        NDArray q, k, v;
        if (withQkv) {
            NDArray qkv = TorchAttention.linear(s, "qkv", x).reshape(b, n, 3, nH, c / nH).transpose(2, 0, 3, 1, 4);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = k = v = x.reshape(b, n, nH, c / nH).transpose(0, 2, 1, 3);
        }
        NDArray bias = TorchAttention.rows(s.get("relative_position_bias_table"), s.get("relative_coords")).reshape(t, t, -1)
                .transpose(2, 0, 1);
        NDArray attn = q.matMul(TorchAttention.mT(k)).mul(TorchAttention.scalar(x, scale)).add(bias.expandDims(0)).softmax(-1);
        NDArray out = attn.matMul(v).swapAxes(1, 2).reshape(b, n, c);
        return withQkv ? TorchAttention.linear(s, "proj", out) : out;
    }

    @Test
    void matchesTheReferenceForward() {
        // {dim, T, heads, batch, qkv_bias, with_qkv}
        int[][] configs = {{16, 8, 8, 2, 0, 1}, {12, 5, 3, 3, 1, 1}, {8, 4, 2, 2, 0, 0}, {6, 1, 1, 2, 1, 1}};
        long seed = 1;
        for (int[] c : configs) {
            Generator g = new Generator(seed);
            TemporalAttention m = new TemporalAttention(c[0], c[1], c[2], c[4] == 1, null, 0.0, 0.0, c[5] == 1, g);
            Tensor x = Tensor.randn(g, c[3], c[1], c[0]).requiresGrad(true);
            double scale = Math.pow(c[0] / c[2], -0.5);
            for (boolean train : new boolean[] {true, false}) {
                m.train(train);
                ModuleOracle.check("temporal Attention" + java.util.Arrays.toString(c), m, List.of(x), t -> List.of(m.forward(t.get(0))),
                        (s, t) -> List.of(reference(s, t.get(0), c[2], scale, c[1], c[5] == 1)), ATOL, RTOL, seed++);
            }
        }
        // An explicit qk_scale.
        Generator g = new Generator(99);
        TemporalAttention m = new TemporalAttention(8, 3, 2, true, 0.3, 0.0, 0.0, true, g);
        Tensor x = Tensor.randn(g, 2, 3, 8).requiresGrad(true);
        ModuleOracle.check("temporal Attention qk_scale=0.3", m, List.of(x), t -> List.of(m.forward(t.get(0))),
                (s, t) -> List.of(reference(s, t.get(0), 2, 0.3, 3, true)), ATOL, RTOL, 50);
    }

    @Test
    void relativeCoordsAndStateDictAreTheReferences() {
        // coords = arange(4); (coords[:, None] - coords[None, :] + 3).view(-1)
        Tensor rc = TemporalAttention.relativeCoords(4);
        Assertions2.assertClose("relative_coords", Tensor.ofLongs(new long[] {3, 2, 1, 0, 4, 3, 2, 1, 5, 4, 3, 2, 6, 5, 4, 3}, 16), rc, 0, 0);
        // Attention(dim=16, num_ttokens=8).state_dict(): qkv_bias=False by default.
        TemporalAttention m = new TemporalAttention(16, 8);
        assertEquals(List.of("relative_position_bias_table", "relative_coords", "qkv.weight", "proj.weight", "proj.bias"),
                List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(new int[] {15, 8}, m.stateDict().get("relative_position_bias_table").shape());
        assertArrayEquals(new int[] {64}, m.stateDict().get("relative_coords").shape());
        assertEquals(org.attn4j.tensor.DType.INT64, m.stateDict().get("relative_coords").dtype());
        TemporalAttention copy = new TemporalAttention(16, 8, 8, false, null, 0.0, 0.0, true, new Generator(77));
        copy.loadStateDict(m.stateDict(), true);
        Tensor x = Tensor.randn(new Generator(3), 2, 8, 16);
        Assertions2.assertClose("loaded TemporalAttention", m.forward(x), copy.forward(x), 0, 0);
        TemporalAttention noQkv = new TemporalAttention(16, 8, 4, false, null, 0.0, 0.0, false, new Generator(1));
        assertEquals(List.of("relative_position_bias_table", "relative_coords"), List.copyOf(noQkv.stateDict().keySet()));
        TemporalAttention withBias = new TemporalAttention(16, 8, 4, true, null, 0.0, 0.0, true, new Generator(1));
        assertEquals(List.of("relative_position_bias_table", "relative_coords", "qkv.weight", "qkv.bias", "proj.weight", "proj.bias"),
                List.copyOf(withBias.stateDict().keySet()));
    }

    @Test
    void badInputsNameTheModuleArgumentAndShapes() {
        TemporalAttention m = new TemporalAttention(16, 8);
        String me = "TemporalAttention(dim=16, num_ttokens=8, num_heads=8): ";
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(8, 16)));
        assertEquals(me + "x of shape [8, 16] must be [batch, num_ttokens=8, dim=16]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 8, 12)));
        assertEquals(me + "x of shape [2, 8, 12] must be [batch, num_ttokens=8, dim=16]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 7, 16)));
        assertEquals(me + "x of shape [2, 7, 16] must be [batch, num_ttokens=8, dim=16] (the relative position bias is 8x8)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TemporalAttention(12, 8));
        assertEquals("TemporalAttention: dim must be a positive multiple of num_heads (the heads split C into C // num_heads), got"
                + " dim=12, num_heads=8", e.getMessage());
    }
}
