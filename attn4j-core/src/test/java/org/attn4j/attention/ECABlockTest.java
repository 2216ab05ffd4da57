package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.ModuleOracle;
import org.junit.jupiter.api.Test;

/**
 * ECABlock against the reference's eca_block composed in libtorch. Tolerance 1e-5 / 1e-4: a pooled mean and a
 * k-tap conv1d (k <= 7) in float32.
 */
class ECABlockTest {
    @Test
    void kernelSizeFollowsTheReferenceFormula() {
        // int(abs((log2(C) + 1) / 2)), bumped to odd: C=16 -> 2 -> 3, C=64 -> 3, C=256 -> 4 -> 5, C=1024 -> 5.
        assertEquals(3, ECABlock.kernelSize(16, 1, 2));
        assertEquals(3, ECABlock.kernelSize(64, 1, 2));
        assertEquals(5, ECABlock.kernelSize(256, 1, 2));
        assertEquals(5, ECABlock.kernelSize(1024, 1, 2));
        assertEquals(7, ECABlock.kernelSize(4096, 1, 2));
        assertEquals(1, ECABlock.kernelSize(2, 1, 2));
    }

    @Test
    void matchesReference() {
        Generator g = new Generator(14);
        int[][] configs = {{2, 64, 5, 5}, {3, 256, 2, 3}, {1, 16, 7, 1}, {2, 4096, 1, 2}};
        for (int[] c : configs) {
            ECABlock eca = new ECABlock(c[1], 1, 2, g);
            int k = eca.kernelSize();
            Tensor x = Tensor.randn(g, c[0], c[1], c[2], c[3]);
            ModuleOracle.check("ECA " + java.util.Arrays.toString(c), eca, x, eca::forward,
                    (in, p) -> ConvAttentionReference.eca(in, p.get("conv.weight"), k), 1e-5, 1e-4, c[1]);
        }
    }

    @Test
    void stateDictAndErrors() {
        ECABlock eca = new ECABlock(256, 1, 2, new Generator(0));
        assertEquals(List.of("conv.weight"), List.copyOf(eca.stateDict().keySet()));
        assertEquals("[1, 1, 5]", org.attn4j.tensor.Shape.str(eca.stateDict().get("conv.weight").shape()));
        var e = assertThrows(IllegalArgumentException.class, () -> eca.forward(Tensor.zeros(1, 128, 2, 2)));
        assertEquals("ECABlock: input [1, 128, 2, 2] has 128 channels but the block was built for 256", e.getMessage());
    }
}
