package org.attn4j.tensor;

import java.util.Arrays;

/** Static helpers for shapes and strides (all row-major, element strides). */
public final class Shape {
    private Shape() {}

    /** Number of elements of a shape; checks the product fits an int (one float array). */
    public static int numel(int[] shape) {
        return numel("numel", shape);
    }

    /** {@link #numel(int[])}, naming {@code op} in the error for a negative or too large shape. */
    public static int numel(String op, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(op + ": negative dimension " + d + " in shape " + str(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException(op + ": shape " + str(shape) + " has more than 2^31 elements");
            }
        }
        return (int) n;
    }

    /** Row-major (C-contiguous) strides of a shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** PyTorch-style rendering: {@code [2, 3, 4]}. */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Resolves a possibly negative dim against a rank; {@code op} names the caller in the error. */
    public static int dim(String op, int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for a tensor of rank " + rank
                    + " (expected in [" + (-r) + ", " + (r - 1) + "])");
        }
        return dim < 0 ? dim + r : dim;
    }

    /** The broadcast of two shapes by NumPy/PyTorch rules, or an error naming {@code op} and both shapes. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Strides that read a tensor of shape {@code shape}/{@code strides} as if broadcast to {@code target}:
     * 0 on broadcast dimensions.
     */
    public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            int j = i - lead;
            out[i] = (j < 0 || shape[j] == 1) ? 0 : strides[j];
        }
        return out;
    }

    public static boolean equal(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }
}
