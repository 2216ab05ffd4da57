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
 * {@link SingleHeadSelfAttention} against libtorch running reference 000's {@code SelfAttention.forward}
 * literally (split into one head of size 1 with view/permute, project, scores / head_size ** 0.5, softmax,
 * matmul, view back, out) with the same weights; and the generalisation to input_size > 1.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 (four Linear layers and two GEMMs in float32). Measured worst absolute
 * difference 6.7e-6, on {@code out.bias}'s gradient for the reference's 706-token input: a [1] parameter whose
 * gradient sums 2·706 terms into a value of order 10, well inside the relative term; everything else stays
 * below 2e-6.
 */
class SingleHeadSelfAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** Reference 000 line by line, with num_heads = 1 and head_size = input_size. */
    static NDArray reference(Map<String, NDArray> s, NDArray inputs, int inputSize) {
        long b = inputs.getShape().get(0), t = inputs.getShape().get(1);
        NDArray x = inputs.reshape(b, t, 1, inputSize).transpose(0, 2, 1, 3);
        NDArray queries = TorchAttention.linear(s, "query", x).reshape(b, 1, t, inputSize);
        NDArray keys = TorchAttention.linear(s, "key", x).reshape(b, 1, t, inputSize);
        NDArray values = TorchAttention.linear(s, "value", x).reshape(b, 1, t, inputSize);
        NDArray scores = queries.matMul(keys.transpose(0, 1, 3, 2)).div(TorchAttention.scalar(inputs, Math.pow(inputSize, 0.5)));
        NDArray out = scores.softmax(-1).matMul(values).reshape(b, t, inputSize);
        return TorchAttention.linear(s, "out", out);
    }

    @Test
    void matchesReference000() {
        long seed = 1;
        for (int[] c : new int[][] {{1, 2, 706}, {1, 3, 9}, {4, 2, 7}}) {             // input_size, batch, seq_len
            Generator g = new Generator(seed);
            SingleHeadSelfAttention m = new SingleHeadSelfAttention(c[0], g);
            Tensor x = Tensor.randn(g, c[1], c[2], c[0]).requiresGrad(true);
            for (boolean train : new boolean[] {true, false}) {
                m.train(train);
                ModuleOracle.check("000 SelfAttention" + java.util.Arrays.toString(c), m, List.of(x),
                        t -> List.of(m.forward(t.get(0))), (s, t) -> List.of(reference(s, t.get(0), c[0])), ATOL, RTOL, seed++);
            }
        }
    }

    @Test
    void stateDictKeysAreTheReferences() {
        // SelfAttention().state_dict(): query, key, value, out, each nn.Linear(1, 1)
        SingleHeadSelfAttention m = new SingleHeadSelfAttention();
        assertEquals(List.of("query.weight", "query.bias", "key.weight", "key.bias", "value.weight", "value.bias", "out.weight",
                "out.bias"), List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(new int[] {1, 1}, m.stateDict().get("out.weight").shape());
        assertArrayEquals(new int[] {1}, m.stateDict().get("query.bias").shape());
    }

    @Test
    void badInputsNameTheModuleAndShapes() {
        SingleHeadSelfAttention m = new SingleHeadSelfAttention();
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(128, 706)));
        assertEquals("SingleHeadSelfAttention(input_size=1): inputs of shape [128, 706] must be [batch, seq_len, 1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 3)));
        assertEquals("SingleHeadSelfAttention(input_size=1): inputs of shape [2, 5, 3] must be [batch, seq_len, 1]", e.getMessage());
    }
}
