package org.attn4j.data;

import org.attn4j.tensor.Tensor;

/**
 * One mini-batch: images {@code [B, 1, H, W]} (float32) and class labels {@code [B]} (int64), with the
 * dataset indices they came from (for error analysis and attention maps).
 */
public record Batch(Tensor images, Tensor labels, int[] indices) {
    public int size() {
        return indices.length;
    }
}
