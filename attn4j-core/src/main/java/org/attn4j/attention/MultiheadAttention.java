package org.attn4j.attention;

import java.util.List;
import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Init;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.nn.Repr;
import org.attn4j.ops.Joining;
import org.attn4j.ops.MatMul;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * A drop-in for {@code torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
 * add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)}, computing what
 * {@code F.multi_head_attention_forward} computes (PyTorch 2.7).
 *
 * <p><b>Shapes</b> (E = embed_dim, L target length, S source length, N batch, H heads): query {@code [L, N, E]},
 * key {@code [S, N, kdim]}, value {@code [S, N, vdim]} — or {@code [N, L, E]} etc. with {@code batch_first}, or
 * unbatched {@code [L, E]}, {@code [S, kdim]}, {@code [S, vdim]}. Output like query; weights {@code [N, L, S]}
 * averaged over heads or {@code [N, H, L, S]} (always batch-first; unbatched: {@code [L, S]} / {@code [H, L, S]}).
 *
 * <p><b>Masks</b> — note the convention is the opposite of {@link ScaledDotProductAttention}'s:
 * {@code key_padding_mask} {@code [N, S]} ({@code [S]} unbatched) and {@code attn_mask} {@code [L, S]} or
 * {@code [N·H, L, S]} ({@code [H, L, S]} unbatched) are either bool, where <b>true means the position is NOT
 * allowed to attend</b>, or float, added to the scores. Both are converted to float (-inf for true) and summed,
 * as {@code _canonical_mask} and the merge in {@code multi_head_attention_forward} do. {@code is_causal} is only a
 * hint, as in PyTorch: it requires {@code attn_mask}, and when there is no key padding mask and no weights are
 * needed, the causal triangle replaces the given mask (PyTorch hands {@code is_causal=True} to SDPA then).
 *
 * <p><b>Computation</b>: q, k, v = the in-projections (rows 0..E, E..2E, 2E..3E of {@code in_proj_weight} /
 * {@code in_proj_bias}, or the separate {@code q/k/v_proj_weight}); with {@code add_bias_kv}, {@code bias_k} /
 * {@code bias_v} are appended to k / v as one more source position (and the masks padded with an allowed
 * column); heads are folded into the batch ({@code [N·H, ·, E/H]}); with {@code add_zero_attn} a zero key and
 * value are appended; then {@link ScaledDotProductAttention} with scale {@code (E/H)^-1/2}, dropout on the
 * weights while training, and {@code out_proj}.
 *
 * <p>One deliberate difference: a query whose every key is masked gets zero weights and zero output, as
 * PyTorch's SDPA path ({@code need_weights=False}, PyTorch ≥ 2.5) gives; PyTorch's {@code need_weights=True} path
 * (plain softmax) gives NaN there.
 *
 * <p><b>State dict</b> (PyTorch's keys and order): {@code in_proj_weight [3E, E]} when kdim = vdim = E, else
 * {@code q_proj_weight [E, E]}, {@code k_proj_weight [E, kdim]}, {@code v_proj_weight [E, vdim]}; then
 * {@code in_proj_bias [3E]} (with bias), {@code bias_k}, {@code bias_v} {@code [1, 1, E]} (with add_bias_kv),
 * {@code out_proj.weight [E, E]}, {@code out_proj.bias [E]}. Initialised as {@code _reset_parameters}:
 * xavier_uniform_ on the projection weights, zeros on in_proj_bias and out_proj.bias, xavier_normal_ on
 * bias_k/bias_v, and out_proj.weight as {@code nn.Linear}'s default.
 */
public final class MultiheadAttention extends Module {
    private final int embedDim, numHeads, headDim, kdim, vdim;
    private final double dropout;
    private final boolean bias, addBiasKv, addZeroAttn, batchFirst, sameEmbedDim;
    private final Generator generator;
    private final Linear outProj;

    /** The output {@code [L, N, E]} (or batch-first / unbatched) and the weights, null unless asked for. */
    public record Result(Tensor output, Tensor weights) {}

    /** {@code nn.MultiheadAttention(embed_dim, num_heads)}: no dropout, with biases, sequence-first. */
    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, 0.0, true, false, false, null, null, false, Generator.defaultGenerator());
    }

    /** {@code nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout, batch_first=batchFirst)}. */
    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean batchFirst) {
        this(embedDim, numHeads, dropout, true, false, false, null, null, batchFirst, Generator.defaultGenerator());
    }

    /**
     * All of {@code nn.MultiheadAttention}'s arguments.
     *
     * @param kdim      key feature size; null means embed_dim
     * @param vdim      value feature size; null means embed_dim
     * @param generator initialises the parameters and draws the dropout masks
     */
    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean bias, boolean addBiasKv, boolean addZeroAttn,
                              Integer kdim, Integer vdim, boolean batchFirst, Generator generator) {
        if (embedDim <= 0 || numHeads <= 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed_dim and num_heads must be greater than 0, got embed_dim="
                    + embedDim + " and num_heads=" + numHeads + " instead");
        }
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim="
                    + embedDim + " and num_heads=" + numHeads);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("MultiheadAttention: dropout probability has to be between 0 and 1, but got " + dropout);
        }
        if ((kdim != null && kdim <= 0) || (vdim != null && vdim <= 0)) {
            throw new IllegalArgumentException("MultiheadAttention: kdim and vdim must be positive, got kdim=" + kdim + ", vdim=" + vdim);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.headDim = embedDim / numHeads;
        this.kdim = kdim != null ? kdim : embedDim;
        this.vdim = vdim != null ? vdim : embedDim;
        this.sameEmbedDim = this.kdim == embedDim && this.vdim == embedDim;
        this.dropout = dropout;
        this.bias = bias;
        this.addBiasKv = addBiasKv;
        this.addZeroAttn = addZeroAttn;
        this.batchFirst = batchFirst;
        this.generator = generator;
        // Registration order is __init__'s, which fixes the state-dict order.
        if (!sameEmbedDim) {
            registerParameter("q_proj_weight", Tensor.zeros(embedDim, embedDim));
            registerParameter("k_proj_weight", Tensor.zeros(embedDim, this.kdim));
            registerParameter("v_proj_weight", Tensor.zeros(embedDim, this.vdim));
            registerParameter("in_proj_weight", null);
        } else {
            registerParameter("in_proj_weight", Tensor.zeros(3 * embedDim, embedDim));
            registerParameter("q_proj_weight", null);
            registerParameter("k_proj_weight", null);
            registerParameter("v_proj_weight", null);
        }
        registerParameter("in_proj_bias", bias ? Tensor.zeros(3 * embedDim) : null);
        outProj = registerModule("out_proj", new Linear(embedDim, embedDim, bias, generator));
        if (addBiasKv) {
            registerParameter("bias_k", Tensor.zeros(1, 1, embedDim));
            registerParameter("bias_v", Tensor.zeros(1, 1, embedDim));
        }
        resetParameters(generator);
    }

    /** {@code _reset_parameters}; out_proj.weight keeps (or, here, re-draws) nn.Linear's default. */
    public void resetParameters(Generator g) {
        outProj.resetParameters(g);
        if (sameEmbedDim) {
            Init.xavier_uniform_(parameter("in_proj_weight"), 1.0, g);
        } else {
            Init.xavier_uniform_(parameter("q_proj_weight"), 1.0, g);
            Init.xavier_uniform_(parameter("k_proj_weight"), 1.0, g);
            Init.xavier_uniform_(parameter("v_proj_weight"), 1.0, g);
        }
        if (bias) {
            Init.zeros_(parameter("in_proj_bias"));
            Init.zeros_(outProj.bias());
        }
        if (addBiasKv) {
            Init.xavier_normal_(parameter("bias_k"), 1.0, g);
            Init.xavier_normal_(parameter("bias_v"), 1.0, g);
        }
    }

    /** {@code forward(query, key, value)} with PyTorch's defaults: need_weights and average_attn_weights true. */
    public Result forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, true, null, true, false);
    }

    /**
     * {@code forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)}.
     *
     * @param keyPaddingMask     {@code [N, S]} ({@code [S]} unbatched), bool true = ignore that key, or float added; null for none
     * @param needWeights        also return the weights
     * @param attnMask           {@code [L, S]} or {@code [N·H, L, S]}, bool true = not allowed, or float added; null for none
     * @param averageAttnWeights average the returned weights over heads
     * @param isCausal           hint that attnMask is the causal mask (requires attnMask)
     */
    public Result forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights, Tensor attnMask,
                          boolean averageAttnWeights, boolean isCausal) {
        String me = header();
        if (query == null || key == null || value == null) throw new IllegalArgumentException(me + ": query, key and value are required");
        boolean batched = checkShapes(me, query, key, value, keyPaddingMask, attnMask);
        Tensor kpm = canonicalMask(me, "key_padding_mask", keyPaddingMask);
        if (batchFirst && batched) {
            query = query.transpose(1, 0);
            key = key.transpose(1, 0);
            value = value.transpose(1, 0);
        }
        if (!batched) {
            query = query.unsqueeze(1);
            key = key.unsqueeze(1);
            value = value.unsqueeze(1);
            if (kpm != null) kpm = kpm.unsqueeze(0);
        }
        int tgtLen = query.size(0), bsz = query.size(1), srcLen = key.size(0);
        if (query.size(2) != embedDim) {
            throw new IllegalArgumentException(me + ": was expecting embedding dimension of " + embedDim + ", but got query of shape "
                    + AttentionChecks.str(query) + " (sequence-first)");
        }
        if (key.size(2) != kdim || value.size(2) != vdim) {
            throw new IllegalArgumentException(me + ": key of shape " + AttentionChecks.str(key) + " and value of shape "
                    + AttentionChecks.str(value) + " (sequence-first) must end in kdim=" + kdim + " and vdim=" + vdim);
        }
        if (key.size(0) != value.size(0) || key.size(1) != value.size(1) || key.size(1) != bsz) {
            throw new IllegalArgumentException(me + ": key " + AttentionChecks.str(key) + " and value " + AttentionChecks.str(value)
                    + " (sequence-first) must share the sequence and batch dims, and the batch must be query's " + bsz);
        }
        if (isCausal && attnMask == null) {
            throw new IllegalArgumentException(me + ": need attn_mask if specifying the is_causal hint (e.g. the causal mask of"
                    + " nn.Transformer.generate_square_subsequent_mask)");
        }
        // Without a key padding mask and without weights PyTorch passes is_causal=True to SDPA instead of the mask;
        // otherwise the mask is used and the hint has no effect.
        boolean sdpaCausal = isCausal && kpm == null && !needWeights;
        Tensor mask = sdpaCausal ? null : canonicalMask(me, "attn_mask", attnMask);

        // In-projection.
        Tensor q, k, v;
        Tensor b = parameter("in_proj_bias");
        Tensor bq = b == null ? null : b.narrow(0, 0, embedDim), bk = b == null ? null : b.narrow(0, embedDim, embedDim),
               bv = b == null ? null : b.narrow(0, 2 * embedDim, embedDim);
        if (sameEmbedDim) {
            Tensor w = parameter("in_proj_weight");
            q = MatMul.linear(query, w.narrow(0, 0, embedDim), bq);
            k = MatMul.linear(key, w.narrow(0, embedDim, embedDim), bk);
            v = MatMul.linear(value, w.narrow(0, 2 * embedDim, embedDim), bv);
        } else {
            q = MatMul.linear(query, parameter("q_proj_weight"), bq);
            k = MatMul.linear(key, parameter("k_proj_weight"), bk);
            v = MatMul.linear(value, parameter("v_proj_weight"), bv);
        }

        if (mask != null) {
            if (mask.dim() == 2) {
                if (mask.size(0) != tgtLen || mask.size(1) != srcLen) {
                    throw new IllegalArgumentException(me + ": the shape of the 2D attn_mask is " + AttentionChecks.str(mask)
                            + ", but should be " + AttentionChecks.dims(tgtLen, srcLen) + " [L, S]");
                }
                mask = mask.unsqueeze(0);
            } else if (mask.size(0) != bsz * numHeads || mask.size(1) != tgtLen || mask.size(2) != srcLen) {
                throw new IllegalArgumentException(me + ": the shape of the 3D attn_mask is " + AttentionChecks.str(mask)
                        + ", but should be " + AttentionChecks.dims(bsz * numHeads, tgtLen, srcLen) + " [N*num_heads, L, S]");
            }
        }
        if (addBiasKv) {
            k = Joining.cat(List.of(k, parameter("bias_k").expand(1, bsz, embedDim)), 0);
            v = Joining.cat(List.of(v, parameter("bias_v").expand(1, bsz, embedDim)), 0);
            if (mask != null) mask = padColumn(mask);
            if (kpm != null) kpm = padColumn(kpm);
        }
        // Heads into the batch: [T, N, E] -> [T, N*H, hd] -> [N*H, T, hd].
        q = q.reshape(tgtLen, bsz * numHeads, headDim).transpose(0, 1);
        k = k.reshape(k.size(0), bsz * numHeads, headDim).transpose(0, 1);
        v = v.reshape(v.size(0), bsz * numHeads, headDim).transpose(0, 1);
        if (addZeroAttn) {
            k = Joining.cat(List.of(k, Tensor.zeros(bsz * numHeads, 1, headDim)), 1);
            v = Joining.cat(List.of(v, Tensor.zeros(bsz * numHeads, 1, headDim)), 1);
            if (mask != null) mask = padColumn(mask);
            if (kpm != null) kpm = padColumn(kpm);
        }
        srcLen = k.size(1);
        if (kpm != null) {
            if (kpm.size(0) != bsz || kpm.size(1) != srcLen) {
                throw new IllegalArgumentException(me + ": expecting key_padding_mask shape of " + AttentionChecks.dims(bsz, srcLen)
                        + ", but got " + AttentionChecks.str(kpm));
            }
            Tensor merged = kpm.view(bsz, 1, 1, srcLen).expand(bsz, numHeads, 1, srcLen).reshape(bsz * numHeads, 1, srcLen);
            mask = mask == null ? merged : mask.add(merged);
        }

        Options o = Options.none().withScale(1 / Math.sqrt(headDim)).withDropout(dropout, isTraining(), generator);
        if (mask != null) o = o.withMask(mask);
        else if (sdpaCausal) o = o.causal();
        var r = ScaledDotProductAttention.compute(q, k, v, o, needWeights);      // [N*H, L, hd]
        Tensor out = r.output().transpose(0, 1).contiguous().view(tgtLen * bsz, embedDim);
        out = outProj.forward(out).view(tgtLen, bsz, embedDim);
        Tensor weights = null;
        if (needWeights) {
            weights = r.weights().view(bsz, numHeads, tgtLen, srcLen);
            if (averageAttnWeights) weights = weights.mean(1, false);
        }
        if (!batched) {
            out = out.squeeze(1);
            if (weights != null) weights = weights.squeeze(0);
        } else if (batchFirst) {
            out = out.transpose(1, 0);
        }
        return new Result(out, weights);
    }

    /** {@code F.pad(mask, (0, 1))}: one more, allowed (0), position at the end of the last dim. */
    private static Tensor padColumn(Tensor mask) {
        int[] s = mask.shape();
        s[s.length - 1] = 1;
        return Joining.cat(List.of(mask, Tensor.zeros(s)), -1);
    }

    /** {@code _canonical_mask}: bool → float with -inf where true; float kept; other types refused. */
    private static Tensor canonicalMask(String me, String name, Tensor mask) {
        if (mask == null) return null;
        if (mask.dtype() == DType.FLOAT32) return mask;
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(me + ": only bool and floating types of " + name + " are supported, got "
                    + mask.dtype().torchName() + " of shape " + AttentionChecks.str(mask));
        }
        float[] m = mask.toFloatArray();
        float[] out = new float[m.length];
        for (int i = 0; i < m.length; i++) out[i] = m[i] != 0 ? Float.NEGATIVE_INFINITY : 0f;
        return Tensor.of(out, mask.shape());
    }

    /** {@code _mha_shape_check}: whether the input is batched, or an error naming the offending argument. */
    private boolean checkShapes(String me, Tensor query, Tensor key, Tensor value, Tensor kpm, Tensor attnMask) {
        String shapes = " (query " + AttentionChecks.str(query) + ", key " + AttentionChecks.str(key) + ", value "
                + AttentionChecks.str(value) + ")";
        boolean batched;
        if (query.dim() == 3) {
            batched = true;
            if (key.dim() != 3 || value.dim() != 3) {
                throw new IllegalArgumentException(me + ": for batched (3-D) query, expected key and value to be 3-D" + shapes);
            }
            if (kpm != null && kpm.dim() != 2) {
                throw new IllegalArgumentException(me + ": for batched (3-D) query, expected key_padding_mask to be 2-D [N, S], got "
                        + AttentionChecks.str(kpm));
            }
        } else if (query.dim() == 2) {
            batched = false;
            if (key.dim() != 2 || value.dim() != 2) {
                throw new IllegalArgumentException(me + ": for unbatched (2-D) query, expected key and value to be 2-D" + shapes);
            }
            if (kpm != null && kpm.dim() != 1) {
                throw new IllegalArgumentException(me + ": for unbatched (2-D) query, expected key_padding_mask to be 1-D [S], got "
                        + AttentionChecks.str(kpm));
            }
            if (attnMask != null && attnMask.dim() == 3 && attnMask.size(0) != numHeads) {
                throw new IllegalArgumentException(me + ": for unbatched (2-D) query, expected a 3-D attn_mask of shape [num_heads, L, S]"
                        + " with num_heads=" + numHeads + ", got " + AttentionChecks.str(attnMask));
            }
        } else {
            throw new IllegalArgumentException(me + ": query should be unbatched 2-D or batched 3-D, got a " + query.dim() + "-D query"
                    + shapes);
        }
        if (attnMask != null && attnMask.dim() != 2 && attnMask.dim() != 3) {
            throw new IllegalArgumentException(me + ": attn_mask must be 2-D [L, S] or 3-D [N*num_heads, L, S], got "
                    + AttentionChecks.str(attnMask));
        }
        return batched;
    }

    public int embedDim() {
        return embedDim;
    }

    public int numHeads() {
        return numHeads;
    }

    public int headDim() {
        return headDim;
    }

    public int kdim() {
        return kdim;
    }

    public int vdim() {
        return vdim;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    public double dropout() {
        return dropout;
    }

    public Linear outProj() {
        return outProj;
    }

    @Override
    public String header() {
        return "MultiheadAttention(embed_dim=" + embedDim + ", num_heads=" + numHeads + (kdim != embedDim ? ", kdim=" + kdim : "")
                + (vdim != embedDim ? ", vdim=" + vdim : "") + (dropout != 0 ? ", dropout=" + Repr.pyFloat(dropout) : "")
                + (batchFirst ? ", batch_first=True" : "") + ")";
    }
}
