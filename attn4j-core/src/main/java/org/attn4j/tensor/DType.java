package org.attn4j.tensor;

/**
 * Element types. attn4j computes in float32; integer and boolean tensors exist for indices, class
 * targets and masks (as {@code torch.int64} and {@code torch.bool} do) and are stored as exact float
 * values, so an integer tensor holds whole numbers of magnitude up to 2^24 = 16,777,216 exactly —
 * far beyond any class count, vocabulary or sequence length attn4j indexes with.
 */
public enum DType {
    FLOAT32("float32"),
    INT64("int64"),
    BOOL("bool");

    private final String torchName;

    DType(String torchName) {
        this.torchName = torchName;
    }

    /** The name PyTorch prints for this type, e.g. {@code float32}. */
    public String torchName() {
        return torchName;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32;
    }
}
