package org.attn4j.attention;

import java.util.List;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.ops.Joining;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * The additive (concatenation) attention {@code Attn(query_size, key_size, value_size1, value_size2,
 * output_size)} of reference 001, as in the PyTorch seq2seq tutorial's attention decoder: the weights come from a
 * linear layer over {@code [query | key]}, not from a dot product, so there is no {@code q kᵀ} and no
 * {@link ScaledDotProductAttention} here.
 * <pre>
 *   attn_weights = F.softmax(self.attn(torch.cat((q[0], k[0]), 1)), dim=1)        # [B, value_size1]
 *   attn_applied = torch.bmm(attn_weights.unsqueeze(0), v)                         # [1, B, value_size2]
 *   output = torch.cat((q[0], attn_applied[0]), 1)                                 # [B, query_size + value_size2]
 *   output = self.attn_combine(output).unsqueeze(0)                                # [1, B, output_size]
 *   return output, attn_weights
 * </pre>
 * Shapes, exactly as the reference computes them: q {@code [Tq, B, query_size]} and k {@code [Tk, B, key_size]}
 * (only their first step, {@code q[0]} and {@code k[0]}, is used — a decoder's hidden state {@code [1, B, H]}),
 * v {@code [1, value_size1, value_size2]} (the bmm's batch is the 1 added by {@code unsqueeze(0)}: the
 * value_size1 positions, e.g. an encoder's outputs, are shared by the B rows). Output {@code [1, B, output_size]},
 * weights {@code [B, value_size1]}. The reference's example is B = 1: q, k {@code (1, 1, 32)}, v {@code (1, 32, 64)}.
 *
 * <p>State dict: {@code attn.weight [value_size1, query_size + key_size]}, {@code attn.bias [value_size1]},
 * {@code attn_combine.weight [output_size, query_size + value_size2]}, {@code attn_combine.bias [output_size]};
 * initialised as {@code nn.Linear}.
 */
public final class AdditiveAttention extends Module {
    private final int querySize, keySize, valueSize1, valueSize2, outputSize;
    private final Linear attn, attnCombine;

    /** The output {@code [1, B, output_size]} and the weights {@code [B, value_size1]}. */
    public record Result(Tensor output, Tensor weights) {}

    /** Initialised from the default generator. */
    public AdditiveAttention(int querySize, int keySize, int valueSize1, int valueSize2, int outputSize) {
        this(querySize, keySize, valueSize1, valueSize2, outputSize, Generator.defaultGenerator());
    }

    public AdditiveAttention(int querySize, int keySize, int valueSize1, int valueSize2, int outputSize, Generator generator) {
        if (querySize <= 0 || keySize <= 0 || valueSize1 <= 0 || valueSize2 <= 0 || outputSize <= 0) {
            throw new IllegalArgumentException("AdditiveAttention: all sizes must be positive, got query_size=" + querySize
                    + ", key_size=" + keySize + ", value_size1=" + valueSize1 + ", value_size2=" + valueSize2 + ", output_size=" + outputSize);
        }
        this.querySize = querySize;
        this.keySize = keySize;
        this.valueSize1 = valueSize1;
        this.valueSize2 = valueSize2;
        this.outputSize = outputSize;
        attn = registerModule("attn", new Linear(querySize + keySize, valueSize1, true, generator));
        attnCombine = registerModule("attn_combine", new Linear(querySize + valueSize2, outputSize, true, generator));
    }

    /** The reference's {@code forward(q, k, v)}: returns {@code (output, attn_weights)}. */
    public Result forward(Tensor q, Tensor k, Tensor v) {
        String me = header();
        AttentionChecks.requireShape(me, "q", q, 3, querySize, "[steps, batch, " + querySize + "]");
        AttentionChecks.requireShape(me, "k", k, 3, keySize, "[steps, batch, " + keySize + "]");
        if (k.size(1) != q.size(1)) {
            throw new IllegalArgumentException(me + ": q of shape " + AttentionChecks.str(q) + " and k of shape " + AttentionChecks.str(k)
                    + " must have the same batch (dim 1) to be concatenated");
        }
        if (q.size(0) == 0 || k.size(0) == 0) {
            throw new IllegalArgumentException(me + ": q of shape " + AttentionChecks.str(q) + " and k of shape " + AttentionChecks.str(k)
                    + " need at least one step (the reference uses q[0] and k[0])");
        }
        AttentionChecks.requireShape(me, "v", v, 3, valueSize2, "[1, " + valueSize1 + ", " + valueSize2 + "]");
        if (v.size(0) != 1 || v.size(1) != valueSize1) {
            throw new IllegalArgumentException(me + ": v of shape " + AttentionChecks.str(v) + " must be [1, " + valueSize1 + ", "
                    + valueSize2 + "] (torch.bmm with attn_weights.unsqueeze(0), whose batch is 1)");
        }
        Tensor q0 = q.select(0, 0), k0 = k.select(0, 0);
        Tensor weights = attn.forward(Joining.cat(List.of(q0, k0), 1)).softmax(1);          // [B, value_size1]
        Tensor applied = weights.unsqueeze(0).matmul(v);                                    // [1, B, value_size2]
        Tensor output = Joining.cat(List.of(q0, applied.select(0, 0)), 1);                  // [B, query_size + value_size2]
        return new Result(attnCombine.forward(output).unsqueeze(0), weights);
    }

    public Linear attn() {
        return attn;
    }

    public Linear attnCombine() {
        return attnCombine;
    }

    @Override
    public String header() {
        return "AdditiveAttention(query_size=" + querySize + ", key_size=" + keySize + ", value_size1=" + valueSize1 + ", value_size2="
                + valueSize2 + ", output_size=" + outputSize + ")";
    }
}
