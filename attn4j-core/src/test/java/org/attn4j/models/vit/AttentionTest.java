package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The ViT Attention against the reference's forward composed in libtorch (fused qkv linear, reshape/permute,
 * {@code softmax(q kᵀ · scale)}, {@code attn @ v}, transpose/reshape, proj), with and without qkv bias and with
 * an explicit qk_scale; the returned weights too. Tolerance atol 1e-5, rtol 1e-4: dot products of 48 values and
 * a softmax over 10 keys in float32.
 */
class AttentionTest {
    private static NDArray reference(Map<String, NDArray> p, NDArray x, int heads, double scale, boolean weights) {
        long b = x.getShape().get(0), n = x.getShape().get(1), c = x.getShape().get(2);
        NDArray qkv = JniUtils.linear((PtNDArray) x, (PtNDArray) p.get("qkv.weight"), (PtNDArray) p.get("qkv.bias"))
                .reshape(b, n, 3, heads, c / heads).transpose(2, 0, 3, 1, 4);
        NDArray attn = qkv.get(0).matMul(qkv.get(1).transpose(0, 1, 3, 2)).mul(org.attn4j.testing.Torch.scalar(qkv.get(0), scale)).softmax(-1);
        if (weights) return attn;
        NDArray o = attn.matMul(qkv.get(2)).transpose(0, 2, 1, 3).reshape(b, n, c);
        return JniUtils.linear((PtNDArray) o, (PtNDArray) p.get("proj.weight"), (PtNDArray) p.get("proj.bias"));
    }

    @Test
    void matchesTheReferenceComposition() {
        Object[][] cases = {{true, 0.0}, {false, 0.0}, {true, 0.7}};
        for (Object[] c : cases) {
            boolean bias = (Boolean) c[0];
            double qkScale = (Double) c[1];
            Generator g = new Generator(bias ? 1 : 2);
            Attention a = new Attention(48, 4, bias, qkScale, 0, 0, g);
            double scale = qkScale != 0 ? qkScale : Math.pow(12, -0.5);
            assertEquals(scale, a.scale(), 0);
            Tensor x = Tensor.randn(g, 2, 10, 48);
            String what = "Attention bias=" + bias + " qk_scale=" + qkScale;
            ModuleOracle.check(what, a, x, a::forward, (p, xt) -> reference(p, xt, 4, scale, false), 1e-5, 1e-4, 3);
            ModuleOracle.check(what + " weights", a, x, t -> a.forward(t, true).weights(),
                    (p, xt) -> reference(p, xt, 4, scale, true), 1e-5, 1e-4, 4);
        }
    }

    @Test
    void namesAndChecks() {
        Attention a = new Attention(48, 4, false, 0, 0, 0, new Generator(1));
        assertEquals(List.of("qkv.weight", "proj.weight", "proj.bias"), List.copyOf(a.stateDict().keySet()));
        assertNull(a.forward(Tensor.zeros(1, 3, 48), false).weights());
        var e = assertThrows(IllegalArgumentException.class, () -> new Attention(50, 4, true, 0, 0, 0, new Generator(1)));
        assertEquals("Attention: dim 50 is not divisible by num_heads 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.forward(Tensor.zeros(1, 3, 40)));
        assertEquals("Attention: input must be [B, N, 48], got [1, 3, 40]", e.getMessage());
    }

    /** attn_drop in training: each weight is 0 or scaled by 1/(1-p), so the kept rows no longer sum to 1. */
    @Test
    void attentionDropoutActsOnTheWeightsInTrainingOnly() {
        Attention a = new Attention(8, 2, true, 0, 0.5, 0, new Generator(5));
        Tensor x = Tensor.randn(new Generator(6), 1, 16, 8);
        Tensor w = a.forward(x, true).weights();
        int zeros = 0;
        for (float v : w.toFloatArray()) if (v == 0f) zeros++;
        float frac = zeros / (float) w.numel();
        assertEquals(0.5, frac, 0.1);
        a.eval();
        Tensor sums = a.forward(x, true).weights().sum(-1, false);
        for (float s : sums.toFloatArray()) assertEquals(1f, s, 1e-5f);
    }
}
