package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link AdditiveAttention} against libtorch running reference 001's {@code Attn.forward} with the same weights:
 * both returned tensors (output and attention weights), the gradients of q, k, v and of every parameter.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 (two Linear layers, a softmax and a bmm in float32); measured worst
 * absolute difference 4.8e-7 (ATTN4J_REPORT_DIFFS=1).
 */
class AdditiveAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** Reference 001's forward, line by line. */
    static List<NDArray> reference(Map<String, NDArray> s, NDArray q, NDArray k, NDArray v) {
        NDArray q0 = q.get(0), k0 = k.get(0);
        NDArray attnWeights = TorchAttention.linear(s, "attn", q0.concat(k0, 1)).softmax(1);
        NDArray attnApplied = attnWeights.expandDims(0).batchMatMul(v);
        NDArray output = q0.concat(attnApplied.get(0), 1);
        output = TorchAttention.linear(s, "attn_combine", output).expandDims(0);
        return List.of(output, attnWeights);
    }

    @Test
    void matchesReference001() {
        // {query_size, key_size, value_size1, value_size2, output_size, Tq, Tk, B}: the reference's example first.
        int[][] configs = {{32, 32, 32, 64, 64, 1, 1, 1}, {5, 3, 7, 4, 6, 2, 3, 3}, {8, 8, 10, 2, 1, 1, 1, 4}};
        long seed = 1;
        for (int[] c : configs) {
            Generator g = new Generator(seed);
            AdditiveAttention m = new AdditiveAttention(c[0], c[1], c[2], c[3], c[4], g);
            Tensor q = Tensor.randn(g, c[5], c[7], c[0]).requiresGrad(true);
            Tensor k = Tensor.randn(g, c[6], c[7], c[1]).requiresGrad(true);
            Tensor v = Tensor.randn(g, 1, c[2], c[3]).requiresGrad(true);
            for (boolean train : new boolean[] {true, false}) {
                m.train(train);
                ModuleOracle.check("Attn" + java.util.Arrays.toString(c), m, List.of(q, k, v), t -> {
                    var r = m.forward(t.get(0), t.get(1), t.get(2));
                    assertArrayEquals(new int[] {1, c[7], c[4]}, r.output().shape());
                    assertArrayEquals(new int[] {c[7], c[2]}, r.weights().shape());
                    return List.of(r.output(), r.weights());
                }, (s, t) -> reference(s, t.get(0), t.get(1), t.get(2)), ATOL, RTOL, seed++);
            }
        }
    }

    @Test
    void stateDictKeysAreTheReferences() {
        // Attn(32, 32, 32, 64, 64).state_dict()
        AdditiveAttention m = new AdditiveAttention(32, 32, 32, 64, 64);
        assertEquals(List.of("attn.weight", "attn.bias", "attn_combine.weight", "attn_combine.bias"), List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(new int[] {32, 64}, m.stateDict().get("attn.weight").shape());
        assertArrayEquals(new int[] {64, 96}, m.stateDict().get("attn_combine.weight").shape());
    }

    @Test
    void badInputsNameTheModuleArgumentAndShapes() {
        AdditiveAttention m = new AdditiveAttention(4, 3, 5, 2, 6);
        String me = "AdditiveAttention(query_size=4, key_size=3, value_size1=5, value_size2=2, output_size=6): ";
        Tensor q = Tensor.zeros(1, 2, 4), k = Tensor.zeros(1, 2, 3), v = Tensor.zeros(1, 5, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 4), k, v));
        assertEquals(me + "q of shape [2, 4] must be [steps, batch, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, Tensor.zeros(1, 2, 4), v));
        assertEquals(me + "k of shape [1, 2, 4] must be [steps, batch, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, Tensor.zeros(1, 3, 3), v));
        assertEquals(me + "q of shape [1, 2, 4] and k of shape [1, 3, 3] must have the same batch (dim 1) to be concatenated",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, k, Tensor.zeros(2, 5, 2)));
        assertEquals(me + "v of shape [2, 5, 2] must be [1, 5, 2] (torch.bmm with attn_weights.unsqueeze(0), whose batch is 1)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(q, k, Tensor.zeros(1, 5, 3)));
        assertEquals(me + "v of shape [1, 5, 3] must be [1, 5, 2]", e.getMessage());
    }
}
