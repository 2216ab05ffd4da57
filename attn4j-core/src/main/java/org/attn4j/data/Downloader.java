package org.attn4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.attn4j.io.AtomicFiles;

/**
 * Downloads one file and keeps it only if its MD5 is the expected one.
 *
 * <p>The bytes go to a temporary file beside the target and are renamed onto the target only after
 * the MD5 matched, so an interrupted or corrupt download never leaves a file under the target name
 * (and a concurrent reader never sees a half-written one). Any failure deletes the temporary file.
 *
 * <p>The network access is one {@link Opener} call, so tests can serve {@code file://} URIs or inject
 * their own source instead of reaching a host.
 */
public final class Downloader {
    private Downloader() {}

    /** Opens a stream of the bytes behind a URI. */
    @FunctionalInterface
    public interface Opener {
        InputStream open(URI uri) throws IOException;
    }

    /** Connect timeout of {@link #URL_OPENER}, ms. */
    static final int CONNECT_TIMEOUT_MS = 15_000;
    /** Read timeout of {@link #URL_OPENER} (longest wait for the next bytes), ms. */
    static final int READ_TIMEOUT_MS = 60_000;

    /**
     * Opens {@code http}, {@code https} and {@code file} URIs with {@link URLConnection}, with timeouts,
     * failing on an HTTP status other than 200.
     */
    public static final Opener URL_OPENER = uri -> {
        URLConnection c = uri.toURL().openConnection();
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        if (c instanceof HttpURLConnection http) {
            int code = http.getResponseCode();
            if (code != HttpURLConnection.HTTP_OK) {
                http.disconnect();
                throw new IOException(uri + ": HTTP " + code + " " + http.getResponseMessage());
            }
        }
        return c.getInputStream();
    };

    /**
     * Downloads {@code source} to {@code target} (creating its directory), keeping it only when the MD5
     * of the bytes is {@code expectedMd5}.
     *
     * @param expectedMd5 32 hex digits, either case
     * @throws IOException when the source cannot be read, the MD5 differs (the message names source,
     *                     target, both MD5s and the byte count), or the file cannot be written; in every
     *                     case nothing is left under {@code target} or beside it
     */
    public static void download(URI source, Path target, String expectedMd5, Opener opener) throws IOException {
        if (expectedMd5 == null || !expectedMd5.matches("[0-9a-fA-F]{32}")) {
            throw new IllegalArgumentException("Downloader.download: expected MD5 must be 32 hex digits, got "
                    + expectedMd5);
        }
        Files.createDirectories(target.toAbsolutePath().getParent());
        // Written through AtomicFiles: a failed or mismatching download leaves no partial file behind.
        AtomicFiles.write(target, ch -> {
            MessageDigest md5 = md5();
            long bytes = 0;
            OutputStream out = Channels.newOutputStream(ch);   // not closed: AtomicFiles owns the channel
            try (InputStream in = opener.open(source)) {
                byte[] buf = new byte[1 << 16];
                for (int r; (r = in.read(buf)) >= 0; ) {
                    md5.update(buf, 0, r);
                    out.write(buf, 0, r);
                    bytes += r;
                }
            } catch (IOException e) {
                // Name the source: a bare "Connection refused" or a host name alone says too little.
                throw new IOException("download of " + source + " failed after " + bytes + " bytes: " + e, e);
            }
            String actual = HexFormat.of().formatHex(md5.digest());
            if (!actual.equalsIgnoreCase(expectedMd5)) {
                throw new IOException(source + ": downloaded " + bytes + " bytes with MD5 " + actual + ", expected "
                        + expectedMd5.toLowerCase() + "; discarded, nothing written to " + target);
            }
        });
    }

    /** The MD5 of a file's bytes, as 32 lower-case hex digits. */
    public static String md5Hex(Path file) throws IOException {
        MessageDigest md5 = md5();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) md5.update(buf, 0, r);
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    /** A fresh MD5 digest (every JDK has MD5: it is one of the algorithms the platform must provide). */
    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every Java platform", e);
        }
    }
}
