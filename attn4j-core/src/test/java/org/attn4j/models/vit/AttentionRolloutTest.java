package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.attn4j.models.vit.AttentionRollout.HeadFusion;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * Attention rollout against the same computation written with libtorch ops (vit-explain's {@code rollout}, with
 * its two slips corrected as the class comment of {@link AttentionRollout} says: discarding in every image and
 * renormalising rows), on random softmaxed attention, plus small cases worked by hand.
 *
 * <p>Tolerance: atol 2e-6, rtol 1e-5. Every matrix is row-stochastic with entries in [0, 1], so the product of L
 * of them stays in [0, 1] and each entry's rounding error grows at most like L · T · 2^-24 (4 · 17 · 6e-8 ≈ 4e-6
 * in the worst case, about 1e-7 typically); the two sides only differ in summation order. The class-token map is
 * divided by its maximum (≥ 1/T here), which scales that error by at most T.
 */
class AttentionRolloutTest {
    private static final double ATOL = 2e-6, RTOL = 1e-5;

    /** L random attention tensors [B, H, T, T], softmaxed over the last dim, as a block produces them. */
    private static List<Tensor> randomAttentions(long seed, int layers, int b, int h, int t) {
        Generator g = new Generator(seed);
        List<Tensor> list = new ArrayList<>();
        // Scaled logits give peaked rows, closer to trained attention than near-uniform ones.
        for (int l = 0; l < layers; l++) list.add(Tensor.randn(g, b, h, t, t).mul(2f).softmax(-1));
        return list;
    }

    /** The rollout written in libtorch, step by step as vit-explain writes it (see the class comment). */
    private static NDArray torchRollout(NDManager m, List<NDArray> attentions, HeadFusion fusion, double ratio) {
        int b = (int) attentions.get(0).getShape().get(0), t = (int) attentions.get(0).getShape().get(2);
        NDArray eye = m.eye(t);
        NDArray result = m.eye(t);
        int k = (int) (t * t * ratio);
        for (NDArray attention : attentions) {
            NDArray fused = switch (fusion) {
                case MEAN -> attention.mean(new int[] {1});
                case MAX -> attention.max(new int[] {1});
                case MIN -> attention.min(new int[] {1});
            };
            if (k > 0) {
                // The k lowest of each image's flattened matrix: rank < k, ranks from a double argsort; index 0 kept.
                NDArray flat = fused.reshape(b, (long) t * t);
                NDArray ranks = flat.argSort(-1).argSort(-1);
                NDArray keep = ranks.gte(k).toType(DataType.FLOAT32, false);
                float[] first = new float[t * t];
                first[0] = 1f;
                keep = keep.maximum(m.create(first));
                fused = flat.mul(keep).reshape(b, t, t);
            }
            NDArray a = fused.add(eye).div(Torch.scalar(fused, 2));
            a = a.div(a.sum(new int[] {-1}, true));
            result = a.matMul(result);
        }
        return result;
    }

    private static void checkAgainstTorch(String what, List<Tensor> attentions, HeadFusion fusion, double ratio, int prefix,
                                          int gh, int gw) {
        Tensor ours = AttentionRollout.rollout(attentions, fusion, ratio);
        Tensor oursMap = AttentionRollout.classTokenMap(ours, prefix, gh, gw);
        Tensor theirs, theirsMap;
        try (NDManager m = Torch.scope()) {
            List<NDArray> nd = new ArrayList<>();
            for (Tensor a : attentions) nd.add(Torch.nd(m, a));
            NDArray r = torchRollout(m, nd, fusion, ratio);
            theirs = Torch.tensor(r);
            NDArray row = r.get(new NDIndex(":, 0, {}:", prefix));
            theirsMap = Torch.tensor(row.div(row.max(new int[] {-1}, true)).reshape(-1, gh, gw));
        }
        Assertions2.assertClose(what + " rollout", theirs, ours, ATOL, RTOL);
        Assertions2.assertClose(what + " class-token map", theirsMap, oursMap, ATOL * (prefix + gh * gw), RTOL);
    }

    @Test
    void meanFusionMatchesTorch() {
        // 1 class token + a 4x4 grid, batch of 3, 4 heads, 4 blocks.
        checkAgainstTorch("mean", randomAttentions(1, 4, 3, 4, 17), HeadFusion.MEAN, 0, 1, 4, 4);
    }

    @Test
    void maxAndMinFusionMatchTorch() {
        checkAgainstTorch("max", randomAttentions(2, 3, 2, 3, 17), HeadFusion.MAX, 0, 1, 4, 4);
        checkAgainstTorch("min", randomAttentions(3, 3, 2, 3, 17), HeadFusion.MIN, 0, 1, 4, 4);
    }

    @Test
    void discardingMatchesTorchInEveryImage() {
        // Batch of 2, so the second image's discarding is checked too (vit-explain only discards in the first).
        checkAgainstTorch("max, discard 0.9", randomAttentions(4, 3, 2, 3, 17), HeadFusion.MAX, 0.9, 1, 4, 4);
        checkAgainstTorch("mean, discard 0.5", randomAttentions(5, 2, 2, 2, 17), HeadFusion.MEAN, 0.5, 1, 4, 4);
        // Two prefix tokens (DeiT's class and distillation tokens) before a 3x2 grid.
        checkAgainstTorch("min, discard 0.3, 2 prefix", randomAttentions(6, 2, 2, 2, 8), HeadFusion.MIN, 0.3, 2, 3, 2);
    }

    @Test
    void identityAttentionRollsOutToTheIdentity() {
        // Each token attending only to itself: (I + I) / 2 = I in every block, so the product is I.
        int t = 5;
        float[] v = new float[2 * t * t];
        for (int h = 0; h < 2; h++) for (int i = 0; i < t; i++) v[h * t * t + i * t + i] = 1f;
        Tensor attention = Tensor.of(v, 1, 2, t, t);
        Tensor r = AttentionRollout.rollout(List.of(attention, attention, attention));
        assertArrayEquals(Tensor.of(v, 2, t, t).select(0, 0).toFloatArray(), r.reshape(t, t).toFloatArray(), 0f);
    }

    @Test
    void uniformAttentionMatchesTheHandComputation() {
        // T = 2, uniform U (all 1/2): one block gives (U + I) / 2 = [[3/4, 1/4], [1/4, 3/4]]; two blocks give
        // ((U + I) / 2)^2 = (U^2 + 2U + I) / 4 = (3U + I) / 4 since U^2 = U: diagonal 5/8, off-diagonal 3/8.
        Tensor u = Tensor.full(0.5f, 1, 3, 2, 2);
        assertArrayEquals(new float[] {0.75f, 0.25f, 0.25f, 0.75f}, AttentionRollout.rollout(List.of(u)).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0.625f, 0.375f, 0.375f, 0.625f},
                AttentionRollout.rollout(List.of(u, u)).toFloatArray(), 1e-7f);
    }

    @Test
    void discardKeepsTheClassTokensSelfAttentionButCountsIt() {
        // One head, T = 2, A = [[0.1, 0.9], [0.3, 0.7]], ratio 0.5: floor(0.5 * 4) = 2 lowest are 0.1 at [0, 0] and
        // 0.3 at [1, 0]. [0, 0] is kept (vit-explain drops index 0 from the chosen set), so only 0.3 goes:
        // A + I = [[1.1, 0.9], [0, 1.7]] -> rows [[0.55, 0.45], [0, 1]].
        Tensor a = Tensor.of(new float[] {0.1f, 0.9f, 0.3f, 0.7f}, 1, 1, 2, 2);
        Tensor r = AttentionRollout.rollout(List.of(a), HeadFusion.MEAN, 0.5);
        assertArrayEquals(new float[] {0.55f, 0.45f, 0f, 1f}, r.toFloatArray(), 1e-7f);
        // Equal values: the lower flat index goes first. A = all 0.25 on T = 2 (rows sum to 0.5, which the
        // renormalisation absorbs), ratio 0.75: 3 to go, [0, 0] kept, so [0, 1] and [1, 0] go and [1, 1] stays.
        // A + I = [[1.25, 0], [0, 1.25]] -> I.
        Tensor flat = Tensor.full(0.25f, 1, 1, 2, 2);
        assertArrayEquals(new float[] {1f, 0f, 0f, 1f},
                AttentionRollout.rollout(List.of(flat), HeadFusion.MEAN, 0.75).toFloatArray(), 1e-7f);
    }

    @Test
    void classTokenMapTakesRowZeroOverThePatchesAndPeaksAtOne() {
        // T = 1 + 2x2; row 0 = [9, 1, 2, 3, 4]: patches 1..4 over their max 4.
        float[] v = new float[25];
        float[] row0 = {9, 1, 2, 3, 4};
        System.arraycopy(row0, 0, v, 0, 5);
        for (int i = 5; i < 25; i++) v[i] = 100;   // other rows must not matter
        Tensor map = AttentionRollout.classTokenMap(Tensor.of(v, 1, 5, 5), 1, 2, 2);
        assertArrayEquals(new int[] {1, 2, 2}, map.shape());
        assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f, 1f}, map.toFloatArray(), 0f);
        // An all-zero patch row stays zero instead of dividing by 0.
        Tensor zero = AttentionRollout.classTokenMap(Tensor.zeros(1, 5, 5), 1, 2, 2);
        assertArrayEquals(new float[4], zero.toFloatArray(), 0f);
    }

    @Test
    void modelConvenienceIsTheRolloutOfTheModelsAttention() {
        // A tiny distilled ViT (2 prefix tokens) on 8x8 one-channel images, patch 4: a 2x2 grid, T = 6.
        VitConfig c = new VitConfig(8, 4, 1, 3, 8, 2, 2, 2.0, true, 0, 0, true, 0, 0, 0);
        VisionTransformer model = new VisionTransformer(c, new Generator(11));
        model.eval();
        Tensor images = Tensor.randn(new Generator(12), 3, 1, 8, 8);
        Tensor map = AttentionRollout.classTokenMap(model, images, HeadFusion.MEAN, 0);
        assertArrayEquals(new int[] {3, 2, 2}, map.shape());
        List<Tensor> attentions = model.forwardWithAttention(images).attentions();
        assertEquals(2, attentions.size());
        Tensor expected = AttentionRollout.classTokenMap(AttentionRollout.rollout(attentions), 2, 2, 2);
        Assertions2.assertClose("convenience", expected, map, 0, 0);
        float[] m = map.toFloatArray();
        for (int i = 0; i < 3; i++) {
            float max = 0;
            for (int j = 0; j < 4; j++) max = Math.max(max, m[i * 4 + j]);
            assertEquals(1f, max, 0f, "image " + i + "'s map peaks at 1");
        }
        // And the result carries no graph.
        assertTrue(!map.requiresGrad());
    }

    @Test
    void badInputsAreRejectedWithTheShapes() {
        Tensor ok = Tensor.full(0.25f, 2, 1, 4, 4);
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of()));
        assertTrue(e.getMessage().startsWith("AttentionRollout:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of(Tensor.zeros(2, 4, 4))));
        assertTrue(e.getMessage().contains("[2, 4, 4]") && e.getMessage().contains("[B, H, T, T]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of(Tensor.zeros(2, 1, 4, 5))));
        assertTrue(e.getMessage().contains("[2, 1, 4, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of(ok, Tensor.full(0.2f, 2, 1, 5, 5))));
        assertTrue(e.getMessage().contains("block 1") && e.getMessage().contains("[2, 1, 5, 5]")
                && e.getMessage().contains("[2, 1, 4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of(ok, Tensor.full(0.25f, 3, 1, 4, 4))));
        assertTrue(e.getMessage().contains("[3, 1, 4, 4]"), e.getMessage());
        for (double ratio : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of(ok), HeadFusion.MEAN, ratio));
            assertTrue(e.getMessage().contains("discard ratio " + ratio), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of(ok), null, 0));
        List<Tensor> withNull = new ArrayList<>();
        withNull.add(ok);
        withNull.add(null);
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(withNull));
        assertTrue(e.getMessage().contains("block 1"), e.getMessage());
        // The map needs prefix + gh * gw tokens: 1 + 2x2 = 5, not 4.
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.classTokenMap(Tensor.zeros(1, 4, 4), 1, 2, 2));
        assertTrue(e.getMessage().startsWith("AttentionRollout.classTokenMap:") && e.getMessage().contains("[1, 4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AttentionRollout.fuseHeads(Tensor.zeros(4, 4), HeadFusion.MAX));
        assertTrue(e.getMessage().contains("[4, 4]"), e.getMessage());
    }
}
