package org.attn4j.optim;

import static org.attn4j.optim.SGDTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.io.SafeTensors;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every optimizer inherits: the state dict a checkpoint stores (its keys, PyTorch's parameter numbering,
 * the exact learning rate) and how loading refuses a dict that does not fit. The update rules themselves are
 * in {@link SGDTest} and {@link AdamTest}.
 */
class OptimizerTest {
    private static Tensor param(int... shape) {
        return Tensor.ones(shape).requiresGrad(true);
    }

    @Test
    void theStateDictNumbersParametersAcrossGroupsAsPyTorch() {
        Tensor w1 = param(2, 3), b1 = param(3), w2 = param(3, 1);
        Adam adam = Adam.adamW(List.of(new ParamGroup(List.of(w1, w2), 1e-3, 0.05), new ParamGroup(List.of(b1), 2e-3, 0)), 0.9, 0.999, 1e-8);
        // Before any step: only the groups' lr and the step count.
        assertEquals(List.of("param_groups.0.lr", "param_groups.0.lr_bits", "param_groups.1.lr", "param_groups.1.lr_bits", "steps"),
                List.copyOf(adam.stateDict().keySet()));
        w1.setGrad(Tensor.ones(2, 3));
        b1.setGrad(Tensor.ones(3));                          // w2 has no gradient: no state, but keeps its number
        adam.step();
        Map<String, Tensor> sd = adam.stateDict();
        assertEquals(List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.2.step", "state.2.exp_avg",
                "state.2.exp_avg_sq", "param_groups.0.lr", "param_groups.0.lr_bits", "param_groups.1.lr",
                "param_groups.1.lr_bits", "steps"), List.copyOf(sd.keySet()));
        assertArrayEquals(new int[] {3}, sd.get("state.2.exp_avg").shape());
        assertEquals(1f, sd.get("steps").item());
        assertEquals((float) 2e-3, sd.get("param_groups.1.lr").item());
    }

    @Test
    void theLearningRateSurvivesTheRoundTripExactly() {
        // float32 holds none of these exactly; lr_bits carries the double.
        for (double lr : new double[] {1e-3, 1.0 / 3, 3e-4 * 0.97, 1e-30, 0, 12345.678901234567}) {
            SGD a = new SGD(List.of(param(2)), lr), b = new SGD(List.of(param(2)), 0.5);
            b.loadStateDict(a.stateDict());
            assertEquals(Double.doubleToLongBits(lr), Double.doubleToLongBits(b.paramGroups().get(0).lr()), "lr " + lr);
        }
    }

    @Test
    void theStateDictSurvivesASafetensorsCheckpointFile(@TempDir Path dir) throws IOException {
        // What Checkpoint does: the dict written as float32 safetensors and read back in another process.
        Tensor p = param(2, 3);
        Adam adam = Adam.adamW(List.of(new ParamGroup(List.of(p), 3e-4, 0.05)), 0.9, 0.999, 1e-8);
        p.setGrad(Tensor.full(0.5f, 2, 3));
        adam.step();
        Path file = dir.resolve("optimizer.safetensors");
        SafeTensors.save(file, adam.stateDict(), Map.of());
        Adam restored = Adam.adamW(List.of(new ParamGroup(List.of(param(2, 3)), 1.0, 0.05)), 0.9, 0.999, 1e-8);
        restored.loadStateDict(SafeTensors.load(file));
        assertEquals(3e-4, restored.paramGroups().get(0).lr(), 0);
        assertEquals(1, restored.steps());
        for (var e : adam.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toFloatArray(), restored.stateDict().get(e.getKey()).toFloatArray(), e.getKey());
        }
    }

    @Test
    void aDictWithoutLrBitsOrWithAnEditedLrLoadsTheFloatLr() {
        SGD a = new SGD(List.of(param(2)), 1e-3);
        // An older checkpoint: only the float32 lr.
        Map<String, Tensor> old = new LinkedHashMap<>(a.stateDict());
        old.remove("param_groups.0.lr_bits");
        SGD b = new SGD(List.of(param(2)), 0.5);
        b.loadStateDict(old);
        assertEquals((double) (float) 1e-3, b.paramGroups().get(0).lr(), 0);
        // Someone edited the readable lr: it wins over the bits, which no longer agree with it.
        Map<String, Tensor> edited = new LinkedHashMap<>(a.stateDict());
        edited.put("param_groups.0.lr", Tensor.vector(0.25f));
        b.loadStateDict(edited);
        assertEquals(0.25, b.paramGroups().get(0).lr(), 0);
    }

    @Test
    void theStateTensorsAreLiveAsInTorchAndLoadingCopiesThem() {
        Tensor p = param(3);
        SGD sgd = new SGD(List.of(new ParamGroup(List.of(p), 0.1, 0)), 0.9, 0, false);
        p.setGrad(Tensor.ones(3));
        sgd.step();
        Tensor buf = sgd.stateDict().get("state.0.momentum_buffer");
        assertSame(buf, sgd.stateDict().get("state.0.momentum_buffer"), "state_dict() hands out the buffers themselves");
        SGD other = new SGD(List.of(new ParamGroup(List.of(param(3)), 0.1, 0)), 0.9, 0, false);
        other.loadStateDict(sgd.stateDict());
        sgd.step();                                          // changes buf in place ...
        assertArrayEquals(new float[] {1, 1, 1}, other.stateDict().get("state.0.momentum_buffer").toFloatArray(), "... not the copy");
    }

    @Test
    void aRefusedDictChangesNothing() {
        Tensor p = param(2, 2);
        SGD sgd = new SGD(List.of(new ParamGroup(List.of(p), 0.1, 0)), 0.9, 0, false);
        p.setGrad(Tensor.ones(2, 2));
        sgd.step();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("param_groups.0.lr", Tensor.vector(0.5f));  // fine on its own ...
        bad.put("steps", Tensor.vector(100));
        bad.put("state.0.momentum_buffer", Tensor.zeros(1)); // ... but this buffer is for a [2, 2] parameter
        assertMessage(() -> sgd.loadStateDict(bad), "SGD", "state.0.momentum_buffer", "[1]", "[2, 2]");
        assertEquals(0.1, sgd.paramGroups().get(0).lr(), 0);
        assertEquals(1, sgd.steps());
        assertArrayEquals(new float[] {1, 1, 1, 1}, sgd.stateDict().get("state.0.momentum_buffer").toFloatArray());
    }

    @Test
    void anotherOptimizersStateIsRefusedNotHalfUsed() {
        Tensor p = param(3);
        SGD sgd = new SGD(List.of(new ParamGroup(List.of(p), 0.1, 0)), 0.9, 0, false);
        p.setGrad(Tensor.ones(3));
        sgd.step();
        Adam adamW = Adam.adamW(List.of(new ParamGroup(List.of(param(3)), 1e-3, 0.05)), 0.9, 0.999, 1e-8);
        assertMessage(() -> adamW.loadStateDict(sgd.stateDict()), "AdamW state: parameter 0 has entries [momentum_buffer]"
                + " but AdamW keeps [exp_avg, exp_avg_sq, step] (a state dict of another optimizer?)");
        SGD plain = new SGD(List.of(new ParamGroup(List.of(param(3)), 0.1, 0)), 0, 0, false);
        assertMessage(() -> plain.loadStateDict(sgd.stateDict()), "SGD without momentum keeps []");

        // An Adam state missing a buffer would restart its bias correction or its second moment silently.
        Adam adam = Adam.adam(List.of(new ParamGroup(List.of(p), 1e-3, 0)), 0.9, 0.999, 1e-8);
        adam.step();
        Map<String, Tensor> partial = new LinkedHashMap<>(adam.stateDict());
        partial.remove("state.0.exp_avg_sq");
        Adam other = Adam.adam(List.of(new ParamGroup(List.of(param(3)), 1e-3, 0)), 0.9, 0.999, 1e-8);
        assertMessage(() -> other.loadStateDict(partial), "Adam state: parameter 0 has entries [exp_avg, step]");
        partial.put("param_groups.0.lr", Tensor.vector(0.5f));
        assertMessage(() -> other.loadStateDict(partial), "Adam state: parameter 0 has entries [exp_avg, step]");
        assertNull(other.stateDict().get("state.0.step"), "refused: nothing loaded");
        assertEquals(1e-3, other.paramGroups().get(0).lr(), 0, "refused: not even the lr");
        other.loadStateDict(adam.stateDict());               // Adam's own, complete state loads
        assertArrayEquals(adam.stateDict().get("state.0.exp_avg").toFloatArray(), other.stateDict().get("state.0.exp_avg").toFloatArray());
    }

    @Test
    void malformedDictsAreRefusedWithTheKey() {
        Adam adam = Adam.adam(List.of(new ParamGroup(List.of(param(2)), 1e-3, 0)), 0.9, 0.999, 1e-8);
        assertMessage(() -> adam.loadStateDict(Map.of("state.x.exp_avg", Tensor.zeros(2))), "Adam", "malformed", "state.x.exp_avg");
        assertMessage(() -> adam.loadStateDict(Map.of("state.1.exp_avg", Tensor.zeros(2))), "Adam", "parameter 1", "has 1");
        assertMessage(() -> adam.loadStateDict(Map.of("state.0.step", Tensor.zeros(2))), "Adam", "state.0.step");
        assertMessage(() -> adam.loadStateDict(Map.of("param_groups.3.lr", Tensor.vector(1))), "Adam", "group 3");
        assertMessage(() -> adam.loadStateDict(Map.of("param_groups.0.lr", Tensor.vector(-1))), "Adam", "learning rate", "-1.0");
        assertMessage(() -> adam.loadStateDict(Map.of("param_groups.0.lr_bits", Tensor.vector(1, 2, 3.5f, 4))), "Adam", "lr_bits", "16-bit");
        assertMessage(() -> adam.loadStateDict(Map.of("momentum", Tensor.vector(1))), "Adam", "unexpected key 'momentum'");
        assertNull(adam.stateDict().get("state.0.step"));
    }
}
