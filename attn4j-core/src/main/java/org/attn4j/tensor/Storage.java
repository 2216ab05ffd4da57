package org.attn4j.tensor;

/**
 * The flat float array behind one or more tensors (a tensor and all its views share one storage).
 *
 * <p>{@link #version()} counts in-place writes, as PyTorch's version counter does: autograd records it
 * when it saves a tensor for backward, and refuses to run backward if the saved value was overwritten
 * since ("one of the variables needed for gradient computation has been modified by an inplace
 * operation").
 */
public final class Storage {
    final float[] data;
    private int version;

    public Storage(float[] data) {
        this.data = data;
    }

    public float[] data() {
        return data;
    }

    public int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }

    /**
     * Records that the values were written in place from outside the tensor API (an optimizer step on
     * {@link #data()}), so autograd treats earlier saved values as stale.
     */
    public void markModified() {
        version++;
    }
}
