package org.attn4j.ops;

import java.util.List;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/** Joining and splitting: cat, stack, split, chunk. */
public final class Joining {
    private Joining() {}

    /** {@code torch.cat}: joins tensors along an existing dim; all other dims must match. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat: expected a non-empty list of tensors");
        Tensor first = tensors.get(0);
        int r = first.dim();
        if (r == 0) throw new IllegalArgumentException("cat: zero-dimensional tensor cannot be concatenated");
        int d = Shape.dim("cat", dim, r);
        int[] shape = first.shape();
        int total = 0;
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            if (x.dtype() != first.dtype()) {
                throw new IllegalArgumentException("cat: tensor " + t + " is " + x.dtype().torchName() + " but tensor 0 is "
                        + first.dtype().torchName());
            }
            int[] s = x.shape();
            boolean ok = s.length == r;
            for (int i = 0; ok && i < r; i++) ok = i == d || s[i] == shape[i];
            if (!ok) {
                throw new IllegalArgumentException("cat: sizes of tensors must match except in dimension " + d
                        + ": tensor 0 is " + Shape.str(shape) + ", tensor " + t + " is " + Shape.str(s));
            }
            total += s[d];
        }
        int[] outShape = shape.clone();
        outShape[d] = total;
        Tensor out = Tensor.zeros(outShape).withDType(first.dtype());
        int[] starts = new int[tensors.size()];
        int pos = 0;
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            starts[t] = pos;
            out.detach().narrow(d, pos, x.size(d)).copy_(x.detach());
            pos += x.size(d);
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        return Tensor.attach(out, "cat", g -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int t = 0; t < inputs.length; t++) {
                grads[t] = g.narrow(d, starts[t], inputs[t].size(d)).contiguous();
            }
            return grads;
        }, inputs);
    }

    /** {@code torch.stack}: joins same-shaped tensors along a new dim. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack: expected a non-empty list of tensors");
        int[] shape = tensors.get(0).shape();
        int d = Shape.dim("stack", dim, shape.length + 1);
        Tensor[] parts = new Tensor[tensors.size()];
        for (int t = 0; t < parts.length; t++) {
            Tensor x = tensors.get(t);
            if (!Shape.equal(x.shape(), shape)) {
                throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got " + Shape.str(shape)
                        + " at entry 0 and " + Shape.str(x.shape()) + " at entry " + t);
            }
            parts[t] = x.unsqueeze(d);
        }
        return cat(List.of(parts), d);
    }

    /** {@code torch.split(x, splitSize, dim)}: views of {@code splitSize} along dim (the last may be smaller). */
    public static List<Tensor> split(Tensor x, int splitSize, int dim) {
        int d = Shape.dim("split", dim, x.dim());
        if (splitSize <= 0) throw new IllegalArgumentException("split: split_size must be positive, got " + splitSize);
        int size = x.size(d);
        java.util.ArrayList<Tensor> out = new java.util.ArrayList<>();
        for (int s = 0; s < size; s += splitSize) out.add(x.narrow(d, s, Math.min(splitSize, size - s)));
        if (size == 0) out.add(x);
        return out;
    }

    /** {@code torch.split(x, sizes, dim)} with explicit section sizes that must sum to the dim's size. */
    public static List<Tensor> split(Tensor x, int[] sizes, int dim) {
        int d = Shape.dim("split", dim, x.dim());
        int sum = 0;
        for (int s : sizes) {
            if (s < 0) throw new IllegalArgumentException("split: negative section size " + s + " in " + Shape.str(sizes));
            sum += s;
        }
        if (sum != x.size(d)) {
            throw new IllegalArgumentException("split: sizes " + Shape.str(sizes) + " sum to " + sum + " but dimension " + d
                    + " of " + Shape.str(x.shape()) + " has size " + x.size(d));
        }
        java.util.ArrayList<Tensor> out = new java.util.ArrayList<>();
        int pos = 0;
        for (int s : sizes) {
            out.add(x.narrow(d, pos, s));
            pos += s;
        }
        return out;
    }

    /** {@code torch.chunk(x, chunks, dim)}: ceil-sized pieces, possibly fewer than {@code chunks}. */
    public static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        if (chunks <= 0) throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        int d = Shape.dim("chunk", dim, x.dim());
        int size = x.size(d);
        int piece = Math.max(1, (size + chunks - 1) / chunks);
        return split(x, piece, d);
    }
}
