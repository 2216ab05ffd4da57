package org.attn4j.data;

import static org.attn4j.data.IdxBytes.gzip;
import static org.attn4j.data.IdxBytes.idx;
import static org.attn4j.data.IdxBytes.md5;
import static org.attn4j.data.IdxBytes.ubyte;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    /** 2 x 3 x 4 unsigned bytes covering 0..255 including values above 127 (sign bit set). */
    private static byte[] sample() {
        byte[] data = new byte[24];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 11);
        return data;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static void assertMessage(IOException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message lacks '" + part + "': " + e.getMessage());
        }
    }

    @Test
    void readsUncompressedUbyte() throws IOException {
        Idx.Array a = Idx.read(write("a-idx3-ubyte", ubyte(new int[] {2, 3, 4}, sample())));
        assertEquals(Idx.UBYTE, a.dtype());
        assertArrayEquals(new int[] {2, 3, 4}, a.shape());
        assertEquals(24, a.size());
        int[] ints = a.toInts();
        float[] floats = a.toFloats();
        for (int i = 0; i < 24; i++) {
            assertEquals((i * 11) % 256, ints[i]);
            assertEquals((i * 11) % 256, floats[i]);
        }
    }

    @Test
    void gzipIsDetectedByMagicNotByName() throws IOException {
        byte[] raw = ubyte(new int[] {2, 3, 4}, sample());
        Idx.Array plain = Idx.read(write("plain", raw));
        Idx.Array gzNamed = Idx.read(write("x.gz", gzip(raw)));
        Idx.Array gzUnnamed = Idx.read(write("no-suffix", gzip(raw)));
        assertArrayEquals(plain.data(), gzNamed.data());
        assertArrayEquals(plain.data(), gzUnnamed.data());
        assertArrayEquals(new int[] {2, 3, 4}, gzUnnamed.shape());
    }

    @Test
    void contentDigestIsTheMd5OfTheUncompressedFileForBothForms() throws Exception {
        byte[] raw = ubyte(new int[] {2, 3, 4}, sample());
        for (Path p : new Path[] {write("r", raw), write("g.gz", gzip(raw))}) {
            MessageDigest md = MessageDigest.getInstance("MD5");
            Idx.read(p, md);
            assertEquals(md5(raw), HexFormat.of().formatHex(md.digest()), p.toString());
        }
    }

    @Test
    void decodesOtherDtypesBigEndian() throws IOException {
        ByteBuffer ints = ByteBuffer.allocate(12).putInt(1).putInt(-2).putInt(0x01020304);
        Idx.Array a = Idx.read(write("i", idx(Idx.INT, new int[] {3}, ints.array())));
        assertArrayEquals(new int[] {1, -2, 0x01020304}, a.toInts());

        ByteBuffer floats = ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-0.25f);
        assertArrayEquals(new float[] {1.5f, -0.25f},
                Idx.read(write("f", idx(Idx.FLOAT, new int[] {1, 2}, floats.array()))).toFloats());

        ByteBuffer shorts = ByteBuffer.allocate(4).putShort((short) -300).putShort((short) 7);
        assertArrayEquals(new int[] {-300, 7}, Idx.read(write("s", idx(Idx.SHORT, new int[] {2}, shorts.array()))).toInts());

        ByteBuffer doubles = ByteBuffer.allocate(8).putDouble(-3.0);
        assertArrayEquals(new float[] {-3f}, Idx.read(write("d", idx(Idx.DOUBLE, new int[] {1}, doubles.array()))).toFloats());

        assertArrayEquals(new int[] {-1, 127}, Idx.read(write("b", idx(Idx.BYTE, new int[] {2}, new byte[] {-1, 127}))).toInts());
        Idx.Array f = Idx.read(write("f2", idx(Idx.FLOAT, new int[] {1}, ByteBuffer.allocate(4).putFloat(2f).array())));
        assertThrows(IllegalArgumentException.class, f::toInts);
    }

    @Test
    void truncatedUncompressedFileNamesExpectedAndActualBytes() throws IOException {
        byte[] raw = ubyte(new int[] {2, 3, 4}, sample()); // 4 + 12 + 24 = 40 bytes
        Path p = write("cut", Arrays.copyOf(raw, 35));
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertMessage(e, p.toString(), "truncated", "40 bytes", "35 bytes");
    }

    @Test
    void truncatedGzipFileNamesExpectedAndActualBytes() throws IOException {
        // Incompressible data so that cutting the gzip file cuts the content.
        byte[] data = new byte[4000];
        new java.util.Random(1).nextBytes(data);
        byte[] gz = gzip(ubyte(new int[] {4000}, data));
        Path p = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertMessage(e, p.toString(), "truncated", "4008 bytes");
        assertTrue(e.getMessage().matches("(?s).*has only \\d+ bytes.*"), e.getMessage());
    }

    @Test
    void gzipCutInsideItsTrailerIsTruncated() throws IOException {
        byte[] gz = gzip(ubyte(new int[] {2, 3, 4}, sample()));
        Path p = write("trailer.gz", Arrays.copyOf(gz, gz.length - 3));
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertMessage(e, p.toString());
    }

    @Test
    void gzipWithWrongCrcIsCorrupt() throws IOException {
        byte[] gz = gzip(ubyte(new int[] {2, 3, 4}, sample()));
        gz[gz.length - 8] ^= 0x5a; // first byte of the CRC-32 in the 8-byte trailer
        Path p = write("crc.gz", gz);
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertMessage(e, p.toString(), "corrupt gzip");
    }

    @Test
    void badMagicIsRejected() throws IOException {
        byte[] raw = ubyte(new int[] {2, 3, 4}, sample());
        raw[0] = 0x01;
        Path p = write("magic", raw);
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertMessage(e, p.toString(), "not an IDX file", "0x01 0x00 0x08 0x03");

        Path png = write("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        assertMessage(assertThrows(IOException.class, () -> Idx.read(png)), png.toString(), "not an IDX file");

        Path empty = write("empty", new byte[0]);
        assertMessage(assertThrows(IOException.class, () -> Idx.read(empty)), empty.toString(), "truncated");
    }

    @Test
    void unknownDtypeIsRejected() throws IOException {
        Path p = write("dtype", idx(0x07, new int[] {2}, new byte[] {1, 2}));
        assertMessage(assertThrows(IOException.class, () -> Idx.read(p)), p.toString(), "unknown IDX dtype 0x07");
    }

    @Test
    void truncatedHeaderIsRejected() throws IOException {
        byte[] raw = ubyte(new int[] {2, 3, 4}, sample());
        Path p = write("header", Arrays.copyOf(raw, 9)); // 3 dims need 16 header bytes
        assertMessage(assertThrows(IOException.class, () -> Idx.read(p)), p.toString(), "truncated IDX header", "16",
                "has 9");
    }

    @Test
    void absurdDimensionsAreRejectedBeforeAllocating() throws IOException {
        int big = Integer.MAX_VALUE;
        // 2^31-1 cubed overflows 64 bits.
        Path overflow = write("overflow", ubyte(new int[] {big, big, big}, new byte[8]));
        assertMessage(assertThrows(IOException.class, () -> Idx.read(overflow)), overflow.toString(), "overflows");

        // Fits in a long but far beyond the file (and any Java array): rejected from the file length.
        Path huge = write("huge", ubyte(new int[] {big, big}, new byte[8]));
        assertMessage(assertThrows(IOException.class, () -> Idx.read(huge)), huge.toString(),
                String.valueOf((long) big * big), "the file has 20 bytes");

        // In a gzip file the bound is deflate's best ratio: a 60000x28x28 header in a tiny file is absurd.
        byte[] gz = gzip(ubyte(new int[] {60000, 28, 28}, new byte[16]));
        Path gzHuge = write("huge.gz", gz);
        assertMessage(assertThrows(IOException.class, () -> Idx.read(gzHuge)), gzHuge.toString(), "absurd",
                "47040000", gz.length + "-byte gzip file");

        Path negative = write("negative", ubyte(new int[] {-1}, new byte[0]));
        assertMessage(assertThrows(IOException.class, () -> Idx.read(negative)), negative.toString(), "negative",
                "4294967295");
    }

    @Test
    void dimensionsAndLengthMustAgree() throws IOException {
        // Data longer than the dims say: trailing bytes, plain and gzip.
        byte[] raw = ubyte(new int[] {2, 3, 4}, Arrays.copyOf(sample(), 27));
        Path p = write("long", raw);
        assertMessage(assertThrows(IOException.class, () -> Idx.read(p)), p.toString(), "length mismatch", "40 bytes",
                "43 bytes", "3 trailing");
        Path g = write("long.gz", gzip(raw));
        assertMessage(assertThrows(IOException.class, () -> Idx.read(g)), g.toString(), "length mismatch", "3 trailing");

        // Data shorter than the dims say, inside a gzip stream that is itself intact.
        Path s = write("short.gz", gzip(ubyte(new int[] {2, 3, 4}, Arrays.copyOf(sample(), 20))));
        assertMessage(assertThrows(IOException.class, () -> Idx.read(s)), s.toString(), "truncated", "40 bytes",
                "has only 36 bytes");
    }

    @Test
    void arrayRecordChecksItsLength() {
        assertThrows(IllegalArgumentException.class, () -> new Idx.Array("x", Idx.UBYTE, new int[] {2, 2}, new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> new Idx.Array("x", Idx.INT, new int[] {2}, new byte[2]));
        assertEquals(4, new Idx.Array("x", Idx.SHORT, new int[] {2, 2}, new byte[8]).size());
    }
}
