package org.attn4j.ops;

import java.util.Arrays;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Views: new shapes and strides over the same storage, each with its backward. A view of a tensor that
 * requires grad passes gradients back through the inverse layout change.
 */
public final class Views {
    private Views() {}

    /** Resolves one -1 in a requested shape against {@code numel}, as {@code view}/{@code reshape} do. */
    static int[] inferShape(String op, int[] requested, int numel, int[] from) {
        int[] s = requested.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException(op + ": only one dimension can be inferred in " + Shape.str(requested));
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + s[i] + " in " + Shape.str(requested));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Shape.str(requested) + " is invalid for input of shape "
                        + Shape.str(from) + " (" + numel + " elements)");
            }
            s[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + Shape.str(requested) + " is invalid for input of shape "
                    + Shape.str(from) + " (" + numel + " elements)");
        }
        return s;
    }

    /**
     * Strides that give {@code newShape} over {@code shape}/{@code strides} without a copy, or null when the
     * layout does not allow it (PyTorch's {@code computeStride}: each run of merged dims must be contiguous).
     */
    static int[] viewStrides(int[] shape, int[] strides, int[] newShape) {
        int[] out = new int[newShape.length];
        if (Shape.numel(shape) == 0) return Shape.contiguousStrides(newShape);
        // A 0-d tensor is one element: any shape of one element views it (PyTorch's computeStride too).
        if (shape.length == 0) {
            java.util.Arrays.fill(out, 1);
            return out;
        }
        int viewD = newShape.length - 1;
        long chunkBase = strides.length > 0 ? strides[strides.length - 1] : 1;
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    out[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) return null;
        return out;
    }

    /** A view with a new shape (one dim may be -1); an error when the layout makes a view impossible. */
    public static Tensor view(Tensor x, int... shape) {
        int[] s = inferShape("view", shape, x.numel(), x.shape());
        int[] st = viewStrides(x.shape(), x.strides(), s);
        if (st == null) {
            throw new IllegalArgumentException("view: size " + Shape.str(s) + " is not compatible with input tensor's size "
                    + Shape.str(x.shape()) + " and stride " + Shape.str(x.strides())
                    + " (at least one dimension spans across two contiguous subspaces); use .reshape(...) instead");
        }
        int[] inShape = x.shape();
        return Tensor.attach(x.asStrided(s, st, x.offset()), "View", g -> new Tensor[] {g.reshape(inShape)}, x);
    }

    /** A view when possible, else a contiguous copy with the new shape. */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] s = inferShape("reshape", shape, x.numel(), x.shape());
        if (viewStrides(x.shape(), x.strides(), s) != null) return view(x, s);
        return view(contiguous(x), s);
    }

    public static Tensor permute(Tensor x, int... dims) {
        int r = x.dim();
        if (dims.length != r) {
            throw new IllegalArgumentException("permute: " + dims.length + " dims " + Arrays.toString(dims)
                    + " for a tensor of rank " + r + " " + Shape.str(x.shape()));
        }
        int[] shape = x.shape(), strides = x.strides();
        int[] ns = new int[r], nst = new int[r], inverse = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            int d = Shape.dim("permute", dims[i], r);
            if (seen[d]) throw new IllegalArgumentException("permute: dim " + d + " repeats in " + Arrays.toString(dims));
            seen[d] = true;
            ns[i] = shape[d];
            nst[i] = strides[d];
            inverse[d] = i;
        }
        return Tensor.attach(x.asStrided(ns, nst, x.offset()), "Permute", g -> new Tensor[] {g.permute(inverse)}, x);
    }

    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        int r = x.dim();
        int a = Shape.dim("transpose", dim0, r), b = Shape.dim("transpose", dim1, r);
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        p[a] = b;
        p[b] = a;
        return permute(x, p);
    }

    /** Broadcasts size-1 dims (and new leading dims) to {@code shape}; -1 keeps a size. No copy. */
    public static Tensor expand(Tensor x, int... shape) {
        int[] in = x.shape(), st = x.strides();
        if (shape.length < in.length) {
            throw new IllegalArgumentException("expand: the target " + Shape.str(shape) + " has fewer dims than the input "
                    + Shape.str(in));
        }
        int lead = shape.length - in.length;
        int[] ns = new int[shape.length], nst = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            int j = i - lead;
            int target = shape[i];
            if (target < -1) {
                throw new IllegalArgumentException("expand: invalid size " + target + " in the target " + Shape.str(shape));
            }
            if (j < 0) {
                if (target < 0) throw new IllegalArgumentException("expand: -1 is not allowed in a new leading dimension of " + Shape.str(shape));
                ns[i] = target;
                nst[i] = 0;
            } else if (target == -1 || target == in[j]) {
                ns[i] = in[j];
                nst[i] = st[j];
            } else if (in[j] == 1) {
                ns[i] = target;
                nst[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: the size of input " + Shape.str(in) + " (" + in[j] + ") must match "
                        + "the target " + Shape.str(shape) + " (" + target + ") at non-singleton dimension " + i);
            }
        }
        if (Arrays.equals(ns, in)) return x;
        return Tensor.attach(x.asStrided(ns, nst, x.offset()), "Expand",
                g -> new Tensor[] {Reductions.sumToShape(g, in)}, x);
    }

    /** Elements {@code [start, start+length)} of one dimension (negative start counts from the end). */
    public static Tensor narrow(Tensor x, int dim, int start, int length) {
        int d = Shape.dim("narrow", dim, x.dim());
        int[] shape = x.shape(), st = x.strides();
        int s = start < 0 ? start + shape[d] : start;
        if (s < 0 || length < 0 || s + length > shape[d]) {
            throw new IllegalArgumentException("narrow: start " + start + " + length " + length + " exceeds dimension " + d
                    + " of size " + shape[d] + " in " + Shape.str(shape));
        }
        int[] ns = shape.clone();
        ns[d] = length;
        int[] inShape = shape;
        Tensor out = x.asStrided(ns, st, x.offset() + s * st[d]);
        return Tensor.attach(out, "Narrow", g -> {
            Tensor full = Tensor.zeros(inShape);
            full.narrow(d, s, length).copy_(g);
            return new Tensor[] {full};
        }, x);
    }

    /** Removes dimension {@code dim} by taking index {@code index} of it. */
    public static Tensor select(Tensor x, int dim, int index) {
        int d = Shape.dim("select", dim, x.dim());
        int size = x.size(d);
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException("select: index " + index + " is out of range for dimension " + d
                    + " of size " + size + " in " + Shape.str(x.shape()));
        }
        return squeeze(narrow(x, d, i, 1), d);
    }

    public static Tensor unsqueeze(Tensor x, int dim) {
        int r = x.dim();
        if (dim < -(r + 1) || dim > r) {
            throw new IllegalArgumentException("unsqueeze: dim " + dim + " is out of range for a tensor of rank " + r
                    + " (expected in [" + (-(r + 1)) + ", " + r + "])");
        }
        int d = dim < 0 ? dim + r + 1 : dim;
        int[] shape = x.shape(), st = x.strides();
        int[] ns = new int[r + 1], nst = new int[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            if (i == d) {
                ns[i] = 1;
                nst[i] = j < r ? st[j] * shape[j] : 1;
            } else {
                ns[i] = shape[j];
                nst[i] = st[j];
                j++;
            }
        }
        return Tensor.attach(x.asStrided(ns, nst, x.offset()), "Unsqueeze", g -> new Tensor[] {g.squeeze(d)}, x);
    }

    /** Removes dimension {@code dim} if its size is 1 (else returns the input, as PyTorch does). */
    public static Tensor squeeze(Tensor x, int dim) {
        int r = x.dim();
        if (r == 0) return x;
        int d = Shape.dim("squeeze", dim, r);
        if (x.size(d) != 1) return x;
        int[] shape = x.shape(), st = x.strides();
        int[] ns = new int[r - 1], nst = new int[r - 1];
        for (int i = 0, j = 0; i < r; i++) {
            if (i == d) continue;
            ns[j] = shape[i];
            nst[j++] = st[i];
        }
        return Tensor.attach(x.asStrided(ns, nst, x.offset()), "Squeeze", g -> new Tensor[] {g.unsqueeze(d)}, x);
    }

    /** Removes every dimension of size 1. */
    public static Tensor squeeze(Tensor x) {
        int[] shape = x.shape();
        int kept = 0;
        for (int s : shape) if (s != 1) kept++;
        int[] ns = new int[kept];
        for (int i = 0, j = 0; i < shape.length; i++) if (shape[i] != 1) ns[j++] = shape[i];
        return reshape(x, ns);
    }

    /** Merges dims {@code startDim..endDim} into one (a view when possible). */
    public static Tensor flatten(Tensor x, int startDim, int endDim) {
        int r = x.dim();
        if (r == 0) return reshape(x, 1);
        int s = Shape.dim("flatten", startDim, r), e = Shape.dim("flatten", endDim, r);
        if (s > e) throw new IllegalArgumentException("flatten: start_dim " + startDim + " comes after end_dim " + endDim);
        int[] shape = x.shape();
        int[] ns = new int[r - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) ns[k++] = shape[i];
        int m = 1;
        for (int i = s; i <= e; i++) m *= shape[i];
        ns[k++] = m;
        for (int i = e + 1; i < r; i++) ns[k++] = shape[i];
        return reshape(x, ns);
    }

    /** The tensor itself when row-major, else a row-major copy whose gradient flows back unchanged. */
    public static Tensor contiguous(Tensor x) {
        if (x.isContiguous()) return x;
        Tensor copy = x.detach().contiguousCopy();
        return Tensor.attach(copy.withDType(x.dtype()), "Contiguous", g -> new Tensor[] {g}, x);
    }
}
