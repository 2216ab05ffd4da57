package org.attn4j.attention;

import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Swin Transformer's window helpers (Liu et al. 2021, the official code's {@code window_partition},
 * {@code window_reverse} and {@code SwinTransformerBlock}'s attention-mask construction for shifted windows),
 * used with {@link WindowAttention}. Square windows of side {@code ws}, channels-last feature maps.
 */
public final class SwinWindows {
    private SwinWindows() {}

    /**
     * {@code window_partition(x, window_size)}: {@code [B, H, W, C] -> [B·(H/ws)·(W/ws), ws, ws, C]}, windows in
     * row-major order over the grid, each image's windows together.
     */
    public static Tensor windowPartition(Tensor x, int ws) {
        if (x == null || x.dim() != 4) {
            throw new IllegalArgumentException("window_partition: x of shape " + (x == null ? "null" : Shape.str(x.shape()))
                    + " must be [B, H, W, C]");
        }
        int b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
        if (ws <= 0 || h % ws != 0 || w % ws != 0) {
            throw new IllegalArgumentException("window_partition: window_size " + ws + " must be positive and divide H and W of x "
                    + Shape.str(x.shape()));
        }
        return x.view(b, h / ws, ws, w / ws, ws, c).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, c);
    }

    /** {@code window_reverse(windows, window_size, H, W)}: the inverse, {@code [B·nW, ws, ws, C] -> [B, H, W, C]}. */
    public static Tensor windowReverse(Tensor windows, int ws, int h, int w) {
        if (windows == null || windows.dim() != 4 || windows.size(1) != ws || windows.size(2) != ws) {
            throw new IllegalArgumentException("window_reverse: windows of shape " + (windows == null ? "null" : Shape.str(windows.shape()))
                    + " must be [B*num_windows, " + ws + ", " + ws + ", C]");
        }
        if (ws <= 0 || h % ws != 0 || w % ws != 0) {
            throw new IllegalArgumentException("window_reverse: window_size " + ws + " must be positive and divide H=" + h + " and W=" + w);
        }
        int nW = (h / ws) * (w / ws);
        if (windows.size(0) % nW != 0) {
            throw new IllegalArgumentException("window_reverse: " + windows.size(0) + " windows (shape " + Shape.str(windows.shape())
                    + ") are not a whole number of " + h + "x" + w + " images of " + nW + " windows each");
        }
        int b = windows.size(0) / nW;
        return windows.view(b, h / ws, w / ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1);
    }

    /**
     * The attention mask of shifted-window attention (SW-MSA) for an {@code H x W} map, window {@code ws} and
     * shift {@code shift} (0 < shift < ws): {@code [nW, ws², ws²]} with 0 where two tokens of a window come from
     * the same region of the cyclically shifted map and -100 where they do not, as Swin's block computes it:
     * <pre>
     *   img_mask[:, h, w, :] = cnt for h, w in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))²
     *   mask_windows = window_partition(img_mask, ws).view(-1, ws * ws)
     *   attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2); != 0 -> -100.0, == 0 -> 0.0
     * </pre>
     * (Swin uses no mask, {@code None}, when the shift is 0.)
     */
    public static Tensor shiftedWindowMask(int h, int w, int ws, int shift) {
        if (ws <= 0 || h % ws != 0 || w % ws != 0) {
            throw new IllegalArgumentException("shifted window mask: window_size " + ws + " must be positive and divide H=" + h
                    + " and W=" + w);
        }
        if (shift <= 0 || shift >= ws) {
            throw new IllegalArgumentException("shifted window mask: shift_size must be in (0, window_size=" + ws + "), got " + shift
                    + " (a shift of 0 needs no mask)");
        }
        float[] img = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) img[y * w + x] = region(y, h, ws, shift) * 3 + region(x, w, ws, shift);
        }
        Tensor windows = windowPartition(Tensor.of(img, 1, h, w, 1), ws).view(-1, ws * ws);   // [nW, N]
        float[] m = windows.toFloatArray();
        int nW = windows.size(0), n = ws * ws;
        float[] out = new float[nW * n * n];
        for (int k = 0; k < nW; k++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) out[(k * n + i) * n + j] = m[k * n + j] - m[k * n + i] != 0 ? -100f : 0f;
            }
        }
        return Tensor.of(out, nW, n, n);
    }

    /** Which of the three slices {@code [0, size-ws)}, {@code [size-ws, size-shift)}, {@code [size-shift, size)} holds i. */
    private static int region(int i, int size, int ws, int shift) {
        return i < size - ws ? 0 : i < size - shift ? 1 : 2;
    }
}
