package org.attn4j.models.vit;

import java.util.Arrays;
import java.util.List;
import org.attn4j.ops.Interpolation;
import org.attn4j.ops.Joining;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Resampling of a learned absolute position embedding to another patch grid, as timm's
 * {@code timm.layers.resample_abs_pos_embed}: used when a checkpoint trained at one resolution (or patch size)
 * is loaded into a model with a different grid, for instance 224 px weights (14x14 patches of 16) into a
 * 384 px model (24x24).
 *
 * <p>The {@code posemb [1, prefix + oldH·oldW, D]} is split into its prefix tokens (class token, and the
 * distillation token of DeiT), which are kept unchanged, and the grid tokens, which are laid out as an image
 * {@code [1, D, oldH, oldW]} (row-major over the grid, as PatchEmbed flattens patches), resized with
 * {@code F.interpolate(mode='bicubic', align_corners=False, antialias=...)} ({@link Interpolation#bicubic}) to
 * {@code [1, D, newH, newW]}, flattened back and appended to the prefix.
 *
 * <p>timm passes {@code antialias=True} (its default since timm 0.9, in {@code checkpoint_filter_fn}); older
 * timm and many other codebases used {@code antialias=False}. The two differ even when upsampling (PyTorch's
 * antialiased bicubic uses Keys' {@code a = -0.5}, the plain one {@code a = -0.75}), so the choice is a
 * parameter.
 */
public final class PosEmbed {
    private PosEmbed() {}

    /**
     * Resamples {@code posemb} to {@code newGrid}.
     *
     * @param posemb          {@code [1, numPrefixTokens + oldH·oldW, D]}
     * @param newGrid         {@code {newH, newW}}
     * @param oldGrid         {@code {oldH, oldW}}, or null for a square grid inferred from the token count
     * @param numPrefixTokens tokens at the front that are not part of the grid (1 for ViT, 2 for DeiT distilled)
     * @param antialias       PyTorch's {@code antialias} flag of the bicubic interpolation
     * @return {@code [1, numPrefixTokens + newH·newW, D]}; {@code posemb} itself when the grid already matches
     * @throws IllegalArgumentException when the shape is not {@code [1, N, D]}, the grid tokens do not form
     *                                  {@code oldGrid} (or a square when it is null), or a size is below 1
     */
    public static Tensor resample(Tensor posemb, int[] newGrid, int[] oldGrid, int numPrefixTokens, boolean antialias) {
        if (posemb.dim() != 3 || posemb.size(0) != 1) {
            throw new IllegalArgumentException("resample_abs_pos_embed: pos_embed must be [1, tokens, dim], got " + Shape.str(posemb.shape()));
        }
        if (newGrid == null || newGrid.length != 2 || newGrid[0] < 1 || newGrid[1] < 1) {
            throw new IllegalArgumentException("resample_abs_pos_embed: new grid must be {height, width} >= 1, got " + Arrays.toString(newGrid));
        }
        int tokens = posemb.size(1), dim = posemb.size(2);
        int gridTokens = tokens - numPrefixTokens;
        if (numPrefixTokens < 0 || gridTokens < 1) {
            throw new IllegalArgumentException("resample_abs_pos_embed: pos_embed " + Shape.str(posemb.shape()) + " has no grid tokens after "
                    + numPrefixTokens + " prefix tokens");
        }
        if (oldGrid == null) {
            int side = (int) Math.round(Math.sqrt(gridTokens));
            if (side * side != gridTokens) {
                throw new IllegalArgumentException("resample_abs_pos_embed: pos_embed " + Shape.str(posemb.shape()) + " has " + gridTokens
                        + " grid tokens after " + numPrefixTokens + " prefix tokens, which is not a square grid; give the old grid size");
            }
            oldGrid = new int[] {side, side};
        } else if (oldGrid.length != 2 || oldGrid[0] < 1 || oldGrid[1] < 1 || oldGrid[0] * oldGrid[1] != gridTokens) {
            throw new IllegalArgumentException("resample_abs_pos_embed: old grid " + Arrays.toString(oldGrid) + " does not hold the "
                    + gridTokens + " grid tokens of pos_embed " + Shape.str(posemb.shape()) + " (" + numPrefixTokens + " prefix tokens)");
        }
        if (oldGrid[0] == newGrid[0] && oldGrid[1] == newGrid[1]) return posemb;
        Tensor grid = posemb.narrow(1, numPrefixTokens, gridTokens).reshape(1, oldGrid[0], oldGrid[1], dim).permute(0, 3, 1, 2);
        Tensor resized = Interpolation.bicubic(grid, newGrid[0], newGrid[1], antialias)
                .permute(0, 2, 3, 1).reshape(1, newGrid[0] * newGrid[1], dim);
        if (numPrefixTokens == 0) return resized;
        return Joining.cat(List.of(posemb.narrow(1, 0, numPrefixTokens), resized), 1);
    }
}
