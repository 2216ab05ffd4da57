package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Linear against libtorch's {@code linear} (through DJL), forward and gradients of input, weight and bias.
 * Tolerance atol 2e-6, rtol 1e-6: one GEMM of inner size up to 64 in float32, summed in a different order
 * than libtorch's BLAS — a few ulps of values of order 1-10 (measured: at most 9.5e-7 on a weight gradient
 * of magnitude 9).
 */
class LinearTest {
    @Test
    void matchesTorchLinear() {
        Generator g = new Generator(1);
        for (int[] s : new int[][] {{7, 4, 3}, {2, 5, 64, 9}, {1, 1, 1}}) {
            int[] xShape = java.util.Arrays.copyOf(s, s.length - 1);
            int in = s[s.length - 2], out = s[s.length - 1];
            for (boolean bias : new boolean[] {true, false}) {
                Linear lin = new Linear(in, out, bias, g);
                Tensor x = Tensor.randn(g, xShape);
                List<Tensor> params = bias ? List.of(lin.weight(), lin.bias()) : List.of(lin.weight());
                ModuleCheck.check("Linear" + java.util.Arrays.toString(s) + " bias=" + bias, x, lin::forward, params,
                        t -> ai.djl.nn.core.Linear.linear(t.get(0), t.get(1), bias ? t.get(2) : null).singletonOrThrow(),
                        2e-6, 1e-6, 2);
            }
        }
    }

    @Test
    void parametersAndInitAreNnLinears() {
        Linear lin = new Linear(50, 30, true, new Generator(3));
        assertEquals(List.of("weight", "bias"), List.copyOf(lin.stateDict().keySet()));
        assertEquals(List.of(30, 50), List.of(lin.weight().size(0), lin.weight().size(1)));
        // kaiming_uniform_(a=√5) and the bias rule both give U(-1/√in, 1/√in).
        float bound = (float) (1 / Math.sqrt(50));
        for (Tensor p : lin.parameters()) {
            float max = 0;
            for (float v : p.toFloatArray()) max = Math.max(max, Math.abs(v));
            assertTrue(max <= bound && max > 0.9f * bound, "max |value| " + max + " vs bound " + bound);
        }
        Linear noBias = new Linear(3, 2, false);
        assertNull(noBias.bias());
        assertEquals(List.of("weight"), List.copyOf(noBias.stateDict().keySet()));
        assertEquals("Linear(in_features=3, out_features=2, bias=False)", noBias.toString());
    }

    @Test
    void wrongInputSizeNamesTheLayerAndShapes() {
        Linear lin = new Linear(4, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> lin.forward(Tensor.zeros(3, 5)));
        assertEquals("Linear(in_features=4, out_features=2, bias=True): input [3, 5] does not end in 4", e.getMessage());
    }
}
