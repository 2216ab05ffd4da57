package org.attn4j.ops;

import org.attn4j.autograd.Node;
import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.tensor.Tensor;

/** Shared forward of parameterless unary ops: one kernel pass over a row-major copy-free input. */
final class Pointwise {
    private Pointwise() {}

    static Tensor apply(String name, Elementwise.Unary op, Tensor x, Node.Backward backward) {
        Arithmetic.requireFloat(name, x);
        Tensor c = x.contiguous();
        float[] in = c.data();
        int base = c.offset();
        int n = c.numel();
        float[] out = PrezeroedArrays.floats(n);
        Parallel.forRange(n, 32_768, (from, to) -> Elementwise.unary(op, in, base + from, out, from, to - from));
        return Tensor.result(out, x.shape(), name, backward, x);
    }

    /**
     * {@code g * f'} for a {@link Elementwise.UnaryGrad} derivative read from {@code v} (the forward's output or
     * input, same shape as g); one kernel pass, split over the pool like the forward.
     */
    static Tensor grad(Elementwise.UnaryGrad op, Tensor g, Tensor v) {
        Tensor gc = g.contiguous(), vc = v.detach().contiguous();
        float[] gd = gc.data(), vd = vc.data();
        int go = gc.offset(), vo = vc.offset(), n = gc.numel();
        float[] out = PrezeroedArrays.floats(n);
        Parallel.forRange(n, 32_768, (from, to) -> Elementwise.unaryGrad(op, gd, go + from, vd, vo + from, out, from, to - from));
        return Tensor.ofOwned(out, g.shape());
    }

    /** {@code g * f(x)} elementwise where f is a pointwise derivative; used by the backward of rarer ops. */
    static Tensor mapGrad(Tensor g, Tensor x, java.util.function.DoubleUnaryOperator derivative) {
        float[] gd = g.contiguousData();
        float[] xd = x.contiguousData();
        float[] out = PrezeroedArrays.floats(gd.length);
        for (int i = 0; i < out.length; i++) out[i] = (float) (gd[i] * derivative.applyAsDouble(xd[i]));
        return Tensor.ofOwned(out, g.shape());
    }
}
