package org.attn4j.models.vit;

/**
 * The arguments of the reference's {@code VisionTransformer.__init__} (section 4 of the tutorial, timm's
 * {@code vision_transformer.py} of 2021), with their meaning unchanged.
 *
 * @param imgSize            input image height and width (square), e.g. 224
 * @param patchSize          patch height and width, e.g. 16; the grid is {@code imgSize / patchSize} rounded
 *                           down (the reference's {@code //}), the convolution ignoring leftover pixels
 * @param inChans            image channels (3 for RGB, 1 for Fashion-MNIST)
 * @param numClasses         classifier outputs; 0 replaces the head by an identity
 * @param embedDim           token width D
 * @param depth              number of transformer blocks
 * @param numHeads           attention heads (must divide D)
 * @param mlpRatio           MLP hidden width as a multiple of D ({@code int(D * mlp_ratio)})
 * @param qkvBias            bias of the fused qkv projection (the reference's VisionTransformer default: true)
 * @param qkScale            the attention scale; 0 means the default {@code head_dim ** -0.5} (the reference's
 *                           {@code qk_scale or head_dim ** -0.5}, so an explicit 0 also falls back)
 * @param representationSize width of the pre-logits layer (fc + tanh) of the ImageNet-21k models, 0 for none;
 *                           ignored when distilled, as in the reference
 * @param distilled          DeiT's distillation token and second head
 * @param dropRatio          dropout after the position embedding, in the MLP and after the attention projection
 * @param attnDropRatio      dropout on the attention weights
 * @param dropPathRatio      stochastic depth rate of the last block; block i gets
 *                           {@code i * dropPathRatio / (depth - 1)} ({@code torch.linspace(0, rate, depth)})
 */
public record VitConfig(int imgSize, int patchSize, int inChans, int numClasses, int embedDim, int depth, int numHeads,
                        double mlpRatio, boolean qkvBias, double qkScale, int representationSize, boolean distilled,
                        double dropRatio, double attnDropRatio, double dropPathRatio) {
    public VitConfig {
        if (imgSize < 1 || patchSize < 1 || patchSize > imgSize) {
            throw new IllegalArgumentException("VitConfig: need 1 <= patch_size <= img_size, got img_size=" + imgSize
                    + ", patch_size=" + patchSize);
        }
        if (inChans < 1 || numClasses < 0 || embedDim < 1 || depth < 0 || numHeads < 1 || representationSize < 0) {
            throw new IllegalArgumentException("VitConfig: sizes out of range: in_chans=" + inChans + ", num_classes=" + numClasses
                    + ", embed_dim=" + embedDim + ", depth=" + depth + ", num_heads=" + numHeads
                    + ", representation_size=" + representationSize);
        }
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException("VitConfig: embed_dim " + embedDim + " is not divisible by num_heads " + numHeads);
        }
        if (!(mlpRatio > 0) || (int) (embedDim * mlpRatio) < 1) {
            throw new IllegalArgumentException("VitConfig: mlp_ratio must give a hidden width >= 1, got " + mlpRatio);
        }
        for (double p : new double[] {dropRatio, attnDropRatio, dropPathRatio}) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("VitConfig: drop rates must be in [0, 1], got drop_ratio=" + dropRatio
                        + ", attn_drop_ratio=" + attnDropRatio + ", drop_path_ratio=" + dropPathRatio);
            }
        }
    }

    /**
     * A configuration with the reference's defaults for everything but the architecture: mlp_ratio 4, qkv_bias
     * true, qk_scale default, no dropout, no distillation.
     */
    public static VitConfig of(int imgSize, int patchSize, int embedDim, int depth, int numHeads, int representationSize,
                               int numClasses) {
        return new VitConfig(imgSize, patchSize, 3, numClasses, embedDim, depth, numHeads, 4.0, true, 0, representationSize,
                false, 0, 0, 0);
    }

    /** Patches per side: {@code img_size // patch_size}. */
    /** This architecture with stochastic depth rising to {@code ratio} (timm's {@code drop_path_rate}). */
    public VitConfig withDropPathRatio(double ratio) {
        return new VitConfig(imgSize, patchSize, inChans, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, distilled, dropRatio, attnDropRatio, ratio);
    }

    public int gridSize() {
        return imgSize / patchSize;
    }

    /** Number of patch tokens. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Tokens before the patches: the class token, and the distillation token when distilled. */
    public int numPrefixTokens() {
        return distilled ? 2 : 1;
    }

    /** The MLP's hidden width, {@code int(embed_dim * mlp_ratio)}. */
    public int mlpHidden() {
        return (int) (embedDim * mlpRatio);
    }

    /** Whether the model has the pre-logits layer: a representation size and not distilled. */
    public boolean hasPreLogits() {
        return representationSize > 0 && !distilled;
    }

    /** The features the head reads: the representation size with pre-logits, else embed_dim. */
    public int numFeatures() {
        return hasPreLogits() ? representationSize : embedDim;
    }

    /**
     * The number of parameters the model of this configuration has, computed from the shapes without building
     * it (a ViT-H/14 has 632 million floats).
     */
    public long parameterCount() {
        long d = embedDim, h = mlpHidden();
        long patchEmbed = d * inChans * (long) patchSize * patchSize + d;
        long tokens = d * numPrefixTokens() + (long) (numPatches() + numPrefixTokens()) * d;
        long block = 2 * d                       // norm1
                + d * 3 * d + (qkvBias ? 3 * d : 0) // attn.qkv
                + d * d + d                       // attn.proj
                + 2 * d                           // norm2
                + d * h + h                       // mlp.fc1
                + h * d + d;                      // mlp.fc2
        long n = patchEmbed + tokens + depth * block + 2 * d;   // + final norm
        if (hasPreLogits()) n += d * representationSize + representationSize;
        if (numClasses > 0) {
            n += (long) numFeatures() * numClasses + numClasses;
            if (distilled) n += d * numClasses + numClasses;
        }
        return n;
    }

    /** The same model with another number of classes (0: no head). */
    public VitConfig withNumClasses(int n) {
        return new VitConfig(imgSize, patchSize, inChans, n, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, distilled, dropRatio, attnDropRatio, dropPathRatio);
    }

    /** The same model for another input resolution (the position embedding grows with the grid). */
    public VitConfig withImgSize(int size) {
        return new VitConfig(size, patchSize, inChans, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, distilled, dropRatio, attnDropRatio, dropPathRatio);
    }

    /** The same model for images with {@code c} channels. */
    public VitConfig withInChans(int c) {
        return new VitConfig(imgSize, patchSize, c, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, distilled, dropRatio, attnDropRatio, dropPathRatio);
    }

    /** The same model with another depth (tests build short versions of real widths). */
    public VitConfig withDepth(int n) {
        return new VitConfig(imgSize, patchSize, inChans, numClasses, embedDim, n, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, distilled, dropRatio, attnDropRatio, dropPathRatio);
    }

    /** The same model with other dropout, attention dropout and stochastic depth rates. */
    public VitConfig withDropRates(double drop, double attnDrop, double dropPath) {
        return new VitConfig(imgSize, patchSize, inChans, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, distilled, drop, attnDrop, dropPath);
    }

    /** The same model with or without the pre-logits layer ({@code has_logits} of the in21k factories). */
    public VitConfig withRepresentationSize(int size) {
        return new VitConfig(imgSize, patchSize, inChans, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                size, distilled, dropRatio, attnDropRatio, dropPathRatio);
    }

    /** The same model with an explicit attention scale (0: {@code head_dim ** -0.5}). */
    public VitConfig withQkScale(double scale) {
        return new VitConfig(imgSize, patchSize, inChans, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, scale,
                representationSize, distilled, dropRatio, attnDropRatio, dropPathRatio);
    }

    /** The same model with or without DeiT's distillation token and head. */
    public VitConfig withDistilled(boolean d) {
        return new VitConfig(imgSize, patchSize, inChans, numClasses, embedDim, depth, numHeads, mlpRatio, qkvBias, qkScale,
                representationSize, d, dropRatio, attnDropRatio, dropPathRatio);
    }
}
