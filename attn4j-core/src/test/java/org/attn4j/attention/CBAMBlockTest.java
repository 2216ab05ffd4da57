package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.ModuleOracle;
import org.junit.jupiter.api.Test;

/**
 * CBAMBlock, ChannelAttention and SpatialAttention against the reference's cbam_block composed in libtorch.
 * Tolerance 2e-5 absolute / 1e-4 relative: 1×1 and k×k convolutions over at most 2·49 taps plus pooled
 * statistics, in float32 with different summation orders (observed differences ~1e-6).
 */
class CBAMBlockTest {
    @Test
    void cbamMatchesReference() {
        Generator g = new Generator(12);
        int[][] configs = {{2, 32, 6, 5, 8, 7}, {1, 64, 7, 7, 8, 3}, {3, 16, 9, 4, 4, 7}, {2, 8, 3, 3, 8, 3}};
        for (int[] c : configs) {
            CBAMBlock cbam = new CBAMBlock(c[1], c[4], c[5], g);
            Tensor x = Tensor.randn(g, c[0], c[1], c[2], c[3]);
            int k = c[5];
            ModuleOracle.check("CBAM " + java.util.Arrays.toString(c), cbam, x, cbam::forward,
                    (in, p) -> ConvAttentionReference.cbam(in, p.get("channelattention.fc1.weight"),
                            p.get("channelattention.fc2.weight"), p.get("spatialattention.conv1.weight"), k), 2e-5, 1e-4, c[1] + k);
        }
    }

    @Test
    void halvesMatchReferenceOnTheirOwn() {
        Generator g = new Generator(13);
        ChannelAttention ca = new ChannelAttention(24, 8, g);
        Tensor x = Tensor.randn(g, 2, 24, 5, 6);
        ModuleOracle.check("ChannelAttention", ca, x, ca::forward,
                (in, p) -> ConvAttentionReference.channelAttention(in, p.get("fc1.weight"), p.get("fc2.weight")), 1e-5, 1e-4, 1);
        SpatialAttention sa = new SpatialAttention(3, g);
        ModuleOracle.check("SpatialAttention", sa, x, sa::forward,
                (in, p) -> ConvAttentionReference.spatialAttention(in, p.get("conv1.weight"), 3), 1e-5, 1e-4, 2);
    }

    @Test
    void stateDictKeysAreTheReferences() {
        CBAMBlock cbam = new CBAMBlock(32, 8, 7, new Generator(0));
        assertEquals(List.of("channelattention.fc1.weight", "channelattention.fc2.weight", "spatialattention.conv1.weight"),
                List.copyOf(cbam.stateDict().keySet()));
        assertEquals("[1, 2, 7, 7]", org.attn4j.tensor.Shape.str(cbam.stateDict().get("spatialattention.conv1.weight").shape()));
    }

    @Test
    void badArgumentsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SpatialAttention(5, new Generator(0)));
        assertEquals("SpatialAttention: kernel size must be 3 or 7, got 5", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new CBAMBlock(4, 8, 7, new Generator(0)));
        assertEquals("ChannelAttention: in_planes 4 // ratio 8 must leave at least one hidden channel", e2.getMessage());
        CBAMBlock cbam = new CBAMBlock(16, 8, 7, new Generator(0));
        var e3 = assertThrows(IllegalArgumentException.class, () -> cbam.forward(Tensor.zeros(1, 8, 4, 4)));
        assertEquals("ChannelAttention: input [1, 8, 4, 4] has 8 channels but the block was built for 16", e3.getMessage());
    }
}
