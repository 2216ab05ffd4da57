package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Views against libtorch over random shapes (ranks 0 to 4, size-1 dims) and input layouts (row-major,
 * transposed, narrowed, expanded). Tolerance: a view moves values without arithmetic, so forward
 * results must be exact (0); gradients are exact too except where expand's backward sums several
 * upstream values, which may round differently from libtorch's order (atol 1e-6, rtol 1e-6).
 */
class ViewsTest {
    private static final double ATOL = 1e-6, RTOL = 1e-6;

    /** Input with grad in a random layout; its leaf keeps that layout in attn4j. */
    private static Tensor input(Generator g, int[] shape) {
        return Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
    }

    /** A random shape with the same number of elements, with a -1 one time in three. */
    private static int[] refactor(Generator g, int numel) {
        List<Integer> dims = new ArrayList<>();
        int rem = numel;
        while (rem > 1) {
            List<Integer> divisors = new ArrayList<>();
            for (int d = 2; d <= rem; d++) if (rem % d == 0) divisors.add(d);
            int d = divisors.get(g.nextInt(divisors.size()));
            dims.add(d);
            rem /= d;
        }
        int ones = g.nextInt(3);
        for (int i = 0; i < ones; i++) dims.add(g.nextInt(dims.size() + 1), 1);
        int[] s = dims.stream().mapToInt(Integer::intValue).toArray();
        if (s.length > 0 && g.nextInt(3) == 0) s[g.nextInt(s.length)] = -1;
        return s;
    }

    private static long[] longs(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return l;
    }

    /** DJL index string slicing {@code part} in dimension {@code dim}, e.g. {@code ":,:,1:3"}. */
    private static String at(int dim, String part) {
        return ":,".repeat(dim) + part;
    }

    @Test
    void reshapeAndViewMatchTorch() {
        Generator g = new Generator(11);
        for (int c = 0; c < 60; c++) {
            int[] shape = Layouts.shape(g, 0, 4, 5);
            Tensor x = input(g, shape);
            int[] target = refactor(g, x.numel());
            String what = "reshape " + Shape.str(shape) + " strides " + Shape.str(x.strides()) + " -> " + Shape.str(target);
            Torch.check(what, List.of(x), t -> t.get(0).reshape(target), t -> t.get(0).reshape(longs(target)), 0, 0, c);
            Tensor dense = Tensor.randn(g, shape).requiresGrad(true);
            Torch.check("view " + Shape.str(shape) + " -> " + Shape.str(target), List.of(dense),
                    t -> t.get(0).view(target), t -> t.get(0).reshape(longs(target)), 0, 0, c);
        }
    }

    /**
     * PyTorch makes a view exactly when some strides describe the new shape over the old storage
     * positions. Checked here by brute force: the candidate stride of each new dim is the storage step
     * of its first increment, then every element's position is compared.
     */
    private static boolean stridesExist(Tensor x, int[] newShape) {
        int n = x.numel();
        int[] pos = new int[n];
        int[] shape = x.shape(), st = x.strides();
        for (int i = 0; i < n; i++) {
            int rem = i, p = x.offset();
            for (int d = shape.length - 1; d >= 0; d--) {
                p += (rem % shape[d]) * st[d];
                rem /= shape[d];
            }
            pos[i] = p;
        }
        int[] cs = Shape.contiguousStrides(newShape);
        int[] cand = new int[newShape.length];
        for (int d = 0; d < newShape.length; d++) cand[d] = newShape[d] > 1 ? pos[cs[d]] - pos[0] : 0;
        for (int i = 0; i < n; i++) {
            int rem = i, p = pos[0];
            for (int d = newShape.length - 1; d >= 0; d--) {
                p += (rem % newShape[d]) * cand[d];
                rem /= newShape[d];
            }
            if (p != pos[i]) return false;
        }
        return true;
    }

    @Test
    void viewSucceedsExactlyWhenStridesExistAndReshapeCopiesOnlyThen() {
        Generator g = new Generator(12);
        int views = 0, refusals = 0;
        for (int c = 0; c < 400; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 4);
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape);
            if (g.nextInt(3) == 0 && shape.length >= 2) x = x.transpose(0, shape.length - 1);
            if (x.numel() == 0) continue;
            int[] target = refactor(g, x.numel());
            int known = 1;
            for (int v : target) if (v != -1) known *= v;
            int[] resolved = target.clone();
            for (int i = 0; i < resolved.length; i++) if (resolved[i] == -1) resolved[i] = x.numel() / known;
            boolean possible = stridesExist(x, resolved);
            Tensor xf = x;
            String what = Shape.str(x.shape()) + " strides " + Shape.str(x.strides()) + " -> " + Shape.str(target);
            Tensor r = x.reshape(target);
            assertArrayEquals(x.contiguous().toFloatArray(), r.toFloatArray(), what);
            if (possible) {
                views++;
                Tensor v = x.view(target);
                assertSame(x.storage(), v.storage(), "view must share storage: " + what);
                assertArrayEquals(x.contiguous().toFloatArray(), v.toFloatArray(), what);
                assertSame(x.storage(), r.storage(), "reshape must not copy when a view works: " + what);
            } else {
                refusals++;
                var e = assertThrows(IllegalArgumentException.class, () -> xf.view(target), what);
                assertTrue(e.getMessage().startsWith("view: size "), e.getMessage());
                assertNotSame(x.storage(), r.storage(), "reshape must copy when no view exists: " + what);
            }
        }
        assertTrue(views > 50 && refusals > 20, "both outcomes exercised: " + views + " views, " + refusals + " refusals");
    }

    @Test
    void impossibleViewIsRefusedWithPyTorchsReason() {
        Tensor x = Tensor.zeros(4, 6).t();
        var e = assertThrows(IllegalArgumentException.class, () -> x.view(24));
        assertEquals("view: size [24] is not compatible with input tensor's size [6, 4] and stride [1, 6]"
                + " (at least one dimension spans across two contiguous subspaces); use .reshape(...) instead",
                e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).view(5));
        assertEquals("view: shape [5] is invalid for input of shape [2, 3] (6 elements)", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).reshape(-1, -1));
        assertEquals("reshape: only one dimension can be inferred in [-1, -1]", e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).view(-1, 4));
        assertEquals("view: shape [-1, 4] is invalid for input of shape [2, 3] (6 elements)", e4.getMessage());
    }

    @Test
    void permuteAndTransposeMatchTorch() {
        Generator g = new Generator(13);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 5);
            Tensor x = input(g, shape);
            int r = shape.length;
            int[] perm = new int[r];
            for (int i = 0; i < r; i++) perm[i] = i;
            for (int i = r - 1; i > 0; i--) {
                int j = g.nextInt(i + 1), tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            int[] permNeg = perm.clone();
            if (r > 0) permNeg[0] -= r;                      // a negative dim is the same dim
            Torch.check("permute " + Shape.str(shape) + " " + Shape.str(permNeg), List.of(x),
                    t -> t.get(0).permute(permNeg), t -> t.get(0).transpose(perm), 0, 0, c);
            int a = g.nextInt(r), b = g.nextInt(r);
            Torch.check("transpose " + Shape.str(shape) + " " + a + "," + (b - r), List.of(x),
                    t -> t.get(0).transpose(a, b - r), t -> t.get(0).swapAxes(a, b), 0, 0, c);
        }
        Tensor m = Tensor.randn(g, 3, 5).requiresGrad(true);
        Torch.check("t", List.of(m), t -> t.get(0).t(), t -> t.get(0).transpose(1, 0), 0, 0, 1);
        Tensor b3 = Tensor.randn(g, 2, 3, 5).requiresGrad(true);
        Torch.check("mT", List.of(b3), t -> t.get(0).mT(), t -> t.get(0).swapAxes(-1, -2), 0, 0, 2);
    }

    @Test
    void expandMatchesTorch() {
        Generator g = new Generator(14);
        for (int c = 0; c < 40; c++) {
            int[] base = Layouts.shape(g, 0, 3, 4);
            Tensor x = input(g, base);
            int lead = g.nextInt(3);
            int[] target = new int[lead + base.length];
            for (int i = 0; i < lead; i++) target[i] = 1 + g.nextInt(4);
            for (int i = 0; i < base.length; i++) {
                target[lead + i] = base[i] == 1 ? 1 + g.nextInt(5) : (g.nextInt(2) == 0 ? -1 : base[i]);
            }
            int[] resolved = target.clone();
            for (int i = 0; i < base.length; i++) if (resolved[lead + i] == -1) resolved[lead + i] = base[i];
            Torch.check("expand " + Shape.str(base) + " -> " + Shape.str(target), List.of(x),
                    t -> t.get(0).expand(target), t -> t.get(0).broadcast(longs(resolved)), ATOL, RTOL, c);
        }
    }

    @Test
    void narrowAndSelectMatchTorch() {
        Generator g = new Generator(15);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 6);
            Tensor x = input(g, shape);
            int d = g.nextInt(shape.length);
            int start = g.nextInt(shape[d]);
            int length = 1 + g.nextInt(shape[d] - start);
            int startArg = g.nextInt(2) == 0 ? start : start - shape[d];   // negative start counts from the end
            int dimArg = g.nextInt(2) == 0 ? d : d - shape.length;
            Torch.check("narrow " + Shape.str(shape) + " dim " + dimArg + " start " + startArg + " length " + length,
                    List.of(x), t -> t.get(0).narrow(dimArg, startArg, length),
                    t -> t.get(0).get(at(d, start + ":" + (start + length))), 0, 0, c);
            int index = g.nextInt(shape[d]);
            int indexArg = g.nextInt(2) == 0 ? index : index - shape[d];
            Torch.check("select " + Shape.str(shape) + " dim " + dimArg + " index " + indexArg, List.of(x),
                    t -> t.get(0).select(dimArg, indexArg), t -> t.get(0).get(at(d, Integer.toString(index))), 0, 0, c);
        }
    }

    @Test
    void unsqueezeSqueezeFlattenContiguousMatchTorch() {
        Generator g = new Generator(16);
        for (int c = 0; c < 40; c++) {
            int[] shape = Layouts.shape(g, 0, 4, 4);
            int r = shape.length;
            Tensor x = input(g, shape);
            int u = g.nextInt(r + 1) - (g.nextInt(2) == 0 ? 0 : r + 1);
            Torch.check("unsqueeze " + Shape.str(shape) + " " + u, List.of(x), t -> t.get(0).unsqueeze(u),
                    t -> t.get(0).expandDims(u), 0, 0, c);
            Torch.check("squeeze " + Shape.str(shape), List.of(x), t -> t.get(0).squeeze(), t -> t.get(0).squeeze(), 0, 0, c);
            if (r > 0) {
                int s = g.nextInt(r);
                Torch.check("squeeze " + Shape.str(shape) + " dim " + s, List.of(x), t -> t.get(0).squeeze(s),
                        t -> t.get(0).squeeze(s), 0, 0, c);
                int a = g.nextInt(r), b = a + g.nextInt(r - a);
                Torch.check("flatten " + Shape.str(shape) + " " + a + ".." + b, List.of(x), t -> t.get(0).flatten(a, b),
                        t -> t.get(0).flatten(a, b), 0, 0, c);
            }
            Torch.check("flatten " + Shape.str(shape), List.of(x), t -> t.get(0).flatten(), t -> t.get(0).flatten(), 0, 0, c);
            Torch.check("contiguous " + Shape.str(shape), List.of(x), t -> t.get(0).contiguous(), t -> t.get(0), 0, 0, c);
        }
    }

    @Test
    void zeroDimensionalTensorsViewAsOneElement() {
        Tensor s = Tensor.scalar(2.5f).requiresGrad(true);
        Torch.check("0-d view [1]", List.of(s), t -> t.get(0).view(1), t -> t.get(0).reshape(1), 0, 0, 1);
        Torch.check("0-d view [1, 1, 1]", List.of(s), t -> t.get(0).view(1, 1, 1), t -> t.get(0).reshape(1, 1, 1), 0, 0, 2);
        Torch.check("0-d reshape -1", List.of(s), t -> t.get(0).reshape(-1), t -> t.get(0).reshape(-1), 0, 0, 3);
        Torch.check("0-d flatten", List.of(s), t -> t.get(0).flatten(), t -> t.get(0).flatten(), 0, 0, 4);
        Torch.check("0-d unsqueeze", List.of(s), t -> t.get(0).unsqueeze(0), t -> t.get(0).expandDims(0), 0, 0, 5);
        Torch.check("0-d expand", List.of(s), t -> t.get(0).expand(2, 3), t -> t.get(0).broadcast(2, 3), ATOL, RTOL, 6);
        Tensor one = Tensor.vector(7f).requiresGrad(true);
        Torch.check("[1] view []", List.of(one), t -> t.get(0).view(), t -> t.get(0).reshape(), 0, 0, 7);
        assertEquals(0, Tensor.scalar(1f).squeeze().dim());
        assertEquals(0, Tensor.scalar(1f).permute().dim());
    }

    @Test
    void gradientsFlowThroughChainsOfViews() {
        Generator g = new Generator(17);
        for (int c = 0; c < 20; c++) {
            int a = 2 + g.nextInt(3), b = 1 + g.nextInt(4), k = 3 + g.nextInt(4);
            Tensor x = Layouts.randn(g, Layouts.layout(g), a, b, k).requiresGrad(true);
            Tensor w = Tensor.randn(g, 2, b, a, k - 1).requiresGrad(true);
            // transpose -> narrow -> unsqueeze -> expand -> multiply (so the upstream gradient differs per
            // expanded copy) -> reshape of a non-contiguous result -> select.
            Torch.check("view chain " + a + "x" + b + "x" + k, List.of(x, w),
                    t -> t.get(0).transpose(0, 1).narrow(2, 1, k - 1).unsqueeze(0).expand(2, b, a, k - 1)
                            .mul(t.get(1)).permute(0, 3, 1, 2).reshape(2, (k - 1) * b, a).select(2, a - 1),
                    t -> t.get(0).swapAxes(0, 1).get(":,:,1:" + k).expandDims(0).broadcast(2, b, a, k - 1)
                            .mul(t.get(1)).transpose(0, 3, 1, 2).reshape(2, (long) (k - 1) * b, a).get(":,:," + (a - 1)),
                    ATOL, RTOL, c);
            // The same leaf used through two different views: gradients from both must add up.
            Torch.check("two views of one leaf", List.of(x),
                    t -> t.get(0).select(2, 0).mul(t.get(0).transpose(1, 2).narrow(1, 1, 1).squeeze(1)),
                    t -> t.get(0).get(":,:,0").mul(t.get(0).swapAxes(1, 2).get(":,1:2").squeeze(1)), ATOL, RTOL, c);
        }
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        Tensor x = Tensor.zeros(2, 3, 4);
        assertEquals("permute: 2 dims [0, 1] for a tensor of rank 3 [2, 3, 4]",
                assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1)).getMessage());
        assertEquals("permute: dim 1 repeats in [1, 1, 0]",
                assertThrows(IllegalArgumentException.class, () -> x.permute(1, 1, 0)).getMessage());
        assertEquals("transpose: dim 3 is out of range for a tensor of rank 3 (expected in [-3, 2])",
                assertThrows(IllegalArgumentException.class, () -> x.transpose(0, 3)).getMessage());
        assertEquals("expand: the size of input [2, 3, 4] (3) must match the target [2, 5, 4] (5) at non-singleton dimension 1",
                assertThrows(IllegalArgumentException.class, () -> x.expand(2, 5, 4)).getMessage());
        assertEquals("expand: invalid size -2 in the target [1, -2, 3, 4]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(1, 1, 3, 4).expand(1, -2, 3, 4)).getMessage());
        assertEquals("expand: the target [3, 4] has fewer dims than the input [2, 3, 4]",
                assertThrows(IllegalArgumentException.class, () -> x.expand(3, 4)).getMessage());
        assertEquals("narrow: start 2 + length 2 exceeds dimension 1 of size 3 in [2, 3, 4]",
                assertThrows(IllegalArgumentException.class, () -> x.narrow(1, 2, 2)).getMessage());
        assertEquals("select: index 4 is out of range for dimension 2 of size 4 in [2, 3, 4]",
                assertThrows(IllegalArgumentException.class, () -> x.select(2, 4)).getMessage());
        assertEquals("unsqueeze: dim 4 is out of range for a tensor of rank 3 (expected in [-4, 3])",
                assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(4)).getMessage());
        assertEquals("flatten: start_dim 2 comes after end_dim 1",
                assertThrows(IllegalArgumentException.class, () -> x.flatten(2, 1)).getMessage());
    }
}
