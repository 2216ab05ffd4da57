package org.attn4j.tensor;

import java.util.Arrays;
import org.attn4j.autograd.Engine;
import org.attn4j.autograd.GradMode;
import org.attn4j.autograd.Node;
import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.Parallel;
import org.attn4j.kernels.PrezeroedArrays;
import org.attn4j.ops.Activations;
import org.attn4j.ops.Arithmetic;
import org.attn4j.ops.Indexing;
import org.attn4j.ops.MatMul;
import org.attn4j.ops.Reductions;
import org.attn4j.ops.SoftmaxOps;
import org.attn4j.ops.UnaryMath;
import org.attn4j.ops.Views;

/**
 * An n-dimensional array of float32 values with reverse-mode autograd, after {@code torch.Tensor}.
 *
 * <p>A tensor is a view on a {@link Storage}: a shape, element strides and an offset. {@code view},
 * {@code reshape} (when possible), {@code permute}, {@code transpose}, {@code expand}, {@code narrow},
 * {@code select}, {@code unsqueeze} and {@code squeeze} return views that share storage; {@link #contiguous()}
 * copies only when the layout is not already row-major.
 *
 * <p>Autograd: a leaf created with {@link #requiresGrad(boolean)} collects gradients in {@link #grad()} when
 * {@link #backward()} runs on a result computed from it. Every op lives in {@code org.attn4j.ops} with its
 * backward beside its forward; the instance methods here are shortcuts to them.
 *
 * <p>In-place methods end in an underscore as in PyTorch ({@code add_}, {@code mul_}, {@code copy_},
 * {@code fill_}, {@code zero_}). They are refused on a tensor that requires grad while grad mode is on (use
 * {@link GradMode#noGrad()}, as optimizers do), and bump the storage version so that backward detects a
 * saved value that was overwritten.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;
    private final DType dtype;

    private boolean requiresGrad;
    private boolean retainGrad;
    private Tensor grad;
    private Node gradFn;

    private Tensor(Storage storage, int[] shape, int[] strides, int offset, DType dtype) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.dtype = dtype;
    }

    // ---------------------------------------------------------------- creation

    /** A tensor over {@code data} (not copied) with the given shape; {@code data.length} must equal its numel. */
    public static Tensor of(float[] data, int... shape) {
        return over(data, shape, false, "Tensor.of");
    }

    private static Tensor over(float[] data, int[] shape, boolean exclusive, String op) {
        int[] s = shape.clone();
        int n = Shape.numel(op, s);
        if (data.length != n) {
            throw new IllegalArgumentException(op + ": " + data.length + " values cannot fill shape "
                    + Shape.str(s) + " (" + n + " elements)");
        }
        return new Tensor(new Storage(data, exclusive), s, Shape.contiguousStrides(s), 0, DType.FLOAT32);
    }

    /**
     * A tensor over {@code data} that takes ownership of it: the caller promises that nothing else keeps or wraps
     * the array (a gradient a backward function has just computed). Autograd may then install such a gradient as a
     * leaf's {@link #grad()} without copying it, as PyTorch's AccumulateGrad steals an unshared gradient.
     */
    public static Tensor ofOwned(float[] data, int... shape) {
        return over(data, shape, true, "Tensor.ofOwned");
    }

    /** A 1-D float tensor holding a copy of {@code values}. */
    public static Tensor vector(float... values) {
        return of(values.clone(), values.length);
    }

    /** A 0-dimensional tensor. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /** An int64 tensor (for indices and class targets) with the given values and shape. */
    public static Tensor ofLongs(long[] values, int... shape) {
        float[] d = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            if (Math.abs(values[i]) > (1 << 24)) {
                throw new IllegalArgumentException("Tensor.ofLongs: value " + values[i] + " at " + i
                        + " exceeds 2^24, the exact range of attn4j integer tensors");
            }
            d[i] = values[i];
        }
        return of(d, shape).withDType(DType.INT64);
    }

    /** An int64 tensor from int values. */
    public static Tensor ofInts(int[] values, int... shape) {
        long[] l = new long[values.length];
        for (int i = 0; i < values.length; i++) l[i] = values[i];
        return ofLongs(l, shape);
    }

    /** A bool tensor (for masks) with the given values and shape. */
    public static Tensor ofBooleans(boolean[] values, int... shape) {
        float[] d = new float[values.length];
        for (int i = 0; i < values.length; i++) d[i] = values[i] ? 1f : 0f;
        return of(d, shape).withDType(DType.BOOL);
    }

    public static Tensor zeros(int... shape) {
        return of(PrezeroedArrays.floats(Shape.numel("zeros", shape)), shape);
    }

    public static Tensor ones(int... shape) {
        float[] d = PrezeroedArrays.floats(Shape.numel("ones", shape));
        Arrays.fill(d, 1f);
        return of(d, shape);
    }

    public static Tensor full(float value, int... shape) {
        float[] d = PrezeroedArrays.floats(Shape.numel("full", shape));
        Arrays.fill(d, value);
        return of(d, shape);
    }

    public static Tensor zerosLike(Tensor t) {
        return zeros(t.shape);
    }

    public static Tensor onesLike(Tensor t) {
        return ones(t.shape);
    }

    /** {@code [start, start + step, ...)} below {@code end}, as {@code torch.arange}. */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || (end - start) / step < 0 || Float.isNaN(start + end + step)) {
            throw new IllegalArgumentException("arange: cannot go from " + start + " to " + end + " in steps of " + step);
        }
        int n = (int) Math.ceil((end - start) / (double) step);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) (start + (double) i * step);
        return of(d, n);
    }

    /** {@code [0, 1, ..., end - 1]} as an int64 tensor, as {@code torch.arange(end)}. */
    public static Tensor arange(int end) {
        return arange(0, end, 1).withDType(DType.INT64);
    }

    /** Uniform in [0, 1). */
    public static Tensor rand(Generator g, int... shape) {
        float[] d = new float[Shape.numel("rand", shape)];
        for (int i = 0; i < d.length; i++) d[i] = g.nextFloat();
        return of(d, shape);
    }

    /** Standard normal. */
    public static Tensor randn(Generator g, int... shape) {
        float[] d = new float[Shape.numel("randn", shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) g.nextGaussian();
        return of(d, shape);
    }

    /** Uniform integers in [low, high) as int64, as {@code torch.randint}. */
    public static Tensor randint(Generator g, int low, int high, int... shape) {
        if (high <= low) throw new IllegalArgumentException("randint: empty range [" + low + ", " + high + ")");
        float[] d = new float[Shape.numel("randint", shape)];
        for (int i = 0; i < d.length; i++) d[i] = low + g.nextInt(high - low);
        return of(d, shape).withDType(DType.INT64);
    }

    /**
     * Builds the result of an op: wraps {@code data} (row-major, {@code shape}) and, when grad mode is on and
     * any input requires grad, records {@code backward} in the graph. Used by {@code org.attn4j.ops}. The tensor
     * takes ownership of {@code data} (see {@link #ofOwned}): pass an array allocated for this result and kept nowhere
     * else.
     */
    public static Tensor result(float[] data, int[] shape, String op, Node.Backward backward, Tensor... inputs) {
        Tensor out = ofOwned(data, shape);     // every op allocates its result array afresh
        return attach(out, op, backward, inputs);
    }

    /** Records {@code out} as produced by {@code op} from {@code inputs} (if any requires grad). */
    public static Tensor attach(Tensor out, String op, Node.Backward backward, Tensor... inputs) {
        if (backward != null && GradMode.isEnabled()) {
            for (Tensor in : inputs) {
                if (in.requiresGrad()) {
                    Node node = new Node(op, inputs, backward);
                    out.gradFn = node;
                    node.bindOutput(out);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * A new tensor sharing this one's storage with another layout, without autograd (like
     * {@code torch.as_strided}; the view ops in {@link Views} add the backward). Bounds are checked.
     */
    public Tensor asStrided(int[] newShape, int[] newStrides, int newOffset) {
        long lo = newOffset, hi = newOffset;
        for (int i = 0; i < newShape.length; i++) {
            if (newShape[i] < 0) throw new IllegalArgumentException("asStrided: negative size in " + Shape.str(newShape));
            if (newShape[i] == 0) { lo = 0; hi = -1; break; }
            long span = (long) (newShape[i] - 1) * newStrides[i];
            if (span < 0) lo += span; else hi += span;
        }
        if (hi >= lo && (lo < 0 || hi >= storage.data.length)) {
            throw new IllegalArgumentException("asStrided: layout " + Shape.str(newShape) + " strides "
                    + Shape.str(newStrides) + " offset " + newOffset + " reaches outside a storage of "
                    + storage.data.length + " elements");
        }
        return new Tensor(storage, newShape.clone(), newStrides.clone(), newOffset, dtype);
    }

    /** The same values reinterpreted as another dtype (no copy, no autograd). */
    public Tensor withDType(DType t) {
        return new Tensor(storage, shape, strides, offset, t);
    }

    // ---------------------------------------------------------------- layout

    public int[] shape() {
        return shape.clone();
    }

    /** Size of one dimension; negative dims count from the end. */
    public int size(int dim) {
        return shape[Shape.dim("size", dim, shape.length)];
    }

    /** Number of dimensions. */
    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shape.numel(shape);
    }

    public int[] strides() {
        return strides.clone();
    }

    public int stride(int dim) {
        return strides[Shape.dim("stride", dim, shape.length)];
    }

    public int offset() {
        return offset;
    }

    public Storage storage() {
        return storage;
    }

    /** The raw storage array (shared; read it with {@link #offset()} and {@link #strides()}). */
    public float[] data() {
        return storage.data;
    }

    public DType dtype() {
        return dtype;
    }

    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** True when this tensor's elements are exactly its whole storage, in order. */
    public boolean isDense() {
        return offset == 0 && isContiguous() && numel() == storage.data.length;
    }

    // ---------------------------------------------------------------- element access

    private int flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: " + index.length + " indices for a tensor of rank " + shape.length);
        }
        int p = offset;
        for (int i = 0; i < index.length; i++) {
            int ix = index[i] < 0 ? index[i] + shape[i] : index[i];
            if (ix < 0 || ix >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + index[i] + " is out of bounds for dimension " + i
                        + " with size " + shape[i]);
            }
            p += ix * strides[i];
        }
        return p;
    }

    /** One element (negative indices count from the end). */
    public float get(int... index) {
        return storage.data[flatIndex(index)];
    }

    /** The value of a one-element tensor, as {@code Tensor.item()}. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: a tensor with " + numel() + " elements " + Shape.str(shape)
                    + " cannot be converted to a scalar");
        }
        return storage.data[offset];
    }

    /** A fresh row-major copy of the values. */
    public float[] toFloatArray() {
        Tensor c = contiguous();
        return Arrays.copyOfRange(c.storage.data, c.offset, c.offset + c.numel());
    }

    /** A fresh row-major copy of the values as ints (for int64 / bool tensors). */
    public int[] toIntArray() {
        float[] f = toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = (int) f[i];
        return out;
    }

    /**
     * The values in row-major order: this tensor's own storage when it is dense (no copy), else a copy.
     * Read only — writing into it would bypass autograd's version check.
     */
    public float[] contiguousData() {
        return isDense() ? storage.data : toFloatArray();
    }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() {
        return requiresGrad || gradFn != null;
    }

    /** Marks a leaf as requiring grad (returns this, as {@code requires_grad_()}). */
    public Tensor requiresGrad(boolean on) {
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad: can only be changed on leaf tensors; this one was made by "
                    + gradFn.op() + " (use detach())");
        }
        if (on && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("requiresGrad: only float tensors can require grad, not " + dtype.torchName());
        }
        requiresGrad = on;
        return this;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The accumulated gradient, or null before any backward. */
    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && !Shape.equal(g.shape, shape)) {
            throw new IllegalArgumentException("setGrad: gradient shape " + Shape.str(g.shape)
                    + " does not match tensor shape " + Shape.str(shape));
        }
        grad = g;
    }

    /** Sets {@link #grad()} to null (as {@code optimizer.zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        grad = null;
    }

    public Node gradFn() {
        return gradFn;
    }

    /** Keep the gradient of this non-leaf tensor in {@link #grad()} after backward. */
    public Tensor retainGrad() {
        retainGrad = true;
        return this;
    }

    public boolean retainsGrad() {
        return retainGrad;
    }

    /** Adds {@code g} into {@link #grad()} (autograd's accumulation into leaves). */
    public void accumulateGrad(Tensor g) {
        accumulateGrad(g, false);
    }

    /**
     * Adds {@code g} into {@link #grad()}; with {@code unshared} (the caller knows that nothing else can see g's
     * values, as {@link org.attn4j.autograd.Engine} does for the gradients it made) a first gradient that covers
     * its whole storage becomes {@code grad} itself instead of a copy — PyTorch's AccumulateGrad steals such a
     * gradient the same way. For a ViT-sized attention backward that is three 4.8 MB copies saved.
     */
    public void accumulateGrad(Tensor g, boolean unshared) {
        // Otherwise the first gradient is copied: the incoming tensor may be shared — add's backward hands the same
        // tensor to both inputs, a caller passes its own tensor to backward(gradient) — and both later
        // accumulation and optimizers (gradient clipping's mul_) write into grad in place.
        if (grad == null) {
            grad = unshared && g.isDense() ? g : g.contiguousCopy();
            return;
        }
        if (!grad.isDense()) grad = grad.contiguousCopy();     // a view installed by setGrad
        if (g.storage == grad.storage) g = g.contiguousCopy();   // grad passed back into itself
        grad.addDense(g.reshape(grad.shape));
        grad.storage.bumpVersion();
    }

    /** Backpropagates from this one-element tensor (gradient 1). */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalArgumentException("backward: grad can be implicitly created only for scalar outputs, "
                    + "this tensor has shape " + Shape.str(shape) + " (pass a gradient)");
        }
        Engine.backward(this, Tensor.ones(shape));
    }

    /** Backpropagates {@code gradient} (same shape as this tensor). */
    public void backward(Tensor gradient) {
        Engine.backward(this, gradient);
    }

    /**
     * Backpropagates {@code gradient}; with {@code retainGraph} the graph keeps its saved values for another
     * backward ({@code tensor.backward(gradient, retain_graph=True)}), else it is freed as the backward runs.
     */
    public void backward(Tensor gradient, boolean retainGraph) {
        Engine.backward(this, gradient, retainGraph);
    }

    /** The same values, cut from the graph (shares storage, as {@code detach()}). */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset, dtype);
    }

    // ---------------------------------------------------------------- in-place (underscore, as PyTorch)

    private void checkInPlace(String op) {
        if (GradMode.isEnabled() && requiresGrad()) {
            throw new IllegalStateException(op + ": a tensor that requires grad (shape " + Shape.str(shape)
                    + ") cannot be modified in place while grad mode is on; use GradMode.noGrad() or the out-of-place op");
        }
    }

    /**
     * Refuses an in-place update of a tensor whose elements share memory (an {@link #expand}ed view: stride 0
     * along a dimension longer than 1), where {@code x.add_(y)} would add several values into one storage
     * slot. PyTorch refuses the same ({@code at::assert_no_internal_overlap}); {@link #fill_} is exempt there
     * and here, since writing one value several times is harmless.
     */
    private void checkNoInternalOverlap(String op) {
        for (int d = 0; d < shape.length; d++) {
            if (strides[d] == 0 && shape[d] > 1) {
                throw new IllegalArgumentException(op + ": more than one element of the written-to tensor (shape "
                        + Shape.str(shape) + ", strides " + Arrays.toString(strides) + ") refers to a single"
                        + " memory location (an expanded view); clone() it before the in-place op");
            }
        }
    }

    /** Overwrites the values with {@code src} broadcast to this shape. */
    public Tensor copy_(Tensor src) {
        checkInPlace("copy_");
        checkNoInternalOverlap("copy_");
        Tensor s = src.expand(shape);
        // A source sharing this storage is read whole before anything is written (the views may overlap).
        if (s.storage == storage) s = of(s.toFloatArray(), shape);
        org.attn4j.kernels.StridedCopy.copy(s.storage.data, s.offset, s.strides, storage.data, offset, strides, shape);
        storage.bumpVersion();
        return this;
    }

    public Tensor fill_(float value) {
        checkInPlace("fill_");
        forEachIndex((i, p) -> storage.data[p] = value);
        storage.bumpVersion();
        return this;
    }

    public Tensor zero_() {
        return fill_(0f);
    }

    /** {@code this += alpha * other} (other broadcast to this shape). */
    public Tensor add_(Tensor other, float alpha) {
        checkInPlace("add_");
        checkNoInternalOverlap("add_");
        if (alpha == 1f && isDense() && Shape.equal(shape, other.shape) && other.storage != storage) {
            // The common case (a gradient into a gradient); the same bits as the loop below (1·v is exact).
            addDense(other);
            storage.bumpVersion();
            return this;
        }
        float[] d = storage.data;
        float[] v = other.expand(shape).toFloatArray();
        if (isDense()) {
            for (int i = 0; i < v.length; i++) d[i] += alpha * v[i];
        } else {
            forEachIndex((i, p) -> d[p] += alpha * v[i]);
        }
        storage.bumpVersion();
        return this;
    }

    public Tensor add_(Tensor other) {
        return add_(other, 1f);
    }

    /**
     * {@code this += other} for a dense tensor and another of its shape over a different storage: the vector kernel
     * over the pool, in place (no version bump; callers do it).
     */
    private void addDense(Tensor other) {
        float[] d = storage.data;
        Tensor oc = other.contiguous();
        float[] od = oc.storage.data;
        int oo = oc.offset;
        Parallel.forBlocks(d.length, (s, e) -> Elementwise.binary(Elementwise.Binary.ADD, d, s, 1, od, oo + s, 1, d, s, e - s));
    }

    public Tensor sub_(Tensor other) {
        return add_(other, -1f);
    }

    public Tensor mul_(float factor) {
        checkInPlace("mul_");
        checkNoInternalOverlap("mul_");
        float[] d = storage.data;
        forEachIndex((i, p) -> d[p] *= factor);
        storage.bumpVersion();
        return this;
    }

    /** Elementwise {@code this *= other} (broadcast to this shape). */
    public Tensor mul_(Tensor other) {
        checkInPlace("mul_");
        checkNoInternalOverlap("mul_");
        float[] v = other.expand(shape).toFloatArray();
        float[] d = storage.data;
        forEachIndex((i, p) -> d[p] *= v[i]);
        storage.bumpVersion();
        return this;
    }

    @FunctionalInterface
    private interface IndexVisitor {
        void visit(int logical, int physical);
    }

    /** Visits every element in row-major order with its storage position (odometer walk). */
    private void forEachIndex(IndexVisitor v) {
        int n = numel();
        if (n == 0) return;
        if (isContiguous()) {
            for (int i = 0; i < n; i++) v.visit(i, offset + i);
            return;
        }
        int r = shape.length;
        int[] idx = new int[r];
        int p = offset;
        for (int i = 0; i < n; i++) {
            v.visit(i, p);
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    p += strides[d];
                    break;
                }
                p -= (shape[d] - 1) * strides[d];
                idx[d] = 0;
            }
        }
    }

    /** A contiguous copy even when this tensor is already contiguous (no autograd). */
    public Tensor contiguousCopy() {
        float[] out = PrezeroedArrays.floats(numel());
        float[] d = storage.data;
        org.attn4j.kernels.StridedCopy.copy(d, offset, shape, strides, out);
        return of(out, shape).withDType(dtype);
    }

    // ---------------------------------------------------------------- views (org.attn4j.ops.Views)

    public Tensor view(int... newShape) { return Views.view(this, newShape); }
    public Tensor reshape(int... newShape) { return Views.reshape(this, newShape); }
    public Tensor permute(int... dims) { return Views.permute(this, dims); }
    public Tensor transpose(int dim0, int dim1) { return Views.transpose(this, dim0, dim1); }
    /** Transpose of a 2-D tensor (as {@code .t()}); 0-D and 1-D tensors are returned as they are. */
    public Tensor t() { return dim() < 2 ? this : Views.transpose(this, 0, 1); }
    /** Transposes the last two dimensions (as {@code .mT}). */
    public Tensor mT() { return Views.transpose(this, -2, -1); }
    public Tensor expand(int... newShape) { return Views.expand(this, newShape); }
    public Tensor narrow(int dim, int start, int length) { return Views.narrow(this, dim, start, length); }
    public Tensor select(int dim, int index) { return Views.select(this, dim, index); }
    public Tensor unsqueeze(int dim) { return Views.unsqueeze(this, dim); }
    public Tensor squeeze(int dim) { return Views.squeeze(this, dim); }
    public Tensor squeeze() { return Views.squeeze(this); }
    public Tensor flatten(int startDim, int endDim) { return Views.flatten(this, startDim, endDim); }
    public Tensor flatten() { return Views.flatten(this, 0, -1); }
    /** This tensor if already row-major, else a row-major copy (with autograd). */
    public Tensor contiguous() { return Views.contiguous(this); }

    // ---------------------------------------------------------------- arithmetic (org.attn4j.ops.Arithmetic)

    public Tensor add(Tensor o) { return Arithmetic.add(this, o); }
    public Tensor add(float s) { return Arithmetic.add(this, s); }
    public Tensor sub(Tensor o) { return Arithmetic.sub(this, o); }
    public Tensor sub(float s) { return Arithmetic.add(this, -s); }
    public Tensor mul(Tensor o) { return Arithmetic.mul(this, o); }
    public Tensor mul(float s) { return Arithmetic.mul(this, s); }
    public Tensor div(Tensor o) { return Arithmetic.div(this, o); }
    public Tensor div(float s) { return Arithmetic.div(this, s); }
    public Tensor pow(Tensor o) { return Arithmetic.pow(this, o); }
    public Tensor pow(float exponent) { return Arithmetic.pow(this, exponent); }
    public Tensor maximum(Tensor o) { return Arithmetic.maximum(this, o); }
    public Tensor minimum(Tensor o) { return Arithmetic.minimum(this, o); }
    public Tensor neg() { return UnaryMath.neg(this); }
    public Tensor sqrt() { return UnaryMath.sqrt(this); }
    public Tensor exp() { return UnaryMath.exp(this); }
    public Tensor log() { return UnaryMath.log(this); }
    public Tensor abs() { return UnaryMath.abs(this); }
    public Tensor erf() { return UnaryMath.erf(this); }
    public Tensor clamp(float min, float max) { return UnaryMath.clamp(this, min, max); }

    // ---------------------------------------------------------------- activations (org.attn4j.ops.Activations)

    public Tensor relu() { return Activations.relu(this); }
    public Tensor sigmoid() { return Activations.sigmoid(this); }
    public Tensor tanh() { return Activations.tanh(this); }
    public Tensor gelu() { return Activations.gelu(this, false); }
    public Tensor softmax(int dim) { return SoftmaxOps.softmax(this, dim); }
    public Tensor logSoftmax(int dim) { return SoftmaxOps.logSoftmax(this, dim); }

    // ---------------------------------------------------------------- products and reductions

    public Tensor matmul(Tensor o) { return MatMul.matmul(this, o); }
    public Tensor sum() { return Reductions.sum(this, null, false); }
    public Tensor sum(int dim, boolean keepDim) { return Reductions.sum(this, new int[] {dim}, keepDim); }
    public Tensor sum(int[] dims, boolean keepDim) { return Reductions.sum(this, dims, keepDim); }
    public Tensor mean() { return Reductions.mean(this, null, false); }
    public Tensor mean(int dim, boolean keepDim) { return Reductions.mean(this, new int[] {dim}, keepDim); }
    public Tensor mean(int[] dims, boolean keepDim) { return Reductions.mean(this, dims, keepDim); }
    public Tensor amax(int dim, boolean keepDim) { return Reductions.amax(this, new int[] {dim}, keepDim); }
    public Tensor max() { return Reductions.amax(this, null, false); }
    public Tensor min() { return Reductions.amin(this, null, false); }
    public Tensor argmax(int dim, boolean keepDim) { return Reductions.argmax(this, dim, keepDim); }

    // ---------------------------------------------------------------- indexing (org.attn4j.ops.Indexing)

    public Tensor maskedFill(Tensor mask, float value) { return Indexing.maskedFill(this, mask, value); }

    // ---------------------------------------------------------------- printing

    /** PyTorch-style rendering: values (summarised beyond 1000 elements), shape, and grad state. */
    @Override
    public String toString() {
        return TensorFormat.format(this);
    }
}
