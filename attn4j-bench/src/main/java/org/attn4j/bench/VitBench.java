package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.attn4j.autograd.GradMode;
import org.attn4j.kernels.Parallel;
import org.attn4j.models.vit.VisionTransformer;
import org.attn4j.models.vit.VitConfig;
import org.attn4j.models.vit.VitModels;
import org.attn4j.nn.Module;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * ViT-B/16 inference, attn4j's {@link VisionTransformer} against the same network composed from libtorch ops
 * through DJL with the same weights ({@code conv2d} patchify, {@code layer_norm}, {@code linear},
 * {@code matmul}, {@code softmax}, {@code gelu}, the reference's reshapes), both without autograd, interleaved in
 * one run ({@link Interleaved}). The whole forward is timed on each side: patch embedding, 12 blocks, final
 * norm and the 1000-class head, on random images of 224 x 224 at each batch size. Prints median and min per
 * side, images/s and the ratio attn4j/libtorch (lower is better), and the largest logit difference.
 * {@code ./bench.sh suite} runs batch 1 through {@link #measure}; {@link BlockBench} reuses {@link #block}.
 *
 * <p>{@code ./bench.sh vit [--threads T] [--batches 1,8] [--reps R] [--depth D]}; {@code --depth} builds a
 * shorter model for a quick look. Weights are PyTorch's default layer initialisation (the reference's truncated
 * normal draws take tens of seconds for 86 million parameters and do not change the timing).
 */
final class VitBench {
    private VitBench() {}

    static void run(String[] args) throws Exception {
        int[] batches = {1, 8};
        int reps = 7, depth = 12;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> BenchMain.setThreads(Integer.parseInt(args[++i]));
                case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--depth" -> depth = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("vit bench: unknown option '" + args[i] + "'");
            }
        }
        long t0 = System.nanoTime();
        VisionTransformer model = buildModel(depth);
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf("ViT-B/16 forward (%d blocks, %,d parameters, built in %.1f s); attn4j threads %d, libtorch %s threads %s"
                        + " (interleaved reps)%n", depth, model.numParameters(), (System.nanoTime() - t0) / 1e9, Parallel.threads(),
                engine.getVersion(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
        System.out.printf("%5s %5s | %22s %9s | %22s %9s | %12s%n", "batch", "reps", "attn4j median/min ms", "img/s",
                "libtorch median/min ms", "img/s", "ratio med/min");
        try (NDManager base = engine.newBaseManager()) {
            Map<String, NDArray> p = torchParams(base, model);
            for (int b : batches) {
                CaseResult c = measure(base, model, p, b, reps, Double.NaN);
                Interleaved.Stats a = c.attn4j(), t = c.libtorch();
                System.out.printf("%5d %5d | %10.1f / %9.1f %9.2f | %10.1f / %9.1f %9.2f | %5.2f / %4.2f   (%s)%n",
                        b, c.reps(), a.medianMs(), a.minMs(), b * 1000 / a.medianMs(), t.medianMs(), t.minMs(),
                        b * 1000 / t.medianMs(), c.ratio(), a.minMs() / t.minMs(), c.check());
            }
        }
    }

    /**
     * ViT-B/16 with {@code depth} blocks in eval mode, seeded: PyTorch's default layer initialisation, and the class
     * token and position embedding drawn with std 0.02 (the reference's truncated normal draws take tens of
     * seconds for 86 million parameters and do not change the timing).
     */
    static VisionTransformer buildModel(int depth) {
        VitConfig config = VitModels.config("vit_base_patch16_224").withDepth(depth);
        Generator g = new Generator(42);
        VisionTransformer model = new VisionTransformer(config, g, false);
        try (var ignored = GradMode.noGrad()) {
            model.clsToken().copy_(Tensor.randn(g, model.clsToken().shape()).mul(0.02f));
            model.posEmbed().copy_(Tensor.randn(g, model.posEmbed().shape()).mul(0.02f));
        }
        model.eval();
        return model;
    }

    /** A copy of every parameter of {@code model} in libtorch, under the same state_dict name, owned by {@code m}. */
    static Map<String, NDArray> torchParams(NDManager m, Module model) {
        Map<String, NDArray> p = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> p.put(k, m.create(v.detach().contiguousData(), shape(v.shape()))));
        return p;
    }

    static Shape shape(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return new Shape(l);
    }

    /**
     * Times the whole forward of {@code model} on {@code batch} random 224 x 224 images, attn4j and libtorch (with
     * the weights {@code p}) interleaved, and compares the logits. {@code target} as in {@link CaseResult}.
     */
    static CaseResult measure(NDManager base, VisionTransformer model, Map<String, NDArray> p, int batch, int reps,
                              double target) throws Exception {
        Tensor images = Tensor.randn(new Generator(batch), batch, 3, 224, 224);
        float[] imageData = images.contiguousData();
        Shape imageShape = shape(images.shape());
        float[][] ours = new float[1][];
        int warmup = batch == 1 ? 2 : 1;
        Interleaved.Stats[] s = Interleaved.run(warmup, reps,
                () -> {
                    long t0 = Interleaved.now();
                    try (var ignored = GradMode.noGrad()) {
                        ours[0] = model.forward(images).toFloatArray();
                    }
                    return Interleaved.now() - t0;
                },
                () -> {
                    // The images live in the rep's manager, and with them every intermediate (see forward).
                    try (NDManager rep = base.newSubManager()) {
                        NDArray img = rep.create(imageData, imageShape);
                        long t0 = Interleaved.now();
                        NDArray out = forward(model.config(), p, img);
                        out.toFloatArray();      // waits for the result, as attn4j's time includes its output
                        return Interleaved.now() - t0;
                    }
                });
        float[] ref;
        try (NDManager check = base.newSubManager()) {
            ref = forward(model.config(), p, check.create(imageData, imageShape)).toFloatArray();
        }
        int depth = model.config().depth();
        return new CaseResult("ViT-B/16 forward batch " + batch + (depth == 12 ? "" : ", " + depth + " blocks"), reps,
                s[0], s[1], Flops.vitForward(model.config(), batch), target,
                String.format("max |logit diff| %.1e", Compare.maxAbsDiff(ours[0], ref)));
    }

    private static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }

    private static NDArray linear(NDArray x, Map<String, NDArray> p, String name) {
        return JniUtils.linear(pt(x), pt(p.get(name + ".weight")), pt(p.get(name + ".bias")));
    }

    private static NDArray layerNorm(NDArray x, Map<String, NDArray> p, String name, long d) {
        return JniUtils.layerNorm(pt(x), new Shape(d), pt(p.get(name + ".weight")), pt(p.get(name + ".bias")), 1e-6);
    }

    /**
     * The reference's ViT forward (no dropout, no distillation token, no pre-logits) in libtorch ops. DJL puts an
     * op's result in the manager of its first operand, so every intermediate ends up in {@code img}'s manager
     * (the class token's repeat is moved there before the concatenation that would otherwise put the rest of the
     * network into the parameters' manager, where nothing frees it until the end of the run).
     */
    static NDArray forward(VitConfig c, Map<String, NDArray> p, NDArray img) {
        long b = img.getShape().get(0);
        int d = c.embedDim();
        NDArray x = JniUtils.convolution(pt(img), pt(p.get("patch_embed.proj.weight")), pt(p.get("patch_embed.proj.bias")),
                new Shape(c.patchSize(), c.patchSize()), new Shape(0, 0), new Shape(1, 1), 1);
        x = x.reshape(b, d, -1).transpose(0, 2, 1);
        NDArray cls = p.get("cls_token").repeat(0, b);
        cls.attach(x.getManager());
        x = NDArrays.concat(new NDList(cls, x), 1).add(p.get("pos_embed"));
        for (int i = 0; i < c.depth(); i++) x = block(x, p, "blocks." + i + ".", c.numHeads());
        x = layerNorm(x, p, "norm", d);
        return linear(x.get(new NDIndex(":, 0, :")), p, "head");
    }

    /**
     * The reference's pre-norm {@code Block} on {@code x [B, N, D]} in libtorch ops, with the parameters under
     * {@code prefix} ({@code norm1}, {@code attn.qkv}, {@code attn.proj}, {@code norm2}, {@code mlp.fc1},
     * {@code mlp.fc2}): {@code x + proj(attn(norm1(x)))}, then {@code x + fc2(gelu(fc1(norm2(x))))}, attention
     * composed as {@code softmax(q kᵀ · hd^-0.5) v}. Differentiable: under a GradientCollector libtorch's autograd
     * records it. Intermediates land in {@code x}'s manager, and so does the scale, as a tensor: {@code mul(float)}
     * would close the scalar tensor DJL makes right away while autograd keeps it for the backward (see
     * {@code AttentionBench.torchAttention}).
     */
    static NDArray block(NDArray x, Map<String, NDArray> p, String prefix, int heads) {
        long b = x.getShape().get(0), n = x.getShape().get(1), d = x.getShape().get(2), hd = d / heads;
        NDArray scale = x.getManager().create((float) Math.pow(hd, -0.5));
        NDArray qkv = linear(layerNorm(x, p, prefix + "norm1", d), p, prefix + "attn.qkv").reshape(b, n, 3, heads, hd)
                .transpose(2, 0, 3, 1, 4);
        NDArray a = qkv.get(0).matMul(qkv.get(1).transpose(0, 1, 3, 2)).mul(scale).softmax(-1);
        NDArray o = a.matMul(qkv.get(2)).transpose(0, 2, 1, 3).reshape(b, n, d);
        x = x.add(linear(o, p, prefix + "attn.proj"));
        NDArray m = JniUtils.gelu(pt(linear(layerNorm(x, p, prefix + "norm2", d), p, prefix + "mlp.fc1")));
        return x.add(linear(m, p, prefix + "mlp.fc2"));
    }
}
