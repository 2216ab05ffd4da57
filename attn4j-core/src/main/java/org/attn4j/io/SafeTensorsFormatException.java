package org.attn4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a valid safetensors file. The message names the file and, where one is
 * involved, the tensor.
 */
public final class SafeTensorsFormatException extends IOException {
    private final transient Path file;

    public SafeTensorsFormatException(Path file, String problem) {
        super("safetensors file " + file + ": " + problem);
        this.file = file;
    }

    public SafeTensorsFormatException(Path file, String problem, Throwable cause) {
        super("safetensors file " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
