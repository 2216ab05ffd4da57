package org.attn4j.ops;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;

/**
 * A rough timing, not a test (Surefire runs only *Test classes): conv2d forward + backward of
 * x [64, 32, 14, 14] with 64 3x3 filters (padding 1, bias), attn4j against libtorch in the same JVM.
 * Run with the test classpath: {@code java -cp ... org.attn4j.ops.ConvolutionBench [iterations]}.
 */
public final class ConvolutionBench {
    private ConvolutionBench() {}

    /** Depthwise 7x7 (ConvNeXt-style) forward + backward: the direct kernel against im2col + GEMM. */
    private static void depthwise(int iters) {
        Generator g = new Generator(2);
        int N = 32, C = 96;
        Tensor x = Tensor.randn(g, N, C, 14, 14), w = Tensor.randn(g, C, 1, 7, 7), up = Tensor.randn(g, N, C, 14, 14);
        org.attn4j.kernels.Window2d win = new org.attn4j.kernels.Window2d(14, 14, 7, 7, 1, 1, 3, 3, 1, 1, 14, 14);
        var dims = new org.attn4j.kernels.Conv2dKernel.Dims(N, C, C, C, win);
        float[] xd = x.contiguousData(), wd = w.contiguousData(), ud = up.contiguousData();
        float[] out = new float[ud.length], gx = new float[xd.length], gw = new float[wd.length];
        double direct = Double.MAX_VALUE, gemm = Double.MAX_VALUE;
        for (int i = 0; i < iters + 3; i++) {
            java.util.Arrays.fill(gx, 0f);
            long t0 = System.nanoTime();
            org.attn4j.kernels.DepthwiseConv2dKernel.forward(dims, xd, 0, wd, 0, null, 0, out);
            org.attn4j.kernels.DepthwiseConv2dKernel.backward(dims, xd, 0, wd, 0, ud, 0, gx, gw);
            long t1 = System.nanoTime();
            java.util.Arrays.fill(gx, 0f);
            org.attn4j.kernels.Conv2dKernel.forward(dims, xd, 0, wd, 0, null, 0, out);
            org.attn4j.kernels.Conv2dKernel.backward(dims, xd, 0, wd, 0, ud, 0, gx, gw);
            long t2 = System.nanoTime();
            if (i >= 3) {
                direct = Math.min(direct, (t1 - t0) / 1e6);
                gemm = Math.min(gemm, (t2 - t1) / 1e6);
            }
        }
        System.out.printf("attn4j  depthwise 7x7 [32, 96, 14, 14] fwd+bwd: direct %.1f ms, im2col+GEMM %.1f ms%n", direct, gemm);
    }

    public static void main(String[] args) {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, 64, 32, 14, 14), w = Tensor.randn(g, 64, 32, 3, 3), b = Tensor.randn(g, 64);
        Tensor up = Tensor.randn(g, 64, 64, 14, 14);
        int[] one = {1};
        double best = Double.MAX_VALUE, bestFwd = Double.MAX_VALUE;
        for (int i = 0; i < iters + 3; i++) {
            Tensor xl = x.detach().requiresGrad(true), wl = w.detach().requiresGrad(true), bl = b.detach().requiresGrad(true);
            long t0 = System.nanoTime();
            Tensor out = Convolution.conv2d(xl, wl, bl, one, one, one, 1);
            long t1 = System.nanoTime();
            out.backward(up);
            long t2 = System.nanoTime();
            if (i >= 3) {
                best = Math.min(best, (t2 - t0) / 1e6);
                bestFwd = Math.min(bestFwd, (t1 - t0) / 1e6);
            }
        }
        System.out.printf("attn4j  conv2d fwd+bwd: best %.1f ms (forward %.1f ms)%n", best, bestFwd);

        // The unfolding alone (what is not GEMM): im2col of every sample, and col2im of every sample.
        org.attn4j.kernels.Window2d win = new org.attn4j.kernels.Window2d(14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 14, 14);
        float[] xd = x.contiguousData(), col = new float[32 * 9 * 196], gx = new float[xd.length];
        double im2col = Double.MAX_VALUE, col2im = Double.MAX_VALUE;
        for (int i = 0; i < iters + 3; i++) {
            long t0 = System.nanoTime();
            for (int n = 0; n < 64; n++) org.attn4j.kernels.Im2col.im2col(win, 32, xd, n * 32 * 196, col, 0);
            long t1 = System.nanoTime();
            for (int n = 0; n < 64; n++) org.attn4j.kernels.Im2col.col2im(win, 32, col, 0, gx, n * 32 * 196);
            long t2 = System.nanoTime();
            if (i >= 3) {
                im2col = Math.min(im2col, (t1 - t0) / 1e6);
                col2im = Math.min(col2im, (t2 - t1) / 1e6);
            }
        }
        System.out.printf("attn4j  im2col x64 (one thread): %.1f ms, col2im x64: %.1f ms; the rest is GEMM%n", im2col, col2im);

        depthwise(iters);

        double tBest = Double.MAX_VALUE, tFwd = Double.MAX_VALUE;
        for (int i = 0; i < iters + 3; i++) {
            try (NDManager m = Torch.scope()) {
                NDArray xa = Torch.nd(m, x), wa = Torch.nd(m, w), ba = Torch.nd(m, b), ua = Torch.nd(m, up);
                xa.setRequiresGradient(true);
                wa.setRequiresGradient(true);
                ba.setRequiresGradient(true);
                long t0 = System.nanoTime(), t1;
                try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray o = Conv2d.conv2d(xa, wa, ba, Torch.shapeOf(1, 1), Torch.shapeOf(1, 1), Torch.shapeOf(1, 1), 1)
                            .singletonOrThrow();
                    t1 = System.nanoTime();
                    gc.backward(o.mul(ua).sum());
                }
                xa.getGradient().toFloatArray(); // make sure the work is done
                long t2 = System.nanoTime();
                if (i >= 3) {
                    tBest = Math.min(tBest, (t2 - t0) / 1e6);
                    tFwd = Math.min(tFwd, (t1 - t0) / 1e6);
                }
            }
        }
        System.out.printf("libtorch conv2d fwd+bwd: best %.1f ms (forward %.1f ms; includes mul+sum for the upstream)%n", tBest, tFwd);
    }
}
