package org.attn4j.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The reference's SE / CBAM / ECA formulas written with libtorch ops through DJL — what the attn4j
 * blocks are compared against. Each mirrors the reference's PyTorch forward line by line.
 */
final class ConvAttentionReference {
    private ConvAttentionReference() {}

    static NDArray avgPool1(NDArray x) {
        return JniUtils.adaptiveAvgPool((PtNDArray) x, new Shape(1, 1));
    }

    static NDArray maxPool1(NDArray x) {
        return JniUtils.adaptiveMaxPool((PtNDArray) x, new Shape(1, 1));
    }

    static NDArray conv2d(NDArray x, NDArray w, int padding) {
        return Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow();
    }

    /** se_block.forward */
    static NDArray se(NDArray x, NDArray fc0, NDArray fc2) {
        long b = x.getShape().get(0), c = x.getShape().get(1);
        NDArray y = avgPool1(x).reshape(b, c);
        y = y.matMul(fc0.transpose()).getNDArrayInternal().relu().matMul(fc2.transpose());
        y = y.getNDArrayInternal().sigmoid().reshape(b, c, 1, 1);
        return x.mul(y);
    }

    /** ChannelAttention.forward */
    static NDArray channelAttention(NDArray x, NDArray fc1, NDArray fc2) {
        NDArray avgOut = conv2d(conv2d(avgPool1(x), fc1, 0).getNDArrayInternal().relu(), fc2, 0);
        NDArray maxOut = conv2d(conv2d(maxPool1(x), fc1, 0).getNDArrayInternal().relu(), fc2, 0);
        return avgOut.add(maxOut).getNDArrayInternal().sigmoid();
    }

    /** SpatialAttention.forward */
    static NDArray spatialAttention(NDArray x, NDArray conv1, int kernel) {
        NDArray avgOut = x.mean(new int[] {1}, true);
        NDArray maxOut = x.max(new int[] {1}, true);
        NDArray both = NDArrays.concat(new NDList(avgOut, maxOut), 1);
        return conv2d(both, conv1, kernel == 7 ? 3 : 1).getNDArrayInternal().sigmoid();
    }

    /** cbam_block.forward */
    static NDArray cbam(NDArray x, NDArray fc1, NDArray fc2, NDArray conv1, int kernel) {
        x = x.mul(channelAttention(x, fc1, fc2));
        return x.mul(spatialAttention(x, conv1, kernel));
    }

    /** eca_block.forward */
    static NDArray eca(NDArray x, NDArray conv, int k) {
        NDArray y = avgPool1(x);
        y = y.squeeze(-1).transpose(0, 2, 1);
        y = Conv1d.conv1d(y, conv, null, new Shape(1), new Shape((k - 1) / 2), new Shape(1), 1).singletonOrThrow();
        y = y.transpose(0, 2, 1).expandDims(-1).getNDArrayInternal().sigmoid();
        return x.mul(y.broadcast(x.getShape()));
    }

    private static final class NDArrays {
        static NDArray concat(NDList list, int axis) {
            return ai.djl.ndarray.NDArrays.concat(list, axis);
        }
    }
}
