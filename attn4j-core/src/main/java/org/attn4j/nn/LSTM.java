package org.attn4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.attn4j.ops.Indexing;
import org.attn4j.ops.Joining;
import org.attn4j.ops.MatMul;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0,
 * bidirectional=False)}:
 * a multi-layer long short-term memory network, composed from matmul, sigmoid and tanh ops so that autograd
 * reaches every parameter. For each step t, with PyTorch's gate order i, f, g, o:
 * <pre>
 *   [i, f, g, o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
 *   i, f, o = σ(i), σ(f), σ(o);   g = tanh(g)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g;    h_t = o ⊙ tanh(c_t)
 * </pre>
 * Layer k > 0 reads the output of layer k-1 (both directions concatenated). The reverse direction runs the
 * sequence from its last step to its first.
 *
 * <p>Parameters, per layer k and direction (suffix {@code _reverse} for the backward one), in PyTorch's order:
 * {@code weight_ih_l{k} [4H, in]}, {@code weight_hh_l{k} [4H, H]}, {@code bias_ih_l{k} [4H]},
 * {@code bias_hh_l{k} [4H]} (no biases when {@code bias} is false); all initialised U(-1/√H, 1/√H), as
 * PyTorch's {@code reset_parameters}. A PyTorch LSTM's state dict loads unchanged.
 *
 * <p>Shapes (L layers, D = 2 if bidirectional else 1): input {@code [T, B, in]} ({@code [B, T, in]} with
 * batch_first; {@code [T, in]} unbatched); output {@code [T, B, D·H]} ({@code [B, T, D·H]}); h_n and c_n
 * {@code [L·D, B, H]} (index {@code layer·D + direction}), as are the optional h0, c0 (zeros when absent).
 *
 * <p><b>Variable lengths.</b> {@link #forward(Tensor, int[])} takes each sequence's length, and
 * {@link #forward(Tensor, Tensor, Tensor, Tensor)} a bool mask {@code [B, T]} (true = real step; always
 * batch-major, like PyTorch's {@code key_padding_mask}). A masked step neither updates the state (h and c carry
 * over unchanged) nor produces output (zeros), in both directions. With lengths (a mask that is true for the
 * first {@code len} steps) this is exactly {@code pack_padded_sequence(x, lengths, enforce_sorted=False)} →
 * LSTM → {@code pad_packed_sequence}: outputs past each length are zero, h_n/c_n are each sequence's state at
 * its own last step, and the reverse direction starts at step {@code len-1}. With an arbitrary mask it is
 * Keras' {@code Masking} followed by {@code Bidirectional(LSTM(..., return_sequences=True))}: Keras carries the
 * state over masked steps and, because Bidirectional forces {@code zero_output_for_mask} when returning
 * sequences, outputs zeros there; its backward layer runs over the reversed sequence and mask, as here.
 */
public final class LSTM extends Module {
    private final int inputSize, hiddenSize, numLayers;
    private final boolean bias, batchFirst, bidirectional;
    private final double dropout;
    private final Generator generator;

    /** Output at every step and the final states. */
    public record Result(Tensor output, Tensor hN, Tensor cN) {}

    /** One layer, with biases, time-major, unidirectional; initialised from the default generator. */
    public LSTM(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0, false, Generator.defaultGenerator());
    }

    /**
     * PyTorch's arguments in PyTorch's order. {@code dropout} is applied (in training) to the output of every
     * layer but the last, as PyTorch does; {@code generator} initialises the parameters and draws those masks.
     */
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                boolean bidirectional, Generator generator) {
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
            throw new IllegalArgumentException("LSTM: input_size, hidden_size and num_layers must be positive, got "
                    + inputSize + ", " + hiddenSize + ", " + numLayers);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("LSTM: dropout should be a number in range [0, 1] representing the"
                    + " probability of an element being zeroed, got " + dropout);
        }
        this.dropout = dropout;
        this.generator = generator;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.bias = bias;
        this.batchFirst = batchFirst;
        this.bidirectional = bidirectional;
        int dirs = directions(), gates = 4 * hiddenSize;
        for (int layer = 0; layer < numLayers; layer++) {
            int layerInput = layer == 0 ? inputSize : hiddenSize * dirs;
            for (int dir = 0; dir < dirs; dir++) {
                String sfx = suffix(layer, dir);
                registerParameter("weight_ih" + sfx, Tensor.zeros(gates, layerInput));
                registerParameter("weight_hh" + sfx, Tensor.zeros(gates, hiddenSize));
                if (bias) {
                    registerParameter("bias_ih" + sfx, Tensor.zeros(gates));
                    registerParameter("bias_hh" + sfx, Tensor.zeros(gates));
                }
            }
        }
        resetParameters(generator);
    }

    private static String suffix(int layer, int dir) {
        return "_l" + layer + (dir == 1 ? "_reverse" : "");
    }

    /** Every parameter U(-1/√H, 1/√H), as PyTorch's {@code RNNBase.reset_parameters}. */
    public void resetParameters(Generator g) {
        double stdv = 1.0 / Math.sqrt(hiddenSize);
        for (Tensor p : parameters()) Init.uniform_(p, -stdv, stdv, g);
    }

    public int inputSize() { return inputSize; }
    public int hiddenSize() { return hiddenSize; }
    public int numLayers() { return numLayers; }
    public boolean isBidirectional() { return bidirectional; }
    public boolean isBatchFirst() { return batchFirst; }

    private int directions() {
        return bidirectional ? 2 : 1;
    }

    /** Zero initial state, every step real. */
    public Result forward(Tensor x) {
        return forward(x, null, null, null);
    }

    /** Given initial state {@code h0, c0} ({@code [L·D, B, H]}, or both null for zeros), every step real. */
    public Result forward(Tensor x, Tensor h0, Tensor c0) {
        return forward(x, null, h0, c0);
    }

    /**
     * Zero initial state; sequence b has {@code lengths[b]} real steps followed by padding (0 <= length <= T),
     * as {@code pack_padded_sequence}. See the class comment for the semantics.
     */
    public Result forward(Tensor x, int[] lengths) {
        boolean batched = x.dim() == 3;
        int t = x.dim() == 0 ? 0 : x.size(batched && batchFirst ? 1 : 0);
        int batch = batched ? x.size(batchFirst ? 0 : 1) : 1;
        if (lengths.length != batch) {
            throw new IllegalArgumentException(header() + ": " + lengths.length + " lengths for a batch of " + batch
                    + " (input " + Shape.str(x.shape()) + ")");
        }
        Tensor mask = lengthsMask(lengths, t);
        return forward(x, batched ? mask : mask.reshape(t), null, null);
    }

    /**
     * The general form. {@code mask} is bool {@code [B, T]} ({@code [T]} for unbatched input), true where a step
     * is real, or null for all real; {@code h0, c0} are both given or both null.
     */
    public Result forward(Tensor x, Tensor mask, Tensor h0, Tensor c0) {
        if (x.dim() != 2 && x.dim() != 3 || x.size(-1) != inputSize) {
            String layout = batchFirst ? "[batch, seq_len, " : "[seq_len, batch, ";
            throw new IllegalArgumentException(header() + ": expected input " + layout + inputSize + "] or [seq_len, "
                    + inputSize + "], got " + Shape.str(x.shape()));
        }
        if ((h0 == null) != (c0 == null)) {
            throw new IllegalArgumentException(header() + ": give both h0 and c0 or neither");
        }
        boolean batched = x.dim() == 3;
        if (!batched) {
            Result r = forward(x.unsqueeze(batchFirst ? 0 : 1), mask == null ? null : mask.unsqueeze(0),
                    h0 == null ? null : h0.unsqueeze(1), c0 == null ? null : c0.unsqueeze(1));
            return new Result(r.output.squeeze(batchFirst ? 0 : 1), r.hN.squeeze(1), r.cN.squeeze(1));
        }
        Tensor seq = batchFirst ? x.transpose(0, 1) : x;          // [T, B, in]
        int steps = seq.size(0), batch = seq.size(1);
        int[] stateShape = {numLayers * directions(), batch, hiddenSize};
        checkState("h0", h0, stateShape);
        checkState("c0", c0, stateShape);
        Steps real = readMask(mask, batch, steps);

        Tensor layerInput = seq;
        List<Tensor> hs = new ArrayList<>(), cs = new ArrayList<>();
        for (int layer = 0; layer < numLayers; layer++) {
            List<Tensor> dirOutputs = new ArrayList<>();
            for (int dir = 0; dir < directions(); dir++) {
                int k = layer * directions() + dir;
                Tensor[] state = {
                    h0 == null ? Tensor.zeros(batch, hiddenSize) : h0.select(0, k),
                    c0 == null ? Tensor.zeros(batch, hiddenSize) : c0.select(0, k)};
                dirOutputs.add(runDirection(layerInput, suffix(layer, dir), dir == 1, real, state));
                hs.add(state[0]);
                cs.add(state[1]);
            }
            layerInput = dirOutputs.size() == 1 ? dirOutputs.get(0) : Joining.cat(dirOutputs, 2);
            if (layer < numLayers - 1) {
                layerInput = org.attn4j.ops.Dropout.dropout(layerInput, (float) dropout, isTraining(), generator);
            }
        }
        Tensor output = batchFirst ? layerInput.transpose(0, 1) : layerInput;
        return new Result(output, Joining.stack(hs, 0), Joining.stack(cs, 0));
    }

    /**
     * One layer in one direction over time-major {@code input [T, B, in]}; {@code state} holds h and c on entry
     * and their final values on return. Returns the outputs {@code [T, B, H]}.
     */
    private Tensor runDirection(Tensor input, String sfx, boolean reverse, Steps real, Tensor[] state) {
        int steps = input.size(0), batch = input.size(1), hid = hiddenSize;
        Tensor wHh = parameter("weight_hh" + sfx);
        Tensor bHh = bias ? parameter("bias_hh" + sfx) : null;
        // The input projection of every step in one GEMM; only the recurrent product remains per step.
        Tensor xProj = MatMul.linear(input, parameter("weight_ih" + sfx), bias ? parameter("bias_ih" + sfx) : null);
        Tensor zeros = Tensor.zeros(batch, hid);
        Tensor h = state[0], c = state[1];
        Tensor[] outputs = new Tensor[steps];
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            if (real.empty[t]) {
                outputs[t] = zeros;
                continue;
            }
            Tensor stepMask = real.columns[t];
            Tensor gates = xProj.select(0, t).add(MatMul.linear(h, wHh, bHh));
            Tensor i = gates.narrow(1, 0, hid).sigmoid();
            Tensor f = gates.narrow(1, hid, hid).sigmoid();
            Tensor g = gates.narrow(1, 2 * hid, hid).tanh();
            Tensor o = gates.narrow(1, 3 * hid, hid).sigmoid();
            Tensor cNew = f.mul(c).add(i.mul(g));
            Tensor hNew = o.mul(cNew.tanh());
            if (stepMask == null) {
                h = hNew;
                c = cNew;
                outputs[t] = hNew;
            } else {
                h = Indexing.where(stepMask, hNew, h);
                c = Indexing.where(stepMask, cNew, c);
                outputs[t] = Indexing.where(stepMask, hNew, zeros);
            }
        }
        state[0] = h;
        state[1] = c;
        return Joining.stack(Arrays.asList(outputs), 0);
    }

    /**
     * The mask split by step: {@code columns[t]} is the bool column {@code [B, 1]} of step t, or null where every
     * sequence is real (always, without a mask); {@code empty[t]} is true where none is (the step is skipped).
     */
    private record Steps(Tensor[] columns, boolean[] empty) {}

    private Steps readMask(Tensor mask, int batch, int steps) {
        if (mask == null) return new Steps(new Tensor[steps], new boolean[steps]);
        if (mask.dtype() != DType.BOOL || !Shape.equal(mask.shape(), new int[] {batch, steps})) {
            throw new IllegalArgumentException(header() + ": mask must be bool [batch, seq_len] = " + Shape.str(new int[] {batch, steps})
                    + ", got " + mask.dtype().torchName() + " " + Shape.str(mask.shape()));
        }
        float[] m = mask.toFloatArray();
        Tensor[] columns = new Tensor[steps];
        boolean[] empty = new boolean[steps];
        for (int t = 0; t < steps; t++) {
            boolean[] col = new boolean[batch];
            int count = 0;
            for (int b = 0; b < batch; b++) {
                col[b] = m[b * steps + t] != 0;
                if (col[b]) count++;
            }
            empty[t] = count == 0;
            if (count > 0 && count < batch) columns[t] = Tensor.ofBooleans(col, batch, 1);
        }
        return new Steps(columns, empty);
    }

    private void checkState(String name, Tensor s, int[] expected) {
        if (s != null && !Shape.equal(s.shape(), expected)) {
            throw new IllegalArgumentException(header() + ": expected " + name + " of shape " + Shape.str(expected)
                    + " [num_layers * num_directions, batch, hidden_size], got " + Shape.str(s.shape()));
        }
    }

    /**
     * The bool mask {@code [B, maxLen]} that is true for the first {@code lengths[b]} steps of row b — what
     * {@link #forward(Tensor, int[])} uses.
     */
    public static Tensor lengthsMask(int[] lengths, int maxLen) {
        boolean[] m = new boolean[lengths.length * maxLen];
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 0 || lengths[b] > maxLen) {
                throw new IllegalArgumentException("LSTM: length " + lengths[b] + " of sequence " + b
                        + " is outside [0, " + maxLen + "] (the padded sequence length)");
            }
            for (int t = 0; t < lengths[b]; t++) m[b * maxLen + t] = true;
        }
        return Tensor.ofBooleans(m, lengths.length, maxLen);
    }

    /** PyTorch's {@code RNNBase.extra_repr}: sizes, then only the settings that differ from the defaults. */
    @Override
    public String extraRepr() {
        StringBuilder sb = new StringBuilder().append(inputSize).append(", ").append(hiddenSize);
        if (numLayers != 1) sb.append(", num_layers=").append(numLayers);
        if (!bias) sb.append(", bias=False");
        if (batchFirst) sb.append(", batch_first=True");
        if (dropout != 0) sb.append(", dropout=").append(Repr.pyFloat(dropout));
        if (bidirectional) sb.append(", bidirectional=True");
        return sb.toString();
    }
}
