package org.attn4j.bench;

import org.attn4j.models.vit.VitConfig;

/**
 * The floating-point operation counts the benchmarks divide by their time to give GFLOP/s, one formula per
 * workload. A multiply-add counts as 2 flops; only the matrix products are counted (softmax, LayerNorm, GELU,
 * the residual adds and the bias adds are a few flops per element, under 1% of a ViT block at these shapes),
 * as the FlashAttention papers and the usual transformer FLOP estimates do. The counts are of the work the
 * mathematics needs, not of what either implementation happens to do (recomputation is not counted twice).
 */
final class Flops {
    private Flops() {}

    /**
     * Attention forward {@code softmax(q kᵀ·scale) v} on {@code [B, H, N, d]}: two products of {@code N x N x d}
     * per head, {@code q kᵀ} and {@code P v}, so {@code 4·B·H·N²·d}. Causal counts only the {@code N(N+1)/2}
     * visible query/key pairs (FlashAttention-2's benchmark halves the count; the two differ by 1/N).
     */
    static double attentionForward(int b, int h, int n, int d, boolean causal) {
        double pairs = causal ? n * (n + 1.0) / 2 : (double) n * n;
        return 4.0 * b * h * pairs * d;
    }

    /**
     * Attention forward + backward: the forward and a backward of 2.5 times the forward, as FlashAttention-2's
     * benchmark counts them ({@code benchmarks/benchmark_flash_attention.py}: {@code bwd = 2.5 f},
     * {@code fwd_bwd = 3.5 f}). The backward's five products are {@code S = q kᵀ} (recomputed, or read back),
     * {@code dV = Pᵀ dO}, {@code dP = dO vᵀ}, {@code dQ = dS k}, {@code dK = dSᵀ q}: 5 × 2·N²·d per head.
     */
    static double attentionForwardBackward(int b, int h, int n, int d, boolean causal) {
        return 3.5 * attentionForward(b, h, n, d, causal);
    }

    /** {@code C = A B} with all three {@code N x N}: {@code N³} multiply-adds, {@code 2N³}. */
    static double gemm(int n) {
        return 2.0 * n * n * n;
    }

    /**
     * One pre-norm transformer block forward on {@code [B, T, D]} with {@code heads} heads and an MLP
     * {@code D -> hidden -> D}: the linears qkv ({@code D -> 3D}), proj ({@code D -> D}), fc1 and fc2, each
     * {@code 2·B·T·in·out}, plus the attention {@code 4·B·T²·D} (all heads together: {@code H·hd = D}).
     */
    static double blockForward(int b, int t, int dim, int hidden) {
        return linears(b, t, dim, hidden) + attentionForward(b, 1, t, dim, false);
    }

    /**
     * One block forward + backward with the input's gradient wanted (as for any block but the first of a
     * network): each linear's backward is two products the size of its forward ({@code dX = dY W} and
     * {@code dW = dYᵀ X}), so 3 times its forward; the attention counts 3.5 times its forward as in
     * {@link #attentionForwardBackward}.
     */
    static double blockForwardBackward(int b, int t, int dim, int hidden) {
        return 3 * linears(b, t, dim, hidden) + 3.5 * attentionForward(b, 1, t, dim, false);
    }

    private static double linears(int b, int t, int dim, int hidden) {
        double rows = (double) b * t;
        return 2 * rows * (dim * 3.0 * dim + (double) dim * dim + 2.0 * dim * hidden);
    }

    /**
     * ViT forward on {@code batch} images: the patch embedding (a {@code patch x patch} stride-{@code patch}
     * convolution, a product {@code [B·P, C·p²] x [C·p², D]} over the {@code P} patches), {@code depth} blocks on
     * the {@code P + prefix} tokens, and the head on the class token ({@code D -> classes}; the pre-logits layer
     * when the config has one, and the distillation head on its token when distilled).
     */
    static double vitForward(VitConfig c, int batch) {
        int d = c.embedDim(), tokens = c.numPatches() + c.numPrefixTokens();
        double patch = 2.0 * batch * c.numPatches() * ((double) c.inChans() * c.patchSize() * c.patchSize()) * d;
        double blocks = c.depth() * blockForward(batch, tokens, d, c.mlpHidden());
        double preLogits = c.hasPreLogits() ? 2.0 * batch * d * c.representationSize() : 0;
        double head = (c.distilled() ? 2 : 1) * 2.0 * batch * c.numFeatures() * c.numClasses();
        return patch + blocks + preLogits + head;
    }
}
