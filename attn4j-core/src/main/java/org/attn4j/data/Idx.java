package org.attn4j.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader of the IDX file format used by MNIST and Fashion-MNIST.
 *
 * <p>Format (Y. LeCun, "THE MNIST DATABASE of handwritten digits", section "FILE FORMATS FOR THE MNIST
 * DATABASE"): a 4-byte magic {@code 0x00 0x00 dtype ndim}, then {@code ndim} dimensions as 4-byte
 * big-endian integers, then the elements in row-major (C) order, big-endian. The file may be gzip
 * compressed; compression is detected by the gzip magic {@code 0x1f 0x8b}, not by the file name.
 *
 * <p>Everything is checked before an element is trusted: the magic, the dtype, that the dimensions are
 * non-negative and their product neither overflows nor exceeds what the file can hold (so a corrupt
 * header never triggers a huge allocation), and that the data is exactly as long as the header says —
 * a truncated file and a file with trailing bytes are both errors naming expected and actual byte
 * counts. For gzip files the gzip trailer (CRC-32 and length) is verified by reading the stream to its
 * end. Every error is an {@link IOException} whose message starts with the file name.
 */
public final class Idx {
    private Idx() {}

    /** dtype code: unsigned byte (the MNIST / Fashion-MNIST images and labels). */
    public static final int UBYTE = 0x08;
    /** dtype code: signed byte. */
    public static final int BYTE = 0x09;
    /** dtype code: 16-bit signed integer, big-endian. */
    public static final int SHORT = 0x0B;
    /** dtype code: 32-bit signed integer, big-endian. */
    public static final int INT = 0x0C;
    /** dtype code: 32-bit IEEE float, big-endian. */
    public static final int FLOAT = 0x0D;
    /** dtype code: 64-bit IEEE float, big-endian. */
    public static final int DOUBLE = 0x0E;

    /**
     * Deflate cannot compress better than about 1032:1 (a 258-byte match costs at least 2 bits), so a
     * gzip file of {@code c} bytes decompresses to at most about {@code 1032 c} bytes. Used to reject
     * absurd dimensions in a gzip file before allocating.
     */
    static final long MAX_DEFLATE_RATIO = 1032;

    /** Java arrays hold at most a little under 2^31 elements. */
    static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    /**
     * The content of one IDX file.
     *
     * @param source where it was read from (for messages)
     * @param dtype  one of {@link #UBYTE}, {@link #BYTE}, {@link #SHORT}, {@link #INT}, {@link #FLOAT},
     *               {@link #DOUBLE}
     * @param shape  the dimensions, outermost first (for example {@code [60000, 28, 28]})
     * @param data   the raw element bytes, big-endian, row-major; length = size() * elementSize(dtype)
     */
    public record Array(String source, int dtype, int[] shape, byte[] data) {
        public Array {
            shape = shape.clone();
            long n = 1;
            for (int d : shape) {
                if (d < 0) throw new IllegalArgumentException("Idx.Array " + source + ": negative dimension in shape "
                        + Arrays.toString(shape));
                n = n * d;
                if (n > MAX_ARRAY_BYTES) break;
            }
            if (elementSize(dtype) < 0 || n * elementSize(dtype) != data.length) {
                throw new IllegalArgumentException("Idx.Array " + source + ": shape " + Arrays.toString(shape)
                        + " with dtype " + dtypeName(dtype) + " needs " + n * elementSize(dtype)
                        + " bytes, data has " + data.length);
            }
        }

        /** The number of elements, the product of {@link #shape()}. */
        public int size() {
            return data.length / elementSize(dtype);
        }

        /** The dimensions, outermost first (a copy). */
        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** The number of dimensions. */
        public int ndim() {
            return shape.length;
        }

        /** Every element converted to float, row-major; for UBYTE the values are 0..255. */
        public float[] toFloats() {
            int n = size();
            float[] out = new float[n];
            switch (dtype) {
                case UBYTE -> { for (int i = 0; i < n; i++) out[i] = data[i] & 0xFF; }
                case BYTE -> { for (int i = 0; i < n; i++) out[i] = data[i]; }
                default -> {
                    ByteBuffer b = ByteBuffer.wrap(data); // big-endian by default, as IDX
                    switch (dtype) {
                        case SHORT -> { for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i); }
                        case INT -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
                        case FLOAT -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(4 * i); }
                        case DOUBLE -> { for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * i); }
                        default -> throw new IllegalStateException("unreachable dtype " + dtype);
                    }
                }
            }
            return out;
        }

        /**
         * Every element as int, row-major; for UBYTE the values are 0..255.
         *
         * @throws IllegalArgumentException for the floating dtypes
         */
        public int[] toInts() {
            int n = size();
            int[] out = new int[n];
            switch (dtype) {
                case UBYTE -> { for (int i = 0; i < n; i++) out[i] = data[i] & 0xFF; }
                case BYTE -> { for (int i = 0; i < n; i++) out[i] = data[i]; }
                case SHORT -> { ByteBuffer b = ByteBuffer.wrap(data); for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i); }
                case INT -> { ByteBuffer b = ByteBuffer.wrap(data); for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
                default -> throw new IllegalArgumentException("Idx.Array.toInts " + source + ": dtype "
                        + dtypeName(dtype) + " is not an integer type");
            }
            return out;
        }
    }

    /** Reads an IDX file, gzip compressed or not. */
    public static Array read(Path file) throws IOException {
        return read(file, null);
    }

    /**
     * Reads an IDX file, gzip compressed or not, feeding every byte of the (decompressed) IDX content,
     * header included, to {@code contentDigest} when it is not null. The digest then identifies the
     * content independently of how it was compressed.
     */
    public static Array read(Path file, MessageDigest contentDigest) throws IOException {
        String name = file.toString();
        long fileBytes;
        try {
            fileBytes = Files.size(file);
        } catch (IOException e) {
            throw new IOException(name + ": cannot read IDX file: " + e, e);
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
            if (contentDigest != null) in = new DigestInputStream(in, contentDigest);
            // Bound on the content length: exact for a plain file, the deflate limit for gzip.
            long maxContent = !gzip ? fileBytes
                    : fileBytes > Long.MAX_VALUE / MAX_DEFLATE_RATIO ? Long.MAX_VALUE : fileBytes * MAX_DEFLATE_RATIO;
            return parse(new DataInputStream(in), name, gzip, fileBytes, maxContent);
        } catch (ZipException e) {
            throw new IOException(name + ": corrupt gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static Array parse(DataInputStream in, String name, boolean gzip, long fileBytes, long maxContent)
            throws IOException {
        String what = gzip ? "decompressed IDX content" : "file";
        byte[] magic = new byte[4];
        int got = in.readNBytes(magic, 0, 4);
        if (got < 4) {
            throw new IOException(name + ": truncated IDX header: expected at least 4 bytes of magic, "
                    + what + " has " + got);
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new IOException(name + ": not an IDX file: magic " + hex(magic)
                    + " does not start with 0x00 0x00" + (gzip ? " (after gunzip)" : ""));
        }
        int dtype = magic[2] & 0xFF;
        int ndim = magic[3] & 0xFF;
        int elementSize = elementSize(dtype);
        if (elementSize < 0) {
            throw new IOException(name + ": unknown IDX dtype 0x" + String.format("%02x", dtype)
                    + " in magic " + hex(magic) + " (known: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int,"
                    + " 0x0d float, 0x0e double)");
        }
        long headerBytes = 4L + 4L * ndim;
        byte[] dimBytes = new byte[4 * ndim];
        got = in.readNBytes(dimBytes, 0, dimBytes.length);
        if (got < dimBytes.length) {
            throw new IOException(name + ": truncated IDX header: " + ndim + " dimensions need "
                    + headerBytes + " header bytes, " + what + " has " + (4 + got));
        }
        ByteBuffer dims = ByteBuffer.wrap(dimBytes);
        int[] shape = new int[ndim];
        long count = 1;
        boolean overflow = false;
        for (int i = 0; i < ndim; i++) {
            shape[i] = dims.getInt(4 * i);
            if (shape[i] < 0) {
                throw new IOException(name + ": IDX dimension " + i + " is negative ("
                        + Integer.toUnsignedString(shape[i]) + " as unsigned) in shape "
                        + Arrays.toString(shape));
            }
            if (!overflow) {
                try {
                    count = Math.multiplyExact(count, shape[i]);
                } catch (ArithmeticException e) {
                    overflow = true; // keep reading the dims so the message shows them all
                }
            }
        }
        long dataBytes;
        try {
            dataBytes = overflow ? -1 : Math.multiplyExact(count, elementSize);
        } catch (ArithmeticException e) {
            dataBytes = -1;
        }
        String shapeText = Arrays.toString(shape) + " " + dtypeName(dtype);
        if (dataBytes < 0) {
            throw new IOException(name + ": absurd IDX shape " + shapeText
                    + ": the element count overflows 64 bits");
        }
        if (!gzip && headerBytes + dataBytes > fileBytes) {
            throw new IOException(name + ": truncated IDX file: header says shape " + shapeText + ", which needs "
                    + (headerBytes + dataBytes) + " bytes (" + headerBytes + " header + " + dataBytes
                    + " data), but the file has " + fileBytes + " bytes");
        }
        if (headerBytes + dataBytes > maxContent) {
            throw new IOException(name + ": absurd IDX shape " + shapeText + ": it needs " + dataBytes
                    + " data bytes, more than a " + fileBytes + "-byte gzip file can hold");
        }
        if (dataBytes > MAX_ARRAY_BYTES) {
            throw new IOException(name + ": IDX shape " + shapeText + " needs " + dataBytes
                    + " bytes, more than one Java array holds (" + MAX_ARRAY_BYTES + ")");
        }
        byte[] data = new byte[(int) dataBytes];
        int read = 0;
        EOFException early = null;
        try {
            while (read < data.length) {
                int r = in.read(data, read, data.length - read);
                if (r < 0) break;
                read += r;
            }
        } catch (EOFException e) {
            early = e; // GZIPInputStream: the compressed stream ended before the deflate end marker
        }
        if (read < data.length) {
            throw new IOException(name + ": truncated IDX " + (gzip ? "gzip " : "") + "file: header says shape "
                    + shapeText + ", which needs " + (headerBytes + dataBytes) + " bytes (" + headerBytes
                    + " header + " + dataBytes + " data), but the " + what + " has only " + (headerBytes + read)
                    + " bytes" + (early != null ? " (" + early.getMessage() + ")" : ""), early);
        }
        // Read to the end: detects trailing bytes and, for gzip, makes GZIPInputStream check its CRC-32
        // and length trailer.
        long extra;
        try {
            extra = in.transferTo(OutputStream.nullOutputStream());
        } catch (EOFException e) {
            throw new IOException(name + ": truncated gzip IDX file: all " + (headerBytes + dataBytes)
                    + " bytes of content were read but the gzip stream ended before its trailer ("
                    + e.getMessage() + ")", e);
        }
        if (extra > 0) {
            throw new IOException(name + ": IDX length mismatch: header says shape " + shapeText + ", which needs "
                    + (headerBytes + dataBytes) + " bytes, but the " + what + " has " + (headerBytes + dataBytes + extra)
                    + " bytes (" + extra + " trailing)");
        }
        return new Array(name, dtype, shape, data);
    }

    /** Bytes per element of an IDX dtype, or -1 when the code is not an IDX dtype. */
    public static int elementSize(int dtype) {
        return switch (dtype) {
            case UBYTE, BYTE -> 1;
            case SHORT -> 2;
            case INT, FLOAT -> 4;
            case DOUBLE -> 8;
            default -> -1;
        };
    }

    /** A readable name of an IDX dtype code. */
    public static String dtypeName(int dtype) {
        return switch (dtype) {
            case UBYTE -> "ubyte";
            case BYTE -> "byte";
            case SHORT -> "short";
            case INT -> "int";
            case FLOAT -> "float";
            case DOUBLE -> "double";
            default -> String.format("0x%02x", dtype);
        };
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            if (!s.isEmpty()) s.append(' ');
            s.append(String.format("0x%02x", x & 0xFF));
        }
        return s.toString();
    }
}
