package org.attn4j.tensor;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders tensors exactly as PyTorch prints them with its default print options (torch/_tensor_str.py:
 * precision 4, threshold 1000, edgeitems 3, linewidth 80).
 *
 * <p>One formatter serves the whole tensor (or, beyond 1000 elements, the edge items that are shown): if
 * every finite non-zero value is an integer the values print as {@code 2.}; if the largest and smallest
 * magnitudes are more than 1000 apart, or one exceeds 1e8 (or, for non-integers, falls below 1e-4), they
 * print in scientific notation {@code 1.0000e-05}; otherwise with 4 decimals. Every element is padded to
 * the widest. Rows wrap at 80 columns. Numbers are rounded half-to-even on their exact binary value, as
 * Python's {@code format} does. int64 and bool tensors print without a dtype (they are PyTorch defaults),
 * empty ones with {@code size=} and {@code dtype=}.
 */
final class TensorFormat {
    private TensorFormat() {}

    private static final int PRECISION = 4;
    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;
    private static final int LINE_WIDTH = 80;
    private static final String PREFIX = "tensor(";

    static String format(Tensor t) {
        int indent = PREFIX.length();
        int[] shape = t.shape();
        float[] values = t.toFloatArray();
        List<String> suffixes = new ArrayList<>();
        String body;
        if (values.length == 0) {
            if (shape.length != 1) suffixes.add("size=" + tuple(shape));
            if (t.dtype() != DType.FLOAT32) suffixes.add("dtype=torch." + t.dtype().torchName());
            body = "[]";
        } else {
            boolean summarize = values.length > THRESHOLD;
            Formatter f = new Formatter(shownValues(values, shape, summarize), t.dtype());
            body = shape.length == 0 ? f.format(values[0]) : tensorStr(values, shape, 0, 0, indent, summarize, f);
        }
        if (t.gradFn() != null) suffixes.add("grad_fn=<" + backwardName(t.gradFn().op()) + ">");
        else if (t.requiresGrad()) suffixes.add("requires_grad=True");
        return addSuffixes(PREFIX + body, suffixes, indent);
    }

    /** PyTorch's class name of a backward node, from our op name: {@code log_softmax} -> {@code LogSoftmaxBackward0}. */
    static String backwardName(String op) {
        StringBuilder sb = new StringBuilder();
        for (String part : op.split("_")) {
            if (part.isEmpty()) continue;
            sb.append(Character.toUpperCase(part.charAt(0))).append(part, 1, part.length());
        }
        return sb.append("Backward0").toString();
    }

    /** Python's tuple rendering of a shape: {@code (2, 0)}, {@code (5,)}, {@code ()}. */
    private static String tuple(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /** Whether index {@code i} of a dim of size {@code n} is shown (all, or the edge items when summarizing). */
    private static boolean shown(int i, int n, boolean summarize) {
        return !summarize || n <= 2 * EDGE_ITEMS || i < EDGE_ITEMS || i >= n - EDGE_ITEMS;
    }

    /** The values that will be printed (PyTorch's get_summarized_data): they alone size the formatter. */
    private static float[] shownValues(float[] v, int[] shape, boolean summarize) {
        if (!summarize) return v;
        float[] out = new float[v.length];
        int count = 0;
        int[] idx = new int[shape.length];
        for (int e = 0; e < v.length; e++) {
            boolean keep = true;
            for (int d = 0; d < shape.length && keep; d++) keep = shown(idx[d], shape[d], true);
            if (keep) out[count++] = v[e];
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return java.util.Arrays.copyOf(out, count);
    }

    /** The sub-tensor of dims {@code dim..} starting at row-major position {@code base}. */
    private static String tensorStr(float[] v, int[] shape, int dim, int base, int indent, boolean summarize, Formatter f) {
        int n = shape[dim];
        int stride = 1;
        for (int d = dim + 1; d < shape.length; d++) stride *= shape[d];
        boolean cut = summarize && n > 2 * EDGE_ITEMS;
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (cut && i == EDGE_ITEMS) {
                items.add(dim == shape.length - 1 ? " ..." : "...");
                i = n - EDGE_ITEMS;
            }
            items.add(dim == shape.length - 1 ? f.format(v[base + i])
                    : tensorStr(v, shape, dim + 1, base + i * stride, indent + 1, summarize, f));
        }
        if (dim < shape.length - 1) {
            String sep = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1);
            return "[" + String.join(sep, items) + "]";
        }
        // A row: as many elements per line as fit in the line width.
        int perLine = Math.max(1, (LINE_WIDTH - indent) / (f.width + 2));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < items.size(); i += perLine) {
            lines.add(String.join(", ", items.subList(i, Math.min(items.size(), i + perLine))));
        }
        return "[" + String.join(",\n" + " ".repeat(indent + 1), lines) + "]";
    }

    private static String addSuffixes(String tensorStr, List<String> suffixes, int indent) {
        StringBuilder sb = new StringBuilder(tensorStr);
        int lastLineLength = tensorStr.length() - tensorStr.lastIndexOf('\n') + 1;
        for (String suffix : suffixes) {
            if (lastLineLength + suffix.length() + 2 > LINE_WIDTH) {
                sb.append(",\n").append(" ".repeat(indent)).append(suffix);
                lastLineLength = indent + suffix.length();
            } else {
                sb.append(", ").append(suffix);
                lastLineLength += suffix.length() + 2;
            }
        }
        return sb.append(')').toString();
    }

    /** PyTorch's _Formatter: chooses integer, fixed or scientific notation and a common width. */
    private static final class Formatter {
        private final DType dtype;
        private boolean intMode = true;
        private boolean sciMode = false;
        private int width = 1;

        Formatter(float[] values, DType dtype) {
            this.dtype = dtype;
            if (dtype != DType.FLOAT32) {
                for (float x : values) width = Math.max(width, plain(x).length());
                return;
            }
            double min = Double.POSITIVE_INFINITY, max = 0;
            int count = 0;
            for (float x : values) {
                if (x == 0 || Float.isNaN(x) || Float.isInfinite(x)) continue;
                count++;
                min = Math.min(min, Math.abs((double) x));
                max = Math.max(max, Math.abs((double) x));
                if (x != (float) Math.ceil(x)) intMode = false;
            }
            if (count == 0) return;
            sciMode = max / min > 1000.0 || max > 1.0e8 || (!intMode && min < 1.0e-4);
            for (float x : values) {
                if (x == 0 || Float.isNaN(x) || Float.isInfinite(x)) continue;
                int w = sciMode ? scientific(x).length() : intMode ? fixed(x, 0).length() + 1 : fixed(x, PRECISION).length();
                width = Math.max(width, w);
            }
        }

        String format(float x) {
            String s;
            if (dtype != DType.FLOAT32) {
                s = plain(x);
            } else if (sciMode) {
                s = scientific(x);
            } else if (intMode) {
                s = fixed(x, 0) + (Float.isNaN(x) || Float.isInfinite(x) ? "" : ".");
            } else {
                s = fixed(x, PRECISION);
            }
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }

        private String plain(float x) {
            if (dtype == DType.BOOL) return x != 0 ? "True" : "False";
            return Long.toString((long) x);
        }
    }

    private static String nonFinite(double x) {
        return Double.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    }

    private static boolean negative(double x) {
        return x < 0 || (x == 0 && 1 / x < 0);
    }

    /** Python's {@code '{:.Nf}'.format(x)}: half-to-even on the exact value, the sign kept for -0. */
    static String fixed(double x, int decimals) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return nonFinite(x);
        String s = new BigDecimal(Math.abs(x)).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
        return negative(x) ? "-" + s : s;
    }

    /** Python's {@code '{:.4e}'.format(x)}: five significant digits and a signed exponent of two digits or more. */
    static String scientific(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return nonFinite(x);
        String sign = negative(x) ? "-" : "";
        if (x == 0) return sign + "0." + "0".repeat(PRECISION) + "e+00";
        BigDecimal r = new BigDecimal(Math.abs(x)).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
        String digits = r.unscaledValue().toString();
        int exponent = digits.length() - 1 - r.scale();
        digits = (digits + "0".repeat(PRECISION + 1)).substring(0, PRECISION + 1);
        String e = Integer.toString(Math.abs(exponent));
        return sign + digits.charAt(0) + "." + digits.substring(1) + "e" + (exponent < 0 ? "-" : "+")
                + (e.length() < 2 ? "0" + e : e);
    }
}
