package org.attn4j.models;

import org.attn4j.attention.KerasSelfAttention;
import org.attn4j.nn.LSTM;
import org.attn4j.nn.Linear;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The reference's Keras text classifier (seed 004) — bidirectional LSTM, {@code Self_Attention}, Dense — reading
 * an image as a sequence of its rows:
 * <pre>
 *   [B, 1, 28, 28] -> rows [B, T=28, 28] -> BiLSTM(64 per direction)  [B, 28, 128]
 *   -> KerasSelfAttention(128)  [B, 28, 128] -> mean over time  [B, 128]
 *   -> Dense(64, relu) -> Dense(classes)  logits
 * </pre>
 * The reference's model applies its Dense layers to every time step and so outputs one prediction per step; a
 * classifier needs one per sequence, so the attention output is averaged over time first (Keras'
 * {@code GlobalAveragePooling1D}). Its {@code Masking(mask_value=0)} has nothing to mask here: every row of an
 * image is a real step (see {@link LSTM}'s mask support for padded sequences). Softmax is left to the loss.
 */
public final class BiLstmAttentionClassifier extends UnaryModule {
    private final LSTM lstm;
    private final KerasSelfAttention attention;
    private final Linear fc1, fc2;
    private final int rows, cols;

    public BiLstmAttentionClassifier(int rows, int cols, int hidden, int numClasses, Generator g) {
        this.rows = rows;
        this.cols = cols;
        lstm = registerModule("lstm", new LSTM(cols, hidden, 1, true, true, 0.0, true, g));
        attention = registerModule("attention", new KerasSelfAttention(2 * hidden, 2 * hidden,
                KerasSelfAttention.Scale.OUTPUT_DIM, KerasSelfAttention.Initializer.GLOROT_UNIFORM, g));
        fc1 = registerModule("fc1", new Linear(2 * hidden, 64, true, g));
        fc2 = registerModule("fc2", new Linear(64, numClasses, true, g));
    }

    private Tensor sequence(Tensor x) {
        if (x.dim() != 4 || x.size(1) != 1 || x.size(2) != rows || x.size(3) != cols) {
            throw new IllegalArgumentException("BiLstmAttentionClassifier: expected images [B, 1, " + rows + ", " + cols + "], got "
                    + Shape.str(x.shape()));
        }
        return x.reshape(x.size(0), rows, cols);                     // [B, T, features]
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = lstm.forward(sequence(x)).output();               // [B, T, 2·hidden]
        Tensor a = attention.forward(h);                              // [B, T, 2·hidden]
        Tensor pooled = a.mean(1, false);                             // [B, 2·hidden]
        return fc2.forward(fc1.forward(pooled).relu());               // [B, classes]
    }
}
