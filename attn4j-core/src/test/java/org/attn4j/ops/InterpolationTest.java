package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Bicubic interpolation, both PyTorch kernels.
 *
 * <p>{@code antialias=True} against libtorch through DJL's {@code JniUtils.interpolate} (mode 3): DJL 0.35's
 * native code always turns antialias on for bilinear and bicubic (measured: mode 3 gives the a = -0.5 stretched
 * kernel's values, and its 'linear' and 'trilinear' modes fail with libtorch's "Anti-alias option is only
 * supported for bilinear and bicubic modes"), which happens to be the path timm uses. It is also checked
 * against Pillow's float ('F' mode) bicubic resize, the same algorithm in double precision
 * (scripts/pil-resize-fixtures.py wrote the values).
 *
 * <p>{@code antialias=False} ({@code upsample_bicubic2d}) is out of DJL's reach, so it is checked against a
 * float64 evaluation of PyTorch's formula written out here (four taps of Keys' A = -0.75 at
 * {@code s = scale·(i + 0.5) - 0.5}, indices clamped to the edge), forward and adjoint.
 */
class InterpolationTest {
    /**
     * Tolerance atol 2e-6, rtol 1e-6: each output is a weighted sum of up to ~10 values of order 1 with weights
     * summing to 1, computed in float32 in a different order (libtorch: two separable passes; here two GEMMs).
     */
    @Test
    void antialiasedBicubicMatchesLibtorch() {
        Generator g = new Generator(11);
        int[][] cases = {{5, 7, 11, 13}, {14, 14, 24, 24}, {24, 24, 14, 14}, {14, 14, 7, 20}, {3, 1, 6, 2}, {8, 8, 8, 8}, {1, 1, 3, 3}};
        for (int[] c : cases) {
            Tensor x = Tensor.randn(g, 2, 3, c[0], c[1]).requiresGrad(true);
            int oh = c[2], ow = c[3];
            Torch.check("bicubic aa " + c[0] + "x" + c[1] + " -> " + oh + "x" + ow, List.of(x),
                    t -> Interpolation.bicubic(t.get(0), oh, ow, true),
                    t -> JniUtils.interpolate((PtNDArray) t.get(0), new long[] {oh, ow}, 3, false), 2e-6, 1e-6, 5);
        }
    }

    /** PyTorch's {@code cubic_convolution1/2} with A = -0.75, in double. */
    private static double keys(double d) {
        double a = -0.75;
        d = Math.abs(d);
        if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
        if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return 0;
    }

    /** {@code upsample_bicubic2d(align_corners=False)} of one [H, W] plane in float64, and its adjoint. */
    private static double[] plainBicubic64(double[] x, int h, int w, int oh, int ow, double[] upstream, double[] gradIn) {
        double[] out = new double[oh * ow];
        // The source positions in float, as PyTorch computes them (opmath_t = float): a double scale would move
        // them by up to ~1e-6 pixel and the values by a few 1e-6.
        float sh = (float) h / oh, sw = (float) w / ow;
        for (int i = 0; i < oh; i++) {
            double ry = sh * (i + 0.5f) - 0.5f;
            int y0 = (int) Math.floor(ry);
            for (int j = 0; j < ow; j++) {
                double rx = sw * (j + 0.5f) - 0.5f;
                int x0 = (int) Math.floor(rx);
                for (int a = -1; a <= 2; a++) {
                    double wy = keys(ry - (y0 + a));
                    int yy = Math.min(Math.max(y0 + a, 0), h - 1);
                    for (int b = -1; b <= 2; b++) {
                        double wgt = wy * keys(rx - (x0 + b));
                        int xx = Math.min(Math.max(x0 + b, 0), w - 1);
                        out[i * ow + j] += wgt * x[yy * w + xx];
                        gradIn[yy * w + xx] += wgt * upstream[i * ow + j];
                    }
                }
            }
        }
        return out;
    }

    /**
     * Tolerance atol 3e-6, rtol 1e-6 against float64: float32 weights (rounded once) and float32 sums of 16 terms
     * of order 1; the gradient is the adjoint map applied to a random upstream gradient.
     */
    @Test
    void plainBicubicMatchesPytorchsFormulaInFloat64() {
        Generator g = new Generator(12);
        int[][] cases = {{5, 7, 11, 13}, {14, 14, 24, 24}, {24, 24, 14, 14}, {14, 14, 7, 20}, {3, 1, 6, 2}, {8, 8, 8, 8}, {1, 1, 3, 3}};
        for (int[] c : cases) {
            int h = c[0], w = c[1], oh = c[2], ow = c[3];
            Tensor x = Tensor.randn(g, 1, 2, h, w).requiresGrad(true);
            Tensor up = Tensor.randn(g, 1, 2, oh, ow);
            Tensor y = Interpolation.bicubic(x, oh, ow, false);
            y.backward(up);
            float[] xs = x.toFloatArray(), us = up.toFloatArray();
            float[] expOut = new float[2 * oh * ow], expGrad = new float[2 * h * w];
            for (int ch = 0; ch < 2; ch++) {
                double[] plane = new double[h * w], upPlane = new double[oh * ow], grad = new double[h * w];
                for (int k = 0; k < h * w; k++) plane[k] = xs[ch * h * w + k];
                for (int k = 0; k < oh * ow; k++) upPlane[k] = us[ch * oh * ow + k];
                double[] o = plainBicubic64(plane, h, w, oh, ow, upPlane, grad);
                for (int k = 0; k < oh * ow; k++) expOut[ch * oh * ow + k] = (float) o[k];
                for (int k = 0; k < h * w; k++) expGrad[ch * h * w + k] = (float) grad[k];
            }
            String what = "bicubic " + h + "x" + w + " -> " + oh + "x" + ow;
            Assertions2.assertClose(what + " forward", Tensor.of(expOut, 1, 2, oh, ow), y, 3e-6, 1e-6);
            Assertions2.assertClose(what + " grad", Tensor.of(expGrad, 1, 2, h, w), x.grad(), 3e-6, 1e-6);
        }
    }

    /**
     * Against Pillow's float bicubic (double weights and sums, stored as float32); ours computes positions and
     * weights in float as PyTorch does, then sums in float32. Tolerance 3e-6 absolute on values of order 1.
     */
    @Test
    void antialiasedBicubicMatchesPillowFloatResize() throws IOException, URISyntaxException {
        List<String> lines = Files.readAllLines(Path.of(InterpolationTest.class.getResource("pil_float_bicubic.txt").toURI()));
        Tensor input = null;
        int checked = 0;
        for (String line : lines) {
            if (line.startsWith("#")) continue;
            String[] f = line.trim().split(" ");
            int w = Integer.parseInt(f[1]), h = Integer.parseInt(f[2]);
            float[] v = new float[w * h];
            for (int i = 0; i < v.length; i++) v[i] = Float.parseFloat(f[3 + i]);
            Tensor t = Tensor.of(v, 1, 1, h, w);
            if (f[0].equals("input")) {
                input = t;
            } else {
                Assertions2.assertClose("antialiased bicubic to " + w + "x" + h, t, Interpolation.bicubic(input, h, w, true), 3e-6, 0);
                checked++;
            }
        }
        assertEquals(5, checked);
    }

    /**
     * The antialiased weights against PyTorch's {@code _compute_indices_min_size_weights_aa} evaluated here in
     * float64 (support {@code 2·max(scale, 1)}, centre {@code scale·(i + 0.5)}, Keys a = -0.5, normalised), for
     * the pos_embed grids timm resamples (14 -> 24, 24 -> 14, 7 -> 14, 16 -> 12). Tolerance 1e-6: ours follows
     * PyTorch's float32 arithmetic for these weights of magnitude below 1.
     */
    @Test
    void antialiasedWeightsFollowPytorchsFormula() {
        for (int[] io : new int[][] {{14, 24}, {24, 14}, {7, 14}, {16, 12}, {5, 1}}) {
            int in = io[0], out = io[1];
            float[] ours = Interpolation.antialiasWeights(in, out);
            double scale = (double) in / out;
            double support = scale >= 1 ? 2 * scale : 2;
            for (int i = 0; i < out; i++) {
                double center = scale * (i + 0.5);
                double[] row = new double[in];
                double total = 0;
                for (int j = 0; j < in; j++) {
                    double d = Math.abs((j + 0.5 - center) / Math.max(scale, 1));
                    boolean inWindow = j >= Math.max((long) (center - support + 0.5), 0) && j < Math.min((long) (center + support + 0.5), in);
                    double wv = !inWindow ? 0 : d < 1 ? (1.5 * d - 2.5) * d * d + 1 : d < 2 ? ((-0.5 * d + 2.5) * d - 4) * d + 2 : 0;
                    row[j] = wv;
                    total += wv;
                }
                for (int j = 0; j < in; j++) assertEquals(row[j] / total, ours[i * in + j], 1e-6, in + "->" + out + " w[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void constantsStayConstantEitherWay() {
        Tensor x = Tensor.full(0.75f, 1, 2, 9, 5);
        for (boolean aa : new boolean[] {false, true}) {
            for (int[] s : new int[][] {{4, 11}, {20, 3}, {9, 5}}) {
                Tensor y = Interpolation.bicubic(x, s[0], s[1], aa);
                // The weights sum to 1 up to float32 rounding of each weight: a couple of ulps.
                Assertions2.assertClose("constant aa=" + aa, Tensor.full(0.75f, 1, 2, s[0], s[1]), y, 2e-6, 0);
            }
        }
    }

    @Test
    void rejectsNon4dInput() {
        var e = assertThrows(IllegalArgumentException.class, () -> Interpolation.bicubic(Tensor.zeros(3, 4, 4), 2, 2, false));
        assertEquals("interpolate(bicubic): input must be [N, C, H, W], got [3, 4, 4]", e.getMessage());
    }
}
