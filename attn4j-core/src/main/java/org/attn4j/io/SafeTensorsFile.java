package org.attn4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: the header parsed and checked, the data memory-mapped.
 *
 * <p>Format (huggingface/safetensors README, "Format"):
 * <pre>
 *   8 bytes   N, unsigned little-endian u64: the header length
 *   N bytes   UTF-8 JSON object: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
 *             ..., "__metadata__": {"key": "value", ...}}   (may end with spaces: padding)
 *   rest      the data buffer; offsets are relative to its first byte; little-endian, row-major
 * </pre>
 *
 * <p>The file is treated as hostile. {@link #open} reads only the 8-byte length and the header
 * (allocating nothing the file could make larger than {@link #MAX_HEADER_BYTES} or the file itself)
 * and checks, before mapping anything, the rules of the reference implementation
 * ({@code SafeTensors::read_metadata} and {@code Metadata::validate} in {@code safetensors/src/tensor.rs}):
 * <ul>
 *   <li>the header length is at most 100,000,000 bytes and lies within the file;</li>
 *   <li>the header is valid UTF-8 and one strict JSON object (only JSON whitespace may follow it, which
 *       covers the space padding); {@code __metadata__}, if present, maps strings to strings;</li>
 *   <li>every tensor has a known {@code dtype}, a {@code shape} of non-negative integers and two
 *       non-negative integer {@code data_offsets} with {@code begin <= end}; no name appears twice;</li>
 *   <li>the shape's element count times the dtype size, computed without overflow, is exactly
 *       {@code end - begin};</li>
 *   <li>sorted by offset, the tensors tile the data buffer exactly: the first begins at 0, each begins
 *       where the previous ended (no hole, no overlap) and the last ends at the end of the file.</li>
 * </ul>
 * Two limits go beyond the reference, both documented as deviations: shapes have at most
 * {@link #MAX_RANK} dimensions, and objects in the header nest at most {@link #MAX_HEADER_DEPTH} deep
 * (a real header nests 3 deep). Unknown fields inside a tensor's entry are ignored, as the reference
 * does. Every violation is a {@link SafeTensorsFormatException} naming the file and the tensor.
 *
 * <p>Memory: the header is parsed by a pull reader straight into {@link SafeTensorsEntry} objects,
 * so a crafted header cannot grow a generic JSON tree; what it can cost is bounded by a small
 * multiple of its own length, which is at most min(100 MB, file size). Measured: a 96 MB header of
 * 1.2 million tensors (the most that fit under the cap) retains 143 MB once open, on top of the
 * header's bytes and text while it is parsed; a realistic header (hundreds of tensors) costs
 * kilobytes and milliseconds. Tensor data is never copied
 * until asked for: {@link #bytes} returns a view of the mapping, {@link #readFloats} and
 * {@link #readLongs} copy one tensor out.
 *
 * <p>Thread safety: the mapping belongs to a shared {@link Arena}, so several threads may read
 * tensors at once; {@link #close()} unmaps it and must not race with reads. If another process
 * truncates the file while it is mapped, reads fail with an {@link InternalError} (the JVM's report of
 * a fault in mapped memory); safetensors files are written once and replaced by rename (as
 * {@link SafeTensorsWriter} does), so that does not happen in normal use.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** Largest header accepted, as in the reference implementation ({@code MAX_HEADER_SIZE}). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Most dimensions a tensor may have (NumPy's limit; the reference has none, no real model comes near). */
    public static final int MAX_RANK = 64;
    /** Deepest nesting of objects and arrays in a header (a valid header nests 3 deep). */
    public static final int MAX_HEADER_DEPTH = 32;
    /** Key of the optional string-to-string metadata object. */
    public static final String METADATA_KEY = "__metadata__";

    /** Java arrays hold a little less than Integer.MAX_VALUE elements on HotSpot. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Path path;
    private final long headerLength;
    private final long dataStart;
    private final List<String> names;
    private final Map<String, SafeTensorsEntry> entries;
    private final Map<String, String> metadata;
    private final Arena arena;
    private final MemorySegment mapped;
    private volatile boolean closed;

    private SafeTensorsFile(Path path, long headerLength, List<SafeTensorsEntry> ordered, Map<String, SafeTensorsEntry> byName,
                            Map<String, String> metadata, Arena arena, MemorySegment mapped) {
        this.path = path;
        this.headerLength = headerLength;
        this.dataStart = 8 + headerLength;
        List<String> n = new ArrayList<>(ordered.size());
        for (SafeTensorsEntry e : ordered) n.add(e.name());
        this.names = Collections.unmodifiableList(n);
        this.entries = byName;
        this.metadata = metadata;
        this.arena = arena;
        this.mapped = mapped;
    }

    /**
     * Opens, validates and memory-maps {@code path}.
     *
     * @throws SafeTensorsFormatException if the file breaks any rule listed in the class comment
     * @throws IOException                if it cannot be read
     */
    public static SafeTensorsFile open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsFormatException(path, "file is " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0, path);
            long n = prefix.getLong(0); // an unsigned u64: anything >= 2^63 reads as negative here
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafeTensorsFormatException(path, "header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (n > size - 8) {
                throw new SafeTensorsFormatException(path, "header length " + n + " runs past the end of the file ("
                        + size + " bytes, so at most " + (size - 8) + " bytes of header)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            readFully(ch, headerBytes, 8, path);
            String header = decodeUtf8(headerBytes.array(), path);
            headerBytes = null; // let a large header's bytes go before the entries are built
            long dataLength = size - 8 - n;
            Parsed parsed = parseHeader(header, path);
            List<SafeTensorsEntry> ordered = checkLayout(parsed.entries.values(), dataLength, path);

            // Only now, with every offset known to lie inside the file, map it.
            Arena arena = Arena.ofShared();
            try {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new SafeTensorsFile(path, n, ordered, parsed.entries, parsed.metadata, arena, mapped);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- header parsing and checks

    /** Entries by name in header order, and the metadata. */
    private record Parsed(Map<String, SafeTensorsEntry> entries, Map<String, String> metadata) {}

    private static final String[] FIELDS = {"dtype", "shape", "data_offsets"};

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, at);
            if (r < 0) {
                throw new SafeTensorsFormatException(path, "file ended at byte " + at + " while reading the header (was it truncated while open?)");
            }
            at += r;
        }
    }

    /**
     * Strict UTF-8 decoding. {@code new String(bytes, UTF_8)} would silently replace malformed input, so
     * a strict decoder checks first, through a small reused buffer (not a second copy of a large header).
     */
    private static String decodeUtf8(byte[] bytes, Path path) throws SafeTensorsFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer scratch = CharBuffer.allocate(8192);
        CoderResult result;
        do {
            scratch.clear();
            result = decoder.decode(in, scratch, true);
        } while (result.isOverflow());
        if (!result.isError()) {
            scratch.clear();
            result = decoder.flush(scratch);
        }
        if (result.isError()) {
            throw new SafeTensorsFormatException(path, "header is not valid UTF-8 at header byte " + in.position()
                    + " (file byte " + (8 + in.position()) + ")");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Parsed parseHeader(String header, Path path) throws SafeTensorsFormatException {
        JsonReader r = new JsonReader(header, MAX_HEADER_DEPTH);
        Map<String, SafeTensorsEntry> entries = new LinkedHashMap<>();
        long[] scratch = new long[MAX_RANK];
        Map<String, String> metadata = null;
        String current = null; // the tensor being read, for messages
        try {
            if (r.peek() != JsonReader.Token.BEGIN_OBJECT) {
                throw new SafeTensorsFormatException(path, "header is not a JSON object: it starts with " + describe(r.peek())
                        + " (" + r.error("expected '{'").getMessage() + ")");
            }
            r.beginObject();
            while (r.hasNext()) {
                int at = r.position();
                String name = r.nextName();
                if (METADATA_KEY.equals(name)) {
                    if (metadata != null) throw schema(path, r, at, "duplicate key \"" + METADATA_KEY + "\"");
                    metadata = readMetadata(r, path);
                    continue;
                }
                current = name;
                if (entries.containsKey(name)) throw schema(path, r, at, "tensor '" + name + "': duplicate tensor name in the header");
                entries.put(name, readEntry(r, name, path, scratch));
                current = null;
            }
            r.endObject();
            r.endDocument();
        } catch (JsonException e) {
            throw new SafeTensorsFormatException(path, "header is not valid JSON" + (current == null ? "" : " (in tensor '" + current + "')")
                    + ": " + e.getMessage(), e);
        }
        return new Parsed(entries, metadata == null ? Map.of() : Collections.unmodifiableMap(metadata));
    }

    private static Map<String, String> readMetadata(JsonReader r, Path path) throws SafeTensorsFormatException {
        Map<String, String> m = new LinkedHashMap<>();
        if (r.peek() == JsonReader.Token.NULL) { // serde reads null as "no metadata"
            r.nextNull();
            return m;
        }
        if (r.peek() != JsonReader.Token.BEGIN_OBJECT) {
            throw schema(path, r, r.position(), "\"" + METADATA_KEY + "\" must be an object of strings, found " + describe(r.peek()));
        }
        r.beginObject();
        while (r.hasNext()) {
            int at = r.position();
            String key = r.nextName();
            if (m.containsKey(key)) throw schema(path, r, at, "duplicate key \"" + key + "\" in \"" + METADATA_KEY + "\"");
            if (r.peek() != JsonReader.Token.STRING) {
                throw schema(path, r, r.position(), "\"" + METADATA_KEY + "\" value of \"" + key + "\" must be a string, found " + describe(r.peek()));
            }
            m.put(key, r.nextString());
        }
        r.endObject();
        return m;
    }

    private static SafeTensorsEntry readEntry(JsonReader r, String name, Path path, long[] scratch) throws SafeTensorsFormatException {
        String where = "tensor '" + name + "'";
        if (r.peek() != JsonReader.Token.BEGIN_OBJECT) {
            throw schema(path, r, r.position(), where + ": expected an object with dtype, shape and data_offsets, found " + describe(r.peek()));
        }
        int entryAt = r.position();
        r.beginObject();
        SafeTensorsDType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (r.hasNext()) {
            int at = r.position();
            switch (r.nextName(FIELDS)) {
                case 0 -> { // dtype
                    if (dtype != null) throw schema(path, r, at, where + ": duplicate field \"dtype\"");
                    int valueAt = r.position();
                    if (r.peek() != JsonReader.Token.STRING) throw schema(path, r, valueAt, where + ": dtype must be a string, found " + describe(r.peek()));
                    String text = r.nextString();
                    dtype = SafeTensorsDType.fromName(text);
                    if (dtype == null) {
                        throw schema(path, r, valueAt, where + ": unknown dtype \"" + text + "\" (known: " + Arrays.toString(SafeTensorsDType.values()) + ")");
                    }
                }
                case 1 -> { // shape
                    if (shape != null) throw schema(path, r, at, where + ": duplicate field \"shape\"");
                    shape = readCounts(r, path, where, "shape", MAX_RANK, "dimension", scratch);
                }
                case 2 -> { // data_offsets
                    if (offsets != null) throw schema(path, r, at, where + ": duplicate field \"data_offsets\"");
                    int valueAt = r.position();
                    offsets = readCounts(r, path, where, "data_offsets", 2, "offset", scratch);
                    if (offsets.length != 2) {
                        throw schema(path, r, valueAt, where + ": data_offsets must be [begin, end], found " + offsets.length + " numbers");
                    }
                }
                default -> r.skipValue(); // serde ignores unknown fields of TensorInfo; so do we
            }
        }
        r.endObject();
        if (dtype == null) throw schema(path, r, entryAt, where + ": missing \"dtype\"");
        if (shape == null) throw schema(path, r, entryAt, where + ": missing \"shape\"");
        if (offsets == null) throw schema(path, r, entryAt, where + ": missing \"data_offsets\"");
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw schema(path, r, entryAt, where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long numel = 1;
        for (long d : shape) {
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException e) {
                throw schema(path, r, entryAt, where + ": shape " + Arrays.toString(shape) + " has more elements than a 64-bit count holds");
            }
        }
        long bytes;
        try {
            bytes = dtype.byteLength(numel);
        } catch (ArithmeticException e) {
            throw schema(path, r, entryAt, where + ": shape " + Arrays.toString(shape) + " of " + dtype + " has no valid byte length: " + e.getMessage());
        }
        if (end - begin != bytes) {
            throw schema(path, r, entryAt, where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
        }
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    /** Reads an array of at most {@code max} (at most {@code scratch.length}) non-negative integers. */
    private static long[] readCounts(JsonReader r, Path path, String where, String field, int max, String what, long[] scratch)
            throws SafeTensorsFormatException {
        if (r.peek() != JsonReader.Token.BEGIN_ARRAY) {
            throw schema(path, r, r.position(), where + ": " + field + " must be an array of integers, found " + describe(r.peek()));
        }
        r.beginArray();
        int count = 0;
        while (r.hasNext()) {
            int at = r.position();
            if (count == max) {
                throw schema(path, r, at, where + ": " + field + " has more than " + max + " entries");
            }
            if (r.peek() != JsonReader.Token.NUMBER) {
                throw schema(path, r, at, where + ": " + field + " must hold integers, found " + describe(r.peek()));
            }
            long v = r.nextLong();
            if (v < 0) throw schema(path, r, at, where + ": negative " + what + " " + v + " in " + field);
            scratch[count++] = v;
        }
        r.endArray();
        return Arrays.copyOf(scratch, count);
    }

    /** Checks that the entries, sorted by offset, tile {@code [0, dataLength)} exactly; returns them in that order. */
    private static List<SafeTensorsEntry> checkLayout(Collection<SafeTensorsEntry> entries, long dataLength, Path path)
            throws SafeTensorsFormatException {
        for (SafeTensorsEntry e : entries) {
            if (e.end() > dataLength) {
                throw new SafeTensorsFormatException(path, "tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end()
                        + "] lie outside the data buffer, which holds " + dataLength + " bytes (the file ends at data offset " + dataLength + ")");
            }
        }
        List<SafeTensorsEntry> sorted = new ArrayList<>(entries);
        // Stable: empty tensors sharing an offset keep their header order. The reference sorts the same way.
        sorted.sort(Comparator.comparingLong(SafeTensorsEntry::begin).thenComparingLong(SafeTensorsEntry::end));
        long expected = 0;
        SafeTensorsEntry previous = null;
        for (SafeTensorsEntry e : sorted) {
            if (e.begin() > expected) {
                String before = previous == null ? "the start of the data buffer" : "tensor '" + previous.name() + "' (ends at " + expected + ")";
                throw new SafeTensorsFormatException(path, "tensor '" + e.name() + "': hole of " + (e.begin() - expected)
                        + " unused bytes between " + before + " and its data_offsets [" + e.begin() + ", " + e.end() + "]");
            }
            if (e.begin() < expected) {
                throw new SafeTensorsFormatException(path, "tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataLength) {
            String last = previous == null ? "no tensor at all" : "the last tensor '" + previous.name() + "' (ends at " + expected + ")";
            throw new SafeTensorsFormatException(path, (dataLength - expected) + " bytes of data after " + last
                    + " belong to no tensor (the data buffer holds " + dataLength + " bytes)");
        }
        return sorted;
    }

    private static SafeTensorsFormatException schema(Path path, JsonReader r, int at, String problem) {
        JsonException where = r.errorAt(at, "");
        return new SafeTensorsFormatException(path, problem + " (header line " + where.line() + ", column " + where.column() + ")");
    }

    private static String describe(JsonReader.Token t) {
        return switch (t) {
            case BEGIN_OBJECT -> "an object";
            case BEGIN_ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> t.toString();
        };
    }

    // ---------------------------------------------------------------- access

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** N, the header length from the first 8 bytes (padding included). */
    public long headerLength() {
        return headerLength;
    }

    /**
     * Tensor names in the order their data lies in the file (by {@code data_offsets}). For files written
     * by the reference implementation or {@link SafeTensorsWriter} that is also the header's order.
     */
    public List<String> names() {
        return names;
    }

    /** All entries, in the order of {@link #names()}. */
    public List<SafeTensorsEntry> entries() {
        List<SafeTensorsEntry> list = new ArrayList<>(names.size());
        for (String n : names) list.add(entries.get(n));
        return list;
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /**
     * The entry for {@code name}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public SafeTensorsEntry entry(String name) {
        SafeTensorsEntry e = entries.get(name);
        if (e == null) {
            List<String> some = names.subList(0, Math.min(names.size(), 10));
            throw new IllegalArgumentException("safetensors file " + path + " has no tensor '" + name + "' (it holds " + names.size()
                    + " tensors" + (names.isEmpty() ? "" : ": " + String.join(", ", some) + (names.size() > some.size() ? ", ..." : "")) + ")");
        }
        return e;
    }

    /** The {@code __metadata__} map, in header order (empty if the header has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The raw little-endian bytes of tensor {@code name}: a read-only view of the mapping, valid until
     * {@link #close()}.
     */
    public MemorySegment bytes(String name) {
        SafeTensorsEntry e = entry(name);
        return live().asSlice(dataStart + e.begin(), e.byteLength());
    }

    /**
     * Copies tensor {@code name} out as float32, widening: F32 as is; F64 rounded to nearest; F16, BF16
     * and the float8 types exactly (see {@link FloatFormats}); integers and BOOL (0 or 1) converted
     * with rounding to nearest (exact up to 2^24).
     *
     * @return {@code numel} values, row-major
     * @throws IllegalArgumentException for a missing tensor, a dtype that is not a real number (C64) or
     *         is packed below a byte (F4, F6_*), or a tensor too large for a Java array
     */
    public float[] readFloats(String name) {
        SafeTensorsEntry e = entry(name);
        int n = arrayLength(e);
        MemorySegment s = live();
        long at = dataStart + e.begin();
        if (!SafeTensorsDecoding.widensToFloat(e.dtype())) {
            throw new IllegalArgumentException("safetensors file " + path + ": tensor '" + name + "' is " + e.dtype()
                    + ", which readFloats does not widen to float32 (read its raw bytes with bytes(name))");
        }
        float[] out = new float[n];
        SafeTensorsDecoding.toFloats(e.dtype(), s, at, out, n);
        return out;
    }

    /**
     * Copies integer (or BOOL, as 0/1) tensor {@code name} out as longs. U64 values are returned bit for
     * bit: those at or above 2^63 come out negative (see {@link Long#toUnsignedString(long)}).
     *
     * @return {@code numel} values, row-major
     * @throws IllegalArgumentException for a missing tensor, a floating-point dtype, or a tensor too large
     *         for a Java array
     */
    public long[] readLongs(String name) {
        SafeTensorsEntry e = entry(name);
        if (!e.dtype().isInteger()) {
            throw new IllegalArgumentException("safetensors file " + path + ": tensor '" + name + "' is " + e.dtype()
                    + ", not an integer type; use readFloats");
        }
        int n = arrayLength(e);
        MemorySegment s = live();
        long at = dataStart + e.begin();
        long[] out = new long[n];
        SafeTensorsDecoding.toLongs(e.dtype(), s, at, out, n);
        return out;
    }

    /** Unmaps the file. Idempotent; views from {@link #bytes} become unusable. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + names.size() + " tensors]";
    }

    private MemorySegment live() {
        if (closed) throw new IllegalStateException("safetensors file " + path + " is closed");
        return mapped;
    }

    private int arrayLength(SafeTensorsEntry e) {
        if (e.numel() > MAX_ARRAY) {
            throw new IllegalArgumentException("safetensors file " + path + ": tensor '" + e.name() + "' has " + e.numel()
                    + " elements, more than a Java array holds; read its raw bytes with bytes(name)");
        }
        return (int) e.numel();
    }
}
