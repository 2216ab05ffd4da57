package org.attn4j.io;

/**
 * Malformed JSON, or JSON outside the limits a {@link JsonReader} was given, at a known position.
 *
 * <p>Unchecked because the text may come from anywhere (a string in memory, a header already read);
 * code that parses a file catches it and rethrows an {@link java.io.IOException} that names the file,
 * as {@link SafeTensorsFile} does.
 */
public final class JsonException extends IllegalArgumentException {
    private final int offset;
    private final int line;
    private final int column;

    /**
     * @param problem what is wrong, without the position
     * @param offset  0-based character offset into the text
     * @param line    1-based line
     * @param column  1-based column (in characters)
     */
    public JsonException(String problem, int offset, int line, int column) {
        super("JSON: " + problem + " at line " + line + ", column " + column + " (character " + offset + ")");
        this.offset = offset;
        this.line = line;
        this.column = column;
    }

    /** 0-based character offset into the text where the problem was found. */
    public int offset() {
        return offset;
    }

    /** 1-based line of {@link #offset()}. */
    public int line() {
        return line;
    }

    /** 1-based column (in characters) of {@link #offset()}. */
    public int column() {
        return column;
    }
}
