package org.attn4j.attention;

import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Inverted dropout for the attention package, {@code F.dropout(x, p, training)}: while training each element is
 * kept with probability {@code 1 - p} and scaled by {@code 1 / (1 - p)}; otherwise the input itself.
 *
 * <p>A stand-in with the signature of {@code org.attn4j.ops.Dropout.dropout}, which is being written on another
 * branch; once that is on main, the callers switch to it and this class goes away. The mask numbers are not
 * PyTorch's (nor necessarily ops.Dropout's): tests compare with libtorch at p = 0 or in eval mode, and check
 * dropout itself by its definition.
 */
final class AttentionDropout {
    private AttentionDropout() {}

    static Tensor dropout(Tensor x, float p, boolean training, Generator g) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p
                    + " (input of shape " + Shape.str(x.shape()) + ")");
        }
        if (!training || p == 0f || x.numel() == 0) return x;
        if (g == null) g = Generator.defaultGenerator();
        float scale = p == 1f ? 0f : 1f / (float) (1.0 - p);
        float[] mask = new float[x.numel()];
        for (int i = 0; i < mask.length; i++) mask[i] = g.nextDouble() < p ? 0f : scale;
        return x.mul(Tensor.of(mask, x.shape()));
    }
}
