package org.attn4j.attention;

import java.util.Arrays;
import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.kernels.AttentionProblem;
import org.attn4j.kernels.FlashAttention;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.ops.Reductions;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@link ScaledDotProductAttention} as one autograd op over {@link FlashAttention}: the forward keeps only the
 * output and two floats per query row, and the backward recomputes the weights — the {@code [..., L, S]}
 * scores are never materialised, forward or backward (PyTorch's flash and memory-efficient SDPA backends do
 * the same on GPUs).
 *
 * <p>The batch dims of q, k, v (and a mask's) broadcast without copies: each (batch, head) item is given the
 * offset of its own block of each operand, so a k shared by all items is read where it is. Their gradients
 * come back per item and are summed to each input's shape ({@code sumToShape}), as broadcasting's backward does.
 * A float mask that requires grad (Swin's relative position bias) gets {@code dS} summed over the items and
 * rows that share each of its elements.
 */
final class FusedAttention {
    private FusedAttention() {}

    private static final String OP = "scaled_dot_product_attention";

    /**
     * Whether the fused op computes exactly what the composed path would: float32 operands, no empty dims, and —
     * with dropout — weights with one matrix per (batch, head) item (the dropout mask is per item; when only v
     * carries some batch dims, the composed path's weights, and so its mask, are shared across them).
     */
    static boolean supports(Tensor q, Tensor k, Tensor v, Options o, int[] batch) {
        if (q.dtype() != DType.FLOAT32 || k.dtype() != DType.FLOAT32 || v.dtype() != DType.FLOAT32) return false;
        if (Shape.numel(batch) == 0 || q.size(-2) == 0 || k.size(-2) == 0 || q.size(-1) == 0 || v.size(-1) == 0) return false;
        if (o.dropoutP() > 0 && o.training()) {
            int[] weights = Shape.broadcast(OP, lead(q), lead(k));
            if (o.mask() != null) weights = Shape.broadcast(OP, weights, Arrays.copyOf(o.mask().shape(), Math.max(0, o.mask().dim() - 2)));
            return Shape.equal(weights, batch);
        }
        return true;
    }

    /** The attention output {@code batch + [L, Ev]}; see {@link ScaledDotProductAttention#compute}. */
    static Tensor forward(Tensor q, Tensor k, Tensor v, Options o, double scale, int[] batch) {
        int nb = Shape.numel(batch), l = q.size(-2), s = k.size(-2), e = q.size(-1), ev = v.size(-1);
        float[] qd = q.contiguousData(), kd = k.contiguousData(), vd = v.contiguousData();
        AttentionProblem p = AttentionProblem.of(nb, l, s, e, ev, qd, blockOffsets(q.shape(), batch), kd,
                blockOffsets(k.shape(), batch), vd, blockOffsets(v.shape(), batch), (float) scale);
        Tensor mask = o.mask();
        int[] maskShape = null;                   // the mask's storage: its dims padded to the scores' rank, keys expanded
        boolean maskGrad = false;
        if (mask != null) {
            int rank = batch.length + 2;
            int[] padded = new int[rank];
            Arrays.fill(padded, 1);
            System.arraycopy(mask.shape(), 0, padded, rank - mask.dim(), mask.dim());
            maskShape = padded.clone();
            maskShape[rank - 1] = s;             // a [.., 1] mask (one value for all keys) is expanded, O(L) more
            float[] md = mask.detach().reshape(padded).expand(maskShape).contiguousData();
            int rowStride = maskShape[rank - 2] == 1 ? 0 : s;
            boolean keep = mask.dtype() == DType.BOOL;
            p = p.withMask(keep ? AttentionProblem.MaskKind.KEEP : AttentionProblem.MaskKind.ADD, md,
                    blockOffsets(maskShape, batch), rowStride, o.maskedValue());
            maskGrad = !keep && mask.requiresGrad();
        } else if (o.isCausal()) {
            p = p.withCausal(o.maskedValue());
        }
        if (o.dropoutP() > 0 && o.training()) {
            Generator g = o.generator() != null ? o.generator() : Generator.defaultGenerator();
            p = p.withDropout((float) o.dropoutP(), g.nextLong());
        }
        float[] out = PrezeroedArrays.floats(nb * l * ev), stats = new float[2 * nb * l];
        FlashAttention.forward(p, out, stats);

        int[] outShape = withLast2(batch, l, ev);
        AttentionProblem problem = p;
        int[] mShape = maskShape;
        boolean withMaskGrad = maskGrad;
        Tensor[] inputs = maskGrad ? new Tensor[] {q, k, v, mask} : new Tensor[] {q, k, v};
        return Tensor.result(out, outShape, OP, g -> {
            float[] dOut = g.contiguousData();
            float[] dq = PrezeroedArrays.floats(nb * l * e), dk = PrezeroedArrays.floats(nb * s * e);
            float[] dv = PrezeroedArrays.floats(nb * s * ev);
            float[] dMask = withMaskGrad ? new float[problem.maskLength()] : null;
            FlashAttention.backward(problem, out, stats, dOut, dq, dk, dv, dMask);
            Tensor[] grads = new Tensor[inputs.length];
            grads[0] = q.requiresGrad() ? Reductions.sumToShape(Tensor.ofOwned(dq, withLast2(batch, l, e)), q.shape()) : null;
            grads[1] = k.requiresGrad() ? Reductions.sumToShape(Tensor.ofOwned(dk, withLast2(batch, s, e)), k.shape()) : null;
            grads[2] = v.requiresGrad() ? Reductions.sumToShape(Tensor.ofOwned(dv, withLast2(batch, s, ev)), v.shape()) : null;
            if (withMaskGrad) grads[3] = Reductions.sumToShape(Tensor.ofOwned(dMask, mShape), mask.shape());
            return grads;
        }, inputs);
    }

    /**
     * For each item of the broadcast {@code batch}, the offset of its {@code [rows, cols]} block in the row-major
     * data of a tensor of {@code shape} (whose leading dims broadcast to batch: size-1 or missing dims repeat).
     */
    static int[] blockOffsets(int[] shape, int[] batch) {
        int nb = Shape.numel(batch), lead = shape.length - 2, pad = batch.length - lead;
        int block = shape[shape.length - 2] * shape[shape.length - 1];
        int[] strides = new int[batch.length];                  // in blocks; 0 where broadcast
        for (int d = batch.length - 1, st = 1; d >= 0; d--) {
            int size = d - pad >= 0 ? shape[d - pad] : 1;
            strides[d] = size == 1 ? 0 : st;
            st *= size;
        }
        int[] offs = new int[nb];
        int[] idx = new int[batch.length];
        for (int b = 0; b < nb; b++) {
            int o = 0;
            for (int d = 0; d < batch.length; d++) o += idx[d] * strides[d];
            offs[b] = o * block;
            for (int d = batch.length - 1; d >= 0; d--) {
                if (++idx[d] < batch[d]) break;
                idx[d] = 0;
            }
        }
        return offs;
    }

    private static int[] withLast2(int[] batch, int a, int b) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = a;
        s[batch.length + 1] = b;
        return s;
    }

    private static int[] lead(Tensor t) {
        return Arrays.copyOf(t.shape(), t.dim() - 2);
    }
}
