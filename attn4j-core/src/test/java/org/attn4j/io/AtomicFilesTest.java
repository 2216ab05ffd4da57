package org.attn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic, durable file replacement: the old content or the whole new one, and no temporary file left behind. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void replacesTheTargetAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("metrics.csv");
        AtomicFiles.writeString(target, "first");
        AtomicFiles.writeString(target, "second, longer");
        assertEquals("second, longer", Files.readString(target));
        AtomicFiles.write(target, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
        assertEquals(List.of("metrics.csv"), names());
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("model.safetensors");
        AtomicFiles.writeString(target, "the user's checkpoint");
        IOException boom = new IOException("disk full");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            AtomicFiles.writeFully(out, ByteBuffer.wrap(new byte[4096]));   // half-written, then failing
            throw boom;
        }));
        assertSame(boom, e);
        assertEquals("the user's checkpoint", Files.readString(target));
        assertEquals(List.of("model.safetensors"), names());
    }

    @Test
    void aTemporaryFileLeftByAKilledProcessIsOverwrittenNotKept() throws IOException {
        Path target = dir.resolve("checkpoint.json");
        Path stale = AtomicFiles.temporaryFor(target);
        assertEquals(dir.resolve(".checkpoint.json.tmp"), stale);
        Files.writeString(stale, "half of an old manifest that is much longer than the new one");
        AtomicFiles.writeString(target, "{}");
        assertEquals("{}", Files.readString(target));
        assertEquals(List.of("checkpoint.json"), names());
    }

    @Test
    void aTargetInAMissingDirectoryIsAnIoErrorNamingIt() {
        Path target = dir.resolve("no-such-dir").resolve("x.json");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(target, "{}"));
        assertEquals("cannot write " + target + ": the directory " + target.getParent() + " does not exist", e.getMessage());
    }
}
