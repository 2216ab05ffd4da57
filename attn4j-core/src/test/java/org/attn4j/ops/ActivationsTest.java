package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.List;
import java.util.function.Function;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Activations against libtorch over random shapes and layouts, forward and gradient, including the
 * saturated tails (|x| up to 12) and special values.
 */
class ActivationsTest {
    private static void sweep(String name, long seed, Function<Tensor, Tensor> ours, Function<NDArray, NDArray> theirs,
                              double atol, double rtol) {
        Generator g = new Generator(seed);
        for (int c = 0; c < 25; c++) {
            int[] shape = c == 0 ? new int[] {70_001} : Layouts.shape(g, 0, 4, 9);
            Layouts.Layout layout = Layouts.layout(g);
            Tensor x = Layouts.uniform(g, -12, 12, layout, shape).requiresGrad(true);
            Torch.check(name + " " + Shape.str(shape) + " " + layout, List.of(x), t -> ours.apply(t.get(0)),
                    t -> theirs.apply(t.get(0)), atol, rtol, c);
        }
    }

    /** GELU with the tanh approximation, composed from libtorch ops (DJL exposes only the exact form). */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(Torch.scalar(x, 3)).mul(Torch.scalar(x, 0.044715))).mul(Torch.scalar(x, Math.sqrt(2 / Math.PI)));
        return x.mul(Torch.scalar(x, 0.5)).mul(inner.tanh().add(1f));
    }

    @Test
    void reluIsExact() {
        sweep("relu", 1, Tensor::relu, Activation::relu, 0, 0);
        // relu'(0) = 0 in PyTorch (threshold_backward passes the gradient only where the result is > 0).
        Tensor x = Tensor.vector(-1f, -0f, 0f, 1e-30f, 2f).requiresGrad(true);
        Torch.check("relu at 0", List.of(x), t -> t.get(0).relu(), t -> Activation.relu(t.get(0)), 0, 0, 2);
    }

    // sigmoid and tanh: libtorch evaluates in float with SIMD exp/tanh (about 1 ulp), we round a double
    // result once; values lie in (-1, 1), where an ulp is at most 1.2e-7. The gradients y(1-y) and 1-y²
    // are formed from that output, so a one-ulp difference in y becomes up to 2 · 1.2e-7 · |g| in the
    // gradient, and the random upstream g reaches |g| = 4.5 over 70,000 draws: atol 1.2e-6.

    @Test
    void sigmoidMatchesTorch() {
        sweep("sigmoid", 3, Tensor::sigmoid, Activation::sigmoid, 1.2e-6, 0);
    }

    @Test
    void tanhMatchesTorch() {
        sweep("tanh", 4, Tensor::tanh, Activation::tanh, 1.2e-6, 0);
    }

    // GELU: x Φ(x) for |x| up to 12 reaches 12, where one ulp is 9.5e-7; libtorch's float erf differs
    // from ours by up to 1.5e-7 absolute, scaled by x/2: atol 1e-6 plus rtol 2.4e-7. The tanh form's
    // gradient 0.5 (1 + t) + 0.5 x (1 - t²) inner' is computed by libtorch in float, where 1 - t² cancels
    // for x < -3 (t -> -1): one ulp of t (6e-8) there becomes 0.5 |x| inner' · 2 · 6e-8 ≈ 1e-6 per unit of
    // upstream gradient (at x = -5 libtorch returns 0 where the derivative is -1.5e-6). We evaluate in
    // double, so the difference is libtorch's: atol 5e-6 for the tanh form.

    @Test
    void geluExactMatchesTorch() {
        sweep("gelu", 5, Tensor::gelu, Activation::gelu, 1e-6, 2.4e-7);
    }

    @Test
    void geluTanhMatchesTorch() {
        sweep("gelu tanh", 6, x -> Activations.gelu(x, true), ActivationsTest::geluTanh, 5e-6, 2.4e-7);
    }

    @Test
    void specialValuesMatchTorch() {
        float inf = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.vector(0f, -0f, 1e-30f, -1e-30f, 5f, -5f, 20f, -20f, 100f, -100f, 1e10f, -1e10f, inf, -inf, Float.NaN);
        List<Tensor> in = List.of(x);
        Torch.check("relu special", in, t -> t.get(0).relu(), t -> Activation.relu(t.get(0)), 0, 0, 1);
        Torch.check("sigmoid special", in, t -> t.get(0).sigmoid(), t -> Activation.sigmoid(t.get(0)), 1.2e-6, 0, 1);
        Torch.check("tanh special", in, t -> t.get(0).tanh(), t -> Activation.tanh(t.get(0)), 1.2e-6, 0, 1);
        // GELU(+inf) = +inf · Φ(+inf) = +inf, and libtorch says so with AVX2; its AVX-512 kernel returns NaN
        // there (seen with libtorch 2.7.1 on a Sapphire Rapids class Xeon). The other values are held to
        // libtorch on every machine, +inf to the definition.
        Tensor finiteOrNegative = Tensor.vector(0f, -0f, 1e-30f, -1e-30f, 5f, -5f, 20f, -20f, 100f, -100f, 1e10f, -1e10f, -inf, Float.NaN);
        Torch.check("gelu special", List.of(finiteOrNegative), t -> t.get(0).gelu(), t -> Activation.gelu(t.get(0)), 1e-6, 2.4e-7, 1);
        assertEquals(inf, Tensor.vector(inf).gelu().toFloatArray()[0]);
    }

    @Test
    void nonFloatInputIsRefusedByName() {
        Tensor mask = Tensor.ofBooleans(new boolean[] {true, false}, 2);
        assertEquals("relu: expected a float32 tensor, got bool of shape [2]",
                assertThrows(IllegalArgumentException.class, mask::relu).getMessage());
        assertEquals("gelu: expected a float32 tensor, got bool of shape [2]",
                assertThrows(IllegalArgumentException.class, mask::gelu).getMessage());
    }
}
