package org.attn4j.io;

import java.util.Arrays;

/**
 * One tensor described by a safetensors header: its name, element type, shape (row-major, outermost
 * first, as in PyTorch) and the byte range {@code [begin, end)} of its data, relative to the start of
 * the data buffer (the byte after the header), exactly as in the header's {@code "data_offsets"}.
 *
 * <p>Immutable. Entries come from {@link SafeTensorsFile}, which has already checked that
 * {@code end - begin == numel * dtype size}.
 */
public final class SafeTensorsEntry {
    private final String name;
    private final SafeTensorsDType dtype;
    private final long[] shape;
    private final long begin;
    private final long end;
    private final long numel;

    /**
     * @throws IllegalArgumentException if a dimension is negative, the element count overflows, or the
     *         byte range does not hold exactly {@code numel} elements of {@code dtype}
     */
    public SafeTensorsEntry(String name, SafeTensorsDType dtype, long[] shape, long begin, long end) {
        if (name == null || dtype == null || shape == null) {
            throw new IllegalArgumentException("SafeTensorsEntry: name, dtype and shape must not be null (name " + name + ")");
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("SafeTensorsEntry '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("SafeTensorsEntry '" + name + "': element count of shape " + Arrays.toString(shape) + " overflows a long");
            }
        }
        long bytes;
        try {
            bytes = dtype.byteLength(n);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("SafeTensorsEntry '" + name + "': shape " + Arrays.toString(shape) + " of " + dtype + ": " + e.getMessage());
        }
        if (begin < 0 || end < begin || end - begin != bytes) {
            throw new IllegalArgumentException("SafeTensorsEntry '" + name + "': data_offsets [" + begin + ", " + end + "] do not hold "
                    + n + " elements of " + dtype + " (" + bytes + " bytes) for shape " + Arrays.toString(shape));
        }
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.begin = begin;
        this.end = end;
        this.numel = n;
    }

    /** The tensor's key in the file (a PyTorch state_dict name such as {@code blocks.0.attn.qkv.weight}). */
    public String name() {
        return name;
    }

    public SafeTensorsDType dtype() {
        return dtype;
    }

    /** A copy of the shape; {@code []} is a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /**
     * The shape as ints, for in-memory tensors.
     *
     * @throws IllegalStateException if a dimension exceeds {@link Integer#MAX_VALUE}
     */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new IllegalStateException("SafeTensorsEntry '" + name + "': dimension " + i + " of shape " + Arrays.toString(shape) + " exceeds the int range");
            }
            s[i] = (int) shape[i];
        }
        return s;
    }

    /** Number of elements (the product of the shape; 1 for a scalar, 0 if any dimension is 0). */
    public long numel() {
        return numel;
    }

    /** First byte, relative to the data buffer. */
    public long begin() {
        return begin;
    }

    /** One past the last byte, relative to the data buffer. */
    public long end() {
        return end;
    }

    /** {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafeTensorsEntry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
                && begin == e.begin && end == e.end;
    }

    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + ": " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
