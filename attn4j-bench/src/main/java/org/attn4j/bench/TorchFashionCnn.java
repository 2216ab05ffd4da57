package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.attn4j.tensor.Tensor;

/**
 * attn4j's {@code FashionCnn} ({@code cnn} or {@code cnn-cbam}) composed from libtorch ops through DJL, with
 * its weights copied from an attn4j state dict, trained by plain SGD done by hand on the NDArrays:
 * <pre>
 *   stage: conv3x3(pad 1, no bias)-BN-ReLU, conv3x3-BN-ReLU, [CBAM], max_pool2d(2)      (twice)
 *   head:  flatten, linear(3136, 256), ReLU, linear(256, 10)          (dropout left out: the parity run has p = 0)
 *   CBAM:  x * sigmoid(fc2(relu(fc1(avgpool x))) + fc2(relu(fc1(maxpool x)))), then
 *          x * sigmoid(conv7x7(cat[mean_c x, max_c x]))
 * </pre>
 * Backward is libtorch's autograd (DJL's {@link GradientCollector}). Batch norm runs in training mode with
 * PyTorch's momentum 0.1; DJL's {@code batchNorm} takes MXNet's convention (the weight of the old value) and
 * hands libtorch {@code 1 - momentum}, so it is given 0.9.
 */
final class TorchFashionCnn implements AutoCloseable {
    private final NDManager manager;
    private final boolean cbam;
    /** Parameters by attn4j state-dict name (they require grad), then the batch-norm running buffers. */
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();

    /**
     * @param state attn4j's {@code stateDict()} of a {@code FashionCnn}
     * @param paramNames which of its entries are parameters (the others are buffers)
     */
    TorchFashionCnn(NDManager parent, Map<String, Tensor> state, java.util.Set<String> paramNames) {
        manager = parent.newSubManager();
        cbam = state.containsKey("stage1.6.channelattention.fc1.weight");
        for (var e : state.entrySet()) {
            if (e.getKey().endsWith("num_batches_tracked")) continue;
            NDArray a = nd(manager, e.getValue());
            if (paramNames.contains(e.getKey())) {
                a.setRequiresGradient(true);
                params.put(e.getKey(), a);
            } else {
                buffers.put(e.getKey(), a);
            }
        }
    }

    static NDArray nd(NDManager m, Tensor t) {
        long[] shape = new long[t.dim()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.size(i);
        return m.create(t.toFloatArray(), new Shape(shape));
    }

    /** The parameters by attn4j name. */
    Map<String, NDArray> params() {
        return params;
    }

    /**
     * One SGD step on a batch: forward, mean cross-entropy, backward, {@code p -= lr * grad}. Returns the
     * loss. {@code images} {@code [B, 1, 28, 28]} and {@code oneHot} {@code [B, 10]} live in {@code step},
     * a sub-manager the caller closes afterwards (it holds every intermediate).
     */
    float step(NDArray images, NDArray oneHot, float lr) {
        for (NDArray p : params.values()) JniUtils.zeroGrad((PtNDArray) p);
        float loss;
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray logits = forward(images);
            // The batch size as a tensor in images' manager, alive until the step's manager closes: div(long) would
            // close DJL's scalar tensor at once while autograd keeps it for the backward (a use after free).
            NDArray batch = images.getManager().create((float) images.getShape().get(0));
            NDArray l = logits.logSoftmax(1).mul(oneHot).sum().neg().div(batch);
            gc.backward(l);
            loss = l.getFloat();
        }
        // Outside the collector grad mode is off, so the leaves can be updated in place.
        for (NDArray p : params.values()) {
            try (NDArray g = p.getGradient(); NDArray d = g.mul(lr)) {
                p.subi(d);
            }
        }
        return loss;
    }

    NDArray forward(NDArray x) {
        NDArray h = stage(x, "stage1.");
        h = stage(h, "stage2.");
        long b = h.getShape().get(0);
        h = h.reshape(b, -1);
        h = Activation.relu(Linear.linear(h, params.get("head.2.weight"), params.get("head.2.bias")).singletonOrThrow());
        return Linear.linear(h, params.get("head.5.weight"), params.get("head.5.bias")).singletonOrThrow();
    }

    private NDArray stage(NDArray x, String p) {
        NDArray h = convBnRelu(x, p + "0.weight", p + "1.");
        h = convBnRelu(h, p + "3.weight", p + "4.");
        if (cbam) h = cbam(h, p + "6.");
        return Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    }

    private NDArray convBnRelu(NDArray x, String conv, String bn) {
        NDArray h = conv(x, params.get(conv), 1);
        h = BatchNorm.batchNorm(h, buffers.get(bn + "running_mean"), buffers.get(bn + "running_var"),
                params.get(bn + "weight"), params.get(bn + "bias"), 1, 0.9f, 1e-5f, true).singletonOrThrow();
        return Activation.relu(h);
    }

    private static NDArray conv(NDArray x, NDArray w, int padding) {
        return Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    private NDArray cbam(NDArray x, String p) {
        NDArray fc1 = params.get(p + "channelattention.fc1.weight"), fc2 = params.get(p + "channelattention.fc2.weight");
        NDArray avg = JniUtils.adaptiveAvgPool((PtNDArray) x, new Shape(1, 1));
        NDArray max = JniUtils.adaptiveMaxPool((PtNDArray) x, new Shape(1, 1));
        NDArray avgOut = conv(Activation.relu(conv(avg, fc1, 0)), fc2, 0);
        NDArray maxOut = conv(Activation.relu(conv(max, fc1, 0)), fc2, 0);
        x = x.mul(Activation.sigmoid(avgOut.add(maxOut)));
        NDArray both = NDArrays.concat(new NDList(x.mean(new int[] {1}, true), x.max(new int[] {1}, true)), 1);
        NDArray spatial = Activation.sigmoid(conv(both, params.get(p + "spatialattention.conv1.weight"), 3));
        return x.mul(spatial);
    }

    @Override
    public void close() {
        manager.close();
    }
}
