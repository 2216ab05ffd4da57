package org.attn4j.data;

import static org.attn4j.data.IdxBytes.md5;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads only from local file: URIs or injected streams; never from a host. */
class DownloaderTest {
    @TempDir
    Path tmp;

    private static byte[] payload() {
        byte[] b = new byte[200_000]; // several read buffers
        new Random(7).nextBytes(b);
        return b;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void keepsAFileWhoseMd5Matches() throws IOException {
        byte[] bytes = payload();
        Path source = Files.write(tmp.resolve("source.bin"), bytes);
        Path target = tmp.resolve("cache/sub/target.gz");
        Downloader.download(source.toUri(), target, md5(bytes).toUpperCase(), Downloader.URL_OPENER);
        assertArrayEquals(bytes, Files.readAllBytes(target));
        assertEquals(List.of(target), list(target.getParent()), "no temporary file may remain");
        assertEquals(md5(bytes), Downloader.md5Hex(target));
    }

    @Test
    void wrongMd5LeavesNoFileBehind() throws IOException {
        byte[] bytes = payload();
        Path source = Files.write(tmp.resolve("source.bin"), bytes);
        Path cache = tmp.resolve("cache");
        Path target = cache.resolve("target.gz");
        String wrong = "0123456789abcdef0123456789abcdef";
        IOException e = assertThrows(IOException.class,
                () -> Downloader.download(source.toUri(), target, wrong, Downloader.URL_OPENER));
        assertTrue(e.getMessage().contains(md5(bytes)) && e.getMessage().contains(wrong)
                && e.getMessage().contains(source.toUri().toString()) && e.getMessage().contains("200000 bytes"),
                e.getMessage());
        assertFalse(Files.exists(target));
        assertEquals(List.of(), list(cache), "nothing may be left in the cache directory");
    }

    @Test
    void wrongMd5KeepsAnExistingTargetUntouched() throws IOException {
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Path target = Files.writeString(cache.resolve("target.gz"), "previous");
        Path source = Files.write(tmp.resolve("source.bin"), payload());
        assertThrows(IOException.class, () -> Downloader.download(source.toUri(), target,
                "0123456789abcdef0123456789abcdef", Downloader.URL_OPENER));
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of(target), list(cache));
    }

    @Test
    void failureInTheMiddleOfTheStreamLeavesNoFileBehind() throws IOException {
        byte[] bytes = payload();
        Downloader.Opener breaksHalfway = uri -> new InputStream() {
            final InputStream in = new ByteArrayInputStream(bytes, 0, bytes.length / 2);

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b < 0) throw new IOException("connection reset (test)");
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int r = in.read(buf, off, len);
                if (r < 0) throw new IOException("connection reset (test)");
                return r;
            }
        };
        Path cache = tmp.resolve("cache");
        Path target = cache.resolve("target.gz");
        IOException e = assertThrows(IOException.class, () -> Downloader.download(
                java.net.URI.create("http://example.invalid/x.gz"), target, md5(bytes), breaksHalfway));
        assertTrue(e.getMessage().contains("http://example.invalid/x.gz")
                && e.getMessage().contains("connection reset (test)"), e.getMessage());
        assertEquals(List.of(), list(cache));
    }

    @Test
    void missingSourceIsAnIOException() {
        Path target = tmp.resolve("cache/target.gz");
        assertThrows(IOException.class, () -> Downloader.download(tmp.resolve("absent").toUri(), target,
                "0123456789abcdef0123456789abcdef", Downloader.URL_OPENER));
        assertFalse(Files.exists(target));
    }

    @Test
    void expectedMd5MustBe32HexDigits() {
        Path target = tmp.resolve("t");
        assertThrows(IllegalArgumentException.class,
                () -> Downloader.download(tmp.toUri(), target, "abc", Downloader.URL_OPENER));
        assertThrows(IllegalArgumentException.class,
                () -> Downloader.download(tmp.toUri(), target, null, Downloader.URL_OPENER));
    }

    @Test
    void md5HexMatchesKnownDigest() throws IOException {
        // RFC 1321 test suite: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        Path p = Files.writeString(tmp.resolve("abc"), "abc");
        assertEquals("900150983cd24fb0d6963f7d28e17f72", Downloader.md5Hex(p));
    }
}
