package org.attn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesATreeInDocumentOrder() {
        Object v = Json.parse("{\"z\":1,\"a\":[1.5,-2,true,null,\"s\"],\"m\":{\"k\":12345678901234}}");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
        assertEquals(1L, m.get("z"));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1.5, a.get(0));
        assertEquals(-2L, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertNull(a.get(3));
        assertEquals("s", a.get(4));
        assertEquals(12345678901234L, ((Map<?, ?>) m.get("m")).get("k"));
        // integers beyond a long become doubles rather than failing
        assertEquals(1e20, Json.parse("100000000000000000000"));
    }

    @Test
    void duplicateKeysAreAnErrorAtTheSecondKey() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\n \"a\":2}"));
        assertEquals("JSON: duplicate key \"a\" at line 2, column 2 (character 9)", e.getMessage());
    }

    @Test
    void parsedTreesAreUnmodifiable() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"a\":[1]}");
        assertThrows(UnsupportedOperationException.class, () -> m.clear());
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) m.get("a")).clear());
    }

    /**
     * serde_json's escaping (safetensors writes headers with it): quote, backslash, the five named
     * control escapes, other controls as a lowercase six-character u00xx escape, and nothing else (not '/', not DEL, not
     * non-ASCII).
     */
    @Test
    void quoteEscapesLikeSerdeJson() {
        assertEquals("\"a\\\"b\\\\c\"", Json.quote("a\"b\\c"));
        assertEquals("\"\\b\\f\\n\\r\\t\"", Json.quote("\b\f\n\r\t"));
        assertEquals("\"\\u0000\\u001f\"", Json.quote("\u0000\u001f"));
        assertEquals("\"/\u007f漢😀\"", Json.quote("/\u007f漢😀"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.quote("ab\ud800"));
        assertTrue(e.getMessage().contains("unpaired surrogate U+D800 at index 2"), e.getMessage());
    }

    @Test
    void writeIsCompactAndParsesBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "vit \"tiny\"\n");
        m.put("lr", 3e-4);
        m.put("loss", 0.1f);
        m.put("steps", 100L);
        m.put("ok", true);
        m.put("none", null);
        m.put("shape", new long[] {2, 3});
        m.put("list", List.of(1, "x", List.of()));
        m.put("empty", Map.of());
        String s = Json.write(m);
        assertEquals("{\"name\":\"vit \\\"tiny\\\"\\n\",\"lr\":3.0E-4,\"loss\":0.1,\"steps\":100,\"ok\":true,\"none\":null,"
                + "\"shape\":[2,3],\"list\":[1,\"x\",[]],\"empty\":{}}", s);
        Map<?, ?> back = (Map<?, ?>) Json.parse(s);
        assertEquals("vit \"tiny\"\n", back.get("name"));
        assertEquals(3e-4, back.get("lr"));
        assertEquals(0.1, back.get("loss")); // the float's shortest text, read back as a double
        assertEquals(List.of(2L, 3L), back.get("shape"));
    }

    @Test
    void writeRejectsWhatJsonCannotHold() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN)).getMessage().contains("JSON has no NaN"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.write(new float[] {1f, Float.POSITIVE_INFINITY}))
                .getMessage().contains("Infinity"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2))).getMessage().contains("is not a String"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.write(new Object())).getMessage().contains("cannot write a java.lang.Object"));
    }

    @Test
    void everyStringSurvivesQuoteThenParse() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0xD800; c++) all.append(c);
        all.append("\ud83d\ude00");
        String s = all.toString();
        assertEquals(s, Json.parse(Json.quote(s)));
        assertEquals(Arrays.asList(1L, null), Json.parse(Json.write(Arrays.asList(1, null))));
    }
}
