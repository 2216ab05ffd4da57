package org.attn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader against files built byte by byte from the format's layout (README "Format": u64 LE
 * header length, UTF-8 JSON header, data buffer), independent of {@link SafeTensorsWriter}; and one
 * malformed file per validation rule, each with its own message.
 */
class SafeTensorsFileTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- golden files

    /**
     * Header in neither layout nor writer order, with spaces and newlines, metadata last, an empty
     * tensor and a scalar; the data bytes are written out by hand from the IEEE layouts.
     */
    @Test
    void readsAHandBuiltFile() throws IOException {
        String header = "{\"b\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [16, 22]},\n"
                + " \"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 16]},\n"
                + " \"h\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [22, 26]},\n"
                + " \"idx\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [26, 42]},\n"
                + " \"s\": {\"dtype\": \"U8\", \"shape\": [], \"data_offsets\": [42, 43]},\n"
                + " \"e\": {\"dtype\": \"F32\", \"shape\": [0, 5], \"data_offsets\": [42, 42]},\n"
                + " \"__metadata__\": {\"format\": \"pt\", \"note\": \"caf\\u00e9 \\\"q\\\"\"}}    ";
        byte[] data = bytes(
                0x00, 0x00, 0x80, 0x3F, /* w: 1.0 */ 0x00, 0x00, 0x20, 0xC0, /* -2.5 */
                0x00, 0xE0, 0x7F, 0x47, /* 65504 */ 0x01, 0x00, 0x00, 0x00, /* 2^-149, the smallest float */
                0x00, 0x3C, /* b: f16 1.0 */ 0x01, 0x00, /* f16 2^-24 */ 0x00, 0x7C, /* f16 +inf */
                0x20, 0xC0, /* h: bf16 -2.5 */ 0xC0, 0x7F, /* bf16 NaN */
                0x05, 0, 0, 0, 0, 0, 0, 0, /* idx: 5 */ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* -1 */
                0xC8 /* s: 200 */);
        Path p = write(file(header, data));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(List.of("w", "b", "h", "idx", "e", "s"), f.names()); // data order; the empty tensor sorts before s
            assertEquals(Map.of("format", "pt", "note", "café \"q\""), f.metadata());
            assertEquals(header.getBytes(StandardCharsets.UTF_8).length, f.headerLength());

            SafeTensorsEntry w = f.entry("w");
            assertEquals(SafeTensorsDType.F32, w.dtype());
            assertArrayEquals(new long[] {2, 2}, w.shape());
            assertArrayEquals(new int[] {2, 2}, w.intShape());
            assertEquals(0, w.begin());
            assertEquals(16, w.end());
            assertArrayEquals(new float[] {1f, -2.5f, 65504f, Float.MIN_VALUE}, f.readFloats("w"));
            assertArrayEquals(new float[] {1f, Math.scalb(1f, -24), Float.POSITIVE_INFINITY}, f.readFloats("b"));
            float[] h = f.readFloats("h");
            assertEquals(-2.5f, h[0]);
            assertTrue(Float.isNaN(h[1]));
            assertArrayEquals(new long[] {5, -1}, f.readLongs("idx"));
            assertArrayEquals(new float[] {5f, -1f}, f.readFloats("idx"));
            assertArrayEquals(new float[0], f.readFloats("e"));
            assertEquals(0, f.entry("e").numel());
            assertEquals(0, f.entry("s").rank());
            assertEquals(1, f.entry("s").numel());
            assertArrayEquals(new long[] {200}, f.readLongs("s"));
            assertArrayEquals(new float[] {200f}, f.readFloats("s"));

            MemorySegment raw = f.bytes("b");
            assertEquals(6, raw.byteSize());
            assertEquals((byte) 0x3C, raw.get(ValueLayout.JAVA_BYTE, 1));
            assertTrue(raw.isReadOnly());

            IllegalArgumentException notInt = assertThrows(IllegalArgumentException.class, () -> f.readLongs("w"));
            assertEquals("safetensors file " + p + ": tensor 'w' is F32, not an integer type; use readFloats", notInt.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> f.entry("bias"));
            assertEquals("safetensors file " + p + " has no tensor 'bias' (it holds 6 tensors: w, b, h, idx, e, s)", missing.getMessage());
            assertFalse(f.contains("bias"));
        }
    }

    /** Every integer width and signedness, F64 and float8, written by hand. */
    @Test
    void widensEveryNumericDtype() throws IOException {
        String header = "{\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[12,16]},"
                + "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[16,24]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[24,26]},"
                + "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[26,28]},"
                + "\"bool\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[28,30]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[30,31]},"
                + "\"f8\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[31,32]},"
                + "\"c\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[32,40]}}";
        byte[] data = bytes(
                0, 0, 0, 0, 0, 0, 0xF8, 0x3F, /* 1.5 */
                0xF9, 0xFF, 0xFF, 0xFF, /* -7 */
                0xFF, 0xFF, 0xFF, 0xFF, /* 2^32-1 */
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* 2^64-1 */
                0xD4, 0xFE, /* -300 */
                0xFF, 0xFF, /* 65535 */
                0x00, 0x01, /* false, true */
                0x80, /* -128 */
                0x7E, /* 448 */
                0, 0, 0x80, 0x3F, 0, 0, 0, 0 /* 1+0i */);
        try (SafeTensorsFile f = SafeTensorsFile.open(write(file(header, data)))) {
            assertArrayEquals(new float[] {1.5f}, f.readFloats("f64"));
            assertArrayEquals(new float[] {-7f}, f.readFloats("i32"));
            assertArrayEquals(new long[] {-7}, f.readLongs("i32"));
            assertArrayEquals(new float[] {4294967295f}, f.readFloats("u32"));
            assertArrayEquals(new long[] {4294967295L}, f.readLongs("u32"));
            assertArrayEquals(new float[] {1.8446744e19f}, f.readFloats("u64"));
            assertArrayEquals(new long[] {-1L}, f.readLongs("u64")); // the same 64 bits
            assertArrayEquals(new long[] {-300}, f.readLongs("i16"));
            assertArrayEquals(new long[] {65535}, f.readLongs("u16"));
            assertArrayEquals(new float[] {0f, 1f}, f.readFloats("bool"));
            assertArrayEquals(new long[] {0, 1}, f.readLongs("bool"));
            assertArrayEquals(new long[] {-128}, f.readLongs("i8"));
            assertArrayEquals(new float[] {448f}, f.readFloats("f8"));
            IllegalArgumentException complex = assertThrows(IllegalArgumentException.class, () -> f.readFloats("c"));
            assertTrue(complex.getMessage().contains("tensor 'c' is C64, which readFloats does not widen to float32"), complex.getMessage());
            assertEquals(8, f.bytes("c").byteSize());
        }
    }

    @Test
    void emptyHeaderAndNoDataIsAValidFile() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(write(file("{}      ", new byte[0])))) {
            assertEquals(List.of(), f.names());
            assertEquals(Map.of(), f.metadata());
        }
    }

    @Test
    void closedFilesRefuseReads() throws IOException {
        SafeTensorsFile f = SafeTensorsFile.open(write(file(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", bytes(0, 0, 0x80, 0x3F))));
        MemorySegment view = f.bytes("w");
        f.close();
        f.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.readFloats("w"));
        assertTrue(e.getMessage().endsWith("is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0)); // unmapped, not a crash
    }

    // ---------------------------------------------------------------- one malformed file per rule

    private static final String W16 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        expectFormatError(bytes(1, 0, 0, 0, 0), "file is 5 bytes, too short for the 8-byte header length");
        expectFormatError(new byte[0], "file is 0 bytes, too short for the 8-byte header length");
    }

    @Test
    void fileTruncatedInsideTheData() throws IOException {
        expectFormatError(file(W16, new byte[10]),
                "tensor 'w': data_offsets [0, 16] lie outside the data buffer, which holds 10 bytes (the file ends at data offset 10)");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        expectFormatError(withLength(1000, "{}", new byte[48]),
                "header length 1000 runs past the end of the file (58 bytes, so at most 50 bytes of header)");
        // just under the 100 MB cap but far beyond the file: refused before anything is allocated
        expectFormatError(withLength(99_999_999, "{}", new byte[0]),
                "header length 99999999 runs past the end of the file (10 bytes, so at most 2 bytes of header)");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        expectFormatError(withLength(1L << 60, "{}", new byte[0]), "header length 1152921504606846976 exceeds the limit of 100000000 bytes");
        expectFormatError(withLength(-1L, "{}", new byte[0]), "header length 18446744073709551615 exceeds the limit of 100000000 bytes");
        expectFormatError(withLength(100_000_001, "{}", new byte[0]), "header length 100000001 exceeds the limit of 100000000 bytes");
    }

    @Test
    void invalidJson() throws IOException {
        String msg = expectFormatError(file("{\"w\":{\"dtype\":\"F32\",,\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]),
                "header is not valid JSON (in tensor 'w'): JSON: expected a string key, found ',' at line 1, column 21 (character 20)");
        assertTrue(msg.contains("tensor 'w'"));
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}", new byte[16]),
                "header is not valid JSON: JSON: expected ',' or '}' in object, found the end of the text at line 1, column 55 (character 54)");
        // only JSON whitespace may pad the header: NUL padding is not JSON
        expectFormatError(file(W16 + "\0\0\0", new byte[16]),
                "header is not valid JSON: JSON: unexpected '\\u0000' after the end of the JSON value at line 1, column 56 (character 55)");
    }

    @Test
    void headerThatIsNotAnObject() throws IOException {
        expectFormatError(file("[1, 2]", new byte[0]), "header is not a JSON object: it starts with an array");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] header = "{\"w\":1}".getBytes(StandardCharsets.US_ASCII);
        header[2] = (byte) 0xFF;
        expectFormatError(withLength(header.length, header, new byte[0]), "header is not valid UTF-8 at header byte 2 (file byte 10)");
    }

    @Test
    void unknownDtype() throws IOException {
        expectFormatError(file("{\"w\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]),
                "tensor 'w': unknown dtype \"F33\" (known: [BOOL, F4");
        expectFormatError(file("{\"w\":{\"dtype\":\"f32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]),
                "tensor 'w': unknown dtype \"f32\""); // names are case-sensitive, as in serde
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", new byte[16]),
                "tensor 'w': data_offsets [0, 400] lie outside the data buffer, which holds 16 bytes");
        expectFormatError(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[9223372036854775807,9223372036854775807]}}", new byte[0]),
                "tensor 'w': data_offsets [9223372036854775807, 9223372036854775807] lie outside the data buffer, which holds 0 bytes");
        expectFormatError(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", new byte[1]),
                "integer 18446744073709551616 is out of the 64-bit range");
    }

    @Test
    void overlappingOffsets() throws IOException {
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor 'b': data_offsets [0, 8] overlap tensor 'a' [0, 8]");
    }

    @Test
    void holeBetweenTensors() throws IOException {
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]),
                "tensor 'b': hole of 4 unused bytes between tensor 'a' (ends at 4) and its data_offsets [8, 12]");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor 'a': hole of 4 unused bytes between the start of the data buffer and its data_offsets [4, 8]");
    }

    @Test
    void dataAfterTheLastTensor() throws IOException {
        expectFormatError(file(W16, new byte[20]),
                "4 bytes of data after the last tensor 'w' (ends at 16) belong to no tensor (the data buffer holds 20 bytes)");
        expectFormatError(file("{}", new byte[3]), "3 bytes of data after no tensor at all belong to no tensor");
    }

    @Test
    void shapeAndLengthMismatch() throws IOException {
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20]),
                "tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20 (header line 1, column 6)");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", new byte[0]),
                "tensor 'w': shape [4294967296, 4294967296] has more elements than a 64-bit count holds");
        expectFormatError(file("{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", new byte[1]),
                "tensor 'w': shape [3] of F4 has no valid byte length: 3 elements of F4 are 12 bits, not a whole number of bytes");
    }

    @Test
    void offsetsEndingBeforeTheyBegin() throws IOException {
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]),
                "tensor 'w': data_offsets [8, 4] end before they begin");
    }

    @Test
    void duplicateKeys() throws IOException {
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\n"
                        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor 'w': duplicate tensor name in the header (header line 2, column 1)");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w': duplicate field \"dtype\"");
        expectFormatError(file("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", new byte[0]), "duplicate key \"a\" in \"__metadata__\"");
        expectFormatError(file("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0]), "duplicate key \"__metadata__\"");
    }

    @Test
    void negativeDimensions() throws IOException {
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", new byte[16]),
                "tensor 'w': negative dimension -2 in shape (header line 1, column 32)");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[0]),
                "tensor 'w': negative offset -4 in data_offsets");
    }

    @Test
    void malformedEntries() throws IOException {
        expectFormatError(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'w': missing \"dtype\"");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'w': missing \"shape\"");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "tensor 'w': missing \"data_offsets\"");
        expectFormatError(file("{\"w\":[1]}", new byte[0]), "tensor 'w': expected an object with dtype, shape and data_offsets, found an array");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", new byte[4]),
                "tensor 'w': data_offsets has more than 2 entries");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]),
                "tensor 'w': data_offsets must be [begin, end], found 1 numbers");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", new byte[4]),
                "(in tensor 'w'): JSON: expected an integer, found 1.0");
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w': shape must hold integers, found a string");
        expectFormatError(file("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w': dtype must be a string, found a number");
        expectFormatError(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[" + "1,".repeat(64) + "1],\"data_offsets\":[0,1]}}", new byte[1]),
                "tensor 'w': shape has more than 64 entries");
        expectFormatError(file("{\"__metadata__\":{\"epoch\":3}}", new byte[0]),
                "\"__metadata__\" value of \"epoch\" must be a string, found a number");
        expectFormatError(file("{\"__metadata__\":[\"x\"]}", new byte[0]), "\"__metadata__\" must be an object of strings, found an array");
    }

    /** serde ignores unknown fields inside an entry, so we do; but their nesting still counts against the limit. */
    @Test
    void unknownFieldsAreSkippedWithinTheDepthLimit() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(write(file(
                "{\"w\":{\"dtype\":\"F32\",\"extra\":{\"a\":[1,2,{}]},\"shape\":[1],\"data_offsets\":[0,4]},\"__metadata__\":null}",
                bytes(0, 0, 0x80, 0x3F))))) {
            assertArrayEquals(new float[] {1f}, f.readFloats("w"));
            assertEquals(Map.of(), f.metadata());
        }
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        expectFormatError(file("{\"w\":{\"dtype\":\"F32\",\"extra\":" + deep + ",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "objects and arrays nested more than " + SafeTensorsFile.MAX_HEADER_DEPTH + " deep");
    }

    /** Twenty thousand tensors listed in reverse: names() follows the data, entries are found by name. */
    @Test
    void manyTensorsAreReadInDataOrder() throws IOException {
        int n = 20_000;
        StringBuilder h = new StringBuilder("{");
        for (int i = n - 1; i >= 0; i--) { // reverse header order
            h.append(i == n - 1 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[")
                    .append(i).append(',').append(i + 1).append("]}");
        }
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) data[i] = (byte) i;
        try (SafeTensorsFile f = SafeTensorsFile.open(write(file(h.append('}').toString(), data)))) {
            assertEquals(n, f.names().size());
            assertEquals("t0", f.names().get(0));
            assertEquals("t19999", f.names().get(n - 1));
            assertArrayEquals(new long[] {12345 & 0xFF}, f.readLongs("t12345"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private String expectFormatError(byte[] content, String expected) throws IOException {
        Path p = write(content);
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensorsFile.open(p).close());
        String prefix = "safetensors file " + p + ": ";
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
        assertEquals(p, e.file());
        return e.getMessage();
    }

    private int files;

    private Path write(byte[] content) throws IOException {
        Path p = dir.resolve("t" + files++ + ".safetensors");
        Files.write(p, content);
        return p;
    }

    /** The layout: 8-byte little-endian header length, the header's UTF-8 bytes, the data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return withLength(h.length, h, data);
    }

    private static byte[] withLength(long n, String header, byte[] data) {
        return withLength(n, header.getBytes(StandardCharsets.UTF_8), data);
    }

    private static byte[] withLength(long n, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) values[i];
        return b;
    }
}
