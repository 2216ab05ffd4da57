package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;
import org.attn4j.ops.Joining;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.junit.jupiter.api.Test;

/**
 * LSTM against libtorch's own {@code torch::lstm} (through DJL's {@code NDArrayEx.lstm}, which takes the flat
 * weights in PyTorch's order): output, h_n, c_n and the gradients of the input and of every parameter.
 *
 * <p>Tolerance atol 5e-6, rtol 1e-5: our gates are composed from separate float32 ops (two GEMMs, adds,
 * sigmoid/tanh) where libtorch fuses them; each step differs by a few ulps and the recurrence carries the
 * differences through up to 7 steps and 2 layers, gradients back through all of them. Measured: at most
 * 1.4e-6 absolute over every output and gradient (values up to about 5), so the bound has a 3x margin.
 */
class LSTMTest {
    private static final double ATOL = 5e-6, RTOL = 1e-5;

    @Test
    void stateDictKeysShapesAndReprArePyTorchs() {
        LSTM lstm = new LSTM(3, 4, 2, true, true, 0, true, new Generator(1));
        // nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True).state_dict()
        List<String> expected = List.of(
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse");
        assertEquals(expected, List.copyOf(lstm.stateDict().keySet()));
        assertEquals(List.of(16, 3), shape(lstm.parameter("weight_ih_l0")));
        assertEquals(List.of(16, 4), shape(lstm.parameter("weight_hh_l0_reverse")));
        assertEquals(List.of(16, 8), shape(lstm.parameter("weight_ih_l1")));   // reads both directions of layer 0
        assertEquals(List.of(16), shape(lstm.parameter("bias_hh_l1_reverse")));
        assertEquals("LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)", lstm.toString());
        assertEquals("LSTM(3, 4)", new LSTM(3, 4).toString());
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0"),
                List.copyOf(new LSTM(3, 4, 1, false, false, 0, false, new Generator(1)).stateDict().keySet()));
        // U(-1/√H, 1/√H) for every parameter
        float bound = 0.5f;
        for (Tensor p : lstm.parameters()) {
            for (float v : p.toFloatArray()) assertTrue(Math.abs(v) <= bound, "value " + v + " beyond 1/√4");
        }
    }

    private static List<Integer> shape(Tensor t) {
        List<Integer> s = new ArrayList<>();
        for (int d : t.shape()) s.add(d);
        return s;
    }

    /** Output, h_n and c_n flattened into one tensor, so one comparison covers all three. */
    private static Tensor flat(LSTM.Result r) {
        return Joining.cat(List.of(r.output().flatten(), r.hN().flatten(), r.cN().flatten()), 0);
    }

    private static NDArray flatTorch(NDList r) {
        return NDArrays.concat(new NDList(r.get(0).flatten(), r.get(1).flatten(), r.get(2).flatten()), 0);
    }

    private static NDArray torchLstm(LSTM m, NDArray x, NDArray h0, NDArray c0, List<NDArray> params) {
        boolean hasBias = params.size() == 4 * m.numLayers() * (m.isBidirectional() ? 2 : 1);
        return flatTorch(x.getNDArrayInternal().lstm(x, new NDList(h0, c0), new NDList(params), hasBias, m.numLayers(),
                0.0, false, m.isBidirectional(), m.isBatchFirst()));
    }

    @Test
    void matchesTorchLstm() {
        Generator g = new Generator(2);
        // {layers, bidirectional, batchFirst, bias}
        int[][] configs = {{1, 0, 0, 1}, {2, 1, 1, 1}, {2, 0, 1, 0}, {1, 1, 0, 1}};
        int steps = 7, batch = 3, in = 5, hidden = 6;
        for (int[] c : configs) {
            LSTM m = new LSTM(in, hidden, c[0], c[3] == 1, c[2] == 1, 0, c[1] == 1, g);
            Tensor x = Tensor.randn(g, c[2] == 1 ? new int[] {batch, steps, in} : new int[] {steps, batch, in});
            int states = c[0] * (c[1] + 1);
            List<Tensor> params = m.parameters();
            ModuleCheck.check("LSTM" + java.util.Arrays.toString(c), x, t -> flat(m.forward(t)), params, t -> {
                NDArray zeros = t.get(0).getManager().zeros(new ai.djl.ndarray.types.Shape(states, batch, hidden));
                return torchLstm(m, t.get(0), zeros, zeros, t.subList(1, t.size()));
            }, ATOL, RTOL, 3);
        }
    }

    @Test
    void initialStateIsUsedAndGetsGradients() {
        Generator g = new Generator(4);
        LSTM m = new LSTM(3, 4, 2, true, false, 0, true, g);
        Tensor x = Tensor.randn(g, 5, 2, 3);
        Tensor h0 = Tensor.randn(g, 4, 2, 4).requiresGrad(true), c0 = Tensor.randn(g, 4, 2, 4).requiresGrad(true);
        // h0 and c0 ride along as "parameters" so their gradients are compared too.
        List<Tensor> params = new ArrayList<>(m.parameters());
        params.add(h0);
        params.add(c0);
        ModuleCheck.check("LSTM with h0, c0", x, t -> flat(m.forward(t, h0, c0)), params, t -> {
            int n = t.size();
            return torchLstm(m, t.get(0), t.get(n - 2), t.get(n - 1), t.subList(1, n - 2));
        }, ATOL, RTOL, 5);
    }

    @Test
    void variableLengthsMatchTorchRunOnEachSequenceAlone() {
        Generator g = new Generator(6);
        int steps = 6, batch = 4, in = 3, hidden = 5;
        int[] lengths = {6, 2, 0, 4};
        LSTM m = new LSTM(in, hidden, 2, true, true, 0, true, g);
        Tensor x = Tensor.randn(g, batch, steps, in);
        // libtorch side: each sequence cut at its length and run alone (what pack_padded_sequence computes),
        // outputs padded with zeros to the full length, states of a length-0 sequence left at zero.
        ModuleCheck.check("LSTM lengths vs one by one", x, t -> flat(m.forward(t, lengths)), m.parameters(), t -> {
            NDArray xs = t.get(0);
            List<NDArray> params = t.subList(1, t.size());
            var mgr = xs.getManager();
            NDList outs = new NDList(), hs = new NDList(), cs = new NDList();
            for (int b = 0; b < batch; b++) {
                if (lengths[b] == 0) {
                    outs.add(mgr.zeros(new ai.djl.ndarray.types.Shape(1, steps, 2 * hidden)));
                    hs.add(mgr.zeros(new ai.djl.ndarray.types.Shape(4, 1, hidden)));
                    cs.add(mgr.zeros(new ai.djl.ndarray.types.Shape(4, 1, hidden)));
                    continue;
                }
                NDArray seq = xs.get(b + ", :" + lengths[b]).expandDims(0);
                NDArray zeros = mgr.zeros(new ai.djl.ndarray.types.Shape(4, 1, hidden));
                NDList r = seq.getNDArrayInternal().lstm(seq, new NDList(zeros, zeros), new NDList(params), true, 2, 0.0,
                        false, true, true);
                NDArray out = r.get(0);
                if (lengths[b] < steps) {
                    out = out.concat(mgr.zeros(new ai.djl.ndarray.types.Shape(1, steps - lengths[b], 2 * hidden)), 1);
                }
                outs.add(out);
                hs.add(r.get(1));
                cs.add(r.get(2));
            }
            return flatTorch(new NDList(NDArrays.concat(outs, 0), NDArrays.concat(hs, 1), NDArrays.concat(cs, 1)));
        }, ATOL, RTOL, 7);

        // And ours batched == ours one sequence at a time (same ops on fewer rows: agreement to a few ulps).
        LSTM.Result all = m.forward(x, lengths);
        for (int b = 0; b < batch; b++) {
            if (lengths[b] == 0) continue;
            LSTM.Result one = m.forward(x.narrow(0, b, 1).narrow(1, 0, lengths[b]));
            Assertions2.assertClose("sequence " + b + " output", one.output(),
                    all.output().narrow(0, b, 1).narrow(1, 0, lengths[b]), 1e-6, 1e-5);
            Assertions2.assertClose("sequence " + b + " h_n", one.hN(), all.hN().narrow(1, b, 1), 1e-6, 1e-5);
            Assertions2.assertClose("sequence " + b + " c_n", one.cN(), all.cN().narrow(1, b, 1), 1e-6, 1e-5);
            for (float v : all.output().narrow(0, b, 1).narrow(1, lengths[b], steps - lengths[b]).toFloatArray()) {
                assertEquals(0f, v, "padded steps output zeros");
            }
        }
    }

    @Test
    void maskedStepInTheMiddleIsSkippedLikeKerasMasking() {
        // Keras Masking + Bidirectional(LSTM(return_sequences=True)): a masked step keeps the state and outputs 0.
        // So a sequence with a hole equals, at its real steps, the sequence with that step removed.
        Generator g = new Generator(8);
        LSTM m = new LSTM(3, 4, 1, true, true, 0, true, g);
        Tensor x = Tensor.randn(g, 1, 5, 3);
        Tensor mask = Tensor.ofBooleans(new boolean[] {true, true, false, true, true}, 1, 5);
        LSTM.Result holed = m.forward(x, mask, null, null);
        Tensor compact = Joining.cat(List.of(x.narrow(1, 0, 2), x.narrow(1, 3, 2)), 1);
        LSTM.Result ref = m.forward(compact);
        Tensor realSteps = Joining.cat(List.of(holed.output().narrow(1, 0, 2), holed.output().narrow(1, 3, 2)), 1);
        Assertions2.assertClose("real steps", ref.output(), realSteps, 1e-6, 1e-5);
        Assertions2.assertClose("h_n", ref.hN(), holed.hN(), 1e-6, 1e-5);
        for (float v : holed.output().narrow(1, 2, 1).toFloatArray()) assertEquals(0f, v);
    }

    @Test
    void dropoutBetweenLayersFollowsTorch() {
        // dropout=1 zeroes the input of layer 1 in training (deterministic, so libtorch's training mode can be
        // compared); in eval the dropout is off whatever p is.
        Generator g = new Generator(11);
        Tensor x = Tensor.randn(g, 4, 2, 3);
        for (boolean training : new boolean[] {true, false}) {
            double p = training ? 1.0 : 0.5;
            LSTM m = new LSTM(3, 4, 2, true, false, p, true, g);
            m.train(training);
            ModuleCheck.check("LSTM dropout=" + p + " training=" + training, x, t -> flat(m.forward(t)), m.parameters(), t -> {
                NDArray zeros = t.get(0).getManager().zeros(new ai.djl.ndarray.types.Shape(4, 2, 4));
                return flatTorch(t.get(0).getNDArrayInternal().lstm(t.get(0), new NDList(zeros, zeros),
                        new NDList(t.subList(1, t.size())), true, 2, p, training, true, false));
            }, ATOL, RTOL, 12);
        }
        assertEquals("LSTM(3, 4, num_layers=2, dropout=0.5, bidirectional=True)",
                new LSTM(3, 4, 2, true, false, 0.5, true, g).toString());
    }

    @Test
    void unbatchedInputIsABatchOfOne() {
        Generator g = new Generator(9);
        LSTM m = new LSTM(3, 4, 2, true, false, 0, true, g);
        Tensor x = Tensor.randn(g, 5, 3);
        LSTM.Result one = m.forward(x);
        LSTM.Result batched = m.forward(x.unsqueeze(1));
        assertEquals(List.of(5, 8), shape(one.output()));
        assertEquals(List.of(4, 4), shape(one.hN()));
        Assertions2.assertClose("unbatched", batched.output().squeeze(1), one.output(), 0, 0);
    }

    @Test
    void badInputsAreNamed() {
        LSTM m = new LSTM(3, 4, 2, true, true, 0, false, new Generator(10));
        var e1 = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 7)));
        assertEquals("LSTM(3, 4, num_layers=2, batch_first=True): expected input [batch, seq_len, 3] or [seq_len, 3],"
                + " got [2, 5, 7]", e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Tensor.zeros(2, 5, 3), Tensor.zeros(1, 2, 4), Tensor.zeros(1, 2, 4)));
        assertEquals("LSTM(3, 4, num_layers=2, batch_first=True): expected h0 of shape [2, 2, 4] [num_layers *"
                + " num_directions, batch, hidden_size], got [1, 2, 4]", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 3), new int[] {5}));
        assertEquals("LSTM(3, 4, num_layers=2, batch_first=True): 1 lengths for a batch of 2 (input [2, 5, 3])",
                e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 3), new int[] {5, 6}));
        assertEquals("LSTM: length 6 of sequence 1 is outside [0, 5] (the padded sequence length)", e4.getMessage());
    }
}
