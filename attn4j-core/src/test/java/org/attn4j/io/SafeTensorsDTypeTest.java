package org.attn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SafeTensorsDTypeTest {

    /** Sizes from the format (safetensors/src/tensor.rs, Dtype::bitsize). */
    @Test
    void byteSizes() {
        assertEquals(8, SafeTensorsDType.F64.byteSize());
        assertEquals(4, SafeTensorsDType.F32.byteSize());
        assertEquals(2, SafeTensorsDType.F16.byteSize());
        assertEquals(2, SafeTensorsDType.BF16.byteSize());
        assertEquals(8, SafeTensorsDType.I64.byteSize());
        assertEquals(4, SafeTensorsDType.I32.byteSize());
        assertEquals(2, SafeTensorsDType.I16.byteSize());
        assertEquals(1, SafeTensorsDType.I8.byteSize());
        assertEquals(1, SafeTensorsDType.U8.byteSize());
        assertEquals(1, SafeTensorsDType.BOOL.byteSize());
        assertEquals(8, SafeTensorsDType.C64.byteSize());
        assertEquals(1, SafeTensorsDType.F8_E4M3.byteSize());
        assertEquals(4, SafeTensorsDType.F4.bits());
        assertEquals(6, SafeTensorsDType.F6_E2M3.bits());
        assertTrue(assertThrows(IllegalStateException.class, SafeTensorsDType.F4::byteSize).getMessage().contains("4 bits"));
        assertEquals(3, SafeTensorsDType.F6_E3M2.byteLength(4)); // 4 x 6 bits pack into 3 bytes
        assertThrows(ArithmeticException.class, () -> SafeTensorsDType.F4.byteLength(3));
        assertThrows(ArithmeticException.class, () -> SafeTensorsDType.F64.byteLength(Long.MAX_VALUE / 8));
    }

    /** The writer's layout depends on this being the reference enum's declaration order. */
    @Test
    void declarationOrderIsTheReferenceAlignmentOrder() {
        assertEquals(List.of("BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16",
                "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"),
                Arrays.stream(SafeTensorsDType.values()).map(Enum::name).toList());
    }

    @Test
    void namesAreCaseSensitive() {
        assertEquals(SafeTensorsDType.BF16, SafeTensorsDType.fromName("BF16"));
        assertNull(SafeTensorsDType.fromName("bf16"));
        assertNull(SafeTensorsDType.fromName("FLOAT32"));
    }
}
