package org.attn4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.KerasSelfAttention.Initializer;
import org.attn4j.attention.KerasSelfAttention.Scale;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link KerasSelfAttention} against libtorch running reference 004's {@code call} (K.dot with each kernel slice,
 * batch_dot, divide, softmax, batch_dot) with the same kernel: output, input gradient and kernel gradient; the
 * mask extension against the same composition with the masked keys filled with -inf and PyTorch's safe softmax.
 *
 * <p>Tolerance: atol 1e-5, rtol 1e-4 (three projections and two batched GEMMs in float32, summed in another
 * order by libtorch); measured worst absolute difference 1.9e-6 (ATTN4J_REPORT_DIFFS=1), on the kernel gradient.
 */
class KerasSelfAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    /** Reference 004's call; {@code divisor} is 64 ** 0.5 in the reference. keep [B, T] or null. */
    static NDArray reference(Map<String, NDArray> s, NDArray x, double divisor, NDArray keep) {
        NDArray kernel = s.get("kernel");
        NDArray wq = x.matMul(kernel.get(0)), wk = x.matMul(kernel.get(1)), wv = x.matMul(kernel.get(2));
        NDArray qk = wq.batchMatMul(wk.transpose(0, 2, 1)).div(TorchAttention.scalar(x, divisor));
        if (keep != null) {
            qk = TorchAttention.maskedFill(qk, TorchAttention.isZero(keep).expandDims(1), Float.NEGATIVE_INFINITY);
            qk = TorchAttention.safeSoftmax(qk);
        } else {
            qk = qk.softmax(-1);
        }
        return qk.batchMatMul(wv);
    }

    @Test
    void matchesReference004() {
        // {in, out, batch, time}; the reference's example is Bidirectional(LSTM(64)) -> 128 features, output_dim=128.
        int[][] configs = {{128, 128, 2, 8}, {7, 5, 3, 4}, {16, 64, 2, 6}};
        long seed = 1;
        for (int[] c : configs) {
            for (Scale sc : Scale.values()) {
                Generator g = new Generator(seed);
                KerasSelfAttention m = new KerasSelfAttention(c[0], c[1], sc, Initializer.GLOROT_UNIFORM, g);
                Tensor x = Tensor.randn(g, c[2], c[3], c[0]).requiresGrad(true);
                double divisor = sc == Scale.REFERENCE_64 ? Math.pow(64, 0.5) : Math.sqrt(c[1]);
                for (boolean train : new boolean[] {true, false}) {
                    m.train(train);
                    ModuleOracle.check("Keras Self_Attention" + java.util.Arrays.toString(c) + " " + sc, m, List.of(x),
                            t -> List.of(m.forward(t.get(0))), (s, t) -> List.of(reference(s, t.get(0), divisor, null)), ATOL, RTOL, seed++);
                }
            }
        }
    }

    @Test
    void maskedTimeStepsAreExcludedAsKeys() {
        Generator g = new Generator(5);
        KerasSelfAttention m = new KerasSelfAttention(6, 4, Scale.OUTPUT_DIM, Initializer.GLOROT_UNIFORM, g);
        Tensor x = Tensor.randn(g, 3, 5, 6).requiresGrad(true);
        // Sample 0 padded after 3 steps, sample 1 complete, sample 2 entirely masked (zero output).
        Tensor mask = Tensor.ofBooleans(new boolean[] {true, true, true, false, false, true, true, true, true, true,
            false, false, false, false, false}, 3, 5);
        ModuleOracle.check("Keras Self_Attention masked", m, List.of(x, mask), t -> List.of(m.forward(t.get(0), t.get(1))),
                (s, t) -> List.of(reference(s, t.get(0), 2.0, t.get(1))), ATOL, RTOL, 20);
        var r = m.attend(x, mask, true);
        for (int i = 0; i < 5; i++) {
            assertEquals(0f, r.weights().get(0, i, 3));
            assertEquals(0f, r.weights().get(0, i, 4));
        }
        for (float o : r.output().select(0, 2).toFloatArray()) assertEquals(0f, o);
        // A float Keras-style mask (1 = real step) means the same, on either attention path (forward runs the fused
        // kernel, attend with weights the composed one; each is compared with itself, they round differently).
        Tensor floatMask = Tensor.of(new float[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, 3, 5);
        org.attn4j.testing.Assertions2.assertClose("float mask", m.forward(x, mask), m.forward(x, floatMask), 0, 0);
        org.attn4j.testing.Assertions2.assertClose("float mask, with weights", r.output(), m.attend(x, floatMask, true).output(), 0, 0);
    }

    @Test
    void buildsFromTheFirstInputLikeKeras() {
        KerasSelfAttention m = new KerasSelfAttention(16);
        assertFalse(m.isBuilt());
        assertTrue(m.stateDict().isEmpty());
        Tensor y = m.forward(Tensor.randn(new Generator(1), 2, 5, 7));
        assertArrayEquals(new int[] {2, 5, 16}, y.shape());
        assertEquals(List.of("kernel"), List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(new int[] {3, 7, 16}, m.stateDict().get("kernel").shape());
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 8)));
        assertEquals("KerasSelfAttention(output_dim=16): input x of shape [2, 5, 8] must be [batch, time_steps, 7] (the kernel was"
                + " built for input_dim=7)", e.getMessage());
    }

    @Test
    void initialisersAreKeras() {
        // glorot_uniform for (3, 128, 128): Keras' fans are 3*128 each, limit sqrt(6 / 768).
        KerasSelfAttention glorot = new KerasSelfAttention(128, 128, Scale.OUTPUT_DIM, Initializer.GLOROT_UNIFORM, new Generator(2));
        double limit = Math.sqrt(6.0 / (3 * 128 + 3 * 128));
        double max = 0;
        for (float v : glorot.stateDict().get("kernel").toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= limit && max > 0.99 * limit, "glorot limit " + limit + ", max " + max);
        // The reference's initializer='uniform': RandomUniform(-0.05, 0.05).
        KerasSelfAttention uniform = new KerasSelfAttention(128, 128, Scale.REFERENCE_64, Initializer.UNIFORM, new Generator(3));
        max = 0;
        for (float v : uniform.stateDict().get("kernel").toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= 0.05 && max > 0.049, "uniform max " + max);
    }

    @Test
    void badInputsNameTheModuleAndShapes() {
        KerasSelfAttention m = new KerasSelfAttention(6, 4, Scale.OUTPUT_DIM, Initializer.GLOROT_UNIFORM, new Generator(1));
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(5, 6)));
        assertEquals("KerasSelfAttention(output_dim=4): input x of shape [5, 6] must be [batch, time_steps, features]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 5, 6), Tensor.ones(2, 4)));
        assertEquals("KerasSelfAttention(output_dim=4): mask of shape [2, 4] must be [batch, time_steps] = [2, 5] for x of shape"
                + " [2, 5, 6]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new KerasSelfAttention(0));
        assertEquals("KerasSelfAttention: output_dim must be positive, got 0", e.getMessage());
    }
}
