package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

class SequentialTest {
    @Test
    void appliesLayersInOrder() {
        Generator g = new Generator(1);
        Linear a = new Linear(4, 3, true, g), b = new Linear(3, 2, true, g);
        Sequential s = new Sequential(a, new ReLU()).append(b);
        Tensor x = Tensor.randn(g, 5, 4);
        // exact: the same ops in the same order
        Assertions2.assertClose("sequential", b.forward(a.forward(x).relu()), s.forward(x), 0, 0);
        assertEquals(3, s.size());
        assertSame(b, s.get(2));
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(3));
    }

    @Test
    void namedLayersKeepTheirNames() {
        // nn.Sequential(OrderedDict([("fc1", nn.Linear(2, 3)), ("act", nn.GELU()), ("fc2", nn.Linear(3, 1))]))
        LinkedHashMap<String, UnaryModule> layers = new LinkedHashMap<>();
        layers.put("fc1", new Linear(2, 3));
        layers.put("act", new GELU());
        layers.put("fc2", new Linear(3, 1));
        Sequential s = new Sequential(layers);
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), List.copyOf(s.stateDict().keySet()));
        assertEquals("""
                Sequential(
                  (fc1): Linear(in_features=2, out_features=3, bias=True)
                  (act): GELU(approximate='none')
                  (fc2): Linear(in_features=3, out_features=1, bias=True)
                )""", s.toString());
    }

    @Test
    void aNonUnaryChildIsRefusedByName() {
        Sequential s = new Sequential(new ReLU());
        s.registerModule("1", new LSTM(2, 2));
        var e = assertThrows(IllegalStateException.class, () -> s.forward(Tensor.zeros(1, 2)));
        assertEquals("Sequential: child (1) LSTM(2, 2) is not a UnaryModule and cannot be chained", e.getMessage());
    }
}
