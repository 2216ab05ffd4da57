package org.attn4j.io;

/**
 * A strict pull parser for one JSON document (RFC 8259), with a nesting limit and positioned errors.
 *
 * <p>The caller walks the document token by token ({@link #peek()}, {@link #beginObject()},
 * {@link #nextName()}, {@link #nextLong()}, ...), so it can check a schema as it goes and keep only
 * what it needs: {@link SafeTensorsFile} reads a hostile header this way without first building a
 * tree that a crafted header could make arbitrarily large. {@link Json#parse(String)} builds such a
 * tree on top of this reader for trusted, small documents (configs).
 *
 * <p>Strict means exactly RFC 8259: one value, surrounded only by JSON whitespace (space, tab, LF,
 * CR); no comments, no trailing commas, no single quotes, no leading zeros, no {@code NaN}; strings
 * without raw control characters and without unpaired surrogates (also through {@code \\u} escapes).
 * The reader does not detect duplicate object keys; callers that map keys do (it is the only place
 * that knows whether duplicates matter).
 *
 * <p>Every problem is a {@link JsonException} with the character offset, line and column.
 */
public final class JsonReader {
    /** What comes next in the document. */
    public enum Token {
        BEGIN_OBJECT, END_OBJECT, BEGIN_ARRAY, END_ARRAY, NAME, STRING, NUMBER, BOOLEAN, NULL, END_DOCUMENT
    }

    /** Nesting allowed by {@link #JsonReader(String)}: far deeper than any config, shallow enough for the stack. */
    public static final int DEFAULT_MAX_DEPTH = 64;

    /** Longest number token accepted; longer ones are rejected rather than parsed (they mean nothing). */
    static final int MAX_NUMBER_LENGTH = 4096;

    // Where the reader stands inside each open container (stack[0] is the document itself).
    private static final byte DOC_EMPTY = 0;        // nothing read yet
    private static final byte DOC_DONE = 1;         // the top-level value has been started
    private static final byte ARRAY_EMPTY = 2;      // just after '['
    private static final byte ARRAY_NONEMPTY = 3;   // after at least one element
    private static final byte OBJECT_EMPTY = 4;     // just after '{'
    private static final byte OBJECT_NONEMPTY = 5;  // after at least one member
    private static final byte OBJECT_NAME = 6;      // after a key, before ':' and its value

    private final String text;
    private final int length;
    private final int maxDepth;
    private final byte[] stack;
    private int depth;
    private int pos;
    private Token peeked;
    private int tokenStart;

    /** A reader over {@code text} with {@link #DEFAULT_MAX_DEPTH}. */
    public JsonReader(String text) {
        this(text, DEFAULT_MAX_DEPTH);
    }

    /**
     * A reader over {@code text} that rejects objects and arrays nested more than {@code maxDepth} deep
     * (the top-level container is depth 1).
     */
    public JsonReader(String text, int maxDepth) {
        if (text == null) throw new IllegalArgumentException("JsonReader: text is null");
        if (maxDepth < 1) throw new IllegalArgumentException("JsonReader: maxDepth must be >= 1, got " + maxDepth);
        this.text = text;
        this.length = text.length();
        this.maxDepth = maxDepth;
        this.stack = new byte[maxDepth + 1];
        this.stack[0] = DOC_EMPTY;
    }

    /** The next token, without consuming it. */
    public Token peek() {
        if (peeked == null) peeked = advance();
        return peeked;
    }

    /** True while the current object or array has more members (false at its end, or at the end of the document). */
    public boolean hasNext() {
        Token t = peek();
        return t != Token.END_OBJECT && t != Token.END_ARRAY && t != Token.END_DOCUMENT;
    }

    /** Consumes {@code '{'}. */
    public void beginObject() {
        require(Token.BEGIN_OBJECT);
        pos++;
        push(OBJECT_EMPTY);
    }

    /** Consumes {@code '}'}. */
    public void endObject() {
        require(Token.END_OBJECT);
        pos++;
        depth--;
        peeked = null;
    }

    /** Consumes {@code '['}. */
    public void beginArray() {
        require(Token.BEGIN_ARRAY);
        pos++;
        push(ARRAY_EMPTY);
    }

    /** Consumes {@code ']'}. */
    public void endArray() {
        require(Token.END_ARRAY);
        pos++;
        depth--;
        peeked = null;
    }

    /** Consumes an object key and returns it. */
    public String nextName() {
        require(Token.NAME);
        String s = readString();
        stack[depth] = OBJECT_NAME;
        peeked = null;
        return s;
    }

    /**
     * Consumes an object key and returns the index of the entry of {@code known} it equals, or -1.
     * Unlike {@link #nextName()} it allocates nothing for keys written without escapes, which matters
     * when the same few keys repeat a million times (safetensors headers).
     */
    public int nextName(String[] known) {
        require(Token.NAME);
        int start = pos + 1;
        int end = scanPlainString();
        int found = -1;
        if (end >= 0) {
            for (int i = 0; i < known.length && found < 0; i++) {
                if (known[i].length() == end - start && text.regionMatches(start, known[i], 0, end - start)) found = i;
            }
        } else {
            String s = readString();
            for (int i = 0; i < known.length && found < 0; i++) {
                if (known[i].equals(s)) found = i;
            }
        }
        stack[depth] = OBJECT_NAME;
        peeked = null;
        return found;
    }

    /** Consumes a string value and returns it. */
    public String nextString() {
        require(Token.STRING);
        String s = readString();
        peeked = null;
        return s;
    }

    /** Consumes {@code true} or {@code false}. */
    public boolean nextBoolean() {
        require(Token.BOOLEAN);
        boolean value = text.charAt(pos) == 't';
        literal(value ? "true" : "false");
        peeked = null;
        return value;
    }

    /** Consumes {@code null}. */
    public void nextNull() {
        require(Token.NULL);
        literal("null");
        peeked = null;
    }

    /**
     * Consumes a number written as an integer (no fraction, no exponent) that fits a {@code long}.
     * {@code 1.0} and {@code 1e3} are rejected: a count or an offset written that way is a broken file.
     */
    public long nextLong() {
        require(Token.NUMBER);
        int start = pos;
        boolean integral = scanNumber();
        String number = text.substring(start, pos);
        if (!integral) throw errorAt(start, "expected an integer, found " + number);
        try {
            long v = Long.parseLong(number);
            peeked = null;
            return v;
        } catch (NumberFormatException e) {
            throw errorAt(start, "integer " + abbreviate(number) + " is out of the 64-bit range");
        }
    }

    /** Consumes any number and returns it as the nearest double; numbers beyond the double range are rejected. */
    public double nextDouble() {
        require(Token.NUMBER);
        int start = pos;
        scanNumber();
        String number = text.substring(start, pos);
        double v = Double.parseDouble(number); // the JSON number grammar is a subset of Java's
        if (Double.isInfinite(v)) throw errorAt(start, "number " + abbreviate(number) + " is beyond the double range");
        peeked = null;
        return v;
    }

    /**
     * Consumes a number and returns its text exactly as written (for callers that want
     * {@link java.math.BigDecimal} or to tell integers from decimals).
     */
    public String nextNumberText() {
        require(Token.NUMBER);
        int start = pos;
        scanNumber();
        peeked = null;
        return text.substring(start, pos);
    }

    /** Consumes the next value whatever it is, including a whole object or array (still checking it is valid). */
    public void skipValue() {
        int open = 0;
        do {
            switch (peek()) {
                case BEGIN_OBJECT -> { beginObject(); open++; }
                case BEGIN_ARRAY -> { beginArray(); open++; }
                case END_OBJECT -> { endObject(); open--; }
                case END_ARRAY -> { endArray(); open--; }
                case NAME -> nextName();
                case STRING -> nextString();
                case NUMBER -> nextNumberText();
                case BOOLEAN -> nextBoolean();
                case NULL -> nextNull();
                case END_DOCUMENT -> throw errorAt(pos, "expected a value, found the end of the document");
            }
        } while (open > 0);
    }

    /** Checks that nothing but whitespace follows the top-level value. */
    public void endDocument() {
        require(Token.END_DOCUMENT);
    }

    /** Offset (in characters) of the next token, or of the end of the text. */
    public int position() {
        peek();
        return tokenStart;
    }

    /** A {@link JsonException} located at the next token, for schema errors found by the caller. */
    public JsonException error(String problem) {
        return errorAt(position(), problem);
    }

    /** A {@link JsonException} located at {@code offset}. */
    public JsonException errorAt(int offset, String problem) {
        int line = 1;
        int lineStart = 0;
        int end = Math.min(offset, length);
        for (int i = 0; i < end; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new JsonException(problem, offset, line, offset - lineStart + 1);
    }

    // ---------------------------------------------------------------- internals

    private void require(Token expected) {
        Token t = peek();
        if (t != expected) {
            throw errorAt(tokenStart, "expected " + describe(expected) + ", found " + describe(t));
        }
    }

    private void push(byte context) {
        if (depth == maxDepth) {
            throw errorAt(pos - 1, "objects and arrays nested more than " + maxDepth + " deep");
        }
        stack[++depth] = context;
        peeked = null;
    }

    /** Finds the next token from the current context, consuming separators but not the token itself. */
    private Token advance() {
        switch (stack[depth]) {
            case DOC_EMPTY -> {
                stack[depth] = DOC_DONE;
                skipWhitespace();
                if (pos == length) throw errorAt(pos, "expected a JSON value, found the end of the text");
                return value();
            }
            case DOC_DONE -> {
                skipWhitespace();
                tokenStart = pos;
                if (pos < length) {
                    throw errorAt(pos, "unexpected " + describeChar(pos) + " after the end of the JSON value");
                }
                return Token.END_DOCUMENT;
            }
            case ARRAY_EMPTY -> {
                skipWhitespace();
                if (at(']')) return token(Token.END_ARRAY);
                stack[depth] = ARRAY_NONEMPTY;
                return value();
            }
            case ARRAY_NONEMPTY -> {
                skipWhitespace();
                if (at(']')) return token(Token.END_ARRAY);
                if (!at(',')) throw errorAt(pos, "expected ',' or ']' in array, found " + describeChar(pos));
                pos++;
                skipWhitespace();
                if (at(']')) throw errorAt(pos, "trailing ',' before ']'");
                return value();
            }
            case OBJECT_EMPTY -> {
                skipWhitespace();
                if (at('}')) return token(Token.END_OBJECT);
                return name();
            }
            case OBJECT_NONEMPTY -> {
                skipWhitespace();
                if (at('}')) return token(Token.END_OBJECT);
                if (!at(',')) throw errorAt(pos, "expected ',' or '}' in object, found " + describeChar(pos));
                pos++;
                skipWhitespace();
                if (at('}')) throw errorAt(pos, "trailing ',' before '}'");
                return name();
            }
            case OBJECT_NAME -> {
                skipWhitespace();
                if (!at(':')) throw errorAt(pos, "expected ':' after object key, found " + describeChar(pos));
                pos++;
                skipWhitespace();
                stack[depth] = OBJECT_NONEMPTY;
                return value();
            }
            default -> throw new IllegalStateException("JsonReader: corrupt state " + stack[depth]);
        }
    }

    private Token name() {
        if (!at('"')) throw errorAt(pos, "expected a string key, found " + describeChar(pos));
        return token(Token.NAME);
    }

    private Token value() {
        if (pos == length) throw errorAt(pos, "expected a value, found the end of the text");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> token(Token.BEGIN_OBJECT);
            case '[' -> token(Token.BEGIN_ARRAY);
            case '"' -> token(Token.STRING);
            case 't', 'f' -> token(Token.BOOLEAN);
            case 'n' -> token(Token.NULL);
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> token(Token.NUMBER);
            default -> throw errorAt(pos, "expected a value, found " + describeChar(pos));
        };
    }

    private Token token(Token t) {
        tokenStart = pos;
        return t;
    }

    private boolean at(char c) {
        return pos < length && text.charAt(pos) == c;
    }

    private void skipWhitespace() {
        while (pos < length) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
            pos++;
        }
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) throw errorAt(pos, "invalid literal, expected '" + word + "'");
        pos += word.length();
    }

    /** Moves past a number (RFC 8259 grammar); returns whether it had neither fraction nor exponent. */
    private boolean scanNumber() {
        int start = pos;
        boolean integral = true;
        if (at('-')) pos++;
        if (at('0')) {
            pos++;
            if (pos < length && isDigit(text.charAt(pos))) throw errorAt(start, "number with a leading zero");
        } else if (pos < length && isDigit(text.charAt(pos))) {
            while (pos < length && isDigit(text.charAt(pos))) pos++;
        } else {
            throw errorAt(pos, "expected a digit in number, found " + describeChar(pos));
        }
        if (at('.')) {
            integral = false;
            pos++;
            if (!(pos < length && isDigit(text.charAt(pos)))) throw errorAt(pos, "expected a digit after '.' in number");
            while (pos < length && isDigit(text.charAt(pos))) pos++;
        }
        if (at('e') || at('E')) {
            integral = false;
            pos++;
            if (at('+') || at('-')) pos++;
            if (!(pos < length && isDigit(text.charAt(pos)))) throw errorAt(pos, "expected a digit in exponent");
            while (pos < length && isDigit(text.charAt(pos))) pos++;
        }
        if (pos - start > MAX_NUMBER_LENGTH) {
            throw errorAt(start, "number longer than " + MAX_NUMBER_LENGTH + " characters");
        }
        return integral;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Checks the string starting at the opening quote at {@code pos}. If it has no escapes, leaves
     * {@code pos} after the closing quote and returns the closing quote's index; otherwise leaves
     * {@code pos} unchanged and returns -1 (then {@link #readString()} decodes it).
     */
    private int scanPlainString() {
        int open = pos;
        int i = pos + 1;
        while (true) {
            if (i >= length) throw errorAt(open, "unterminated string");
            char c = text.charAt(i);
            if (c == '"') {
                pos = i + 1;
                return i;
            }
            if (c == '\\') return -1;
            if (c < 0x20) throw errorAt(i, String.format("unescaped control character U+%04X in string", (int) c));
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) i += 2;
                else throw errorAt(i, "unpaired surrogate in string");
            } else if (Character.isLowSurrogate(c)) {
                throw errorAt(i, "unpaired surrogate in string");
            } else {
                i++;
            }
        }
    }

    /** Reads the string starting at the opening quote at {@code pos}, leaving {@code pos} after the closing quote. */
    private String readString() {
        int open = pos;
        int end = scanPlainString();
        if (end >= 0) return text.substring(open + 1, end);
        int start = ++pos;
        StringBuilder sb = null;
        while (true) {
            if (pos >= length) throw errorAt(open, "unterminated string");
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(start, pos) : sb.append(text, start, pos).toString();
                pos++;
                return s;
            }
            if (c == '\\') {
                if (sb == null) sb = new StringBuilder(Math.max(16, pos - start + 16));
                sb.append(text, start, pos);
                readEscape(sb);
                start = pos;
            } else if (c < 0x20) {
                throw errorAt(pos, String.format("unescaped control character U+%04X in string", (int) c));
            } else if (Character.isHighSurrogate(c)) {
                if (pos + 1 < length && Character.isLowSurrogate(text.charAt(pos + 1))) {
                    pos += 2;
                } else {
                    throw errorAt(pos, "unpaired surrogate in string");
                }
            } else if (Character.isLowSurrogate(c)) {
                throw errorAt(pos, "unpaired surrogate in string");
            } else {
                pos++;
            }
        }
    }

    /** Reads one escape at {@code pos} (the backslash) into {@code sb}; a surrogate pair takes two escapes. */
    private void readEscape(StringBuilder sb) {
        int at = pos;
        if (pos + 1 >= length) throw errorAt(at, "unterminated escape in string");
        char e = text.charAt(pos + 1);
        pos += 2;
        switch (e) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char c = hex4(at);
                if (Character.isHighSurrogate(c)) {
                    if (pos + 1 < length && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                        int low = pos;
                        pos += 2;
                        char d = hex4(low);
                        if (!Character.isLowSurrogate(d)) throw errorAt(at, "unpaired surrogate in \\u escape");
                        sb.append(c).append(d);
                    } else {
                        throw errorAt(at, "unpaired surrogate in \\u escape");
                    }
                } else if (Character.isLowSurrogate(c)) {
                    throw errorAt(at, "unpaired surrogate in \\u escape");
                } else {
                    sb.append(c);
                }
            }
            default -> throw errorAt(at, "invalid escape '\\" + printable(e) + "' in string");
        }
    }

    /** Reads 4 hex digits at {@code pos}; {@code escapeAt} locates the error. */
    private char hex4(int escapeAt) {
        if (pos + 4 > length) throw errorAt(escapeAt, "\\u escape needs 4 hex digits");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            // Character.digit also accepts non-ASCII digits; JSON wants [0-9a-fA-F] only.
            if (d < 0 || text.charAt(pos + i) > 'f') throw errorAt(escapeAt, "\\u escape needs 4 hex digits");
            v = (v << 4) | d;
        }
        pos += 4;
        return (char) v;
    }

    private String describeChar(int at) {
        if (at >= length) return "the end of the text";
        return "'" + printable(text.charAt(at)) + "'";
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f || Character.isSurrogate(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }

    private static String describe(Token t) {
        return switch (t) {
            case BEGIN_OBJECT -> "'{'";
            case END_OBJECT -> "'}'";
            case BEGIN_ARRAY -> "'['";
            case END_ARRAY -> "']'";
            case NAME -> "an object key";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case END_DOCUMENT -> "the end of the document";
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 20) + "..." + s.substring(s.length() - 10) + " (" + s.length() + " characters)";
    }
}
