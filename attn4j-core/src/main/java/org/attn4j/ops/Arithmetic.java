package org.attn4j.ops;

import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.Elementwise.Binary;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Broadcasting binary arithmetic: add, sub, mul, div, pow, maximum, minimum ({@code torch.add} etc.).
 * Backward sums each gradient back over the dimensions that were broadcast.
 */
public final class Arithmetic {
    private Arithmetic() {}

    static void requireFloat(String op, Tensor t) {
        if (t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 tensor, got " + t.dtype().torchName()
                    + " of shape " + Shape.str(t.shape()));
        }
    }

    private static Tensor binary(String name, Binary op, Tensor a, Tensor b, org.attn4j.autograd.Node.Backward bw) {
        requireFloat(name, a);
        requireFloat(name, b);
        int[] shape = Shape.broadcast(name, a.shape(), b.shape());
        return Tensor.result(Broadcast.apply(op, a, b, shape), shape, name, bw, a, b);
    }

    public static Tensor add(Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        return binary("add", Binary.ADD, a, b, g -> new Tensor[] {
            Reductions.sumToShape(g, sa), Reductions.sumToShape(g, sb)});
    }

    public static Tensor sub(Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        return binary("sub", Binary.SUB, a, b, g -> new Tensor[] {
            Reductions.sumToShape(g, sa), b.requiresGrad() ? Reductions.sumToShape(g, sb).neg() : null});
    }

    public static Tensor mul(Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        return binary("mul", Binary.MUL, a, b, g -> new Tensor[] {
            a.requiresGrad() ? Reductions.sumProductToShape(g, b, sa) : null,
            b.requiresGrad() ? Reductions.sumProductToShape(g, a, sb) : null});
    }

    public static Tensor div(Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        return binary("div", Binary.DIV, a, b, g -> new Tensor[] {
            a.requiresGrad() ? Reductions.sumToShape(g.div(b), sa) : null,
            // d(a/b)/db = -a / b²
            b.requiresGrad() ? Reductions.sumToShape(g.mul(a).div(b.mul(b)).neg(), sb) : null});
    }

    /** a^b elementwise; the exponent's gradient is 0 where a == 0 and b >= 0 (PyTorch's convention). */
    public static Tensor pow(Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        return binary("pow", Binary.POW, a, b, g -> {
            Tensor ga = null, gb = null;
            if (a.requiresGrad()) ga = Reductions.sumToShape(g.mul(b).mul(pow(a, b.sub(Tensor.scalar(1f)))), sa);
            if (b.requiresGrad()) {
                int[] shape = g.shape();
                float[] gd = g.contiguousData();
                Tensor ae = a.expand(shape).contiguous(), be = b.expand(shape).contiguous();
                float[] ad = ae.contiguousData(), bd = be.contiguousData();
                float[] out = PrezeroedArrays.floats(gd.length);
                for (int i = 0; i < out.length; i++) {
                    out[i] = (ad[i] == 0 && bd[i] >= 0) ? 0f
                            : (float) (gd[i] * Math.pow(ad[i], bd[i]) * Math.log(ad[i]));
                }
                gb = Reductions.sumToShape(Tensor.ofOwned(out, shape), sb);
            }
            return new Tensor[] {ga, gb};
        });
    }

    /** Elementwise max; where both are equal the gradient is split evenly (as PyTorch does). */
    public static Tensor maximum(Tensor a, Tensor b) {
        return extremum("maximum", Binary.MAXIMUM, a, b, true);
    }

    /** Elementwise min; where both are equal the gradient is split evenly. */
    public static Tensor minimum(Tensor a, Tensor b) {
        return extremum("minimum", Binary.MINIMUM, a, b, false);
    }

    private static Tensor extremum(String name, Binary op, Tensor a, Tensor b, boolean max) {
        int[] sa = a.shape(), sb = b.shape();
        return binary(name, op, a, b, g -> {
            int[] shape = g.shape();
            float[] gd = g.contiguousData();
            float[] ad = a.expand(shape).contiguous().contiguousData();
            float[] bd = b.expand(shape).contiguous().contiguousData();
            float[] ga = PrezeroedArrays.floats(gd.length), gb = PrezeroedArrays.floats(gd.length);
            for (int i = 0; i < gd.length; i++) {
                if (ad[i] == bd[i]) {
                    ga[i] = gb[i] = gd[i] * 0.5f;
                } else if ((ad[i] > bd[i]) == max) {
                    ga[i] = gd[i];
                } else {
                    gb[i] = gd[i];
                }
            }
            return new Tensor[] {Reductions.sumToShape(Tensor.ofOwned(ga, shape), sa),
                Reductions.sumToShape(Tensor.ofOwned(gb, shape), sb)};
        });
    }

    /** x + s. */
    public static Tensor add(Tensor x, float s) {
        requireFloat("add", x);
        Tensor c = x.contiguous();
        float[] out = PrezeroedArrays.floats(c.numel());
        Elementwise.binary(Binary.ADD, c.data(), c.offset(), 1, new float[] {s}, 0, 0, out, 0, out.length);
        return Tensor.result(out, x.shape(), "add", g -> new Tensor[] {g}, x);
    }

    /** x * s. */
    public static Tensor mul(Tensor x, float s) {
        requireFloat("mul", x);
        Tensor c = x.contiguous();
        float[] out = PrezeroedArrays.floats(c.numel());
        Elementwise.binary(Binary.MUL, c.data(), c.offset(), 1, new float[] {s}, 0, 0, out, 0, out.length);
        return Tensor.result(out, x.shape(), "mul", g -> new Tensor[] {g.mul(s)}, x);
    }

    /** x / s, a true division (not x * (1/s), which rounds differently from torch.div). */
    public static Tensor div(Tensor x, float s) {
        requireFloat("div", x);
        Tensor c = x.contiguous();
        float[] out = PrezeroedArrays.floats(c.numel());
        Elementwise.binary(Binary.DIV, c.data(), c.offset(), 1, new float[] {s}, 0, 0, out, 0, out.length);
        return Tensor.result(out, x.shape(), "div", g -> new Tensor[] {div(g, s)}, x);
    }

    /** x^p for a constant exponent. */
    public static Tensor pow(Tensor x, float p) {
        requireFloat("pow", x);
        Tensor c = x.contiguous();
        float[] d = c.data();
        int o = c.offset();
        float[] out = PrezeroedArrays.floats(c.numel());
        if (p == 2f) {
            for (int i = 0; i < out.length; i++) out[i] = d[o + i] * d[o + i];
        } else {
            for (int i = 0; i < out.length; i++) out[i] = Elementwise.pow(d[o + i], p);
        }
        return Tensor.result(out, x.shape(), "pow", g -> new Tensor[] {
            p == 0f ? Tensor.zeros(x.shape()) : g.mul(pow(x, p - 1f)).mul(p)}, x);
    }
}
