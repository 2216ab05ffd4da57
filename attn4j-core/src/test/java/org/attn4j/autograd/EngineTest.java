package org.attn4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * The backward engine: gradients that meet (diamonds), very deep graphs on a small stack, retainGrad,
 * and the checks it makes on each node's backward. Tolerance against libtorch: a handful of float32
 * operations per element, atol 1e-6 and rtol 1e-5.
 */
class EngineTest {
    @Test
    void gradientsMeetingAtAForkAreSummed() {
        Generator g = new Generator(71);
        Tensor x = Tensor.randn(g, 3, 4).requiresGrad(true), w = Tensor.randn(g, 4).requiresGrad(true);
        // x feeds three paths that meet again: x*w, exp(x), and x itself.
        Torch.check("diamond", List.of(x, w), t -> t.get(0).mul(t.get(1)).mul(t.get(0).exp()).add(t.get(0)),
                t -> t.get(0).mul(t.get(1)).mul(t.get(0).exp()).add(t.get(0)), 1e-6, 1e-5, 1);
        // An intermediate used three times (h*h + h) and a second diamond below it.
        Torch.check("nested diamonds", List.of(x, w),
                t -> {
                    Tensor h = t.get(0).tanh();
                    Tensor k = h.mul(h).add(h).mul(t.get(1));
                    return k.sum(1, true).mul(k).add(h.exp());
                },
                t -> {
                    var h = t.get(0).tanh();
                    var k = h.mul(h).add(h).mul(t.get(1));
                    return k.sum(new int[] {1}, true).mul(k).add(h.exp());
                }, 1e-6, 1e-5, 2);
    }

    /** Runs {@code r} on a thread with a 256 KiB stack: recursion over 10,000 nodes could not fit. */
    private static void onSmallStack(Runnable r) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                r.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        if (failure.get() != null) throw new AssertionError("failed on a 256 KiB stack", failure.get());
    }

    @Test
    void aChainOfTenThousandOpsBackpropagatesWithoutRecursion() throws InterruptedException {
        onSmallStack(() -> {
            Tensor x = Tensor.vector(0.5f, -1f).requiresGrad(true);
            Tensor y = x;
            for (int i = 0; i < 10_000; i++) y = y.mul(1.0001f).add(1e-4f);
            y.sum().backward();
            // d/dx of 10,000 affine steps is c^10000 for the float constant c = 1.0001f (about e); each of the
            // 10,000 float multiplications in backward rounds by up to 6e-8 relative, which a random walk
            // keeps near 1e-5: rtol 1e-4.
            double expected = Math.pow(1.0001f, 10_000);
            float[] gr = x.grad().toFloatArray();
            assertEquals(expected, gr[0], expected * 1e-4);
            assertEquals(expected, gr[1], expected * 1e-4);
        });
    }

    @Test
    void aWideAndDeepGraphWithSharedNodesFinishes() throws InterruptedException {
        onSmallStack(() -> {
            // Each step reads the previous two results: 2^n paths through 10,000 nodes, each processed once.
            Tensor x = Tensor.scalar(1f).requiresGrad(true);
            Tensor a = x, b = x;
            for (int i = 0; i < 2_500; i++) {
                Tensor c = a.mul(0.5f).add(b.mul(0.5f));
                b = a;
                a = c;
            }
            a.backward();
            // Every step averages values that all equal x: the result is x, its derivative 1.
            assertEquals(1f, x.grad().item(), 1e-4f);
        });
    }

    @Test
    void retainGradKeepsAnIntermediatesGradientOnlyWhenAsked() {
        Tensor x = Tensor.vector(1, 2, 3).requiresGrad(true);
        Tensor h = x.mul(2f).retainGrad();
        Tensor k = x.mul(3f);                                   // not retained
        Tensor out = h.mul(h).add(h).add(k).sum();               // h used twice: its gradients add
        out.backward();
        assertArrayEquals(new float[] {5, 9, 13}, h.grad().toFloatArray(), "d out / d h = 2h + 1");
        assertNull(k.grad(), "intermediates keep no gradient by default");
        assertArrayEquals(new float[] {13, 21, 29}, x.grad().toFloatArray(), "2 (2h + 1) + 3");
        assertTrue(h.retainsGrad());
    }

    @Test
    void inputsWithoutGradGetNoGradient() {
        Tensor x = Tensor.vector(1, 2).requiresGrad(true);
        Tensor c = Tensor.vector(3, 4);
        x.mul(c).add(c).sum().backward();
        assertNull(c.grad());
        assertArrayEquals(new float[] {3, 4}, x.grad().toFloatArray());
    }

    @Test
    void aBackwardReturningTheWrongShapeOrCountIsNamed() {
        Tensor x = Tensor.vector(1, 2, 3).requiresGrad(true);
        Tensor badShape = Tensor.result(new float[] {1}, new int[0], "bad_shape", g -> new Tensor[] {Tensor.zeros(2)}, x);
        assertEquals("backward of bad_shape: gradient for input 0 has shape [2] but the input has [3]",
                assertThrows(IllegalStateException.class, badShape::backward).getMessage());
        Tensor badCount = Tensor.result(new float[] {1}, new int[0], "bad_count", g -> new Tensor[0], x);
        assertEquals("bad_count backward returned 0 gradients for 1 inputs",
                assertThrows(IllegalStateException.class, badCount::backward).getMessage());
    }

    @Test
    void gradModeIsPerThread() throws InterruptedException {
        Tensor x = Tensor.vector(1).requiresGrad(true);
        AtomicReference<Boolean> other = new AtomicReference<>();
        try (var ignored = GradMode.noGrad()) {
            Thread t = new Thread(() -> other.set(x.mul(2f).requiresGrad()));
            t.start();
            t.join();
        }
        assertTrue(other.get(), "another thread keeps recording while this one is in no-grad");
    }

    /**
     * PyTorch frees a graph as backward runs: a second backward through it fails, naming the op and how to
     * keep the graph, unless the first one passed retain_graph (then the gradients accumulate: twice the one
     * from a single backward). torch: {@code y.backward(g, retain_graph=True); y.backward(g)}.
     */
    @Test
    void aSecondBackwardNeedsRetainGraph() {
        Generator g = new Generator(5);
        Tensor x = Tensor.randn(g, 2, 3).requiresGrad(true);
        Tensor y = x.tanh().mul(x).sum();
        y.backward();
        float[] once = x.grad().toFloatArray();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("backward of") && e.getMessage().contains("second time")
                && e.getMessage().contains("retainGraph"), e.getMessage());
        assertTrue(y.gradFn().isReleased());
        assertArrayEquals(once, x.grad().toFloatArray(), 0f, "the refused backward added nothing");

        Tensor x2 = x.detach().requiresGrad(true);
        Tensor y2 = x2.tanh().mul(x2).sum();
        y2.backward(Tensor.scalar(1f), true);
        y2.backward(Tensor.scalar(1f), true);
        y2.backward(Tensor.scalar(1f));
        float[] thrice = x2.grad().toFloatArray();
        for (int i = 0; i < once.length; i++) assertEquals(3 * once[i], thrice[i], 1e-6f * Math.max(1f, Math.abs(thrice[i])));
        assertThrows(IllegalStateException.class, y2::backward);
    }

    /**
     * A gradient the backward made for one leaf alone becomes that leaf's grad without a copy (PyTorch's
     * AccumulateGrad steals it the same way); the values are unchanged (held to libtorch elsewhere, here to the
     * copy path's: 2·x·w summed over nothing else).
     */
    @Test
    void aGradientMadeForOneLeafIsInstalledWithoutACopy() {
        Generator g = new Generator(11);
        Tensor x = Tensor.randn(g, 4, 5).requiresGrad(true), w = Tensor.randn(g, 4, 5);
        x.mul(w).mul(2f).sum().backward();
        assertTrue(x.grad().storage().isExclusive(), "mul's gradient itself, not a copy");
        float[] ws = w.toFloatArray(), gx = x.grad().toFloatArray();
        for (int i = 0; i < gx.length; i++) assertEquals(2f * ws[i], gx[i], 0f);
    }

    /**
     * Never adopted: the caller's gradient, and one gradient seen by two leaves (add's backward hands the same
     * tensor to both inputs; two reshapes hand out views of one storage). Each leaf's grad must be its own, since
     * optimizers and clipping write into grads in place.
     */
    @Test
    void aSharedGradientIsCopiedSoLeavesNeverAlias() {
        Tensor a = Tensor.randn(new Generator(3), 2, 3).requiresGrad(true);
        Tensor b = Tensor.randn(new Generator(4), 2, 3).requiresGrad(true);
        Tensor gy = Tensor.ones(2, 3);
        a.add(b).backward(gy);
        assertTrue(a.grad().storage() != b.grad().storage() && a.grad().storage() != gy.storage());
        assertTrue(b.grad().storage() != gy.storage(), "the caller's gradient is never installed");

        Tensor c = Tensor.randn(new Generator(5), 2, 3).requiresGrad(true);
        Tensor d = Tensor.randn(new Generator(6), 3, 2).requiresGrad(true);
        // mul(3) makes a fresh gradient; add passes it to both reshapes, whose backwards return views of it.
        c.reshape(6).add(d.reshape(6)).mul(3f).sum().backward();
        assertTrue(c.grad().storage() != d.grad().storage(), "views of one gradient are copied for all but the last");
        try (var ignored = GradMode.noGrad()) {
            c.grad().mul_(10f);
        }
        assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3}, d.grad().toFloatArray(), 0f);
        assertArrayEquals(new float[] {30, 30, 30, 30, 30, 30}, c.grad().toFloatArray(), 0f);

        // A second backward adds into the grad installed by the first; the first gradient's values are not reused.
        Tensor x = Tensor.randn(new Generator(7), 3).requiresGrad(true);
        x.mul(2f).sum().backward();
        x.mul(5f).sum().backward();
        assertArrayEquals(new float[] {7, 7, 7}, x.grad().toFloatArray(), 0f);
    }

    /**
     * Gradients that meet are summed in place into one the engine alone holds, but never into one that another
     * waiting gradient views: here h receives g (from add) and gᵀ (from the transpose), both over one storage; an
     * in-place g += gᵀ would read half-updated values. Expected: x.grad = 3 (w + wᵀ), exactly (sums of two floats).
     */
    @Test
    void gradientsMeetInPlaceOnlyWhenNothingElseSeesTheBuffer() {
        Tensor x = Tensor.randn(new Generator(8), 3, 3).requiresGrad(true);
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
        Tensor h = x.mul(3f);
        h.add(h.t()).mul(w).sum().backward();
        float[] got = x.grad().toFloatArray(), wd = w.toFloatArray();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) assertEquals(3f * (wd[i * 3 + j] + wd[j * 3 + i]), got[i * 3 + j], 0f, "at " + i + ", " + j);
        }
        // Three paths into one input, none aliased: summed in place, the same values as out of place.
        Tensor y = Tensor.randn(new Generator(9), 4, 5).requiresGrad(true);
        Tensor a = Tensor.randn(new Generator(10), 4, 5), b = Tensor.randn(new Generator(11), 4, 5);
        y.mul(a).add(y.mul(b)).add(y.exp()).sum().backward();
        float[] ad = a.toFloatArray(), bd = b.toFloatArray(), ed = y.exp().toFloatArray(), gy = y.grad().toFloatArray();
        for (int i = 0; i < gy.length; i++) {
            assertEquals(ad[i] + bd[i] + ed[i], gy[i], 1e-6f * Math.max(1f, Math.abs(gy[i])), "at " + i);
        }
    }
}
