package org.attn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonReaderTest {

    @Test
    void walksATensorEntryTokenByToken() {
        JsonReader r = new JsonReader(" {\"w\" : {\"dtype\":\"F32\",\"shape\":[2, 3],\"data_offsets\":[0,24]}}   \n");
        r.beginObject();
        assertEquals("w", r.nextName());
        r.beginObject();
        assertEquals("dtype", r.nextName());
        assertEquals("F32", r.nextString());
        assertEquals("shape", r.nextName());
        r.beginArray();
        assertEquals(2L, r.nextLong());
        assertEquals(3L, r.nextLong());
        assertFalse(r.hasNext());
        r.endArray();
        assertEquals("data_offsets", r.nextName());
        r.skipValue();
        r.endObject();
        assertFalse(r.hasNext());
        r.endObject();
        r.endDocument();
    }

    /** nextName(known) must agree with nextName() whether or not the key is written with escapes. */
    @Test
    void matchesKnownKeysWithAndWithoutEscapes() {
        String[] known = {"dtype", "shape", "data_offsets"};
        JsonReader r = new JsonReader("{\"shape\":1,\"d\\u0074ype\":2,\"dtypes\":3,\"\":4,\"data_offsets\":5}");
        r.beginObject();
        assertEquals(1, r.nextName(known));
        r.skipValue();
        assertEquals(0, r.nextName(known)); // the key with its t escaped is "dtype"
        r.skipValue();
        assertEquals(-1, r.nextName(known)); // a longer key sharing the prefix
        r.skipValue();
        assertEquals(-1, r.nextName(known));
        r.skipValue();
        assertEquals(2, r.nextName(known));
        assertEquals(5L, r.nextLong());
        r.endObject();
        r.endDocument();
        JsonReader bad = new JsonReader("{\"a\tb\":1}");
        bad.beginObject();
        assertThrows(JsonException.class, () -> bad.nextName(known)); // still validated
    }

    @Test
    void readsAllScalarKinds() {
        JsonReader r = new JsonReader("[true,false,null,-0,1.5e-3,9223372036854775807,\"a\\u00e9\\n\\ud83d\\ude00\\/\"]");
        r.beginArray();
        assertTrue(r.nextBoolean());
        assertFalse(r.nextBoolean());
        r.nextNull();
        assertEquals(0L, r.nextLong());
        assertEquals(1.5e-3, r.nextDouble());
        assertEquals(Long.MAX_VALUE, r.nextLong());
        assertEquals("a\u00e9\n\ud83d\ude00/", r.nextString());
        r.endArray();
        r.endDocument();
    }

    @Test
    void keepsRawNonAsciiAndSurrogatePairs() {
        JsonReader r = new JsonReader("\"漢字 😀\"");
        assertEquals("漢字 😀", r.nextString());
        r.endDocument();
    }

    /** One malformed document per RFC 8259 rule; each must fail with its own message at its own place. */
    @Test
    void rejectsEveryKindOfMalformedJsonWithAPosition() {
        expectError("", "expected a JSON value, found the end of the text", 1, 1);
        expectError("{\"a\":1,}", "trailing ',' before '}'", 1, 8);
        expectError("[1,]", "trailing ',' before ']'", 1, 4);
        expectError("[1 2]", "expected ',' or ']' in array, found '2'", 1, 4);
        expectError("{\"a\" 1}", "expected ':' after object key, found '1'", 1, 6);
        expectError("{'a':1}", "expected a string key, found '''", 1, 2);
        expectError("{\"a\":1}\n x", "unexpected 'x' after the end of the JSON value", 2, 2);
        expectError("[01]", "number with a leading zero", 1, 2);
        expectError("[1.]", "expected a digit after '.' in number", 1, 4);
        expectError("[1e]", "expected a digit in exponent", 1, 4);
        expectError("[-]", "expected a digit in number, found ']'", 1, 3);
        expectError("[NaN]", "expected a value, found 'N'", 1, 2);
        expectError("[tru]", "invalid literal, expected 'true'", 1, 2);
        expectError("\"abc", "unterminated string", 1, 1);
        expectError("\"a\tb\"", "unescaped control character U+0009 in string", 1, 3);
        expectError("\"\\x\"", "invalid escape '\\x' in string", 1, 2);
        expectError("\"\\u12g4\"", "\\u escape needs 4 hex digits", 1, 2);
        expectError("\"\\ud83d\"", "unpaired surrogate in \\u escape", 1, 2);
        expectError("\"\\ude00\"", "unpaired surrogate in \\u escape", 1, 2);
        expectError("\"a\ud83d\"", "unpaired surrogate in string", 1, 3);
        expectError("/* c */ 1", "expected a value, found '/'", 1, 1);
        expectError("\ufeff{}", "expected a value, found '\ufeff'", 1, 1);
    }

    @Test
    void typeMismatchesNameWhatWasExpectedAndFound() {
        JsonReader r = new JsonReader("{\"a\": \"x\"}");
        r.beginObject();
        r.nextName();
        JsonException e = assertThrows(JsonException.class, r::nextLong);
        assertEquals("JSON: expected a number, found a string at line 1, column 7 (character 6)", e.getMessage());
    }

    @Test
    void nextLongRejectsFractionsExponentsAndOverflow() {
        assertEquals("JSON: expected an integer, found 1.0 at line 1, column 2 (character 1)",
                assertThrows(JsonException.class, () -> first("[1.0]").nextLong()).getMessage());
        assertTrue(assertThrows(JsonException.class, () -> first("[1e3]").nextLong()).getMessage().contains("expected an integer, found 1e3"));
        assertTrue(assertThrows(JsonException.class, () -> first("[9223372036854775808]").nextLong()).getMessage()
                .contains("integer 9223372036854775808 is out of the 64-bit range"));
        assertTrue(assertThrows(JsonException.class, () -> first("[1e400]").nextDouble()).getMessage().contains("beyond the double range"));
    }

    @Test
    void depthLimitStopsDeepNestingWithoutRecursion() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonException e = assertThrows(JsonException.class, () -> new JsonReader(deep, 64).skipValue());
        assertTrue(e.getMessage().contains("nested more than 64 deep"), e.getMessage());
        assertEquals(64, e.offset()); // the 65th '['
        // exactly at the limit is fine
        JsonReader ok = new JsonReader("[".repeat(64) + "]".repeat(64), 64);
        ok.skipValue();
        ok.endDocument();
    }

    @Test
    void overlongNumbersAreRejectedNotParsed() {
        String digits = "1".repeat(JsonReader.MAX_NUMBER_LENGTH + 1);
        JsonException e = assertThrows(JsonException.class, () -> new JsonReader(digits).nextNumberText());
        assertTrue(e.getMessage().contains("number longer than " + JsonReader.MAX_NUMBER_LENGTH), e.getMessage());
    }

    @Test
    void skipValueChecksWhatItSkips() {
        JsonReader r = new JsonReader("{\"a\":[1,{\"b\":[true,null,\"s\"]}],\"c\":2}");
        r.beginObject();
        r.nextName();
        r.skipValue();
        assertEquals("c", r.nextName());
        assertEquals(2L, r.nextLong());
        r.endObject();
        r.endDocument();
        JsonReader bad = new JsonReader("{\"a\":[1,{\"b\":[true,nul]}]}");
        bad.beginObject();
        bad.nextName();
        assertThrows(JsonException.class, bad::skipValue);
    }

    @Test
    void readsAManyMemberObjectInOrder() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 1000; i++) sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        JsonReader r = new JsonReader(sb.append('}').toString());
        List<String> keys = new ArrayList<>();
        r.beginObject();
        while (r.hasNext()) {
            keys.add(r.nextName());
            r.nextLong();
        }
        r.endObject();
        assertEquals(1000, keys.size());
        assertEquals("k999", keys.get(999));
    }

    private static JsonReader first(String arrayText) {
        JsonReader r = new JsonReader(arrayText);
        r.beginArray();
        return r;
    }

    private static void expectError(String text, String problem, int line, int column) {
        JsonException e = assertThrows(JsonException.class, () -> {
            JsonReader r = new JsonReader(text);
            r.skipValue();
            r.endDocument();
        }, text);
        assertTrue(e.getMessage().startsWith("JSON: " + problem + " at line " + line + ", column " + column + " "),
                "for " + text + ": " + e.getMessage());
        assertEquals(line, e.line());
        assertEquals(column, e.column());
    }
}
