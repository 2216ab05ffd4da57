package org.attn4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/** Tensor creation, element access, printing, in-place rules, detach and gradient accumulation. */
class TensorTest {
    @Test
    void creationGivesTheRequestedShapesTypesAndValues() {
        Tensor v = Tensor.vector(1f, 2f, 3f);
        assertArrayEquals(new int[] {3}, v.shape());
        assertEquals(DType.FLOAT32, v.dtype());
        Tensor s = Tensor.scalar(2.5f);
        assertEquals(0, s.dim());
        assertEquals(1, s.numel());
        assertEquals(2.5f, s.item());
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0}, Tensor.zeros(2, 3).toFloatArray());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2, 1).toFloatArray());
        assertArrayEquals(new float[] {7, 7, 7}, Tensor.full(7f, 3).toFloatArray());
        assertArrayEquals(new int[] {4, 0}, Tensor.zerosLike(Tensor.zeros(4, 0)).shape());
        Tensor longs = Tensor.ofLongs(new long[] {-3, 16_777_216}, 2);
        assertEquals(DType.INT64, longs.dtype());
        assertArrayEquals(new int[] {-3, 16_777_216}, longs.toIntArray());
        Tensor bools = Tensor.ofBooleans(new boolean[] {true, false, true}, 3, 1);
        assertEquals(DType.BOOL, bools.dtype());
        assertArrayEquals(new int[] {1, 0, 1}, bools.toIntArray());
        // of() wraps the array without copying; vector() copies.
        float[] raw = {1, 2};
        Tensor wrapped = Tensor.of(raw, 2);
        raw[0] = 9;
        assertEquals(9f, wrapped.get(0));
        float[] raw2 = {1, 2};
        Tensor copied = Tensor.vector(raw2);
        raw2[0] = 9;
        assertEquals(1f, copied.get(0));
    }

    @Test
    void randomCreationIsSeededAndInRange() {
        Tensor a = Tensor.randn(new Generator(5), 10_000), b = Tensor.randn(new Generator(5), 10_000);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "same seed, same numbers");
        assertNotEquals(a.get(0), Tensor.randn(new Generator(6), 1).get(0));
        // Mean 0 and variance 1 within 5 standard errors (1/sqrt(n) and sqrt(2/n)).
        assertEquals(0, a.mean().item(), 5 / Math.sqrt(10_000));
        assertEquals(1, org.attn4j.ops.Reductions.var(a, null, 1, false).item(), 5 * Math.sqrt(2.0 / 10_000));
        float[] u = Tensor.rand(new Generator(7), 10_000).toFloatArray();
        for (float x : u) assertTrue(x >= 0 && x < 1, "rand in [0, 1): " + x);
        int[] r = Tensor.randint(new Generator(8), -2, 3, 1000).toIntArray();
        boolean[] seen = new boolean[5];
        for (int x : r) {
            assertTrue(x >= -2 && x < 3, "randint in [-2, 3): " + x);
            seen[x + 2] = true;
        }
        for (boolean hit : seen) assertTrue(hit, "every value of [-2, 3) drawn");
        assertEquals(DType.INT64, Tensor.randint(new Generator(8), 0, 2, 3).dtype());
    }

    @Test
    void arangeMatchesTorch() {
        float[][] cases = {{0, 5, 1}, {0, 1, 0.1f}, {-1, 1, 0.25f}, {5, 0, -1}, {0, 10, 3}, {1, 1, 1}, {0.5f, 2.25f, 0.5f}, {10, -10, -0.7f}};
        try (var m = Torch.scope()) {
            for (float[] c : cases) {
                NDArray ref = m.arange(c[0], c[1], c[2]);
                Assertions2.assertClose("arange" + java.util.Arrays.toString(c), Torch.tensor(ref), Tensor.arange(c[0], c[1], c[2]), 0, 1.2e-7);
            }
        }
        Tensor ints = Tensor.arange(4);
        assertEquals(DType.INT64, ints.dtype());
        assertArrayEquals(new int[] {0, 1, 2, 3}, ints.toIntArray());
    }

    @Test
    void elementAccessAndItem() {
        Tensor x = Tensor.arange(0, 12, 1).reshape(3, 4);
        assertEquals(6f, x.get(1, 2));
        assertEquals(11f, x.get(-1, -1));
        Tensor t = x.t();
        assertEquals(6f, t.get(2, 1));
        assertEquals(7f, Tensor.vector(7f).item());
        assertEquals(7f, Tensor.full(7f, 1, 1, 1).item());
        assertEquals(5f, x.narrow(1, 1, 1).narrow(0, 1, 1).item(), "item of a one-element view reads its offset");
        assertEquals("item: a tensor with 12 elements [3, 4] cannot be converted to a scalar",
                assertThrows(IllegalArgumentException.class, x::item).getMessage());
        assertEquals("index 3 is out of bounds for dimension 0 with size 3",
                assertThrows(IndexOutOfBoundsException.class, () -> x.get(3, 0)).getMessage());
        assertEquals("get: 1 indices for a tensor of rank 2",
                assertThrows(IllegalArgumentException.class, () -> x.get(1)).getMessage());
    }

    @Test
    void badCreationArgumentsAreNamed() {
        assertEquals("Tensor.of: 5 values cannot fill shape [2, 3] (6 elements)",
                assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3)).getMessage());
        assertEquals("Tensor.ofLongs: value 16777217 at 1 exceeds 2^24, the exact range of attn4j integer tensors",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofLongs(new long[] {0, 16_777_217}, 2)).getMessage());
        assertEquals("zeros: negative dimension -1 in shape [2, -1]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1)).getMessage());
        assertEquals("ones: negative dimension -3 in shape [-3]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ones(-3)).getMessage());
        assertEquals("randn: shape [65536, 65536] has more than 2^31 elements",
                assertThrows(IllegalArgumentException.class, () -> Tensor.randn(new Generator(1), 65536, 65536)).getMessage());
        assertEquals("arange: cannot go from 0.0 to 5.0 in steps of -1.0",
                assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 5, -1)).getMessage());
        assertEquals("randint: empty range [3, 3)",
                assertThrows(IllegalArgumentException.class, () -> Tensor.randint(new Generator(1), 3, 3, 2)).getMessage());
        assertEquals("requiresGrad: only float tensors can require grad, not int64",
                assertThrows(IllegalArgumentException.class, () -> Tensor.arange(3).requiresGrad(true)).getMessage());
    }

    // ------------------------------------------------------------------ printing, as PyTorch prints

    @Test
    void toStringPrintsLikePyTorch() {
        // Each expected string is what PyTorch 2.x prints for the same tensor.
        assertEquals("tensor([1., 2., 3.])", Tensor.vector(1, 2, 3).toString());
        assertEquals("tensor([ 1.5000, -2.0000])", Tensor.vector(1.5f, -2f).toString());
        assertEquals("tensor(3.1416)", Tensor.scalar((float) Math.PI).toString());
        assertEquals("tensor([[0., 0., 0.],\n        [0., 0., 0.]])", Tensor.zeros(2, 3).toString());
        assertEquals("tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])",
                Tensor.zeros(2, 2, 2).toString());
        assertEquals("tensor([0, 1, 2, 3, 4])", Tensor.arange(5).toString());
        assertEquals("tensor([ True, False])", Tensor.ofBooleans(new boolean[] {true, false}, 2).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.vector(1e-5f, 1f).toString());
        assertEquals("tensor([1.0000e+00, 1.0000e+10])", Tensor.vector(1f, 1e10f).toString());
        assertEquals("tensor([nan, 1., inf])", Tensor.vector(Float.NaN, 1, Float.POSITIVE_INFINITY).toString());
        assertEquals("tensor([1.5000,    nan])", Tensor.vector(1.5f, Float.NaN).toString());
        assertEquals("tensor([-0.])", Tensor.vector(-0f).toString());
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], size=(2, 0))", Tensor.zeros(2, 0).toString());
        assertEquals("tensor([], dtype=torch.int64)", Tensor.arange(0).toString());
        // Half-to-even on the exact binary value: 1.03125 is exact, so it rounds to ...12 as in Python.
        assertEquals("tensor([1.0312, 2.5000])", Tensor.vector(1.03125f, 2.5f).toString());
    }

    @Test
    void toStringWrapsAndSummarizesLikePyTorch() {
        assertEquals("tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
                + "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
                + "        28., 29.])", Tensor.arange(0, 30, 1).toString());
        assertEquals("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Tensor.arange(2000).toString());
        String row = "[0., 0., 0.,  ..., 0., 0., 0.]";
        assertEquals("tensor([" + row + ",\n        " + row + ",\n        " + row + ",\n        ...,\n        "
                + row + ",\n        " + row + ",\n        " + row + "])", Tensor.zeros(100, 100).toString());
    }

    @Test
    void toStringShowsGradState() {
        Tensor x = Tensor.vector(1, 2).requiresGrad(true);
        assertEquals("tensor([1., 2.], requires_grad=True)", x.toString());
        assertEquals("tensor([2., 4.], grad_fn=<MulBackward0>)", x.mul(2f).toString());
        assertEquals("tensor([0.2689, 0.7311], grad_fn=<SoftmaxBackward0>)", x.softmax(0).toString());
        assertEquals("tensor([1., 2.])", x.detach().toString());
        // A suffix that would pass column 80 goes on its own line.
        assertEquals("tensor([0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000],\n"
                + "       requires_grad=True)", Tensor.vector(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f).requiresGrad(true).toString());
    }

    // ------------------------------------------------------------------ in-place ops and autograd rules

    @Test
    void inPlaceOpsWriteThroughViewsAndBroadcast() {
        Tensor x = Tensor.zeros(2, 3);
        x.narrow(1, 1, 2).fill_(5f);
        assertArrayEquals(new float[] {0, 5, 5, 0, 5, 5}, x.toFloatArray());
        x.t().copy_(Tensor.vector(1, 2).unsqueeze(0));       // copy_ broadcasts [1, 2] to [3, 2]
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2}, x.toFloatArray());
        x.add_(Tensor.vector(1, 2, 3), 2f);
        assertArrayEquals(new float[] {3, 5, 7, 4, 6, 8}, x.toFloatArray());
        x.sub_(Tensor.ones(2, 3)).mul_(2f).mul_(Tensor.vector(1, 0, -1));
        assertArrayEquals(new float[] {4, 0, -12, 6, 0, -14}, x.toFloatArray());
        x.zero_();
        assertArrayEquals(new float[6], x.toFloatArray());
    }

    @Test
    void inPlaceUpdatesOfExpandedViewsAreRefusedButFillIsAllowed() {
        // torch: torch.zeros(3).expand(2, 3).add_(1) raises "unsupported operation: more than one element of the
        // written-to tensor refers to a single memory location"; fill_ is allowed, being idempotent.
        Tensor base = Tensor.zeros(3);
        Tensor wide = base.expand(2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> wide.add_(Tensor.ones(2, 3)));
        assertEquals("add_: more than one element of the written-to tensor (shape [2, 3], strides [0, 1]) refers to a"
                + " single memory location (an expanded view); clone() it before the in-place op", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> wide.mul_(2f));
        assertThrows(IllegalArgumentException.class, () -> wide.mul_(Tensor.ones(3)));
        assertThrows(IllegalArgumentException.class, () -> wide.copy_(Tensor.ones(2, 3)));
        assertArrayEquals(new float[3], base.toFloatArray(), "a refused op leaves the storage untouched");
        wide.fill_(7f);
        assertArrayEquals(new float[] {7, 7, 7}, base.toFloatArray());
        base.unsqueeze(0).add_(Tensor.ones(1, 3));               // size-1 dimensions do not alias anything
        assertArrayEquals(new float[] {8, 8, 8}, base.toFloatArray());
    }

    @Test
    void inPlaceIsRefusedOnTensorsThatRequireGradUnlessGradModeIsOff() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        var e = assertThrows(IllegalStateException.class, () -> w.add_(Tensor.ones(3)));
        assertEquals("add_: a tensor that requires grad (shape [3]) cannot be modified in place while grad mode is on;"
                + " use GradMode.noGrad() or the out-of-place op", e.getMessage());
        Tensor h = w.mul(2f);
        assertThrows(IllegalStateException.class, () -> h.fill_(0f), "a non-leaf result requires grad too");
        try (var ignored = GradMode.noGrad()) {
            w.add_(Tensor.ones(3));                             // an optimizer step
        }
        assertArrayEquals(new float[] {2, 2, 2}, w.toFloatArray());
        assertTrue(w.requiresGrad(), "still a parameter after the step");
    }

    @Test
    void backwardRefusesSavedValuesModifiedInPlace() {
        Tensor x = Tensor.vector(1, 2, 3).requiresGrad(true);
        Tensor c = Tensor.vector(4, 5, 6);
        Tensor y = x.mul(c);                                    // mul saves c for x's gradient
        c.mul_(2f);
        var e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertEquals("backward of mul: input 1 of shape [3] was modified by an in-place operation after it was saved"
                + " for backward", e.getMessage());
        // An op that saves its output (exp) notices the output being overwritten.
        Tensor z = x.exp();
        try (var ignored = GradMode.noGrad()) {
            z.mul_(2f);
        }
        var e2 = assertThrows(IllegalStateException.class, () -> z.sum().backward());
        assertEquals("backward of exp: its output of shape [3] was modified by an in-place operation after it was saved"
                + " for backward", e2.getMessage());
        // Writing through a view bumps the shared storage's version too.
        Tensor base = Tensor.vector(1, 2, 3, 4);
        Tensor q = x.mul(base.narrow(0, 1, 3));
        base.narrow(0, 0, 1).fill_(0f);
        assertThrows(IllegalStateException.class, () -> q.sum().backward());
    }

    @Test
    void detachSharesStorageAndCutsTheGraph() {
        Tensor x = Tensor.vector(1, 2).requiresGrad(true);
        Tensor y = x.mul(3f);
        Tensor d = y.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        assertNull(d.gradFn());
        assertSame(y.storage(), d.storage());
        Tensor z = d.mul(x);                                    // only x's path is differentiated
        z.sum().backward();
        assertArrayEquals(new float[] {3, 6}, x.grad().toFloatArray());
        assertEquals("requiresGrad: can only be changed on leaf tensors; this one was made by mul (use detach())",
                assertThrows(IllegalStateException.class, () -> y.requiresGrad(false)).getMessage());
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsWithoutAliasing() {
        Tensor x = Tensor.vector(1, 2, 3).requiresGrad(true);
        Tensor w = Tensor.vector(4, 5, 6).requiresGrad(true);
        // add's backward hands one tensor to both inputs; each leaf must still own its gradient.
        x.add(w).sum().backward();
        x.add(w).sum().backward();
        assertArrayEquals(new float[] {2, 2, 2}, x.grad().toFloatArray());
        assertArrayEquals(new float[] {2, 2, 2}, w.grad().toFloatArray());
        try (var ignored = GradMode.noGrad()) {
            x.grad().mul_(0.5f);                                // gradient clipping scales one parameter's grad
        }
        assertArrayEquals(new float[] {2, 2, 2}, w.grad().toFloatArray(), "w's gradient is its own");
        // A gradient passed to backward is not adopted as the leaf's grad.
        Tensor leaf = Tensor.zeros(2).requiresGrad(true);
        Tensor upstream = Tensor.vector(1, 1);
        leaf.backward(upstream);
        leaf.backward(upstream);
        assertArrayEquals(new float[] {1, 1}, upstream.toFloatArray(), "the caller's tensor is left alone");
        assertArrayEquals(new float[] {2, 2}, leaf.grad().toFloatArray());
        leaf.zeroGrad();
        assertNull(leaf.grad());
    }

    @Test
    void broadcastBackwardSumsToEachInputsShape() {
        Tensor a = Tensor.of(new float[] {1, 2, 3}, 3, 1).requiresGrad(true);
        Tensor b = Tensor.vector(10, 20, 30, 40).requiresGrad(true);
        Tensor s = Tensor.scalar(2f).requiresGrad(true);
        a.add(b).mul(s).sum().backward();                       // [3, 4]: each a summed over 4, each b over 3
        assertArrayEquals(new float[] {8, 8, 8}, a.grad().toFloatArray());
        assertArrayEquals(new int[] {3, 1}, a.grad().shape());
        assertArrayEquals(new float[] {6, 6, 6, 6}, b.grad().toFloatArray());
        assertEquals(4 * 6 + 3 * 100, s.grad().item());          // Σ (a + b) = 4 Σa + 3 Σb
        assertEquals(0, s.grad().dim());
    }

    @Test
    void noGradScopeRecordsNothingAndRestoresTheMode() {
        Tensor x = Tensor.vector(1, 2).requiresGrad(true);
        try (var outer = GradMode.noGrad()) {
            Tensor y = x.mul(2f);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
            try (var inner = GradMode.enableGrad()) {
                assertTrue(x.mul(2f).requiresGrad());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertThrows(RuntimeException.class, () -> {
            try (var ignored = GradMode.noGrad()) {
                throw new RuntimeException("boom");
            }
        });
        assertTrue(GradMode.isEnabled(), "restored after an exception");
        assertEquals("backward: the tensor of shape [2] does not require grad and has no grad_fn",
                assertThrows(IllegalStateException.class, () -> Tensor.vector(1, 2).backward(Tensor.ones(2))).getMessage());
        assertEquals("backward: grad can be implicitly created only for scalar outputs, this tensor has shape [2]"
                + " (pass a gradient)", assertThrows(IllegalArgumentException.class, () -> x.mul(2f).backward()).getMessage());
        assertEquals("backward: gradient of shape [3] does not match the tensor's shape [2]",
                assertThrows(IllegalArgumentException.class, () -> x.mul(2f).backward(Tensor.ones(3))).getMessage());
    }

    @Test
    void gradientsMatchTorchThroughAMixedExpression() {
        org.attn4j.tensor.Generator g = new Generator(9);
        Tensor a = Tensor.randn(g, 3, 4).requiresGrad(true), b = Tensor.randn(g, 4).requiresGrad(true);
        Torch.check("mixed", List.of(a, b), t -> t.get(0).mul(t.get(1)).tanh().sum(1, true).mul(t.get(0)).softmax(-1),
                t -> t.get(0).mul(t.get(1)).tanh().sum(new int[] {1}, true).mul(t.get(0)).softmax(-1), 1e-6, 1e-5, 1);
    }
}
