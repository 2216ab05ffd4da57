package org.attn4j.testing;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * libtorch, in this JVM through DJL, as the oracle every attn4j op and module is checked against.
 *
 * <p>The engine starts once per test JVM (the first call), offline — Surefire sets {@code DJL_OFFLINE} and
 * {@code -Dai.djl.offline=true}; see shared/ORACLE.md. Each comparison runs inside its own sub-manager so
 * native memory is freed when it ends.
 */
public final class Torch {
    private Torch() {}

    private static NDManager root;

    /** The process-wide root manager of the PyTorch engine. */
    public static synchronized NDManager root() {
        if (root == null) {
            System.setProperty("ai.djl.offline", "true");
            root = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        }
        return root;
    }

    /** A fresh sub-manager; close it (try-with-resources) to free everything made under it. */
    public static NDManager scope() {
        return root().newSubManager();
    }

    /** Copies a tensor to libtorch (float32, or int64 for index tensors, bool for masks). */
    public static NDArray nd(NDManager m, Tensor t) {
        long[] shape = new long[t.dim()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.size(i);
        NDArray a = m.create(t.toFloatArray(), new ai.djl.ndarray.types.Shape(shape));
        return switch (t.dtype()) {
            case FLOAT32 -> a;
            case INT64 -> a.toType(DataType.INT64, false);
            case BOOL -> a.toType(DataType.BOOLEAN, false);
        };
    }

    /** Copies a libtorch array back as a float32 tensor. */
    public static Tensor tensor(NDArray a) {
        long[] s = a.getShape().getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = (int) s[i];
        float[] v = a.toType(DataType.FLOAT32, false).toFloatArray();
        return Tensor.of(v, shape);
    }

    /** Forward output and input gradients, as computed by one side. */
    public record Result(Tensor output, List<Tensor> grads) {}

    /**
     * Runs {@code f} in libtorch on copies of {@code inputs}, backpropagating {@code sum(out * upstream)};
     * returns the output and the gradient of every input that requires grad (null for the others).
     */
    public static Result run(List<Tensor> inputs, Function<List<NDArray>, NDArray> f, Tensor upstream) {
        try (NDManager m = scope()) {
            List<NDArray> arrays = new ArrayList<>();
            for (Tensor t : inputs) {
                NDArray a = nd(m, t);
                if (t.requiresGrad()) a.setRequiresGradient(true);
                arrays.add(a);
            }
            NDArray out;
            List<Tensor> grads = new ArrayList<>();
            if (upstream == null) {
                out = f.apply(arrays);
                return new Result(tensor(out), grads);
            }
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                out = f.apply(arrays);
                gc.backward(out.mul(nd(m, upstream)).sum());
            }
            for (int i = 0; i < inputs.size(); i++) {
                grads.add(inputs.get(i).requiresGrad() ? tensor(arrays.get(i).getGradient()) : null);
            }
            return new Result(tensor(out), grads);
        }
    }

    /** Runs {@code f} in attn4j the same way: forward, then backward of {@code sum(out * upstream)}. */
    public static Result runOurs(List<Tensor> inputs, Function<List<Tensor>, Tensor> f, Tensor upstream) {
        List<Tensor> leaves = new ArrayList<>();
        for (Tensor t : inputs) {
            Tensor leaf = t.detach();
            if (t.requiresGrad()) leaf.requiresGrad(true);
            leaves.add(leaf);
        }
        Tensor out = f.apply(leaves);
        List<Tensor> grads = new ArrayList<>();
        if (upstream != null) {
            out.backward(upstream);
            for (Tensor l : leaves) grads.add(l.requiresGrad() ? l.grad() : null);
        }
        return new Result(out.detach(), grads);
    }

    /**
     * Checks forward and backward of an op against libtorch: same inputs, a random upstream gradient,
     * output and every input gradient compared within {@code atol + rtol * |expected|}.
     */
    public static void check(String what, List<Tensor> inputs, Function<List<Tensor>, Tensor> ours,
                             Function<List<NDArray>, NDArray> theirs, double atol, double rtol, long seed) {
        Result mine = runOurs(inputs, ours, null);
        boolean anyGrad = inputs.stream().anyMatch(Tensor::requiresGrad);
        Tensor upstream = anyGrad ? Tensor.randn(new org.attn4j.tensor.Generator(seed ^ 0x9E3779B97F4A7C15L), mine.output().shape()) : null;
        if (anyGrad) mine = runOurs(inputs, ours, upstream);
        Result ref = run(inputs, theirs, upstream);
        Assertions2.assertClose(what + " forward", ref.output(), mine.output(), atol, rtol);
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).requiresGrad()) continue;
            Tensor g = mine.grads().get(i);
            if (g == null) throw new AssertionError(what + ": attn4j produced no gradient for input " + i);
            Assertions2.assertClose(what + " grad of input " + i, ref.grads().get(i), g, atol, rtol);
        }
    }

    /**
     * A 0-d float32 constant allocated by libtorch, to scale with: {@code x.mul(Torch.scalar(x, s))}. Never use
     * {@code x.mul(float)}, {@code div(float)} or {@code pow(float)} on anything that is backpropagated: DJL builds
     * that scalar on a Java buffer it frees right after the op, while libtorch's autograd keeps it for the backward;
     * after a GC the gradients read freed memory.
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new ai.djl.ndarray.types.Shape(), (float) value);
    }

    /** Shape of a tensor as DJL wants it. */
    public static ai.djl.ndarray.types.Shape shapeOf(int... s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return new ai.djl.ndarray.types.Shape(l);
    }

    static String str(Tensor t) {
        return Shape.str(t.shape());
    }
}
