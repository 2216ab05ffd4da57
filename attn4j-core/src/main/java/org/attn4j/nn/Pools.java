package org.attn4j.nn;

import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/** Input checks shared by the 2-D pooling layers, so errors name the layer rather than the op. */
final class Pools {
    private Pools() {}

    /** Pools take {@code [N, C, H, W]} or unbatched {@code [C, H, W]}. */
    static void check2d(Module layer, Tensor x) {
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException(layer.header() + ": expected input [N, C, H, W] or [C, H, W], got "
                    + Shape.str(x.shape()));
        }
    }

    /** A size given as {@code {v}} or {@code {vH, vW}}, every value at least {@code min}. */
    static int[] size(String layer, String what, int[] v, int min) {
        if (v.length != 1 && v.length != 2) {
            throw new IllegalArgumentException(layer + ": " + what + " must have 1 or 2 values, got " + Shape.str(v));
        }
        for (int x : v) {
            if (x < min) throw new IllegalArgumentException(layer + ": " + what + " " + Shape.str(v) + " must be >= " + min);
        }
        return v.clone();
    }
}
