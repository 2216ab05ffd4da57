package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * {@link WindowAttention} against libtorch running Swin's {@code WindowAttention.forward} (reference 002, the
 * official code) with the same weights and relative position index: output, input gradient and the gradient of
 * every parameter (the bias table's gradient is the gather's scatter-add), without a mask and with the shifted
 * window mask; the index buffer itself against the official construction written with libtorch ops.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 (two Linear layers, two batched GEMMs, a gather and a softmax in float32);
 * measured worst absolute difference 1.9e-6 (ATTN4J_REPORT_DIFFS=1), with the shifted-window mask.
 */
class WindowAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** Swin's forward, line by line. */
    static NDArray reference(Map<String, NDArray> s, NDArray x, NDArray mask, int nH, double scale, int wh, int ww) {
        long b = x.getShape().get(0), n = x.getShape().get(1), c = x.getShape().get(2);
        NDArray qkv = TorchAttention.linear(s, "qkv", x).reshape(b, n, 3, nH, c / nH).transpose(2, 0, 3, 1, 4);
        NDArray q = qkv.get(0).mul(TorchAttention.scalar(x, scale)), k = qkv.get(1), v = qkv.get(2);
        NDArray attn = q.matMul(TorchAttention.mT(k));
        NDArray bias = TorchAttention.rows(s.get("relative_position_bias_table"), s.get("relative_position_index").reshape(-1))
                .reshape(wh * ww, wh * ww, -1).transpose(2, 0, 1);
        attn = attn.add(bias.expandDims(0));
        if (mask != null) {
            long nW = mask.getShape().get(0);
            attn = attn.reshape(b / nW, nW, nH, n, n).add(mask.expandDims(1).expandDims(0)).reshape(-1, nH, n, n);
        }
        attn = attn.softmax(-1);
        NDArray out = attn.matMul(v).swapAxes(1, 2).reshape(b, n, c);
        return TorchAttention.linear(s, "proj", out);
    }

    @Test
    void matchesSwinsForward() {
        // {dim, Wh, Ww, heads, windows B*nW, qkv_bias}
        int[][] configs = {{8, 2, 2, 2, 3, 1}, {12, 2, 3, 3, 2, 1}, {8, 3, 3, 4, 4, 0}, {16, 1, 4, 2, 2, 1}};
        long seed = 1;
        for (int[] c : configs) {
            Generator g = new Generator(seed);
            WindowAttention m = new WindowAttention(c[0], new int[] {c[1], c[2]}, c[3], c[5] == 1, null, 0.0, 0.0, g);
            Tensor x = Tensor.randn(g, c[4], c[1] * c[2], c[0]).requiresGrad(true);
            for (boolean train : new boolean[] {true, false}) {
                m.train(train);
                ModuleOracle.check("WindowAttention" + java.util.Arrays.toString(c), m, List.of(x), t -> List.of(m.forward(t.get(0))),
                        (s, t) -> List.of(reference(s, t.get(0), null, c[3], Math.pow(c[0] / c[3], -0.5), c[1], c[2])), ATOL, RTOL, seed++);
            }
        }
    }

    @Test
    void shiftedWindowsWithTheirMask() {
        // A 6x6 map, window 3, shift 1: 4 windows of 9 tokens; batch 2 -> x [8, 9, C].
        Generator g = new Generator(9);
        WindowAttention m = new WindowAttention(8, new int[] {3, 3}, 2, true, 0.25, 0.0, 0.0, g);
        Tensor mask = SwinWindows.shiftedWindowMask(6, 6, 3, 1);
        Tensor img = Tensor.randn(g, 2, 6, 6, 8);
        Tensor x = SwinWindows.windowPartition(img, 3).reshape(-1, 9, 8).detach().requiresGrad(true);
        ModuleOracle.check("SW-MSA", m, List.of(x, mask), t -> List.of(m.forward(t.get(0), t.get(1))),
                (s, t) -> List.of(reference(s, t.get(0), t.get(1), 2, 0.25, 3, 3)), ATOL, RTOL, 30);
        assertEquals(0.25, m.scale());
        var r = m.attend(x, mask, true);
        assertArrayEquals(new int[] {8, 2, 9, 9}, r.weights().shape());
        // Window 3 of each image mixes regions: a token gives (almost) no weight to one of another region.
        assertTrue(r.weights().get(3, 0, 0, 8) < 1e-30);
    }

    @Test
    void relativePositionIndexIsSwins() {
        for (int[] ws : new int[][] {{2, 2}, {2, 3}, {7, 7}}) {
            int wh = ws[0], ww = ws[1], n = wh * ww;
            // coords_flatten [2, N]; relative_coords = coords[:, :, None] - coords[:, None, :], permuted, shifted, scaled.
            Tensor got = WindowAttention.relativePositionIndex(wh, ww);
            try (var mgr = org.attn4j.testing.Torch.scope()) {
                NDArray ch = mgr.arange(wh).reshape(wh, 1).broadcast(wh, ww).reshape(1, n);
                NDArray cw = mgr.arange(ww).reshape(1, ww).broadcast(wh, ww).reshape(1, n);
                NDArray coords = ch.concat(cw, 0);                                        // meshgrid 'ij', flattened
                NDArray rel = coords.expandDims(2).sub(coords.expandDims(1)).transpose(1, 2, 0);
                NDArray r0 = rel.get(":, :, 0").add(wh - 1).mul(2 * ww - 1), r1 = rel.get(":, :, 1").add(ww - 1);
                Assertions2.assertClose("relative_position_index " + wh + "x" + ww, org.attn4j.testing.Torch.tensor(r0.add(r1)), got, 0, 0);
            }
            assertEquals((2 * wh - 1) * (2 * ww - 1) - 1, java.util.Arrays.stream(got.toIntArray()).max().getAsInt());
        }
    }

    @Test
    void stateDictKeysAreSwins() {
        // WindowAttention(96, (7, 7), 3).state_dict()
        WindowAttention m = new WindowAttention(96, new int[] {7, 7}, 3);
        assertEquals(List.of("relative_position_bias_table", "relative_position_index", "qkv.weight", "qkv.bias", "proj.weight",
                "proj.bias"), List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(new int[] {169, 3}, m.stateDict().get("relative_position_bias_table").shape());
        assertArrayEquals(new int[] {49, 49}, m.stateDict().get("relative_position_index").shape());
        assertEquals(org.attn4j.tensor.DType.INT64, m.stateDict().get("relative_position_index").dtype());
        assertArrayEquals(new int[] {288, 96}, m.stateDict().get("qkv.weight").shape());
        assertEquals(List.of("relative_position_bias_table", "qkv.weight", "qkv.bias", "proj.weight", "proj.bias"),
                List.copyOf(m.namedParameters().keySet()));
        // trunc_normal_(std=.02): small and within the ±2 bounds; sample std near 0.02 over 507 values.
        float[] t = m.stateDict().get("relative_position_bias_table").toFloatArray();
        double ss = 0;
        for (float v : t) ss += v * v;
        double std = Math.sqrt(ss / t.length);
        assertTrue(std > 0.017 && std < 0.023, "std " + std);
        // A state dict with these keys (buffer included) loads strictly into a fresh module and gives the same output.
        WindowAttention copy = new WindowAttention(96, new int[] {7, 7}, 3, true, null, 0.0, 0.0, new Generator(77));
        copy.loadStateDict(m.stateDict(), true);
        Tensor x = Tensor.randn(new Generator(3), 2, 49, 96);
        Assertions2.assertClose("loaded WindowAttention", m.forward(x), copy.forward(x), 0, 0);
        assertEquals("WindowAttention(\n  dim=96, window_size=(7, 7), num_heads=3\n  (qkv): Linear(in_features=96, out_features=288, bias=True)\n"
                + "  (attn_drop): Dropout(p=0.0, inplace=False)\n  (proj): Linear(in_features=96, out_features=96, bias=True)\n"
                + "  (proj_drop): Dropout(p=0.0, inplace=False)\n)", m.toString());
    }

    @Test
    void badInputsNameTheModuleArgumentAndShapes() {
        WindowAttention m = new WindowAttention(8, new int[] {2, 2}, 2);
        String me = "WindowAttention(dim=8, window_size=(2, 2), num_heads=2): ";
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(4, 8)));
        assertEquals(me + "x of shape [4, 8] must be [B*num_windows, Wh*Ww=4, dim=8]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(3, 5, 8)));
        assertEquals(me + "x of shape [3, 5, 8] must be [B*num_windows, Wh*Ww=4, dim=8]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(3, 4, 8), Tensor.zeros(2, 4, 4)));
        assertEquals(me + "mask of shape [2, 4, 4] must be [num_windows, 4, 4] with num_windows dividing x's first dim (x [3, 4, 8])",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowAttention(10, new int[] {2, 2}, 3));
        assertEquals("WindowAttention: dim must be a positive multiple of num_heads (the heads split C into C // num_heads), got"
                + " dim=10, num_heads=3", e.getMessage());
    }
}
