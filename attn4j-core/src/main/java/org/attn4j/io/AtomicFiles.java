package org.attn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file so that a crash, an error or Ctrl-C at any moment leaves either the old file or the complete
 * new one, never a mix and never nothing: the new content goes to a temporary file beside the target
 * ({@link #temporaryFor}), is forced to disk ({@code fsync}), renamed over the target ({@link StandardCopyOption#ATOMIC_MOVE},
 * POSIX {@code rename}), and the directory is synced so that the rename itself survives a power cut (best
 * effort: not every file system lets a directory be opened). The temporary file is removed when anything fails.
 * Checkpoints, metrics, plots, safetensors files and downloads are all written this way.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the new content into the temporary file's channel; it must not close the channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    /** Replaces {@code target} with what {@code body} writes (see the class comment). */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + abs + ": the directory " + dir + " does not exist");
        }
        Path tmp = temporaryFor(abs);
        boolean moved = false;
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                body.write(out);
                out.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved && Files.isRegularFile(tmp, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.delete(tmp);
                } catch (IOException ignored) {
                    // The original failure is what the caller needs to see; a stray hidden .tmp is harmless.
                }
            }
        }
    }

    /** Replaces {@code target} with {@code bytes}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> writeFully(out, ByteBuffer.wrap(bytes)));
    }

    /** Replaces {@code target} with {@code text} in UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The temporary file of {@code target}: hidden, beside it (so the rename stays on one file system), and always
     * the same name, so that one left behind by a killed process is simply overwritten by the next write instead of
     * piling up. Two writers of the same target at the same time are therefore not supported.
     */
    public static Path temporaryFor(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + ".tmp");
    }

    /** Writes all of {@code buf} ({@link FileChannel#write} may write less than asked). */
    public static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) out.write(buf);
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // The data itself is already on disk; only the directory entry's durability is best effort.
        }
    }
}
