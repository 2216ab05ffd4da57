package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.ModuleOracle;
import org.junit.jupiter.api.Test;

/**
 * DANet's PAM against the official PAM_Module composed in libtorch. Tolerance 2e-5 / 1e-4: 1×1 convolutions
 * over C channels and an N×N softmax-weighted sum, float32 in different orders.
 */
class PositionAttentionModuleTest {
    private static NDArray conv1x1(NDArray x, NDArray w, NDArray b) {
        return Conv2d.conv2d(x, w, b, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1).singletonOrThrow();
    }

    @Test
    void matchesReference() {
        Generator g = new Generator(31);
        int[][] shapes = {{2, 16, 4, 5}, {1, 32, 3, 3}, {2, 8, 6, 2}};
        for (int[] s : shapes) {
            PositionAttentionModule pam = new PositionAttentionModule(s[1], g);
            try (var ignored = GradMode.noGrad()) {
                pam.parameter("gamma").fill_(0.5f);
            }
            Tensor x = Tensor.randn(g, s);
            ModuleOracle.check("PAM " + java.util.Arrays.toString(s), pam, x, pam::forward, (in, p) -> {
                long b = in.getShape().get(0), c = in.getShape().get(1), n = in.getShape().get(2) * in.getShape().get(3);
                NDArray q = conv1x1(in, p.get("query_conv.weight"), p.get("query_conv.bias")).reshape(b, -1, n).transpose(0, 2, 1);
                NDArray k = conv1x1(in, p.get("key_conv.weight"), p.get("key_conv.bias")).reshape(b, -1, n);
                NDArray attention = q.matMul(k).softmax(-1);
                NDArray v = conv1x1(in, p.get("value_conv.weight"), p.get("value_conv.bias")).reshape(b, -1, n);
                NDArray out = v.matMul(attention.transpose(0, 2, 1)).reshape(in.getShape());
                return p.get("gamma").mul(out).add(in);
            }, 2e-5, 1e-4, s[1]);
        }
    }

    @Test
    void keysAndErrors() {
        PositionAttentionModule pam = new PositionAttentionModule(16, new Generator(0));
        assertEquals(List.of("gamma", "query_conv.weight", "query_conv.bias", "key_conv.weight", "key_conv.bias",
                "value_conv.weight", "value_conv.bias"), List.copyOf(pam.stateDict().keySet()));
        var e = assertThrows(IllegalArgumentException.class, () -> new PositionAttentionModule(4, new Generator(0)));
        assertEquals("PositionAttentionModule: in_dim 4 // 8 leaves no query channels", e.getMessage());
    }
}
