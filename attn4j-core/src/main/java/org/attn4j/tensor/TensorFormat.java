package org.attn4j.tensor;

import java.util.Locale;

/** Renders tensors the way PyTorch prints them, summarising large ones with edge items. */
final class TensorFormat {
    private TensorFormat() {}

    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;

    static String format(Tensor t) {
        StringBuilder sb = new StringBuilder("tensor(");
        boolean summarise = t.numel() > THRESHOLD;
        float[] values = t.toFloatArray();
        int[] shape = t.shape();
        if (shape.length == 0) {
            sb.append(number(values[0], t.dtype()));
        } else {
            append(sb, values, shape, Shape.contiguousStrides(shape), 0, 0, summarise, t.dtype(), 7);
        }
        if (summarise || shape.length != 1) sb.append(", size=").append(Shape.str(shape));
        if (t.dtype() != DType.FLOAT32) sb.append(", dtype=torch.").append(t.dtype().torchName());
        if (t.gradFn() != null) sb.append(", grad_fn=<").append(t.gradFn().op()).append("Backward>");
        else if (t.requiresGrad()) sb.append(", requires_grad=True");
        return sb.append(')').toString();
    }

    private static void append(StringBuilder sb, float[] v, int[] shape, int[] strides, int dim, int base,
                               boolean summarise, DType dtype, int indent) {
        sb.append('[');
        int n = shape[dim];
        boolean cut = summarise && n > 2 * EDGE_ITEMS;
        for (int i = 0; i < n; i++) {
            if (cut && i == EDGE_ITEMS) {
                sb.append(dim == shape.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + 1));
                i = n - EDGE_ITEMS;
            }
            if (dim == shape.length - 1) {
                sb.append(number(v[base + i * strides[dim]], dtype));
            } else {
                append(sb, v, shape, strides, dim + 1, base + i * strides[dim], summarise, dtype, indent + 1);
            }
            if (i < n - 1) sb.append(dim == shape.length - 1 ? ", " : ",\n" + " ".repeat(indent + 1));
        }
        sb.append(']');
    }

    private static String number(float x, DType dtype) {
        if (dtype == DType.BOOL) return x != 0 ? "True" : "False";
        if (dtype == DType.INT64) return Long.toString((long) x);
        if (Float.isNaN(x)) return "nan";
        if (Float.isInfinite(x)) return x > 0 ? "inf" : "-inf";
        float a = Math.abs(x);
        if (a != 0 && (a < 1e-4f || a >= 1e8f)) return String.format(Locale.ROOT, "%.4e", x);
        return String.format(Locale.ROOT, "%.4f", x);
    }
}
