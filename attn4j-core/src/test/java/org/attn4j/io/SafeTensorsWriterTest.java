package org.attn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.attn4j.io.SafeTensorsWriter.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsWriterTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- bytes of the reference implementation

    /**
     * The exact bytes expected by the reference implementation's own tests (huggingface/safetensors,
     * safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement, test_empty).
     */
    @Test
    void matchesTheReferenceSerializerByteForByte() {
        float[] six = {0, 1, 2, 3, 4, 5};
        assertArrayEquals(SafeTensorsFileTest.bytes(
                64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
                116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
                58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
                0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64),
                SafeTensorsWriter.toBytes(Map.of("attn.0", TensorData.floats(new long[] {1, 2, 3}, six)), null));
        assertArrayEquals(SafeTensorsFileTest.bytes(
                72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
                121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
                91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
                115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
                32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                160, 64),
                SafeTensorsWriter.toBytes(Map.of("attn0", TensorData.floats(new long[] {1, 1, 2, 3}, six)), null));
        assertArrayEquals(SafeTensorsFileTest.bytes(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32),
                SafeTensorsWriter.toBytes(Map.of(), null));
        assertArrayEquals(SafeTensorsFileTest.bytes(
                40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                116, 34, 125, 125, 32, 32, 32, 32, 32),
                SafeTensorsWriter.toBytes(Map.of(), Map.of("framework", "pt")));
    }

    /** Descending reference dtype order, then names by code point (UTF-8 byte order, not Java's UTF-16 order). */
    @Test
    void laysTensorsOutLikeTheReference() throws IOException {
        Map<String, TensorData> t = new LinkedHashMap<>();
        t.put("b", TensorData.floats(SafeTensorsDType.F16, new long[] {1}, new float[] {1}));
        t.put("\ud83d\ude00", TensorData.floats(new long[] {1}, new float[] {2})); // U+1F600: UTF-16 D83D...
        t.put("c", TensorData.floats(SafeTensorsDType.BF16, new long[] {1}, new float[] {3}));
        t.put("\ufb01", TensorData.floats(new long[] {1}, new float[] {4})); // ...sorts after U+FB01 in UTF-8
        t.put("a", TensorData.floats(new long[] {1}, new float[] {5}));
        t.put("z", TensorData.longs(SafeTensorsDType.I64, new long[] {1}, new long[] {6}));
        t.put("d", TensorData.floats(SafeTensorsDType.F64, new long[] {1}, new float[] {7}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("z", "last");
        meta.put("a", "tab\there");
        String header = SafeTensorsWriter.header(t, meta);
        assertEquals("{\"__metadata__\":{\"a\":\"tab\\there\",\"z\":\"last\"},"
                + "\"z\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"\ufb01\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                + "\"\ud83d\ude00\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[28,30]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[30,32]}}", header.stripTrailing());
        assertEquals(0, header.getBytes(java.nio.charset.StandardCharsets.UTF_8).length % 8);

        Path p = dir.resolve("order.safetensors");
        SafeTensorsWriter.write(p, t, meta);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(List.of("z", "d", "a", "\ufb01", "\ud83d\ude00", "c", "b"), f.names());
            assertEquals(Map.of("a", "tab\there", "z", "last"), f.metadata());
            assertArrayEquals(new float[] {7}, f.readFloats("d"));
            assertArrayEquals(new long[] {6}, f.readLongs("z"));
        }
    }

    @Test
    void headerIsPaddedToEightBytesForAnyNameLength() {
        for (int len = 1; len <= 16; len++) {
            byte[] b = SafeTensorsWriter.toBytes(Map.of("x".repeat(len), TensorData.floats(new long[] {1}, new float[] {1})), null);
            long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, n % 8, "name length " + len);
            assertEquals(8 + n + 4, b.length);
            String h = new String(b, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8);
            int json = h.lastIndexOf('}') + 1; // the JSON, then fewer than 8 spaces
            assertTrue(n - json < 8);
            assertEquals(" ".repeat((int) n - json), h.substring(json));
        }
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void f32RoundTripIsBitExact() throws IOException {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[3 * 5 * 7];
        for (int i = 0; i < x.length; i++) x[i] = Float.intBitsToFloat(rnd.nextInt());
        float[] specials = {1f, -2.5f, 65504f, Float.MIN_VALUE, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MAX_VALUE};
        System.arraycopy(specials, 0, x, 0, specials.length);
        float[] back = roundTrip(SafeTensorsDType.F32, new long[] {3, 5, 7}, x);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(x[i]), Float.floatToIntBits(back[i]), "index " + i);
    }

    /** Expected values follow from the binary16 layout (10 mantissa bits, min subnormal 2^-24, max 65504). */
    @Test
    void f16RoundTripRoundsToNearestEven() throws IOException {
        float[] x = {1f, -2.5f, 65504f, Math.scalb(1f, -24), Math.scalb(1f, -14), 0.1f, 65520f, Math.scalb(1f, -25),
                Math.scalb(3f, -26), -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] expected = {1f, -2.5f, 65504f, Math.scalb(1f, -24), Math.scalb(1f, -14), 0.0999755859375f, Float.POSITIVE_INFINITY, 0f,
                Math.scalb(1f, -24), -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] back = roundTrip(SafeTensorsDType.F16, new long[] {x.length}, x);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(back[i]), "value " + x[i]);
        byte[] file = SafeTensorsWriter.toBytes(Map.of("h", TensorData.floats(SafeTensorsDType.F16, new long[] {2}, new float[] {1f, -2.5f})), null);
        assertArrayEquals(SafeTensorsFileTest.bytes(0x00, 0x3C, 0x00, 0xC1), java.util.Arrays.copyOfRange(file, file.length - 4, file.length));
    }

    /** Expected values follow from bfloat16 = the top 16 bits of a float32 (7 mantissa bits). */
    @Test
    void bf16RoundTripRoundsToNearestEven() throws IOException {
        float[] x = {1f, -2.5f, 65504f, 1f + Math.scalb(1f, -8), 1f + Math.scalb(3f, -8), Float.MAX_VALUE,
                Float.intBitsToFloat(0x0001_0000), -0f, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7F80_0001)};
        float[] expected = {1f, -2.5f, 65536f, 1f, 1.015625f, Float.POSITIVE_INFINITY,
                Float.intBitsToFloat(0x0001_0000), -0f, Float.NEGATIVE_INFINITY, Float.NaN, Float.NaN};
        float[] back = roundTrip(SafeTensorsDType.BF16, new long[] {x.length}, x);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(back[i]), "value " + x[i]);
    }

    @Test
    void f64StoresFloatsExactly() throws IOException {
        float[] x = {0.1f, -3f, Float.MIN_VALUE};
        assertArrayEquals(x, roundTrip(SafeTensorsDType.F64, new long[] {3}, x));
    }

    @Test
    void integerRoundTrips() throws IOException {
        Map<String, TensorData> t = new TreeMap<>();
        t.put("i64", TensorData.longs(SafeTensorsDType.I64, new long[] {3}, new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}));
        t.put("u64", TensorData.longs(SafeTensorsDType.U64, new long[] {1}, new long[] {-1}));
        t.put("i32", TensorData.longs(SafeTensorsDType.I32, new int[] {2}, new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}));
        t.put("u32", TensorData.longs(SafeTensorsDType.U32, new long[] {1}, new long[] {0xFFFF_FFFFL}));
        t.put("i16", TensorData.longs(SafeTensorsDType.I16, new long[] {2}, new long[] {-32768, 32767}));
        t.put("u16", TensorData.longs(SafeTensorsDType.U16, new long[] {1}, new long[] {65535}));
        t.put("i8", TensorData.longs(SafeTensorsDType.I8, new long[] {2}, new long[] {-128, 127}));
        t.put("u8", TensorData.longs(SafeTensorsDType.U8, new long[] {2}, new long[] {0, 255}));
        t.put("bool", TensorData.longs(SafeTensorsDType.BOOL, new long[] {2, 1}, new long[] {1, 0}));
        Path p = dir.resolve("ints.safetensors");
        SafeTensorsWriter.write(p, t, Map.of("format", "pt"));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            for (Map.Entry<String, TensorData> e : t.entrySet()) {
                assertEquals(e.getValue().dtype(), f.entry(e.getKey()).dtype());
                assertArrayEquals(e.getValue().shape(), f.entry(e.getKey()).shape());
            }
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, f.readLongs("i64"));
            assertArrayEquals(new long[] {-1}, f.readLongs("u64"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, f.readLongs("i32"));
            assertArrayEquals(new long[] {0xFFFF_FFFFL}, f.readLongs("u32"));
            assertArrayEquals(new long[] {-32768, 32767}, f.readLongs("i16"));
            assertArrayEquals(new long[] {65535}, f.readLongs("u16"));
            assertArrayEquals(new long[] {-128, 127}, f.readLongs("i8"));
            assertArrayEquals(new long[] {0, 255}, f.readLongs("u8"));
            assertArrayEquals(new long[] {1, 0}, f.readLongs("bool"));
        }
    }

    @Test
    void metadataAndNamesSurviveEscaping() throws IOException {
        String odd = "quote\" backslash\\ tab\t nl\n ctrl\u0001 漢字 😀 /";
        Path p = dir.resolve("meta.safetensors");
        SafeTensorsWriter.write(p, Map.of(odd, TensorData.floats(new long[] {}, new float[] {42f})), Map.of(odd, odd, "format", "pt"));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(List.of(odd), f.names());
            assertEquals(Map.of(odd, odd, "format", "pt"), f.metadata());
            assertArrayEquals(new float[] {42f}, f.readFloats(odd));
        }
    }

    @Test
    void largeTensorsAreWrittenInChunks() throws IOException {
        int n = 3_000_001; // several 1 MiB chunks for every dtype, and a partial last one
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i * 0.5f - 1000f;
        Map<String, TensorData> t = Map.of(
                "f32", TensorData.floats(new long[] {n}, x),
                "bf16", TensorData.floats(SafeTensorsDType.BF16, new long[] {n}, x));
        Path p = dir.resolve("big.safetensors");
        SafeTensorsWriter.write(p, t, null);
        assertEquals(SafeTensorsWriter.toBytes(t, null).length, Files.size(p));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertArrayEquals(x, f.readFloats("f32"));
            float[] b = f.readFloats("bf16");
            for (int i = 0; i < n; i += 997) assertEquals(FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(x[i])), b[i]);
        }
    }

    // ---------------------------------------------------------------- invalid input, before anything is written

    @Test
    void dataShorterThanItsShapeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorData.floats(SafeTensorsDType.F16, new long[] {2, 3}, new float[5]));
        assertEquals("SafeTensorsWriter.TensorData: shape [2, 3] of F16 has 6 elements but the data array has 5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorData.floats(new long[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> TensorData.floats(new long[] {1L << 40, 1L << 40}, new float[0]));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TensorData.floats(SafeTensorsDType.I32, new long[] {1}, new float[1]))
                .getMessage().contains("dtype I32 is not one of F32, F16, BF16, F64"));
        assertEquals("SafeTensorsWriter.TensorData.longs: value 256 at index 1 is outside the U8 range [0, 255]",
                assertThrows(IllegalArgumentException.class, () -> TensorData.longs(SafeTensorsDType.U8, new long[] {2}, new long[] {0, 256})).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TensorData.longs(SafeTensorsDType.BOOL, new long[] {1}, new long[] {2}))
                .getMessage().contains("outside the BOOL range [0, 1]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TensorData.longs(SafeTensorsDType.F32, new long[] {1}, new long[] {2}))
                .getMessage().contains("dtype F32 is not an integer type"));
    }

    // ---------------------------------------------------------------- atomic replacement

    @Test
    void aRejectedWriteLeavesThePreviousFileIntact() throws IOException {
        Path p = dir.resolve("model.safetensors");
        SafeTensorsWriter.write(p, Map.of("w", TensorData.floats(new long[] {2}, new float[] {1, 2})), null);
        byte[] before = Files.readAllBytes(p);

        // the shape check fails while building the input, before the writer runs
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(p,
                Map.of("w", TensorData.floats(new long[] {3}, new float[] {1, 2})), null));
        // the writer's own checks fail before it creates any file
        IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(p,
                Map.of("__metadata__", TensorData.floats(new long[] {1}, new float[] {1})), null));
        assertTrue(reserved.getMessage().contains("\"__metadata__\" is reserved"), reserved.getMessage());
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(p,
                Map.of("w", TensorData.floats(new long[] {1}, new float[] {9})), nullValue));

        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), listDir());
    }

    @Test
    void aFailedRenameRemovesTheTemporaryFile() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "keep");
        IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.write(target,
                Map.of("w", TensorData.floats(new long[] {1}, new float[] {1})), null));
        assertTrue(e.getMessage().startsWith("SafeTensorsWriter: could not write " + target + " (left unchanged)"), e.getMessage());
        assertEquals(List.of(target), listDir()); // no temporary file left behind
        assertEquals("keep", Files.readString(target.resolve("keep.txt")));
    }

    /** The new file replaces the old by rename: a reader that has the old one mapped keeps seeing it whole. */
    @Test
    void replacingIsAtomicEvenForOpenReaders() throws IOException {
        Path p = dir.resolve("model.safetensors");
        SafeTensorsWriter.write(p, Map.of("w", TensorData.floats(new long[] {2}, new float[] {1, 2})), Map.of("v", "1"));
        try (SafeTensorsFile old = SafeTensorsFile.open(p)) {
            SafeTensorsWriter.write(p, Map.of("w", TensorData.floats(new long[] {3}, new float[] {7, 8, 9})), Map.of("v", "2"));
            assertArrayEquals(new float[] {1, 2}, old.readFloats("w"));
            try (SafeTensorsFile now = SafeTensorsFile.open(p)) {
                assertArrayEquals(new float[] {7, 8, 9}, now.readFloats("w"));
                assertEquals("2", now.metadata().get("v"));
            }
        }
        assertEquals(List.of(p), listDir());
    }

    // ---------------------------------------------------------------- another implementation: DJL's safetensors codec

    /** DJL (ai.djl.ndarray.NDList, Encoding.SAFETENSORS) reads what we write, with the same names and values. */
    @Test
    void djlReadsOurFiles() {
        float[] w = {1f, -2.5f, 65504f, 0.1f, Float.MIN_VALUE, -0f};
        Map<String, TensorData> t = new LinkedHashMap<>();
        t.put("blocks.0.attn.qkv.weight", TensorData.floats(new long[] {2, 3}, w));
        t.put("blocks.0.attn.relative_position_index", TensorData.longs(SafeTensorsDType.I64, new long[] {2, 2}, new long[] {0, 1, 2, -3}));
        t.put("half", TensorData.floats(SafeTensorsDType.F16, new long[] {2}, new float[] {1f, -2.5f}));
        byte[] bytes = SafeTensorsWriter.toBytes(t, Map.of("format", "pt"));
        try (NDManager manager = TorchScope.open()) {
            NDList list = NDList.decode(manager, bytes);
            assertEquals(3, list.size());
            NDArray qkv = list.get("blocks.0.attn.qkv.weight");
            assertEquals(new Shape(2, 3), qkv.getShape());
            assertEquals(DataType.FLOAT32, qkv.getDataType());
            assertArrayEquals(w, qkv.toFloatArray());
            NDArray idx = list.get("blocks.0.attn.relative_position_index");
            assertEquals(DataType.INT64, idx.getDataType());
            assertArrayEquals(new long[] {0, 1, 2, -3}, idx.toLongArray());
            NDArray half = list.get("half");
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertArrayEquals(new float[] {1f, -2.5f}, half.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    /** We read what DJL writes. */
    @Test
    void weReadDjlFiles() throws IOException {
        Path p = dir.resolve("djl.safetensors");
        try (NDManager manager = TorchScope.open()) {
            NDArray a = manager.create(new float[] {1f, -2.5f, 3.25f, 1e-3f, 0f, 7f}, new Shape(3, 2));
            a.setName("linear.weight");
            NDArray b = manager.create(new long[] {5, -6}, new Shape(2));
            b.setName("index");
            NDArray c = manager.create(new float[] {0.5f, -65504f}).toType(DataType.FLOAT16, false);
            c.setName("half");
            Files.write(p, new NDList(a, b, c).encode(NDList.Encoding.SAFETENSORS));
        }
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(Stream.of("half", "index", "linear.weight").sorted().toList(), f.names().stream().sorted().toList());
            assertArrayEquals(new long[] {3, 2}, f.entry("linear.weight").shape());
            assertArrayEquals(new float[] {1f, -2.5f, 3.25f, 1e-3f, 0f, 7f}, f.readFloats("linear.weight"));
            assertArrayEquals(new long[] {5, -6}, f.readLongs("index"));
            assertEquals(SafeTensorsDType.F16, f.entry("half").dtype());
            assertArrayEquals(new float[] {0.5f, -65504f}, f.readFloats("half"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private float[] roundTrip(SafeTensorsDType dtype, long[] shape, float[] x) throws IOException {
        Path p = dir.resolve(dtype + ".safetensors");
        SafeTensorsWriter.write(p, Map.of("x", TensorData.floats(dtype, shape, x)), null);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(dtype, f.entry("x").dtype());
            assertArrayEquals(shape, f.entry("x").shape());
            return f.readFloats("x");
        }
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
