package org.attn4j.nn;

import org.attn4j.autograd.GradMode;
import org.attn4j.ops.EmbeddingOp;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)}: a lookup table, int64 indices of any
 * shape to {@code [*indices.shape, embedding_dim]} ({@link EmbeddingOp#embedding}).
 *
 * <p>Parameter {@code weight [num_embeddings, embedding_dim]}, initialised N(0, 1) with the
 * {@code padding_idx} row zeroed, as PyTorch's {@code reset_parameters}; that row receives no gradient. A
 * negative padding_idx counts from the end and is stored (and printed) as its positive equivalent, as in
 * PyTorch. ({@code max_norm}, {@code scale_grad_by_freq} and {@code sparse} are not offered.)
 */
public final class Embedding extends UnaryModule {
    private final int numEmbeddings, embeddingDim;
    private final Integer paddingIdx;

    /** No padding row, initialised from the default generator. */
    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, Generator.defaultGenerator());
    }

    /** {@code paddingIdx} null for none. */
    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator generator) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) {
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be positive, got "
                    + numEmbeddings + " and " + embeddingDim);
        }
        if (paddingIdx != null && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)) {
            throw new IllegalArgumentException("Embedding: padding_idx " + paddingIdx + " must be within num_embeddings "
                    + numEmbeddings);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx == null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
        registerParameter("weight", Tensor.zeros(numEmbeddings, embeddingDim));
        resetParameters(generator);
    }

    /** N(0, 1), then the padding row to zeros. */
    public void resetParameters(Generator g) {
        Init.normal_(weight(), 0, 1, g);
        if (paddingIdx != null) {
            try (var ignored = GradMode.noGrad()) {
                weight().select(0, paddingIdx).zero_();
            }
        }
    }

    public Tensor weight() {
        return parameter("weight");
    }

    /** The padding row (non-negative), or null. */
    public Integer paddingIdx() {
        return paddingIdx;
    }

    public int numEmbeddings() { return numEmbeddings; }
    public int embeddingDim() { return embeddingDim; }

    /** int64 indices of any shape, each in [0, num_embeddings). */
    @Override
    public Tensor forward(Tensor indices) {
        if (indices.dtype() != org.attn4j.tensor.DType.INT64) {
            throw new IllegalArgumentException(header() + ": indices must be int64, got " + indices.dtype().torchName()
                    + " of shape " + org.attn4j.tensor.Shape.str(indices.shape()));
        }
        return EmbeddingOp.embedding(indices, weight(), paddingIdx);
    }

    @Override
    public String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx == null ? "" : ", padding_idx=" + paddingIdx);
    }
}
