package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.ModuleOracle;
import org.junit.jupiter.api.Test;

/**
 * SEBlock against the reference's se_block composed in libtorch. Tolerance 1e-5 absolute / 1e-4 relative:
 * a pooled mean over H·W, two small matrix products and a sigmoid in float32 — the two sides differ only in
 * summation order (errors ~1e-6 at these sizes); gradients pass through the same reductions.
 */
class SEBlockTest {
    @Test
    void matchesReferenceForwardAndBackward() {
        Generator g = new Generator(11);
        int[][] configs = {{2, 32, 5, 7, 16}, {3, 64, 4, 4, 16}, {1, 16, 9, 3, 4}, {2, 48, 1, 1, 8}};
        for (int[] c : configs) {
            SEBlock se = new SEBlock(c[1], c[4], g);
            Tensor x = Tensor.randn(g, c[0], c[1], c[2], c[3]);
            ModuleOracle.check("SEBlock " + java.util.Arrays.toString(c), se, x, se::forward,
                    (in, p) -> ConvAttentionReference.se(in, p.get("fc.0.weight"), p.get("fc.2.weight")), 1e-5, 1e-4, c[1]);
        }
    }

    @Test
    void stateDictKeysAreTheReferences() {
        SEBlock se = new SEBlock(32, 16, new Generator(0));
        assertEquals(List.of("fc.0.weight", "fc.2.weight"), List.copyOf(se.stateDict().keySet()));
        assertEquals(List.of(2, 32), java.util.Arrays.stream(se.stateDict().get("fc.0.weight").shape()).boxed().toList());
    }

    @Test
    void badInputIsNamed() {
        SEBlock se = new SEBlock(32, 16, new Generator(0));
        var e = assertThrows(IllegalArgumentException.class, () -> se.forward(Tensor.zeros(2, 16, 4, 4)));
        assertEquals("SEBlock: input [2, 16, 4, 4] has 16 channels but the block was built for 32", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> se.forward(Tensor.zeros(2, 32, 4)));
        assertEquals("SEBlock: expected input [B, C, H, W], got [2, 32, 4]", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> new SEBlock(8, 16, new Generator(0)));
        assertEquals("SEBlock: channel 8 // ratio 16 must leave at least one hidden unit", e3.getMessage());
    }
}
