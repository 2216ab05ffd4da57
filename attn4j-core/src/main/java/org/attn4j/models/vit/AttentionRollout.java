package org.attn4j.models.vit;

import java.util.Arrays;
import java.util.List;
import org.attn4j.autograd.GradMode;
import org.attn4j.ops.Reductions;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Attention rollout (Abnar &amp; Zuidema, "Quantifying Attention Flow in Transformers", 2020): how much each
 * token's final representation draws, through every block's attention and residual connection, on each input
 * token. As jacobgil/vit-explain computes it for ViT ({@code vit_rollout.rollout}), for each block's attention
 * weights {@code [B, H, T, T]}, first block first:
 * <pre>
 *   A   = fuse over heads (mean, max or min)                      [B, T, T]
 *   A   = A with its lowest discardRatio · T² entries set to 0     (per image; entry [0, 0] never)
 *   A   = (A + I) / rowsum(A + I)                                  the residual connection, rows summing to 1
 *   R   = A_L · ... · A_2 · A_1                                    [B, T, T]
 * </pre>
 * Row 0 of {@code R} is the class token's attention over the input tokens; {@link #classTokenMap} puts its patch
 * part on the patch grid, which is what vit-explain draws.
 *
 * <p>Where vit-explain's code does something other than its evident intent, this class follows the intent, so
 * the two agree whenever vit-explain's code is well defined (one image, no discarding):
 * <ul>
 *   <li>vit-explain discards only in the batch's first image ({@code flat[0, indices] = 0}); here every image
 *       has its own lowest entries discarded.</li>
 *   <li>vit-explain divides by {@code a.sum(dim=-1)} without keepdim, which broadcasts the row sums along the
 *       wrong axis (it divides column j by row j's sum); here rows are renormalised. Without discarding the row
 *       sums are all 1 and the two are the same.</li>
 * </ul>
 * The discarded entries are vit-explain's: the {@code floor(discardRatio · T²)} lowest of the image's fused
 * matrix (ties broken by lower flat index), after which entry [0, 0] — the class token's attention to itself —
 * is put back if it was among them (vit-explain's {@code indices[indices != 0]}; so slightly fewer may go).
 *
 * <p>This is an analysis, not a layer: it runs without autograd on detached inputs, as vit-explain runs under
 * {@code torch.no_grad()}. Give it the weights of a model in eval mode (in training mode the weights carry
 * attention dropout).
 */
public final class AttentionRollout {
    private AttentionRollout() {}

    /** How the heads of one block are combined (vit-explain's {@code head_fusion}). */
    public enum HeadFusion {
        /** {@code attention.mean(dim=1)}: the paper's choice and vit-explain's default. */
        MEAN,
        /** {@code attention.amax(dim=1)}: vit-explain recommends it together with a high discard ratio. */
        MAX,
        /** {@code attention.amin(dim=1)}. */
        MIN
    }

    /** {@link #rollout(List, HeadFusion, double)} with mean fusion and nothing discarded. */
    public static Tensor rollout(List<Tensor> attentions) {
        return rollout(attentions, HeadFusion.MEAN, 0);
    }

    /**
     * Rolls the blocks' attention weights out into one token-to-token matrix (see the class comment).
     *
     * @param attentions   every block's attention weights {@code [B, H, T, T]}, first block first, all with the same
     *                     B and T (as {@link VisionTransformer#forwardWithAttention} returns them)
     * @param fusion       how the H heads of a block are combined
     * @param discardRatio fraction in [0, 1) of each fused matrix's entries to set to 0, lowest first
     * @return {@code [B, T, T]}, each row summing to 1; row i is how much token i's output draws on each input token
     * @throws IllegalArgumentException for an empty list, a null or non-[B, H, T, T] entry, entries whose B or T
     *                                  differ, or a discard ratio outside [0, 1)
     */
    public static Tensor rollout(List<Tensor> attentions, HeadFusion fusion, double discardRatio) {
        if (attentions == null || attentions.isEmpty()) {
            throw new IllegalArgumentException("AttentionRollout: no attention weights given (need one [B, H, T, T] per block)");
        }
        if (fusion == null) throw new IllegalArgumentException("AttentionRollout: head fusion is null (MEAN, MAX or MIN)");
        if (!(discardRatio >= 0 && discardRatio < 1)) {
            throw new IllegalArgumentException("AttentionRollout: discard ratio " + discardRatio + " is outside [0, 1)");
        }
        int b = -1, t = -1;
        for (int l = 0; l < attentions.size(); l++) {
            Tensor a = attentions.get(l);
            if (a == null) throw new IllegalArgumentException("AttentionRollout: attention weights of block " + l + " are null");
            if (a.dim() != 4 || a.size(2) != a.size(3)) {
                throw new IllegalArgumentException("AttentionRollout: attention weights of block " + l + " are "
                        + Shape.str(a.shape()) + ", expected [B, H, T, T]");
            }
            if (l == 0) {
                b = a.size(0);
                t = a.size(2);
            } else if (a.size(0) != b || a.size(2) != t) {
                throw new IllegalArgumentException("AttentionRollout: attention weights of block " + l + " are "
                        + Shape.str(a.shape()) + " but block 0's are " + Shape.str(attentions.get(0).shape())
                        + " (batch and token counts must match)");
            }
        }
        try (var ignored = GradMode.noGrad()) {
            int discard = (int) Math.floor(discardRatio * t * t);   // vit-explain: int(flat.size(-1) * discard_ratio)
            Tensor eye = identity(t);
            Tensor result = null;
            for (Tensor attention : attentions) {
                Tensor fused = fuseHeads(attention.detach(), fusion);
                if (discard > 0) fused = discardLowest(fused, discard);
                Tensor a = fused.add(eye);
                a = a.div(a.sum(-1, true));
                result = result == null ? a : a.matmul(result);   // A_l · (A_{l-1} ... A_1)
            }
            return result;
        }
    }

    /**
     * Combines the heads of one block's attention weights: {@code [B, H, T, T] -> [B, T, T]}.
     *
     * @throws IllegalArgumentException when {@code attention} is not 4-D or {@code fusion} is null
     */
    public static Tensor fuseHeads(Tensor attention, HeadFusion fusion) {
        if (attention == null || attention.dim() != 4) {
            throw new IllegalArgumentException("AttentionRollout.fuseHeads: attention weights are "
                    + (attention == null ? "null" : Shape.str(attention.shape())) + ", expected [B, H, T, T]");
        }
        if (fusion == null) throw new IllegalArgumentException("AttentionRollout.fuseHeads: head fusion is null (MEAN, MAX or MIN)");
        return switch (fusion) {
            case MEAN -> attention.mean(1, false);
            case MAX -> attention.amax(1, false);
            case MIN -> Reductions.amin(attention, new int[] {1}, false);
        };
    }

    /**
     * The class token's row of a token-to-token matrix (a rollout, or one block's fused attention) over the patch
     * tokens, on the patch grid and divided by its maximum so that each image's map peaks at 1 (as vit-explain
     * normalises its mask for display; a map that is all zero stays zero).
     *
     * @param tokens        {@code [B, T, T]} with the class token first
     * @param prefixTokens  tokens before the patches (1 for the class token; 2 with DeiT's distillation token)
     * @param gridH         patch rows
     * @param gridW         patch columns, {@code prefixTokens + gridH * gridW == T}
     * @return {@code [B, gridH, gridW]} with values in [0, 1]
     * @throws IllegalArgumentException when {@code tokens} is not {@code [B, T, T]} with that T
     */
    public static Tensor classTokenMap(Tensor tokens, int prefixTokens, int gridH, int gridW) {
        if (tokens == null || tokens.dim() != 3 || tokens.size(1) != tokens.size(2) || prefixTokens < 1 || gridH < 1
                || gridW < 1 || tokens.size(2) != prefixTokens + gridH * gridW) {
            throw new IllegalArgumentException("AttentionRollout.classTokenMap: token matrix "
                    + (tokens == null ? "null" : Shape.str(tokens.shape())) + " does not fit " + prefixTokens
                    + " prefix token(s) and a " + gridH + "x" + gridW + " patch grid (expected [B, T, T] with T = "
                    + prefixTokens + " + " + gridH + "*" + gridW + ")");
        }
        int b = tokens.size(0), n = gridH * gridW;
        float[] row;
        try (var ignored = GradMode.noGrad()) {
            row = tokens.detach().select(1, 0).narrow(1, prefixTokens, n).toFloatArray();   // [B, N]
        }
        for (int i = 0; i < b; i++) {
            float max = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, row[i * n + j]);
            if (max > 0) for (int j = 0; j < n; j++) row[i * n + j] /= max;
        }
        return Tensor.of(row, b, gridH, gridW);
    }

    /**
     * The whole pipeline for a ViT: runs {@code model} on {@code images} without autograd, rolls its attention out
     * and returns the class token's map on the patch grid, {@code [B, C, img, img] -> [B, grid, grid]} (values in
     * [0, 1]). Call {@code model.eval()} first.
     */
    public static Tensor classTokenMap(VisionTransformer model, Tensor images, HeadFusion fusion, double discardRatio) {
        List<Tensor> attentions;
        try (var ignored = GradMode.noGrad()) {
            attentions = model.forwardWithAttention(images).attentions();
        }
        int grid = model.patchEmbed().gridSize();
        return classTokenMap(rollout(attentions, fusion, discardRatio), model.config().numPrefixTokens(), grid, grid);
    }

    /** The {@code t × t} identity. */
    private static Tensor identity(int t) {
        float[] v = new float[t * t];
        for (int i = 0; i < t; i++) v[i * t + i] = 1f;
        return Tensor.of(v, t, t);
    }

    /**
     * Zeroes, in each image's {@code [T, T]} matrix, its {@code k} lowest entries (ties to the lower flat index),
     * except entry [0, 0], which vit-explain keeps.
     */
    private static Tensor discardLowest(Tensor fused, int k) {
        int b = fused.size(0), t = fused.size(1), tt = t * t;
        float[] v = fused.toFloatArray();
        float[] sorted = new float[tt];
        for (int i = 0; i < b; i++) {
            int base = i * tt;
            System.arraycopy(v, base, sorted, 0, tt);
            Arrays.sort(sorted);
            float kth = sorted[k - 1];
            // Everything strictly below the k-th value goes, then values equal to it in index order until k are gone.
            int below = 0;
            for (int j = 0; j < tt; j++) if (Float.compare(v[base + j], kth) < 0) below++;
            int equalToGo = k - below;
            for (int j = 0; j < tt; j++) {
                int c = Float.compare(v[base + j], kth);
                boolean goes = c < 0 || (c == 0 && equalToGo-- > 0);
                if (goes && j != 0) v[base + j] = 0f;
            }
        }
        return Tensor.of(v, b, t, t);
    }
}
