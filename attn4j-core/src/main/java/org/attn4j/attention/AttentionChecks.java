package org.attn4j.attention;

import java.util.Arrays;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Input validation and mask conversions shared by the attention modules, so that every module reports a bad
 * input the same way: {@code ModuleHeader: argument of shape [...] ... }.
 */
final class AttentionChecks {
    private AttentionChecks() {}

    static String str(Tensor t) {
        return Shape.str(t.shape());
    }

    /** Requires {@code x} to have rank {@code rank} and last dim {@code last} (-1: any), naming the argument. */
    static void requireShape(String module, String arg, Tensor x, int rank, int last, String expected) {
        if (x == null) throw new IllegalArgumentException(module + ": " + arg + " must not be null");
        if (x.dim() != rank || (last >= 0 && x.size(-1) != last)) {
            throw new IllegalArgumentException(module + ": " + arg + " of shape " + str(x) + " must be " + expected);
        }
    }

    /** True when {@code mask} broadcasts to exactly {@code target}. */
    static boolean broadcastsTo(int[] mask, int[] target) {
        try {
            return Shape.equal(Shape.broadcast("mask", target, mask), target);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A bool tensor, true where {@code mask != 0} (the {@code mask == 0 → masked} convention of the tutorials). */
    static Tensor nonZero(Tensor mask) {
        if (mask.dtype() == DType.BOOL) return mask;
        float[] m = mask.toFloatArray();
        boolean[] b = new boolean[m.length];
        for (int i = 0; i < m.length; i++) b[i] = m[i] != 0;
        return Tensor.ofBooleans(b, mask.shape());
    }

    /** {@code shape} as {@code [a, b, c]} from ints. */
    static String dims(int... shape) {
        return Arrays.toString(shape);
    }
}
