package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@link SwinWindows} against libtorch running Swin's {@code window_partition}, {@code window_reverse} and the
 * shifted-window mask construction of {@code SwinTransformerBlock.__init__} (the region map written with the
 * three slices per axis, partitioned, pairwise differences, masked_fill -100 / 0). Pure data movement and exact
 * small integers: compared exactly (atol 0), gradients included for partition and reverse.
 */
class SwinWindowsTest {
    static NDArray partition(NDArray x, int ws) {
        long b = x.getShape().get(0), h = x.getShape().get(1), w = x.getShape().get(2), c = x.getShape().get(3);
        return x.reshape(b, h / ws, ws, w / ws, ws, c).transpose(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, c);
    }

    static NDArray reverse(NDArray windows, int ws, int h, int w) {
        long b = windows.getShape().get(0) / ((long) h * w / ws / ws);
        return windows.reshape(b, h / ws, w / ws, ws, ws, -1).transpose(0, 1, 3, 2, 4, 5).reshape(b, h, w, -1);
    }

    @Test
    void partitionAndReverseAreSwins() {
        Generator g = new Generator(1);
        for (int[] c : new int[][] {{2, 8, 8, 3, 4}, {1, 6, 9, 2, 3}, {3, 4, 4, 5, 2}}) {     // B, H, W, C, ws
            Tensor x = Tensor.randn(g, c[0], c[1], c[2], c[3]).requiresGrad(true);
            ModuleOracle.check("window_partition", null, List.of(x), t -> List.of(SwinWindows.windowPartition(t.get(0), c[4])),
                    (s, t) -> List.of(partition(t.get(0), c[4])), 0, 0, 1);
            int nW = c[0] * (c[1] / c[4]) * (c[2] / c[4]);
            Tensor win = Tensor.randn(g, nW, c[4], c[4], c[3]).requiresGrad(true);
            ModuleOracle.check("window_reverse", null, List.of(win), t -> List.of(SwinWindows.windowReverse(t.get(0), c[4], c[1], c[2])),
                    (s, t) -> List.of(reverse(t.get(0), c[4], c[1], c[2])), 0, 0, 2);
            Assertions2.assertClose("reverse(partition(x)) = x", x,
                    SwinWindows.windowReverse(SwinWindows.windowPartition(x, c[4]), c[4], c[1], c[2]), 0, 0);
        }
    }

    /** Swin's calculate_mask in libtorch: the img_mask regions by slices, then partition and pairwise differences. */
    static Tensor swinMask(int h, int w, int ws, int shift) {
        try (NDManager m = Torch.scope()) {
            NDArray img = m.zeros(new ai.djl.ndarray.types.Shape(1, h, w, 1));
            int[][] sl = {{0, -ws}, {-ws, -shift}, {-shift, 0}};          // Python slices; 0 as an end means "None"
            int cnt = 0;
            for (int[] hs : sl) {
                for (int[] wsl : sl) {
                    String hIdx = (hs[0] < 0 ? h + hs[0] : hs[0]) + ":" + (hs[1] == 0 ? h : h + hs[1]);
                    String wIdx = (wsl[0] < 0 ? w + wsl[0] : wsl[0]) + ":" + (wsl[1] == 0 ? w : w + wsl[1]);
                    img.set(new ai.djl.ndarray.index.NDIndex(":, " + hIdx + ", " + wIdx + ", :"), cnt);
                    cnt++;
                }
            }
            NDArray mw = partition(img, ws).reshape(-1, ws * ws);
            NDArray diff = mw.expandDims(1).sub(mw.expandDims(2));
            NDArray mask = NDArrays.where(diff.neq(0f), m.full(diff.getShape(), -100f), m.zeros(diff.getShape()));
            return Torch.tensor(mask);
        }
    }

    @Test
    void shiftedWindowMaskIsSwins() {
        for (int[] c : new int[][] {{8, 8, 4, 2}, {6, 6, 3, 1}, {14, 14, 7, 3}, {8, 12, 4, 1}}) {     // H, W, ws, shift
            Tensor ours = SwinWindows.shiftedWindowMask(c[0], c[1], c[2], c[3]);
            Assertions2.assertClose("mask " + java.util.Arrays.toString(c), swinMask(c[0], c[1], c[2], c[3]), ours, 0, 0);
        }
        // 8x8, window 4, shift 2: the top-left window is one region (all 0); the bottom-right one mixes four regions.
        Tensor m = SwinWindows.shiftedWindowMask(8, 8, 4, 2);
        assertEquals(4, m.size(0));
        for (float v : m.select(0, 0).toFloatArray()) assertEquals(0f, v);
        assertEquals(-100f, m.get(3, 0, 15));
        assertEquals(0f, m.get(3, 0, 1));
    }

    @Test
    void badInputsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> SwinWindows.windowPartition(Tensor.zeros(1, 8, 7, 3), 4));
        assertEquals("window_partition: window_size 4 must be positive and divide H and W of x [1, 8, 7, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SwinWindows.windowPartition(Tensor.zeros(8, 8, 3), 4));
        assertEquals("window_partition: x of shape [8, 8, 3] must be [B, H, W, C]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SwinWindows.windowReverse(Tensor.zeros(3, 4, 4, 2), 4, 8, 8));
        assertEquals("window_reverse: 3 windows (shape [3, 4, 4, 2]) are not a whole number of 8x8 images of 4 windows each",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SwinWindows.shiftedWindowMask(8, 8, 4, 4));
        assertEquals("shifted window mask: shift_size must be in (0, window_size=4), got 4 (a shift of 0 needs no mask)", e.getMessage());
    }
}
