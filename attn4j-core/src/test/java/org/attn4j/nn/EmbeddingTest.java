package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Embedding: lookup, gradient accumulation, the padding row (zero at init, no gradient), init and repr. */
class EmbeddingTest {
    @Test
    void looksUpRowsAndAccumulatesGradients() {
        Embedding emb = new Embedding(5, 3, 0, new Generator(1));
        Tensor idx = Tensor.ofInts(new int[] {1, 4, 1, 0, 2, 1}, 2, 3);
        Tensor y = emb.forward(idx);
        assertArrayEquals(new int[] {2, 3, 3}, y.shape());
        float[] w = emb.weight().toFloatArray(), out = y.toFloatArray();
        int[] rows = idx.toIntArray();
        for (int i = 0; i < rows.length; i++) {
            for (int c = 0; c < 3; c++) assertEquals(w[rows[i] * 3 + c], out[i * 3 + c]);
        }
        y.backward(Tensor.ones(y.shape()));
        // row 1 looked up three times, rows 2 and 4 once, row 3 never, row 0 is the padding row
        float[] expected = {0, 0, 0, 3, 3, 3, 1, 1, 1, 0, 0, 0, 1, 1, 1};
        assertArrayEquals(expected, emb.weight().grad().toFloatArray());
        for (int c = 0; c < 3; c++) assertEquals(0f, w[c], "padding row starts at zero");
    }

    @Test
    void initIsStandardNormal() {
        Embedding emb = new Embedding(1000, 100, null, new Generator(2));
        float[] w = emb.weight().toFloatArray();
        double s = 0, s2 = 0;
        for (float v : w) {
            s += v;
            s2 += v * (double) v;
        }
        int n = w.length;
        double mean = s / n, var = s2 / n - mean * mean;
        // N(0, 1): mean within 5 SE (1/√n), variance within 5 SE (√(2/n))
        assertEquals(0, mean, 5 / Math.sqrt(n));
        assertEquals(1, var, 5 * Math.sqrt(2.0 / n));
    }

    @Test
    void reprStateDictAndErrors() {
        Embedding emb = new Embedding(10, 3, -1, new Generator(3));
        assertEquals(9, emb.paddingIdx());
        assertEquals("Embedding(10, 3, padding_idx=9)", emb.toString());
        assertEquals("Embedding(10, 3)", new Embedding(10, 3).toString());
        assertEquals(List.of("weight"), List.copyOf(emb.stateDict().keySet()));
        var e = assertThrows(IllegalArgumentException.class, () -> emb.forward(Tensor.zeros(2)));
        assertEquals("Embedding(10, 3, padding_idx=9): indices must be int64, got float32 of shape [2]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Embedding(4, 2, 4, new Generator(4)));
    }
}
