package org.attn4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files, atomically.
 *
 * <p>Layout follows the reference serializer ({@code prepare} in huggingface/safetensors
 * {@code safetensors/src/tensor.rs}), so that the same tensors give the same bytes:
 * <ul>
 *   <li>tensors are laid out by descending {@link SafeTensorsDType} (the reference enum's alignment
 *       order: F64 before F32 before BF16 before F16 ...), then by name in code-point order (Rust's
 *       byte-wise {@code String} order); the order of the map passed in does not matter;</li>
 *   <li>the header is compact JSON: {@code __metadata__} first (if any), then each tensor as
 *       {@code {"dtype":..,"shape":[..],"data_offsets":[begin,end]}} in layout order, escaped like
 *       serde_json (see {@link Json});</li>
 *   <li>the header is padded with spaces to a multiple of 8 bytes, so with the 8-byte length prefix the
 *       data buffer starts 8-byte aligned, as does every tensor after it when sizes allow.</li>
 * </ul>
 * One documented difference: the reference keeps metadata in a Rust {@code HashMap}, so its key order
 * is arbitrary; we write metadata keys sorted (code-point order) so our output is deterministic. An
 * empty or null metadata map writes no {@code __metadata__} key at all.
 *
 * <p>Atomic replacement ({@link AtomicFiles}): the file is written to a temporary file in the target's
 * directory, forced to disk ({@code fsync}), then renamed over the target (POSIX {@code rename}), and the
 * directory is synced (best effort). A crash or error at any point leaves either the old file or the new
 * one, never a mix, and never loses the old file. Everything
 * that can be checked in memory (shapes against data, value ranges, names, header size) is checked
 * before any file is created. The new file gets the default permissions (umask), not the old file's.
 */
public final class SafeTensorsWriter {
    private SafeTensorsWriter() {}

    private static final int CHUNK_BYTES = 1 << 20;

    /**
     * One tensor to write: a dtype, a shape and row-major data, already checked against each other.
     * The data array is not copied; do not change it until {@link #write} returns.
     */
    public static final class TensorData {
        private final SafeTensorsDType dtype;
        private final long[] shape;
        private final float[] floats;
        private final long[] longs;

        private TensorData(SafeTensorsDType dtype, long[] shape, float[] floats, long[] longs) {
            this.dtype = dtype;
            this.shape = shape;
            this.floats = floats;
            this.longs = longs;
        }

        /** float32 data stored as F32. */
        public static TensorData floats(long[] shape, float[] data) {
            return floats(SafeTensorsDType.F32, shape, data);
        }

        /**
         * float32 data stored as {@code dtype}: F32 as is, F64 widened exactly, F16 and BF16 rounded to
         * nearest even (see {@link FloatFormats}).
         *
         * @throws IllegalArgumentException for another dtype, a negative dimension, or a shape whose
         *         element count differs from {@code data.length}
         */
        public static TensorData floats(SafeTensorsDType dtype, long[] shape, float[] data) {
            if (dtype != SafeTensorsDType.F32 && dtype != SafeTensorsDType.F16 && dtype != SafeTensorsDType.BF16
                    && dtype != SafeTensorsDType.F64) {
                throw new IllegalArgumentException("SafeTensorsWriter.TensorData.floats: dtype " + dtype + " is not one of F32, F16, BF16, F64");
            }
            if (data == null) throw new IllegalArgumentException("SafeTensorsWriter.TensorData.floats: data is null");
            long[] s = checkShape(shape, data.length, dtype);
            return new TensorData(dtype, s, data, null);
        }

        /** Like {@link #floats(SafeTensorsDType, long[], float[])} with an int shape. */
        public static TensorData floats(SafeTensorsDType dtype, int[] shape, float[] data) {
            return floats(dtype, toLongs(shape), data);
        }

        /**
         * Integer data stored as {@code dtype} (I64, I32, I16, I8, U8, U16, U32, U64 or BOOL). U64 takes the
         * longs' bits as unsigned; the others must fit their range (BOOL: 0 or 1).
         *
         * @throws IllegalArgumentException for a non-integer dtype, a value out of its range, a negative
         *         dimension, or a shape whose element count differs from {@code data.length}
         */
        public static TensorData longs(SafeTensorsDType dtype, long[] shape, long[] data) {
            if (dtype == null || !dtype.isInteger()) {
                throw new IllegalArgumentException("SafeTensorsWriter.TensorData.longs: dtype " + dtype + " is not an integer type");
            }
            if (data == null) throw new IllegalArgumentException("SafeTensorsWriter.TensorData.longs: data is null");
            long[] s = checkShape(shape, data.length, dtype);
            long min, max;
            switch (dtype) {
                case BOOL -> { min = 0; max = 1; }
                case U8 -> { min = 0; max = 0xFF; }
                case I8 -> { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
                case U16 -> { min = 0; max = 0xFFFF; }
                case I16 -> { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
                case U32 -> { min = 0; max = 0xFFFF_FFFFL; }
                case I32 -> { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
                default -> { min = Long.MIN_VALUE; max = Long.MAX_VALUE; } // I64, and U64 as raw bits
            }
            for (int i = 0; i < data.length; i++) {
                if (data[i] < min || data[i] > max) {
                    throw new IllegalArgumentException("SafeTensorsWriter.TensorData.longs: value " + data[i] + " at index " + i
                            + " is outside the " + dtype + " range [" + min + ", " + max + "]");
                }
            }
            return new TensorData(dtype, s, null, data);
        }

        /** Like {@link #longs(SafeTensorsDType, long[], long[])} with an int shape. */
        public static TensorData longs(SafeTensorsDType dtype, int[] shape, long[] data) {
            return longs(dtype, toLongs(shape), data);
        }

        public SafeTensorsDType dtype() {
            return dtype;
        }

        /** A copy of the shape. */
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements. */
        public int numel() {
            return floats != null ? floats.length : longs.length;
        }

        long byteLength() {
            return dtype.byteLength(numel());
        }

        private static long[] checkShape(long[] shape, int length, SafeTensorsDType dtype) {
            if (shape == null) throw new IllegalArgumentException("SafeTensorsWriter.TensorData: shape is null");
            long n = 1;
            for (long d : shape) {
                if (d < 0) throw new IllegalArgumentException("SafeTensorsWriter.TensorData: negative dimension in shape " + Arrays.toString(shape));
                n = d == 0 || n == 0 ? 0 : (n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d); // saturate: only equality with length matters
            }
            if (n != length) {
                throw new IllegalArgumentException("SafeTensorsWriter.TensorData: shape " + Arrays.toString(shape) + " of " + dtype + " has "
                        + (n == Long.MAX_VALUE ? "too many" : Long.toString(n)) + " elements but the data array has " + length);
            }
            return shape.clone();
        }

        private static long[] toLongs(int[] shape) {
            if (shape == null) throw new IllegalArgumentException("SafeTensorsWriter.TensorData: shape is null");
            long[] s = new long[shape.length];
            for (int i = 0; i < s.length; i++) s[i] = shape[i];
            return s;
        }
    }

    /** A tensor placed in the data buffer. */
    private record Placed(String name, TensorData data, long begin, long end) {}

    /** The whole file but the data: the 8-byte prefix and the padded header, with the layout it describes. */
    private record Prepared(byte[] prefixAndHeader, List<Placed> layout, long totalBytes) {}

    /**
     * Writes {@code tensors} and {@code metadata} to {@code target}, replacing it atomically if it exists.
     *
     * @param tensors  name to data; the layout order is the reference's, not this map's
     * @param metadata free-form strings for {@code __metadata__} (PyTorch writes {@code {"format": "pt"}}),
     *                 or null
     * @throws IllegalArgumentException if a name is null or {@code "__metadata__"}, a value is null, or
     *         the header would exceed {@link SafeTensorsFile#MAX_HEADER_BYTES}; nothing is written then
     * @throws IOException if writing, syncing or renaming fails; the target is then untouched and the
     *         temporary file removed
     */
    public static void write(Path target, Map<String, TensorData> tensors, Map<String, String> metadata) throws IOException {
        Prepared p = prepare(tensors, metadata);
        try {
            AtomicFiles.write(target, out -> {
                AtomicFiles.writeFully(out, ByteBuffer.wrap(p.prefixAndHeader));
                writeData(out, p.layout);
                if (out.position() != p.totalBytes) {
                    throw new IOException("wrote " + out.position() + " bytes, expected " + p.totalBytes);
                }
            });
        } catch (IOException e) {
            throw new IOException("SafeTensorsWriter: could not write " + target.toAbsolutePath() + " (left unchanged): "
                    + e.getMessage(), e);
        }
    }

    /** The complete file as bytes (for small payloads and tests); same layout as {@link #write}. */
    public static byte[] toBytes(Map<String, TensorData> tensors, Map<String, String> metadata) {
        Prepared p = prepare(tensors, metadata);
        if (p.totalBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("SafeTensorsWriter.toBytes: " + p.totalBytes + " bytes do not fit a byte array; use write");
        }
        byte[] bytes = new byte[(int) p.totalBytes];
        System.arraycopy(p.prefixAndHeader, 0, bytes, 0, p.prefixAndHeader.length);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (Placed t : p.layout) encode(t.data, 0, t.data.numel(), seg, p.prefixAndHeader.length + t.begin);
        return bytes;
    }

    /**
     * The header JSON exactly as written, padding included (without the 8-byte length), for inspection.
     */
    public static String header(Map<String, TensorData> tensors, Map<String, String> metadata) {
        byte[] b = prepare(tensors, metadata).prefixAndHeader;
        return new String(b, 8, b.length - 8, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- internals

    /** Code-point order, which is the byte order of the UTF-8 encodings (Rust's String order). */
    static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private static Prepared prepare(Map<String, TensorData> tensors, Map<String, String> metadata) {
        if (tensors == null) throw new IllegalArgumentException("SafeTensorsWriter: tensors map is null");
        List<Map.Entry<String, TensorData>> sorted = new ArrayList<>(tensors.entrySet());
        for (Map.Entry<String, TensorData> e : sorted) {
            if (e.getKey() == null) throw new IllegalArgumentException("SafeTensorsWriter: a tensor name is null");
            if (SafeTensorsFile.METADATA_KEY.equals(e.getKey())) {
                throw new IllegalArgumentException("SafeTensorsWriter: \"" + SafeTensorsFile.METADATA_KEY + "\" is reserved and cannot name a tensor");
            }
            if (e.getValue() == null) throw new IllegalArgumentException("SafeTensorsWriter: tensor '" + e.getKey() + "' has no data (null)");
        }
        // The reference: data.sort_by(|(lname, left), (rname, right)| right.dtype().cmp(&left.dtype()).then(lname.cmp(rname)))
        sorted.sort(Comparator.<Map.Entry<String, TensorData>>comparingInt(e -> -e.getValue().dtype.ordinal())
                .thenComparing(Map.Entry::getKey, CODE_POINT_ORDER));

        StringBuilder json = new StringBuilder(64 + 96 * sorted.size());
        json.append('{');
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            TreeMap<String, String> meta = new TreeMap<>(CODE_POINT_ORDER);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("SafeTensorsWriter: metadata has a null key or value (" + e.getKey() + " -> " + e.getValue() + ")");
                }
                meta.put(e.getKey(), e.getValue());
            }
            Json.appendQuoted(json, SafeTensorsFile.METADATA_KEY);
            json.append(':');
            Json.write(json, meta);
            first = false;
        }
        List<Placed> layout = new ArrayList<>(sorted.size());
        long offset = 0;
        for (Map.Entry<String, TensorData> e : sorted) {
            TensorData t = e.getValue();
            long end = offset + t.byteLength();
            layout.add(new Placed(e.getKey(), t, offset, end));
            if (!first) json.append(',');
            first = false;
            Json.appendQuoted(json, e.getKey());
            json.append(":{\"dtype\":\"").append(t.dtype.name()).append("\",\"shape\":");
            Json.write(json, t.shape);
            json.append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8; // the reference: metadata_buf.len().next_multiple_of(8), filled with b' '
        if (padded > SafeTensorsFile.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("SafeTensorsWriter: header of " + padded + " bytes exceeds the format's limit of "
                    + SafeTensorsFile.MAX_HEADER_BYTES + " (" + sorted.size() + " tensors)");
        }
        byte[] prefixAndHeader = new byte[8 + padded];
        ByteBuffer.wrap(prefixAndHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).put(header);
        Arrays.fill(prefixAndHeader, 8 + header.length, prefixAndHeader.length, (byte) ' ');
        return new Prepared(prefixAndHeader, layout, prefixAndHeader.length + offset);
    }

    private static void writeData(FileChannel out, List<Placed> layout) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        for (Placed t : layout) {
            int size = t.data.dtype.byteSize();
            int perChunk = CHUNK_BYTES / size;
            int n = t.data.numel();
            for (int from = 0; from < n; from += perChunk) {
                int count = Math.min(perChunk, n - from);
                encode(t.data, from, count, seg, 0);
                buf.clear().limit(count * size);
                AtomicFiles.writeFully(out, buf);
            }
        }
    }

    /** Encodes elements {@code [from, from + count)} of {@code t} little-endian into {@code dst} at {@code at}. */
    private static void encode(TensorData t, int from, int count, MemorySegment dst, long at) {
        float[] f = t.floats;
        long[] l = t.longs;
        switch (t.dtype) {
            case F32 -> MemorySegment.copy(f, from, dst, LittleEndian.F32, at, count);
            case F64 -> { for (int i = 0; i < count; i++) dst.set(LittleEndian.F64, at + 8L * i, f[from + i]); }
            case F16 -> { for (int i = 0; i < count; i++) dst.set(LittleEndian.I16, at + 2L * i, FloatFormats.floatToF16(f[from + i])); }
            case BF16 -> { for (int i = 0; i < count; i++) dst.set(LittleEndian.I16, at + 2L * i, FloatFormats.floatToBf16(f[from + i])); }
            case I64, U64 -> MemorySegment.copy(l, from, dst, LittleEndian.I64, at, count);
            case I32, U32 -> { for (int i = 0; i < count; i++) dst.set(LittleEndian.I32, at + 4L * i, (int) l[from + i]); }
            case I16, U16 -> { for (int i = 0; i < count; i++) dst.set(LittleEndian.I16, at + 2L * i, (short) l[from + i]); }
            case I8, U8, BOOL -> { for (int i = 0; i < count; i++) dst.set(LittleEndian.I8, at + i, (byte) l[from + i]); }
            default -> throw new IllegalStateException("SafeTensorsWriter: no encoder for " + t.dtype);
        }
    }
}
