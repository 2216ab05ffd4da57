package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.attn4j.kernels.Parallel;
import org.attn4j.models.vit.Block;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * One ViT-B transformer block forward + backward, the unit of ViT training: attn4j's {@link Block} (timm's pre-norm
 * {@code Block}: D = 768, 12 heads, MLP 3072, qkv bias, LayerNorm eps 1e-6, no dropout) against the same block
 * composed from libtorch ops ({@link VitBench#block}) with the same weights, differentiated by libtorch's autograd
 * (DJL's {@link GradientCollector}). Input {@code [B, 197, 768]} (ViT-B/16's tokens at 224 x 224) requiring its
 * gradient as any block but a network's first does, upstream gradient all ones, interleaved reps
 * ({@link Interleaved}). Each rep is timed from the forward to the end of the backward; the parameter gradients
 * are reset before it, outside the timed part, on both sides (attn4j sets them to null, DJL zeroes them in place).
 *
 * <p>Before the times count, both sides' outputs, input gradients and every parameter gradient are compared.
 * {@code ./bench.sh block [--threads T] [--reps R] [--batch 8]}; {@code ./bench.sh suite} runs batch 8 through
 * {@link #measure}. GFLOP/s by {@link Flops#blockForwardBackward}.
 */
final class BlockBench {
    private BlockBench() {}

    /** A block's width, heads, MLP width and tokens. */
    record Geometry(String name, int dim, int heads, int mlp, int tokens) {
        /** The row's name in a table. */
        String label(int batch) {
            return name + " block fwd+bwd [" + batch + ", " + tokens + ", " + dim + "]";
        }
    }

    /** ViT-B: tokens at 224 x 224 with 16 x 16 patches and a class token. */
    static final Geometry VIT_B = new Geometry("ViT-B", 768, 12, 3072, 197);
    /** {@code vit_fashion}: 7 x 7 patches of 4 x 4 pixels and a class token. */
    static final Geometry FASHION = new Geometry("vit_fashion", 96, 4, 384, 50);

    static void run(String[] args) throws Exception {
        int reps = 7, batch = 8;
        Geometry geo = VIT_B;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> BenchMain.setThreads(Integer.parseInt(args[++i]));
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--geometry" -> geo = switch (args[++i]) {
                    case "vit-b" -> VIT_B;
                    case "fashion" -> FASHION;
                    default -> throw new IllegalArgumentException("block bench: unknown geometry '" + args[i]
                            + "' (vit-b, fashion)");
                };
                default -> throw new IllegalArgumentException("block bench: unknown option '" + args[i] + "'");
            }
        }
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf("%s block forward + backward on [%d, %d, %d], %d heads, MLP %d; attn4j threads %d, libtorch %s"
                        + " threads %s (interleaved reps)%n", geo.name(), batch, geo.tokens(), geo.dim(), geo.heads(), geo.mlp(),
                Parallel.threads(), engine.getVersion(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"));
        try (NDManager base = engine.newBaseManager()) {
            CaseResult c = measure(base, geo, batch, reps, 3, Double.NaN);
            Interleaved.Stats a = c.attn4j(), t = c.libtorch();
            System.out.printf("%5s %5s | %22s %8s | %22s %8s | %12s%n", "batch", "reps", "attn4j median/min ms", "GFLOP/s",
                    "libtorch median/min ms", "GFLOP/s", "ratio med/min");
            System.out.printf("%5d %5d | %10.1f / %9.1f %8.1f | %10.1f / %9.1f %8.1f | %5.2f / %4.2f%n", batch, c.reps(),
                    a.medianMs(), a.minMs(), c.gflops(), t.medianMs(), t.minMs(), t.gflops(c.flops(), true), c.ratio(),
                    a.minMs() / t.minMs());
            System.out.println(c.check());
        }
    }

    /**
     * Times one block of geometry {@code geo} forward + backward at {@code batch} on both sides, {@code reps} interleaved reps after attn4j
     * has run for {@code jitSeconds}, and compares the results. {@code target} as in {@link CaseResult}.
     */
    static CaseResult measure(NDManager base, Geometry geo, int batch, int reps, double jitSeconds, double target)
            throws Exception {
        int heads = geo.heads();
        Block block = new Block(geo.dim(), heads, (double) geo.mlp() / geo.dim(), true, 0, 0, 0, 0, new Generator(7));
        block.train();
        Tensor x = Tensor.randn(new Generator(batch), batch, geo.tokens(), geo.dim());
        float[] xData = x.contiguousData();
        Shape xShape = new Shape(batch, geo.tokens(), geo.dim());
        try (NDManager sub = base.newSubManager()) {
            Map<String, NDArray> p = VitBench.torchParams(sub, block);
            for (NDArray w : p.values()) w.setRequiresGradient(true);
            Tensor[] ourX = new Tensor[1];
            Interleaved.Timed ours = () -> {
                block.zeroGrad();
                ourX[0] = x.detach().requiresGrad(true);
                long t0 = Interleaved.now();
                Tensor out = block.forward(ourX[0]);
                out.backward(Tensor.onesLike(out));
                return Interleaved.now() - t0;
            };
            Interleaved.Timed torch = () -> {
                for (NDArray w : p.values()) JniUtils.zeroGrad((PtNDArray) w);
                // The input lives in the rep's manager, and so every intermediate and the upstream ones (DJL puts
                // an op's result in its first operand's manager).
                try (NDManager rep = sub.newSubManager()) {
                    NDArray xt = rep.create(xData, xShape);
                    xt.setRequiresGradient(true);
                    long t0 = Interleaved.now();
                    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                        gc.backward(VitBench.block(xt, p, "", heads));
                    }
                    return Interleaved.now() - t0;
                }
            };
            long until = System.nanoTime() + (long) (jitSeconds * 1e9);
            while (System.nanoTime() < until) ours.runNanos();
            Interleaved.Stats[] st = Interleaved.run(1, reps, ours, torch);
            return new CaseResult(geo.label(batch), reps, st[0], st[1],
                    Flops.blockForwardBackward(batch, geo.tokens(), geo.dim(), geo.mlp()), target,
                    check(block, x, p, sub, xData, xShape, heads));
        }
    }

    /** Output, input gradient and every parameter gradient of one fresh forward + backward on each side. */
    private static String check(Block block, Tensor x, Map<String, NDArray> p, NDManager sub, float[] xData, Shape xShape,
                                int heads) {
        block.zeroGrad();
        Tensor ourX = x.detach().requiresGrad(true);
        Tensor out = block.forward(ourX);
        out.backward(Tensor.onesLike(out));
        for (NDArray w : p.values()) JniUtils.zeroGrad((PtNDArray) w);
        try (NDManager check = sub.newSubManager()) {
            NDArray xt = check.create(xData, xShape);
            xt.setRequiresGradient(true);
            double outDiff;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray ref = VitBench.block(xt, p, "", heads);
                outDiff = Compare.maxAbsDiff(out.toFloatArray(), ref.toFloatArray());
                gc.backward(ref);
            }
            double dxDiff, dwDiff = 0, dwMax = 0;
            try (NDArray g = xt.getGradient()) {
                dxDiff = Compare.maxAbsDiff(ourX.grad().toFloatArray(), g.toFloatArray());
            }
            for (Map.Entry<String, Tensor> e : block.namedParameters().entrySet()) {
                float[] ours = e.getValue().grad().toFloatArray();
                try (NDArray g = p.get(e.getKey()).getGradient()) {
                    dwDiff = Math.max(dwDiff, Compare.maxAbsDiff(ours, g.toFloatArray()));
                }
                for (float v : ours) dwMax = Math.max(dwMax, Math.abs(v));
            }
            return String.format("max |diff| out %.1e, dx %.1e, dparams %.1e (largest |dparam| %.1e)", outDiff, dxDiff, dwDiff, dwMax);
        }
    }
}
