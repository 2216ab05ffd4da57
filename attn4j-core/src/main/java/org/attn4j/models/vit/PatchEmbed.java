package org.attn4j.models.vit;

import org.attn4j.nn.Conv2d;
import org.attn4j.nn.Identity;
import org.attn4j.nn.LayerNorm;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The reference's {@code PatchEmbed}: cuts the image into {@code patch x patch} squares and projects each to a
 * D-dimensional token with one convolution whose kernel and stride are the patch size,
 * {@code [B, C, H, W] -> proj -> [B, D, H/p, W/p] -> flatten(2) -> [B, D, N] -> transpose(1, 2) -> [B, N, D]},
 * then an optional LayerNorm ({@code norm_layer}; the ViTs of the reference have none, an Identity).
 *
 * <p>Parameters: {@code proj.weight [D, C, p, p]}, {@code proj.bias [D]} (and {@code norm.weight/bias} with a
 * norm). Like the reference, the input must have exactly the configured size: it asserts
 * {@code H == img_size and W == img_size}; a model for another resolution is built with another img_size and
 * its position embedding resampled ({@link PosEmbed}).
 */
public final class PatchEmbed extends UnaryModule {
    private final int imgSize, patchSize, inChans, embedDim;
    private final Conv2d proj;
    private final UnaryModule norm;

    /**
     * @param norm whether to normalise the tokens with a LayerNorm (eps 1e-5, {@code nn.LayerNorm}'s default)
     */
    public PatchEmbed(int imgSize, int patchSize, int inChans, int embedDim, boolean norm, Generator g) {
        if (patchSize < 1 || patchSize > imgSize) {
            throw new IllegalArgumentException("PatchEmbed: need 1 <= patch_size <= img_size, got img_size=" + imgSize
                    + ", patch_size=" + patchSize);
        }
        this.imgSize = imgSize;
        this.patchSize = patchSize;
        this.inChans = inChans;
        this.embedDim = embedDim;
        this.proj = registerModule("proj", new Conv2d(inChans, embedDim, new int[] {patchSize}, new int[] {patchSize},
                new int[] {0}, new int[] {1}, 1, true, g));
        this.norm = registerModule("norm", norm ? new LayerNorm(embedDim) : new Identity());
    }

    public Conv2d proj() {
        return proj;
    }

    /** The optional LayerNorm, or an Identity. */
    public UnaryModule norm() {
        return norm;
    }

    public int imgSize() {
        return imgSize;
    }

    public int patchSize() {
        return patchSize;
    }

    /** Patches per side, {@code img_size // patch_size}. */
    public int gridSize() {
        return imgSize / patchSize;
    }

    /** {@code grid_size²}. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** {@code [B, C, img, img] -> [B, (img/p)², D]}. */
    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4 || x.size(1) != inChans) {
            throw new IllegalArgumentException("PatchEmbed: input must be [B, " + inChans + ", " + imgSize + ", " + imgSize
                    + "], got " + Shape.str(x.shape()));
        }
        int h = x.size(2), w = x.size(3);
        if (h != imgSize || w != imgSize) {
            throw new IllegalArgumentException("PatchEmbed: Input image size (" + h + "*" + w + ") doesn't match model ("
                    + imgSize + "*" + imgSize + ").");
        }
        return norm.forward(proj.forward(x).flatten(2, -1).transpose(1, 2));
    }
}
