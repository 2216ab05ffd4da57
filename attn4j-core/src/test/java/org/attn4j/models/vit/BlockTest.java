package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.Map;
import org.attn4j.nn.DropPath;
import org.attn4j.nn.Identity;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * Block (pre-norm attention and MLP residuals, LayerNorm eps 1e-6) and Mlp (fc1, exact GELU, fc2) against
 * their compositions in libtorch; drop_path's module choice and its train/eval behaviour. Tolerance atol 2e-5,
 * rtol 1e-4 (two residual sublayers of 32-wide dot products in float32).
 */
class BlockTest {
    private static NDArray lin(Map<String, NDArray> p, String n, NDArray x) {
        return JniUtils.linear((PtNDArray) x, (PtNDArray) p.get(n + ".weight"), (PtNDArray) p.get(n + ".bias"));
    }

    private static NDArray ln(Map<String, NDArray> p, String n, NDArray x) {
        return JniUtils.layerNorm((PtNDArray) x, new Shape(32), (PtNDArray) p.get(n + ".weight"), (PtNDArray) p.get(n + ".bias"), 1e-6);
    }

    @Test
    void blockMatchesThePreNormComposition() {
        Generator g = new Generator(1);
        Block b = new Block(32, 4, 3.0, true, 0, 0, 0, 0, g);
        VisionTransformerTestSupport.randomize(b, g);
        Tensor x = Tensor.randn(g, 2, 7, 32);
        ModuleOracle.check("Block", b, x, b::forward, (p, xt) -> {
            long bs = 2, n = 7, hd = 8;
            NDArray qkv = lin(p, "attn.qkv", ln(p, "norm1", xt)).reshape(bs, n, 3, 4, hd).transpose(2, 0, 3, 1, 4);
            NDArray a = qkv.get(0).matMul(qkv.get(1).transpose(0, 1, 3, 2)).mul(org.attn4j.testing.Torch.scalar(qkv.get(0), Math.pow(8, -0.5))).softmax(-1);
            NDArray h = xt.add(lin(p, "attn.proj", a.matMul(qkv.get(2)).transpose(0, 2, 1, 3).reshape(bs, n, 32)));
            return h.add(lin(p, "mlp.fc2", JniUtils.gelu((PtNDArray) lin(p, "mlp.fc1", ln(p, "norm2", h)))));
        }, 2e-5, 1e-4, 2);
        assertEquals(96, b.mlp().fc1().outFeatures()); // int(32 * 3.0)
    }

    @Test
    void mlpMatchesFc1GeluFc2() {
        Generator g = new Generator(2);
        Mlp m = new Mlp(32, 50, 20, 0, g);
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), List.copyOf(m.stateDict().keySet()));
        ModuleOracle.check("Mlp", m, Tensor.randn(g, 3, 5, 32), m::forward,
                (p, xt) -> lin(p, "fc2", JniUtils.gelu((PtNDArray) lin(p, "fc1", xt))), 2e-5, 1e-4, 3);
    }

    @Test
    void dropPathIsIdentityAtRateZeroAndPerSampleOtherwise() {
        assertTrue(new Block(8, 2, 4, true, 0, 0, 0, 0, new Generator(1)).dropPath() instanceof Identity);
        Block b = new Block(8, 2, 4, true, 0, 0, 0, 0.5, new Generator(1));
        assertTrue(b.dropPath() instanceof DropPath);
        assertEquals(0.5, ((DropPath) b.dropPath()).dropProb());
        // In eval mode the block is deterministic; in training, some samples skip the residual branches entirely.
        Tensor x = Tensor.randn(new Generator(2), 64, 3, 8);
        b.eval();
        Assertions2.assertClose("eval is deterministic", b.forward(x), b.forward(x), 0, 0);
        b.train();
        Tensor y = b.forward(x);
        int unchanged = 0;
        for (int i = 0; i < 64; i++) {
            Tensor d = y.select(0, i).sub(x.select(0, i)).abs().max();
            if (d.item() == 0f) unchanged++;
        }
        assertTrue(unchanged > 5 && unchanged < 40, "samples with both branches dropped: " + unchanged + " of 64 (expect ~16)");
    }
}
