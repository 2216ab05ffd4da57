package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class FlattenTest {
    @Test
    void mergesTheGivenDims() {
        Tensor x = Tensor.arange(0, 120, 1).reshape(2, 3, 4, 5);
        assertArrayEquals(new int[] {2, 60}, new Flatten().forward(x).shape());
        assertArrayEquals(new int[] {2, 12, 5}, new Flatten(1, 2).forward(x).shape());
        assertArrayEquals(x.toFloatArray(), new Flatten(0, -1).forward(x).toFloatArray());
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
    }
}
