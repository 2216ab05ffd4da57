package org.attn4j.tensor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The flat float array behind one or more tensors (a tensor and all its views share one storage).
 *
 * <p>{@link #version()} counts in-place writes, as PyTorch's version counter does: autograd records it
 * when it saves a tensor for backward, and refuses to run backward if the saved value was overwritten
 * since ("one of the variables needed for gradient computation has been modified by an inplace
 * operation").
 */
public final class Storage {
    private static final AtomicLong SERIALS = new AtomicLong();

    final float[] data;
    private final long serial;
    private final boolean exclusive;
    private int version;

    public Storage(float[] data) {
        this(data, false);
    }

    /**
     * A storage over {@code data}; {@code exclusive} promises that no other storage wraps the same array (an op's
     * freshly allocated result), which lets autograd hand a gradient to a leaf without copying it (see
     * {@link #isExclusive()}).
     */
    Storage(float[] data, boolean exclusive) {
        this.data = data;
        this.exclusive = exclusive;
        this.serial = SERIALS.incrementAndGet();
    }

    /**
     * The next storage created will have a larger {@link #serial()} than this: autograd takes it at the start of a
     * backward pass to tell the gradients it made from tensors that existed before.
     */
    public static long currentSerial() {
        return SERIALS.get();
    }

    /** Creation order: storages made later have larger serials. */
    public long serial() {
        return serial;
    }

    /**
     * True when this storage is the only one over its array: made by an op for its result, or by
     * {@link Tensor#ofOwned}. Views share the storage itself, so counting references to this object counts every
     * tensor that can see the values.
     */
    public boolean isExclusive() {
        return exclusive;
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
