package org.attn4j.optim;

import static org.attn4j.optim.SGDTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@link GradClip#clipGradNorm} against {@code torch.nn.utils.clip_grad_norm_} (norm_type 2, the default
 * {@code error_if_nonfinite=False}), replayed below in libtorch:
 * <pre>
 *   norms = [vector_norm(g) for g in grads]            # grads: the p.grad that are not None
 *   total_norm = vector_norm(stack(norms))
 *   clip_coef = max_norm / (total_norm + 1e-6)
 *   for g in grads: g.mul_(clamp(clip_coef, max=1.0))
 *   return total_norm
 * </pre>
 * Tolerance: rtol 1e-6 (8 float32 ulps) on the norm and the clipped gradients: torch sums the squares in
 * float32, attn4j in double, so the norms, and through the coefficient the gradients, differ by an ulp or two.
 */
class GradClipTest {
    private static final double RTOL = 1e-6;

    /** clip_grad_norm_ in libtorch on copies of the gradients: the clipped gradients (null stays null), the norm. */
    private record TorchClip(List<Tensor> grads, Tensor totalNorm) {}

    private static TorchClip torchClip(List<Tensor> grads, double maxNorm) {
        try (NDManager m = Torch.scope()) {
            List<NDArray> present = new ArrayList<>();
            for (Tensor g : grads) if (g != null) present.add(Torch.nd(m, g));
            if (present.isEmpty()) return new TorchClip(grads, Tensor.scalar(0));   // torch.tensor(0.0)
            NDArray[] norms = present.stream().map(NDArray::norm).toArray(NDArray[]::new);
            NDArray total = NDArrays.stack(new ai.djl.ndarray.NDList(norms)).norm();
            NDArray coef = m.create((float) maxNorm).div(total.add(1e-6f));
            NDArray clamped = coef.minimum(1f);                 // clamp(max=1): NaN stays NaN in both
            List<Tensor> out = new ArrayList<>();
            int k = 0;
            for (Tensor g : grads) out.add(g == null ? null : Torch.tensor(present.get(k++).mul(clamped)));
            return new TorchClip(out, Torch.tensor(total));
        }
    }

    private static List<Tensor> params(Generator g, float gradScale, boolean... withGrad) {
        int[][] shapes = {{4, 3}, {7}, {2, 2, 3}, {1}};
        List<Tensor> ps = new ArrayList<>();
        for (int i = 0; i < withGrad.length; i++) {
            int[] s = shapes[i % shapes.length];
            Tensor p = Tensor.randn(g, s).requiresGrad(true);
            if (withGrad[i]) p.setGrad(Tensor.randn(g, s).mul(gradScale));
            ps.add(p);
        }
        return ps;
    }

    private static void assertClipsLikeTorch(String what, List<Tensor> ps, double maxNorm) {
        List<Tensor> before = ps.stream().map(p -> p.grad() == null ? null : p.grad().contiguousCopy()).toList();
        TorchClip expected = torchClip(before, maxNorm);
        double norm = GradClip.clipGradNorm(ps, maxNorm);
        Assertions2.assertClose(what + ": total norm", expected.totalNorm().reshape(1), Tensor.vector((float) norm), 0, RTOL);
        for (int i = 0; i < ps.size(); i++) {
            if (expected.grads().get(i) == null) {
                assertNull(ps.get(i).grad(), what + ": parameter " + i + " had no gradient and must keep none");
            } else {
                Assertions2.assertClose(what + ": gradient " + i, expected.grads().get(i), ps.get(i).grad(), 0, RTOL);
            }
        }
    }

    @Test
    void gradientsAboveMaxNormAreScaledDownLikeTorch() {
        Generator g = new Generator(1);
        List<Tensor> ps = params(g, 3f, true, true, true, true);    // total norm ≈ 3·√24 ≈ 15
        assertClipsLikeTorch("clip to 1", ps, 1.0);
        // What is left has the global norm max_norm (up to the 1e-6 torch adds to avoid dividing by 0).
        double after = GradClip.clipGradNorm(ps, 100.0);
        assertEquals(1.0, after, 1e-5);
    }

    @Test
    void gradientsWithinMaxNormAreLeftAlone() {
        Generator g = new Generator(2);
        List<Tensor> ps = params(g, 0.1f, true, true, true, true);  // total norm ≈ 0.5
        List<Tensor> grads = ps.stream().map(Tensor::grad).toList();
        List<float[]> values = grads.stream().map(Tensor::toFloatArray).toList();
        double norm = GradClip.clipGradNorm(ps, 5.0);
        for (int i = 0; i < ps.size(); i++) {
            assertSame(grads.get(i), ps.get(i).grad(), "torch multiplies by clamp(coef, max=1) = 1: nothing changes");
            assertArrayEquals(values.get(i), ps.get(i).grad().toFloatArray());
        }
        assertClipsLikeTorch("no clip", params(new Generator(2), 0.1f, true, true, true, true), 5.0);
        assertTrue(norm > 0.1 && norm < 5, "norm " + norm);
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Generator g = new Generator(3);
        List<Tensor> ps = params(g, 2f, true, false, true, false, true);
        assertClipsLikeTorch("null grads", ps, 0.5);
        // None at all: norm 0, nothing to scale (torch returns tensor(0.)).
        List<Tensor> none = params(g, 1f, false, false);
        assertEquals(0.0, GradClip.clipGradNorm(none, 1.0));
        assertNull(none.get(0).grad());
    }

    @Test
    void anInfiniteNormZeroesFiniteGradientsAsTorchDoes() {
        List<Tensor> ps = params(new Generator(4), 1f, true, true, true);
        ps.get(1).grad().data()[2] = Float.POSITIVE_INFINITY;
        assertClipsLikeTorch("inf", ps, 1.0);                      // coef = 1/inf = 0: 0 where finite, inf·0 = NaN
        assertEquals(0f, ps.get(0).grad().data()[0]);
        assertTrue(Float.isNaN(ps.get(1).grad().data()[2]));
        List<Tensor> again = params(new Generator(4), 1f, true, true, true);
        again.get(1).grad().data()[2] = Float.POSITIVE_INFINITY;
        assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGradNorm(again, 1.0), "the returned norm tells the caller to skip the step");
    }

    @Test
    void aNaNNormMakesEveryGradientNaNAsTorchDoes() {
        Generator g = new Generator(5);
        List<Tensor> ps = params(g, 1f, true, true, true);
        ps.get(2).grad().data()[0] = Float.NaN;
        Tensor g0 = ps.get(0).grad();
        assertClipsLikeTorch("NaN", ps, 1.0);
        assertTrue(Float.isNaN(ps.get(0).grad().data()[0]), "torch's clamp passes the NaN coefficient through");
        assertTrue(Float.isFinite(g0.data()[0]), "the clipped gradient is a new tensor; the old one is untouched");
        assertTrue(Double.isNaN(GradClip.clipGradNorm(ps, 1.0)), "the returned norm tells the caller to skip the step");
    }

    @Test
    void maxNormMustBePositive() {
        List<Tensor> ps = params(new Generator(6), 1f, true);
        assertMessage(() -> GradClip.clipGradNorm(ps, 0), "clip_grad_norm", "max_norm", "0.0");
        assertMessage(() -> GradClip.clipGradNorm(ps, -1), "clip_grad_norm", "-1.0");
        assertMessage(() -> GradClip.clipGradNorm(ps, Double.NaN), "clip_grad_norm", "NaN");
    }
}
