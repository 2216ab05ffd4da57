package org.attn4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.Map;

/**
 * The reference's VisionTransformer forward (eval semantics, no dropout) composed from libtorch ops through
 * DJL, reading the weights from a map with timm's state-dict names: {@code conv2d} patchify,
 * {@code layer_norm(eps=1e-6)}, {@code linear}, {@code matmul}, {@code softmax}, {@code gelu} (exact),
 * {@code tanh}, with the reference's reshapes and permutes. This is the oracle of VisionTransformerTest; it shares
 * no code with attn4j's model.
 */
final class TorchVit {
    private TorchVit() {}

    private static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }

    private static NDArray linear(NDArray x, Map<String, NDArray> p, String name) {
        return JniUtils.linear(pt(x), pt(p.get(name + ".weight")), p.containsKey(name + ".bias") ? pt(p.get(name + ".bias")) : null);
    }

    private static NDArray layerNorm(NDArray x, Map<String, NDArray> p, String name, double eps) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        return JniUtils.layerNorm(pt(x), new Shape(d), pt(p.get(name + ".weight")), pt(p.get(name + ".bias")), eps);
    }

    /** All tokens after the final norm, {@code [B, prefix + N, D]}; attention weights appended to {@code attn}. */
    static NDArray features(VitConfig c, Map<String, NDArray> p, NDArray img, List<NDArray> attn) {
        long b = img.getShape().get(0);
        int d = c.embedDim(), heads = c.numHeads(), hd = d / heads;
        NDArray x = JniUtils.convolution(pt(img), pt(p.get("patch_embed.proj.weight")), pt(p.get("patch_embed.proj.bias")),
                new Shape(c.patchSize(), c.patchSize()), new Shape(0, 0), new Shape(1, 1), 1);
        x = x.reshape(b, d, -1).transpose(0, 2, 1);                            // flatten(2).transpose(1, 2)
        NDList parts = new NDList(p.get("cls_token").repeat(0, b));
        if (c.distilled()) parts.add(p.get("dist_token").repeat(0, b));
        parts.add(x);
        x = NDArrays.concat(parts, 1).add(p.get("pos_embed"));
        long n = x.getShape().get(1);
        double scale = c.qkScale() != 0 ? c.qkScale() : Math.pow(hd, -0.5);
        for (int i = 0; i < c.depth(); i++) {
            String blk = "blocks." + i + ".";
            NDArray h = layerNorm(x, p, blk + "norm1", 1e-6);
            NDArray qkv = linear(h, p, blk + "attn.qkv").reshape(b, n, 3, heads, hd).transpose(2, 0, 3, 1, 4);
            NDArray q = qkv.get(0), k = qkv.get(1), v = qkv.get(2);
            NDArray a = q.matMul(k.transpose(0, 1, 3, 2)).mul(org.attn4j.testing.Torch.scalar(q, scale)).softmax(-1);
            if (attn != null) attn.add(a);
            NDArray o = a.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, d);
            x = x.add(linear(o, p, blk + "attn.proj"));
            NDArray m = JniUtils.gelu(pt(linear(layerNorm(x, p, blk + "norm2", 1e-6), p, blk + "mlp.fc1")));
            x = x.add(linear(m, p, blk + "mlp.fc2"));
        }
        return layerNorm(x, p, "norm", 1e-6);
    }

    /** The logits of both heads, {@code [2, B, classes]} for a distilled model, else {@code [B, classes]}. */
    static NDArray heads(VitConfig c, Map<String, NDArray> p, NDArray tokens) {
        NDArray cls = tokens.get(new NDIndex(":, 0, :"));
        if (c.distilled()) {
            NDArray dist = tokens.get(new NDIndex(":, 1, :"));
            return NDArrays.stack(new NDList(linear(cls, p, "head"), linear(dist, p, "head_dist")));
        }
        if (c.hasPreLogits()) cls = linear(cls, p, "pre_logits.fc").tanh();
        return c.numClasses() > 0 ? linear(cls, p, "head") : cls;
    }
}
