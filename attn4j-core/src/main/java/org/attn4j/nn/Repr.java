package org.attn4j.nn;

/**
 * Python-style rendering of values for {@link Module#extraRepr()}, so that printed modules read exactly as
 * PyTorch prints them: {@code True}/{@code False}, floats as Python's {@code repr} ({@code 1e-05},
 * {@code 0.1}, {@code 1.0}), tuples as {@code (3, 3)} or {@code (3,)}, strings quoted with {@code '}.
 */
public final class Repr {
    private Repr() {}

    /** {@code True} or {@code False}. */
    public static String bool(boolean b) {
        return b ? "True" : "False";
    }

    /**
     * A double as Python's {@code repr(float)}: the shortest digits that round-trip (Java's
     * {@link Double#toString} finds the same digits), in positional notation when the decimal exponent is in
     * [-4, 16) and in scientific notation otherwise, with at least two exponent digits ({@code 1e-05}).
     */
    public static String pyFloat(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return (1 / v < 0) ? "-0.0" : "0.0";
        java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
        String digits = d.unscaledValue().toString();
        int exp = digits.length() - 1 - d.scale();          // decimal exponent of the first digit
        String sign = v < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String s = d.toPlainString();
            return sign + (s.contains(".") ? s : s + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = String.format("%02d", Math.abs(exp));
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + e;
    }

    /** A Python tuple of ints: {@code (3, 3)}, or {@code (3,)} for one element. */
    public static String tuple(int... values) {
        if (values.length == 1) return "(" + values[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(values[i]);
        }
        return sb.append(')').toString();
    }

    /**
     * A size as the user gave it to a PyTorch module, which prints it unchanged: one value as a plain int
     * ({@code kernel_size=2}), several as a tuple ({@code kernel_size=(2, 3)}).
     */
    public static String asGiven(int[] values) {
        return values.length == 1 ? String.valueOf(values[0]) : tuple(values);
    }

    /** A Python string literal with single quotes: {@code 'none'}. */
    public static String str(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * Indents every line but the first by {@code spaces}, as PyTorch's {@code _addindent} does for nested
     * module reprs.
     */
    static String indent(String s, int spaces) {
        if (!s.contains("\n")) return s;
        String pad = " ".repeat(spaces);
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder(lines[0]);
        for (int i = 1; i < lines.length; i++) sb.append('\n').append(pad).append(lines[i]);
        return sb.toString();
    }
}
