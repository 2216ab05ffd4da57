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

    /**
     * BatchNorm2d followed by ReLU runs fused (BatchNorm.forwardRelu): the same output, gradients, running
     * statistics and batch count as the layers one by one, bit for bit, and the same state dict keys.
     */
    @Test
    void batchNormThenReluRunsFusedWithTheSameResults() {
        Generator g = new Generator(2);
        Tensor x = Tensor.randn(g, 4, 3, 5, 5), up = Tensor.randn(g, 4, 3, 5, 5);
        BatchNorm2d fusedBn = new BatchNorm2d(3), plainBn = new BatchNorm2d(3);
        Sequential s = new Sequential(fusedBn, new ReLU());
        assertEquals(List.of("0.weight", "0.bias", "0.running_mean", "0.running_var", "0.num_batches_tracked"),
                List.copyOf(s.stateDict().keySet()));
        for (int step = 0; step < 2; step++) {
            Tensor xf = x.detach().requiresGrad(true), xp = x.detach().requiresGrad(true);
            Tensor yf = s.forward(xf), yp = new ReLU().forward(plainBn.forward(xp));
            yf.backward(up);
            yp.backward(up);
            Assertions2.assertClose("output", yp, yf, 0, 0);
            Assertions2.assertClose("grad x", xp.grad(), xf.grad(), 0, 0);
            Assertions2.assertClose("grad weight", plainBn.weight().grad(), fusedBn.weight().grad(), 0, 0);
            Assertions2.assertClose("running_mean", plainBn.runningMean(), fusedBn.runningMean(), 0, 0);
            Assertions2.assertClose("running_var", plainBn.runningVar(), fusedBn.runningVar(), 0, 0);
            assertEquals(step + 1, (int) fusedBn.numBatchesTracked().item());
        }
        s.eval();
        plainBn.eval();
        Assertions2.assertClose("eval output", new ReLU().forward(plainBn.forward(x)), s.forward(x), 0, 0);
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
