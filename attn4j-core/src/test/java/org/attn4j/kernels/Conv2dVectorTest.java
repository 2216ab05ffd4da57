package org.attn4j.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link Conv2dVector} (through {@link Conv2dKernel#forward} / {@link Conv2dKernel#backward} with the
 * Vector API on) to the im2col + GEMM reference loops ({@link Conv2dKernel#forwardReference},
 * {@link Conv2dKernel#backwardReference}), on shapes that exercise what the vector path does differently:
 * panels of pixels straddling output rows and images (odd widths, 1x1 planes), strides and dilations
 * (runs of length 1, the col2im fallback for the input gradient), padding larger than the kernel allows for
 * the transposed form, groups, a single output channel, single input channel, a depth {@code K} over
 * {@link GemmVector#KC} (blocked), more pixels than one weight-gradient block, and for stride 1 both the
 * direct-rows kernels (forward, and weight gradient with at least a vector of output channels per group)
 * and the packed ones; and the Winograd F(2x2, 3x3) path ({@link Conv3x3WinogradVector}) of 3x3 stride-1
 * convolutions with at least 8 channels in and out, forward and input gradient.
 *
 * <p>Tolerance: both sum the same products in float, in different orders and blockings; over at most a
 * few thousand terms of unit-variance values the difference stays below 2e-5 relative to the largest
 * output, so 1e-4 relative and 1e-4 absolute (outputs and gradients are O(1)..O(100) here). Winograd's
 * transforms add a few sums of at most 9 terms each, well inside the same bound.
 */
class Conv2dVectorTest {

    /** {N, C, Cout, groups, H, W, kH, kW, sH, sW, pH, pW, dH, dW, bias} */
    private static final int[][] CASES = {
            {3, 4, 6, 1, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1},
            {2, 1, 32, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 0},
            {2, 32, 8, 1, 13, 11, 3, 3, 1, 1, 1, 1, 1, 1, 0},
            {5, 2, 1, 1, 14, 14, 7, 7, 1, 1, 3, 3, 1, 1, 0},
            {7, 16, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0},
            {7, 4, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1},
            {2, 6, 9, 3, 10, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1},
            {2, 4, 4, 1, 12, 12, 3, 3, 1, 1, 2, 2, 2, 2, 0},
            {1, 3, 5, 1, 9, 9, 3, 5, 1, 2, 2, 1, 1, 1, 1},
            {2, 4, 4, 2, 6, 6, 3, 3, 1, 1, 3, 3, 1, 1, 0},
            {1, 3, 2, 1, 20, 20, 16, 16, 16, 16, 0, 0, 1, 1, 1},
            {2, 130, 5, 1, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0},
            {3, 3, 7, 1, 30, 31, 3, 3, 1, 1, 0, 0, 1, 1, 1},
            {2, 4, 16, 2, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1},
            {2, 3, 8, 1, 11, 10, 3, 3, 1, 1, 2, 2, 2, 2, 0},
            {3, 64, 64, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0},
            // Winograd F(2x2, 3x3): even planes with bias, an odd one a whole unit of tiles wide (the last
            // tile cut to one column), no padding, padding 2 (its input gradient unpadded), tile rows of
            // two units, output channels not a multiple of the micro-tile.
            {2, 16, 12, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1},
            {2, 8, 9, 1, 15, 15, 3, 3, 1, 1, 1, 1, 1, 1, 1},
            {2, 9, 10, 1, 5, 6, 3, 3, 1, 1, 0, 0, 1, 1, 1},
            {1, 8, 8, 1, 14, 13, 3, 3, 1, 1, 2, 2, 1, 1, 0},
            {2, 40, 34, 1, 9, 30, 3, 3, 1, 1, 1, 1, 1, 1, 0},
            // Rows of at least two vectors split by shuffles, with even and odd padding, an odd width.
            {2, 8, 8, 1, 6, 20, 3, 3, 1, 1, 0, 0, 1, 1, 1},
            {1, 8, 9, 1, 5, 19, 3, 3, 1, 1, 2, 2, 1, 1, 0},
            {1, 12, 8, 1, 4, 37, 3, 3, 1, 1, 1, 1, 1, 1, 0},
    };

    @Test
    void vectorPathMatchesTheReference() {
        assumeTrue(VectorSupport.ENABLED, "Vector API not enabled in this JVM");
        Generator g = new Generator(31);
        for (int[] c : CASES) {
            int N = c[0], C = c[1], Cout = c[2], groups = c[3], H = c[4], W = c[5], kH = c[6], kW = c[7];
            int sH = c[8], sW = c[9], pH = c[10], pW = c[11], dH = c[12], dW = c[13];
            int Ho = Window2d.convOutSize(H, kH, sH, pH, dH), Wo = Window2d.convOutSize(W, kW, sW, pW, dW);
            Window2d win = new Window2d(H, W, kH, kW, sH, sW, pH, pW, dH, dW, Ho, Wo);
            Conv2dKernel.Dims d = new Conv2dKernel.Dims(N, C, Cout, groups, win);
            // Offsets into larger arrays: the kernels must honour them.
            float[] x = Tensor.randn(g, 3 + N * C * H * W).toFloatArray();
            float[] w = Tensor.randn(g, 2 + Cout * d.k()).toFloatArray();
            float[] b = c[14] == 1 ? Tensor.randn(g, 1 + Cout).toFloatArray() : null;
            float[] up = Tensor.randn(g, 5 + N * Cout * Ho * Wo).toFloatArray();
            String what = java.util.Arrays.toString(c);

            float[] outRef = new float[N * Cout * Ho * Wo], out = new float[outRef.length];
            java.util.Arrays.fill(out, Float.NaN);   // must be overwritten everywhere
            Conv2dKernel.forwardReference(d, x, 3, w, 2, b, 1, outRef);
            Conv2dKernel.forward(d, x, 3, w, 2, b, 1, out);
            close(what + " forward", outRef, out, Ho * Wo);

            float[] gxRef = new float[N * C * H * W], gx = new float[gxRef.length];
            float[] gwRef = new float[Cout * d.k()], gw = new float[gwRef.length];
            java.util.Arrays.fill(gw, Float.NaN);
            Conv2dKernel.backwardReference(d, x, 3, w, 2, up, 5, gxRef, gwRef);
            Conv2dKernel.backward(d, x, 3, w, 2, up, 5, gx, gw);
            close(what + " input grad", gxRef, gx, H * W);
            close(what + " weight grad", gwRef, gw, d.k());
        }
    }

    private static void close(String what, float[] expected, float[] actual, int row) {
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        Assertions2.assertClose(what, Tensor.of(expected, expected.length / row, row),
                Tensor.of(actual, actual.length / row, row), 1e-4 * Math.max(1, scale), 1e-4);
    }
}
