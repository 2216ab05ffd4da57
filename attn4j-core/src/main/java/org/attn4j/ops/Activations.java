package org.attn4j.ops;

import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.Elementwise.Unary;
import org.attn4j.tensor.Tensor;

/** Activation functions: relu, sigmoid, tanh, gelu (exact erf form and tanh approximation). */
public final class Activations {
    private Activations() {}

    /** max(x, 0); the gradient is 0 where the output is {@code <= 0}, as PyTorch's threshold_backward. */
    public static Tensor relu(Tensor x) {
        Tensor[] out = new Tensor[1];
        out[0] = Pointwise.apply("relu", Unary.RELU, x,
                g -> new Tensor[] {Pointwise.grad(Elementwise.UnaryGrad.RELU, g, out[0])});
        return out[0];
    }

    /** 1 / (1 + e^-x); d/dx = y (1 - y). */
    public static Tensor sigmoid(Tensor x) {
        Tensor[] out = new Tensor[1];
        out[0] = Pointwise.apply("sigmoid", Unary.SIGMOID, x,
                g -> new Tensor[] {Pointwise.grad(Elementwise.UnaryGrad.SIGMOID, g, out[0])});
        return out[0];
    }

    /** tanh x; d/dx = 1 - y². */
    public static Tensor tanh(Tensor x) {
        Tensor[] out = new Tensor[1];
        out[0] = Pointwise.apply("tanh", Unary.TANH, x,
                g -> new Tensor[] {Pointwise.grad(Elementwise.UnaryGrad.TANH, g, out[0])});
        return out[0];
    }

    /**
     * GELU ({@code F.gelu}): exact {@code x Φ(x)} by default, or the tanh approximation
     * ({@code approximate='tanh'}) when {@code approximateTanh} is true.
     */
    public static Tensor gelu(Tensor x, boolean approximateTanh) {
        if (approximateTanh) {
            return Pointwise.apply("gelu", Unary.GELU_TANH, x,
                    g -> new Tensor[] {Pointwise.grad(Elementwise.UnaryGrad.GELU_TANH, g, x)});
        }
        return Pointwise.apply("gelu", Unary.GELU, x,
                g -> new Tensor[] {Pointwise.grad(Elementwise.UnaryGrad.GELU, g, x)});
    }
}
