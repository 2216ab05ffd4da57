package org.attn4j.io;

import java.util.HashMap;
import java.util.Map;

/**
 * The element types of the safetensors format, named exactly as they appear in the header's
 * {@code "dtype"} field.
 *
 * <p>The constants are declared in the order of the reference implementation's {@code Dtype} enum
 * (huggingface/safetensors, {@code safetensors/src/tensor.rs}: "in increasing alignment order").
 * That order matters: the reference serializer lays tensors out by <em>descending</em> dtype in this
 * order, then by name, and {@link SafeTensorsWriter} does the same so that its files match.
 *
 * <p>PyTorch correspondence (safetensors/torch.py): F8_E4M3 is {@code torch.float8_e4m3fn},
 * F8_E5M2 is {@code torch.float8_e5m2}, C64 is {@code torch.complex64}. F4 and F6_* are packed
 * sub-byte microscaling formats (OCP MX spec); their tensors must hold a whole number of bytes.
 */
public enum SafeTensorsDType {
    BOOL(8),
    F4(4),
    F6_E2M3(6),
    F6_E3M2(6),
    U8(8),
    I8(8),
    F8_E5M2(8),
    F8_E4M3(8),
    F8_E8M0(8),
    I16(16),
    U16(16),
    F16(16),
    BF16(16),
    I32(32),
    U32(32),
    F32(32),
    C64(64),
    F64(64),
    I64(64),
    U64(64);

    private static final Map<String, SafeTensorsDType> BY_NAME = new HashMap<>();

    static {
        for (SafeTensorsDType t : values()) BY_NAME.put(t.name(), t);
    }

    private final int bits;

    SafeTensorsDType(int bits) {
        this.bits = bits;
    }

    /** Bits per element (4 for F4, 6 for F6_*, otherwise a multiple of 8). */
    public int bits() {
        return bits;
    }

    /**
     * Bytes per element.
     *
     * @throws IllegalStateException for the sub-byte types F4 and F6_*, which have no whole byte size
     */
    public int byteSize() {
        if (bits % 8 != 0) throw new IllegalStateException("SafeTensorsDType." + name() + " is " + bits + " bits, less than a byte per element");
        return bits / 8;
    }

    /** True for BOOL and the signed and unsigned integer types. */
    public boolean isInteger() {
        return switch (this) {
            case BOOL, U8, I8, I16, U16, I32, U32, I64, U64 -> true;
            default -> false;
        };
    }

    /**
     * Bytes taken by {@code elements} elements.
     *
     * @throws ArithmeticException if it overflows a long or is not a whole number of bytes
     */
    public long byteLength(long elements) {
        long nbits = Math.multiplyExact(elements, (long) bits);
        if (nbits % 8 != 0) {
            throw new ArithmeticException(elements + " elements of " + name() + " are " + nbits + " bits, not a whole number of bytes");
        }
        return nbits / 8;
    }

    /** The type whose header name is {@code name} (case-sensitive, as in the format), or null if none. */
    public static SafeTensorsDType fromName(String name) {
        return BY_NAME.get(name);
    }
}
