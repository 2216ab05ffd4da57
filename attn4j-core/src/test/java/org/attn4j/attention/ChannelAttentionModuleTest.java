package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.ModuleOracle;
import org.junit.jupiter.api.Test;

/**
 * DANet's CAM against the reference CAM_Module composed in libtorch (bmm, max, softmax). Tolerance 1e-4
 * absolute / 1e-4 relative: the energy sums N = H·W·D products of order 1 (values up to ~100) before the
 * softmax, so its float32 rounding (~N·eps·|energy|) dominates; outputs are compared after that.
 */
class ChannelAttentionModuleTest {
    private static NDArray reference(NDArray x, NDArray gamma) {
        long b = x.getShape().get(0), c = x.getShape().get(1);
        NDArray q = x.reshape(b, c, -1);
        NDArray energy = q.matMul(q.transpose(0, 2, 1));
        NDArray energyNew = energy.max(new int[] {-1}, true).broadcast(energy.getShape()).sub(energy);
        NDArray attention = energyNew.softmax(-1);
        NDArray out = attention.matMul(q).reshape(x.getShape());
        return gamma.mul(out).add(x);
    }

    private static void setGamma(ChannelAttentionModule m, float v) {
        try (var ignored = GradMode.noGrad()) {
            m.parameter("gamma").fill_(v);
        }
    }

    @Test
    void matchesReferenceOn4dAnd5dInput() {
        Generator g = new Generator(21);
        int[][] shapes = {{2, 8, 4, 5}, {1, 16, 3, 3, 2}, {3, 4, 7, 1}, {2, 6, 2, 3, 4}};
        for (int[] s : shapes) {
            ChannelAttentionModule cam = new ChannelAttentionModule(s[1]);
            setGamma(cam, 0.7f);
            Tensor x = Tensor.randn(g, s).mul(0.5f);
            ModuleOracle.check("CAM " + java.util.Arrays.toString(s), cam, x, cam::forward,
                    (in, p) -> reference(in, p.get("gamma")), 1e-4, 1e-4, s[1]);
        }
    }

    @Test
    void startsAsTheIdentity() {
        ChannelAttentionModule cam = new ChannelAttentionModule(8);
        Tensor x = Tensor.randn(new Generator(2), 2, 8, 3, 3);
        Assertions2.assertClose("gamma = 0", x, cam.forward(x), 0, 0);
        assertEquals(List.of("gamma"), List.copyOf(cam.stateDict().keySet()));
    }

    @Test
    void channelsLastComputesTheSameAttention() {
        Generator g = new Generator(22);
        Tensor x = Tensor.randn(g, 2, 8, 4, 5);
        ChannelAttentionModule first = new ChannelAttentionModule(8);
        ChannelAttentionModule last = new ChannelAttentionModule(8, ChannelAttentionModule.Layout.CHANNELS_LAST);
        setGamma(first, 0.3f);
        setGamma(last, 0.3f);
        Tensor a = first.forward(x);
        Tensor b = last.forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
        Assertions2.assertClose("channels-last vs channels-first", a, b, 1e-5, 1e-5);
    }

    @Test
    void kerasPortLiteralFormsAPositionAffinity() {
        // The port reshapes to [B, HW, C] and multiplies by its transpose: energy [B, HW, HW].
        Generator g = new Generator(23);
        Tensor x = Tensor.randn(g, 1, 3, 2, 4);   // [B, H, W, C]
        ChannelAttentionModule literal = new ChannelAttentionModule(4, ChannelAttentionModule.Layout.KERAS_PORT_LITERAL);
        setGamma(literal, 1f);
        Tensor q = x.reshape(1, 6, 4);
        Tensor energy = q.matmul(q.mT());
        Tensor att = energy.amax(-1, true).sub(energy).softmax(-1);
        Tensor expected = att.matmul(q).reshape(1, 3, 2, 4).add(x);
        Assertions2.assertClose("keras port", expected, literal.forward(x), 1e-6, 1e-6);
    }

    @Test
    void wrongChannelsAreNamed() {
        ChannelAttentionModule cam = new ChannelAttentionModule(8);
        var e = assertThrows(IllegalArgumentException.class, () -> cam.forward(Tensor.zeros(2, 4, 3, 3)));
        assertEquals("ChannelAttentionModule: expected input [B, C=8, *spatial], got [2, 4, 3, 3]", e.getMessage());
    }
}
