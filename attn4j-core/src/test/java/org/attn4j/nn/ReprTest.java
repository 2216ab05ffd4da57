package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Python-style value text: expected strings are what CPython's {@code repr()} prints for the same values. */
class ReprTest {
    @Test
    void floatsPrintAsPythonRepr() {
        assertEquals("1e-05", Repr.pyFloat(1e-5));
        assertEquals("1e-06", Repr.pyFloat(1e-6));
        assertEquals("1e-12", Repr.pyFloat(1e-12));
        assertEquals("3e-07", Repr.pyFloat(3e-7));
        assertEquals("1.234e-05", Repr.pyFloat(1.234e-5));
        assertEquals("0.0001", Repr.pyFloat(1e-4));
        assertEquals("0.1", Repr.pyFloat(0.1));
        assertEquals("0.9", Repr.pyFloat(0.9));
        assertEquals("1.0", Repr.pyFloat(1.0));
        assertEquals("-2.5", Repr.pyFloat(-2.5));
        assertEquals("123.456", Repr.pyFloat(123.456));
        assertEquals("1000000000000000.0", Repr.pyFloat(1e15));
        assertEquals("1e+16", Repr.pyFloat(1e16));
        assertEquals("1.5e+16", Repr.pyFloat(1.5e16));
        assertEquals("0.0", Repr.pyFloat(0.0));
        assertEquals("-0.0", Repr.pyFloat(-0.0));
        assertEquals("inf", Repr.pyFloat(Double.POSITIVE_INFINITY));
        assertEquals("nan", Repr.pyFloat(Double.NaN));
        assertEquals("0.30000000000000004", Repr.pyFloat(0.1 + 0.2));
    }

    @Test
    void tuplesBoolsAndStrings() {
        assertEquals("(3,)", Repr.tuple(3));
        assertEquals("(3, 3)", Repr.tuple(3, 3));
        assertEquals("()", Repr.tuple());
        assertEquals("True", Repr.bool(true));
        assertEquals("'tanh'", Repr.str("tanh"));
    }

    @Test
    void indentLeavesTheFirstLineAlone() {
        assertEquals("A(\n    x\n  )", Repr.indent("A(\n  x\n)", 2));
        assertEquals("one line", Repr.indent("one line", 2));
    }
}
