package org.attn4j.ops;

import org.attn4j.kernels.Elementwise.Unary;
import org.attn4j.tensor.Tensor;

/** Pointwise math: neg, sqrt, exp, log, abs, erf, clamp, each with its derivative beside it. */
public final class UnaryMath {
    private UnaryMath() {}

    public static Tensor neg(Tensor x) {
        return Pointwise.apply("neg", Unary.NEG, x, g -> new Tensor[] {g.mul(-1f)});
    }

    /** √x; d/dx = 1 / (2√x). */
    public static Tensor sqrt(Tensor x) {
        Tensor[] out = new Tensor[1];
        out[0] = Pointwise.apply("sqrt", Unary.SQRT, x, g -> new Tensor[] {g.div(out[0].detach().mul(2f))});
        return out[0];
    }

    /** e^x; d/dx = e^x (the saved output). */
    public static Tensor exp(Tensor x) {
        Tensor[] out = new Tensor[1];
        out[0] = Pointwise.apply("exp", Unary.EXP, x, g -> new Tensor[] {g.mul(out[0].detach())});
        return out[0];
    }

    /** ln x; d/dx = 1/x. */
    public static Tensor log(Tensor x) {
        return Pointwise.apply("log", Unary.LOG, x, g -> new Tensor[] {g.div(x.detach())});
    }

    /** |x|; d/dx = sign(x), 0 at 0 (as PyTorch). */
    public static Tensor abs(Tensor x) {
        return Pointwise.apply("abs", Unary.ABS, x,
                g -> new Tensor[] {Pointwise.mapGrad(g, x, v -> Math.signum(v))});
    }

    /** erf x; d/dx = 2/√π e^(-x²). */
    public static Tensor erf(Tensor x) {
        return Pointwise.apply("erf", Unary.ERF, x,
                g -> new Tensor[] {Pointwise.mapGrad(g, x, v -> 1.1283791670955126 * Math.exp(-v * v))});
    }

    /**
     * Clamps into [min, max] (use ±infinity for one side only). The gradient passes where
     * {@code min <= x <= max}, as PyTorch's clamp backward does.
     */
    public static Tensor clamp(Tensor x, float min, float max) {
        Arithmetic.requireFloat("clamp", x);
        if (min > max) throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        float[] d = x.contiguousData();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            float v = d[i];
            out[i] = v != v ? v : Math.min(Math.max(v, min), max);
        }
        return Tensor.result(out, x.shape(), "clamp",
                g -> new Tensor[] {Pointwise.mapGrad(g, x, v -> v >= min && v <= max ? 1 : 0)}, x);
    }
}
