package org.attn4j.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as plain Java values: a strict tree parser on top of {@link JsonReader}, and a compact writer.
 *
 * <p>The value mapping, both ways:
 * <ul>
 *   <li>object: {@code Map<String, Object>} (parsing gives an unmodifiable map in document order;
 *       duplicate keys are an error)</li>
 *   <li>array: {@code List<Object>} (parsing gives an unmodifiable list)</li>
 *   <li>string: {@code String}</li>
 *   <li>number: parsing gives a {@code Long} for integers that fit, otherwise a {@code Double};
 *       writing takes any {@code Number} (non-finite doubles are rejected: JSON has no NaN)</li>
 *   <li>{@code true}/{@code false}: {@code Boolean}; {@code null}: {@code null}</li>
 * </ul>
 *
 * <p>The parser builds the whole tree, so it is for documents that are yours or small (configs,
 * metrics). Untrusted input that may be large should be walked with {@link JsonReader} directly, as
 * {@link SafeTensorsFile} does with safetensors headers.
 *
 * <p>The writer escapes exactly like {@code serde_json} (the JSON library of the safetensors reference
 * implementation): {@code "} and {@code \} with a backslash, {@code \b \f \n \r \t} by name, other
 * characters below U+0020 as <code>&#92;u00XX</code>, everything else (including non-ASCII) as is. So a header
 * we write is byte-for-byte the header the reference would write.
 */
public final class Json {
    private Json() {}

    /** Parses one JSON document with {@link JsonReader#DEFAULT_MAX_DEPTH}. */
    public static Object parse(String text) {
        return parse(text, JsonReader.DEFAULT_MAX_DEPTH);
    }

    /** Parses one JSON document, rejecting nesting deeper than {@code maxDepth}. */
    public static Object parse(String text, int maxDepth) {
        JsonReader r = new JsonReader(text, maxDepth);
        Object v = read(r);
        r.endDocument();
        return v;
    }

    /** Reads the next value of {@code r} as a tree (recursion depth is bounded by the reader's limit). */
    public static Object read(JsonReader r) {
        switch (r.peek()) {
            case BEGIN_OBJECT -> {
                r.beginObject();
                Map<String, Object> map = new LinkedHashMap<>();
                while (r.hasNext()) {
                    int at = r.position();
                    String key = r.nextName();
                    if (map.containsKey(key)) throw r.errorAt(at, "duplicate key \"" + key + "\"");
                    map.put(key, read(r));
                }
                r.endObject();
                return Collections.unmodifiableMap(map);
            }
            case BEGIN_ARRAY -> {
                r.beginArray();
                List<Object> list = new ArrayList<>();
                while (r.hasNext()) list.add(read(r));
                r.endArray();
                return Collections.unmodifiableList(list);
            }
            case STRING -> {
                return r.nextString();
            }
            case NUMBER -> {
                int at = r.position();
                String number = r.nextNumberText();
                boolean integral = number.indexOf('.') < 0 && number.indexOf('e') < 0 && number.indexOf('E') < 0;
                if (integral) {
                    try {
                        return Long.parseLong(number);
                    } catch (NumberFormatException bigger) {
                        // falls through to a double, like most JSON libraries
                    }
                }
                double d = Double.parseDouble(number);
                if (Double.isInfinite(d)) throw r.errorAt(at, "number " + number + " is beyond the double range");
                return d;
            }
            case BOOLEAN -> {
                return r.nextBoolean();
            }
            case NULL -> {
                r.nextNull();
                return null;
            }
            default -> throw r.error("expected a value, found " + r.peek());
        }
    }

    /** {@code s} as a JSON string literal, quotes included. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        appendQuoted(sb, s);
        return sb.toString();
    }

    /**
     * Appends {@code s} as a JSON string literal. Unpaired surrogates are rejected: they have no UTF-8
     * encoding, so no conforming reader could get the same string back.
     */
    public static void appendQuoted(StringBuilder sb, String s) {
        sb.append('"');
        int n = s.length();
        int plain = 0; // start of the run of characters copied as they are
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String escape = null;
            if (c == '"') escape = "\\\"";
            else if (c == '\\') escape = "\\\\";
            else if (c < 0x20) {
                escape = switch (c) {
                    case '\b' -> "\\b";
                    case '\f' -> "\\f";
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> String.format("\\u%04x", (int) c);
                };
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new IllegalArgumentException("Json: unpaired surrogate U+" + Integer.toHexString(c).toUpperCase()
                        + " at index " + i + " of string \"" + s.substring(0, Math.min(i, 40)) + "...\"");
            }
            if (escape != null) {
                sb.append(s, plain, i).append(escape);
                plain = i + 1;
            }
        }
        sb.append(s, plain, n).append('"');
    }

    /** {@code value} as compact JSON (no spaces), maps in their iteration order. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    /**
     * Appends {@code value} as compact JSON. Accepts the types listed in the class comment, plus arrays
     * of primitives or objects; anything else (or a map key that is not a String, or a non-finite
     * number) is an {@link IllegalArgumentException}. Values must not contain themselves.
     */
    public static void write(StringBuilder sb, Object value) {
        switch (value) {
            case null -> sb.append("null");
            case String s -> appendQuoted(sb, s);
            case Boolean b -> sb.append(b.booleanValue());
            case Long l -> sb.append(l.longValue());
            case Integer i -> sb.append(i.intValue());
            case Short s -> sb.append(s.shortValue());
            case Byte b -> sb.append(b.byteValue());
            case Double d -> sb.append(finite(d, d.toString()));
            case Float f -> sb.append(finite(f, f.toString())); // shortest float text, not the widened double's
            case java.math.BigInteger b -> sb.append(b);
            case java.math.BigDecimal b -> sb.append(b);
            case Number n -> throw new IllegalArgumentException("Json.write: unsupported number type " + n.getClass().getName());
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("Json.write: object key " + e.getKey() + " is not a String");
                    }
                    if (!first) sb.append(',');
                    first = false;
                    appendQuoted(sb, key);
                    sb.append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            }
            case Iterable<?> it -> {
                sb.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) sb.append(',');
                    first = false;
                    write(sb, o);
                }
                sb.append(']');
            }
            case long[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(a[i]);
                sb.append(']');
            }
            case int[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(a[i]);
                sb.append(']');
            }
            case double[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(finite(a[i], Double.toString(a[i])));
                sb.append(']');
            }
            case float[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(finite(a[i], Float.toString(a[i])));
                sb.append(']');
            }
            case Object[] a -> write(sb, java.util.Arrays.asList(a));
            default -> throw new IllegalArgumentException("Json.write: cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static String finite(double v, String text) {
        if (!Double.isFinite(v)) throw new IllegalArgumentException("Json.write: JSON has no " + v + " (only finite numbers)");
        return text;
    }
}
