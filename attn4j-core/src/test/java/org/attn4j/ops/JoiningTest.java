package org.attn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Layouts;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * cat, stack, split and chunk against libtorch over random shapes, dims (negative too) and strided
 * inputs, forward and gradient. Tolerance: these ops only copy, and each gradient element comes from
 * exactly one output element: exact (0).
 */
class JoiningTest {
    @Test
    void catMatchesTorch() {
        Generator g = new Generator(61);
        for (int c = 0; c < 30; c++) {
            int[] shape = Layouts.shape(g, 1, 4, 5);
            int r = shape.length;
            int d = g.nextInt(r);
            int parts = 1 + g.nextInt(4);
            List<Tensor> in = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                int[] s = shape.clone();
                s[d] = g.nextInt(4) + (p == 0 ? 1 : 0);          // sizes differ along d, may be 0 after the first
                // Part 0 is non-empty and requires grad (libtorch then always records a graph); others may not.
                in.add(Layouts.randn(g, Layouts.layout(g), s).requiresGrad(p == 0 || g.nextInt(4) != 0));
            }
            int dimArg = g.nextInt(2) == 0 ? d : d - r;
            String what = "cat " + in.stream().map(t -> Shape.str(t.shape())).toList() + " dim " + dimArg;
            // DJL's concat of a one-element list returns an array cut from the graph; torch.cat of one
            // tensor is a copy of it, so the identity is the reference there.
            Torch.check(what, in, t -> Joining.cat(t, dimArg),
                    t -> t.size() == 1 ? t.get(0) : NDArrays.concat(new NDList(t), d), 0, 0, c);
        }
    }

    @Test
    void stackMatchesTorchAtEveryPosition() {
        Generator g = new Generator(62);
        for (int c = 0; c < 30; c++) {
            int[] shape = Layouts.shape(g, 0, 3, 5);
            int r = shape.length;
            int d = g.nextInt(r + 1);
            int parts = 1 + g.nextInt(4);
            List<Tensor> in = new ArrayList<>();
            for (int p = 0; p < parts; p++) in.add(Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true));
            int dimArg = g.nextInt(2) == 0 ? d : d - (r + 1);
            Torch.check("stack " + parts + " x " + Shape.str(shape) + " dim " + dimArg, in, t -> Joining.stack(t, dimArg),
                    t -> NDArrays.stack(new NDList(t), d), 0, 0, c);
        }
    }

    /** Checks piece {@code i} of our split against libtorch's split at the same boundaries. */
    private static void checkPieces(String what, Tensor x, List<Tensor> ours, int[] sizes, int d, long seed) {
        assertEquals(sizes.length, ours.size(), what + ": number of pieces");
        long[] cuts = new long[sizes.length - 1];
        for (int i = 0, acc = 0; i < cuts.length; i++) cuts[i] = acc += sizes[i];
        for (int i = 0; i < sizes.length; i++) {
            int piece = i;
            assertEquals(sizes[i], ours.get(i).size(d), what + ": size of piece " + i);
            assertSame(x.storage(), ours.get(i).storage(), what + ": pieces are views");
            Torch.check(what + " piece " + i, List.of(x), t -> Joining.split(t.get(0), sizes, d).get(piece),
                    t -> t.get(0).split(cuts, d).get(piece), 0, 0, seed + i);
        }
    }

    @Test
    void splitBySizeAndBySectionsAndChunkMatchTorch() {
        Generator g = new Generator(63);
        for (int c = 0; c < 20; c++) {
            int[] shape = Layouts.shape(g, 1, 3, 9);
            int d = g.nextInt(shape.length);
            int size = shape[d];
            Tensor x = Layouts.randn(g, Layouts.layout(g), shape).requiresGrad(true);
            // By size: pieces of `step`, the last one smaller (torch.split(x, step, d)).
            int step = 1 + g.nextInt(size);
            int[] bySize = new int[(size + step - 1) / step];
            for (int i = 0; i < bySize.length; i++) bySize[i] = Math.min(step, size - i * step);
            checkPieces("split " + Shape.str(shape) + " size " + step + " dim " + d, x, Joining.split(x, step, d), bySize, d, c);
            // By sections (may include empty sections).
            int[] sections = new int[1 + g.nextInt(4)];
            int left = size;
            for (int i = 0; i < sections.length - 1; i++) {
                sections[i] = g.nextInt(left + 1);
                left -= sections[i];
            }
            sections[sections.length - 1] = left;
            checkPieces("split " + Shape.str(shape) + " sections " + Arrays.toString(sections) + " dim " + d, x,
                    Joining.split(x, sections, d), sections, d, c);
            // chunk: pieces of ceil(size / chunks), so possibly fewer than asked (torch.chunk's definition).
            int chunks = 1 + g.nextInt(size + 2);
            int each = (size + chunks - 1) / chunks;
            int[] byChunk = new int[(size + each - 1) / each];
            for (int i = 0; i < byChunk.length; i++) byChunk[i] = Math.min(each, size - i * each);
            checkPieces("chunk " + Shape.str(shape) + " into " + chunks + " dim " + d, x, Joining.chunk(x, chunks, d - shape.length),
                    byChunk, d, c);
        }
        // The documented examples: 6 into 4 chunks gives 3 pieces of 2; 5 into 3 gives 2, 2, 1.
        assertEquals(3, Joining.chunk(Tensor.zeros(6), 4, 0).size());
        assertEquals(List.of(2, 2, 1), Joining.chunk(Tensor.zeros(5), 3, 0).stream().map(t -> t.size(0)).toList());
    }

    @Test
    void gradientsOfAllPiecesReassembleTheInput() {
        Generator g = new Generator(64);
        Tensor x = Tensor.randn(g, 4, 7).requiresGrad(true);
        List<Tensor> pieces = Joining.split(x, 3, 1);
        Tensor w = Tensor.randn(g, 4, 7);
        // cat(split(x)) * w summed: the gradient must be w exactly.
        Joining.cat(pieces, 1).mul(w).sum().backward();
        assertArrayEquals(w.toFloatArray(), x.grad().toFloatArray());
    }

    @Test
    void catKeepsIntegerAndBoolTypes() {
        Tensor a = Tensor.ofInts(new int[] {1, 2}, 2), b = Tensor.ofInts(new int[] {3}, 1);
        Tensor ab = Joining.cat(List.of(a, b), 0);
        assertEquals(DType.INT64, ab.dtype());
        assertArrayEquals(new int[] {1, 2, 3}, ab.toIntArray());
        Tensor m = Joining.stack(List.of(Tensor.ofBooleans(new boolean[] {true}, 1), Tensor.ofBooleans(new boolean[] {false}, 1)), 0);
        assertEquals(DType.BOOL, m.dtype());
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        assertEquals("cat: sizes of tensors must match except in dimension 1: tensor 0 is [2, 3], tensor 1 is [3, 3]",
                assertThrows(IllegalArgumentException.class,
                        () -> Joining.cat(List.of(Tensor.zeros(2, 3), Tensor.zeros(3, 3)), 1)).getMessage());
        assertEquals("cat: tensor 1 is int64 but tensor 0 is float32",
                assertThrows(IllegalArgumentException.class, () -> Joining.cat(List.of(Tensor.zeros(2), Tensor.arange(2)), 0)).getMessage());
        assertEquals("cat: zero-dimensional tensor cannot be concatenated",
                assertThrows(IllegalArgumentException.class, () -> Joining.cat(List.of(Tensor.scalar(1)), 0)).getMessage());
        assertEquals("cat: expected a non-empty list of tensors",
                assertThrows(IllegalArgumentException.class, () -> Joining.cat(List.of(), 0)).getMessage());
        assertEquals("stack: expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1",
                assertThrows(IllegalArgumentException.class,
                        () -> Joining.stack(List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 4)), 0)).getMessage());
        assertEquals("split: sizes [2, 2] sum to 4 but dimension 0 of [5] has size 5",
                assertThrows(IllegalArgumentException.class, () -> Joining.split(Tensor.zeros(5), new int[] {2, 2}, 0)).getMessage());
        assertEquals("split: split_size must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> Joining.split(Tensor.zeros(5), 0, 0)).getMessage());
        assertEquals("chunk: number of chunks must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> Joining.chunk(Tensor.zeros(5), 0, 0)).getMessage());
    }
}
