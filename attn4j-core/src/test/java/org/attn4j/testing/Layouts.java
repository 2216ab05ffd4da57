package org.attn4j.testing;

import java.util.function.Function;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Random test inputs of a given shape in the memory layouts ops must read correctly: row-major,
 * transposed (last two dims swapped in storage), narrowed out of a wider buffer (an offset and a row
 * stride larger than the row), and expanded (stride 0 over dims of size 1 in storage).
 */
public final class Layouts {
    private Layouts() {}

    public enum Layout { CONTIGUOUS, TRANSPOSED, NARROWED, EXPANDED }

    public static final Layout[] ALL = Layout.values();

    /** Standard-normal values with {@code shape}, laid out as {@code layout} (a layout that does not apply to
     * the shape, such as TRANSPOSED on a vector, falls back to the nearest one that does). */
    public static Tensor randn(Generator g, Layout layout, int... shape) {
        return build(layout, s -> Tensor.randn(g, s), shape);
    }

    /** Values uniform in [lo, hi) with {@code shape}, laid out as {@code layout}. */
    public static Tensor uniform(Generator g, float lo, float hi, Layout layout, int... shape) {
        return build(layout, s -> Tensor.rand(g, s).mul(hi - lo).add(lo), shape);
    }

    /** Lays out fresh values from {@code source} (which makes a row-major tensor of a given shape). */
    private static Tensor build(Layout layout, Function<int[], Tensor> source, int... shape) {
        int r = shape.length;
        switch (layout) {
            case TRANSPOSED -> {
                if (r < 2) return build(Layout.NARROWED, source, shape);
                int[] s = shape.clone();
                s[r - 1] = shape[r - 2];
                s[r - 2] = shape[r - 1];
                return source.apply(s).transpose(-1, -2);
            }
            case NARROWED -> {
                if (r == 0) return source.apply(new int[] {3}).narrow(0, 1, 1).reshape();
                int[] s = shape.clone();
                s[r - 1] += 3;
                s[0] += r > 1 ? 1 : 0;
                Tensor wide = source.apply(s).narrow(-1, 2, shape[r - 1]);
                return r > 1 ? wide.narrow(0, 1, shape[0]) : wide;
            }
            case EXPANDED -> {
                // Storage holds size 1 on every even dim (or else on the first dim) of size > 1.
                int[] s = shape.clone();
                boolean any = false;
                for (int i = 0; i < r; i += 2) {
                    if (shape[i] > 1) { s[i] = 1; any = true; }
                }
                for (int i = 0; i < r && !any; i++) {
                    if (shape[i] > 1) { s[i] = 1; any = true; }
                }
                if (!any) return source.apply(shape);
                return source.apply(s).expand(shape);
            }
            default -> {
                return source.apply(shape);
            }
        }
    }

    /** A random shape of rank in [minRank, maxRank] with sizes in [1, maxSize] (size 1 one time in four). */
    public static int[] shape(Generator g, int minRank, int maxRank, int maxSize) {
        int r = minRank + g.nextInt(maxRank - minRank + 1);
        int[] s = new int[r];
        for (int i = 0; i < r; i++) s[i] = g.nextInt(4) == 0 ? 1 : 1 + g.nextInt(maxSize);
        return s;
    }

    /** A random layout. */
    public static Layout layout(Generator g) {
        return ALL[g.nextInt(ALL.length)];
    }
}
