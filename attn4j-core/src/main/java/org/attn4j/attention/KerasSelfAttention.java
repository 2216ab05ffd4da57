package org.attn4j.attention;

import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Init;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * The Keras {@code Self_Attention(output_dim)} layer of reference 004: one weight {@code kernel} of shape
 * {@code [3, input_dim, output_dim]} holding the query, key and value projections (no biases), and
 * <pre>
 *   WQ, WK, WV = K.dot(x, kernel[0]), K.dot(x, kernel[1]), K.dot(x, kernel[2])
 *   QK = softmax(K.batch_dot(WQ, WKᵀ) / 64 ** 0.5)
 *   V  = K.batch_dot(QK, WV)
 * </pre>
 * Shapes: x {@code [B, T, input_dim]} → {@code [B, T, output_dim]} (the reference's
 * {@code compute_output_shape}).
 *
 * <p><b>Scale.</b> The reference divides by {@code 64 ** 0.5} whatever the sizes (its comment guesses
 * {@code seq_len} is 64; the formula it quotes is {@code QKᵀ/√d_k}, with d_k the width of Q and K, which is
 * output_dim). By default this layer divides by {@code √output_dim}; {@link Scale#REFERENCE_64} reproduces the
 * reference's fixed {@code √64 = 8}. The two agree when output_dim is 64.
 *
 * <p><b>Initialisation.</b> {@link Initializer#GLOROT_UNIFORM} by default — Keras' default kernel initialiser,
 * whose fans for a 3-D shape {@code (3, in, out)} are {@code fan_in = 3·in}, {@code fan_out = 3·out} (Keras'
 * {@code _compute_fans} multiplies by the leading "receptive field" dim), so the bound is
 * {@code √(6 / (3·in + 3·out))}. The reference itself passes {@code initializer='uniform'}, Keras'
 * {@code RandomUniform(-0.05, 0.05)}: {@link Initializer#UNIFORM}.
 *
 * <p><b>Build.</b> As in Keras, the kernel's input size comes from the first input unless given:
 * {@link #KerasSelfAttention(int)} builds on the first {@link #forward} (or an explicit {@link #build}), after
 * which the state dict holds {@code kernel}; {@link #KerasSelfAttention(int, int, Scale, Initializer, Generator)}
 * builds at once (load a state dict into that one).
 *
 * <p><b>Mask.</b> The reference model puts {@code Masking(mask_value=0)} and a bidirectional LSTM before this
 * layer; the layer itself ignores masks (it declares no {@code supports_masking}). {@link #forward(Tensor, Tensor)}
 * accepts the Keras mask {@code [B, T]} (true / non-zero = a real time step) and applies the usual meaning: masked
 * time steps are excluded as keys (their weight is 0 in every query's softmax); queries at masked steps are still
 * computed (downstream Keras layers would ignore them through the propagated mask). A sample whose steps are all
 * masked gets zero output. Without a mask the layer is the reference exactly.
 *
 * <p>State dict: {@code kernel [3, input_dim, output_dim]}.
 */
public final class KerasSelfAttention extends UnaryModule {
    /** How QKᵀ is scaled. */
    public enum Scale {
        /** {@code 1/√output_dim}: the formula's √d_k (default). */
        OUTPUT_DIM,
        /** {@code 1/√64}, as the reference hard-codes. */
        REFERENCE_64
    }

    /** The kernel's initialiser. */
    public enum Initializer {
        /** Keras' {@code glorot_uniform} with Keras' fans for a 3-D kernel (default). */
        GLOROT_UNIFORM,
        /** Keras' {@code 'uniform'}: U(-0.05, 0.05), what the reference asks for. */
        UNIFORM
    }

    private final int outputDim;
    private final Scale scale;
    private final Initializer initializer;
    private final Generator generator;
    private int inputDim = -1;

    /** Built lazily from the first input; scale 1/√output_dim, glorot_uniform, the default generator. */
    public KerasSelfAttention(int outputDim) {
        this(-1, outputDim, Scale.OUTPUT_DIM, Initializer.GLOROT_UNIFORM, Generator.defaultGenerator());
    }

    /**
     * @param inputDim the last dim of the input, or -1 to build from the first input as Keras does
     */
    public KerasSelfAttention(int inputDim, int outputDim, Scale scale, Initializer initializer, Generator generator) {
        if (outputDim <= 0) throw new IllegalArgumentException("KerasSelfAttention: output_dim must be positive, got " + outputDim);
        if (inputDim == 0 || inputDim < -1) {
            throw new IllegalArgumentException("KerasSelfAttention: input_dim must be positive (or -1 to build lazily), got " + inputDim);
        }
        this.outputDim = outputDim;
        this.scale = scale;
        this.initializer = initializer;
        this.generator = generator;
        registerParameter("kernel", null);
        if (inputDim > 0) build(inputDim);
    }

    /** Creates the kernel {@code [3, inputDim, output_dim]} (Keras' {@code build}); an error if already built. */
    public void build(int inputDim) {
        if (this.inputDim > 0) {
            throw new IllegalArgumentException(header() + ": already built for input_dim=" + this.inputDim + ", cannot build for "
                    + inputDim);
        }
        if (inputDim <= 0) throw new IllegalArgumentException(header() + ": input_dim must be positive, got " + inputDim);
        Tensor kernel = Tensor.zeros(3, inputDim, outputDim);
        if (initializer == Initializer.UNIFORM) {
            Init.uniform_(kernel, -0.05, 0.05, generator);
        } else {
            double limit = Math.sqrt(6.0 / (3.0 * inputDim + 3.0 * outputDim));
            Init.uniform_(kernel, -limit, limit, generator);
        }
        this.inputDim = inputDim;
        registerParameter("kernel", kernel);
    }

    public boolean isBuilt() {
        return inputDim > 0;
    }

    /** {@code [B, T, input_dim] -> [B, T, output_dim]}, the reference's {@code call}. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /** With a Keras mask {@code [B, T]} (true / non-zero = real step; null for none). */
    public Tensor forward(Tensor x, Tensor mask) {
        return attend(x, mask, false).output();
    }

    /** The forward, with the weights {@code [B, T, T]} when {@code needWeights}. */
    public ScaledDotProductAttention.Result attend(Tensor x, Tensor mask, boolean needWeights) {
        if (x == null || x.dim() != 3) {
            throw new IllegalArgumentException(header() + ": input x of shape " + (x == null ? "null" : AttentionChecks.str(x))
                    + " must be [batch, time_steps, features]");
        }
        if (!isBuilt()) build(x.size(2));
        if (x.size(2) != inputDim) {
            throw new IllegalArgumentException(header() + ": input x of shape " + AttentionChecks.str(x)
                    + " must be [batch, time_steps, " + inputDim + "] (the kernel was built for input_dim=" + inputDim + ")");
        }
        Tensor keep = null;
        if (mask != null) {
            if (mask.dim() != 2 || mask.size(0) != x.size(0) || mask.size(1) != x.size(1)) {
                throw new IllegalArgumentException(header() + ": mask of shape " + AttentionChecks.str(mask) + " must be [batch, time_steps] = "
                        + AttentionChecks.dims(x.size(0), x.size(1)) + " for x of shape " + AttentionChecks.str(x));
            }
            keep = AttentionChecks.nonZero(mask).unsqueeze(1);                      // [B, 1, T]: masks keys
        }
        Tensor kernel = parameter("kernel");
        Tensor wq = x.matmul(kernel.select(0, 0)), wk = x.matmul(kernel.select(0, 1)), wv = x.matmul(kernel.select(0, 2));
        Options o = Options.none().withScale(scale == Scale.REFERENCE_64 ? 1.0 / 8 : 1 / Math.sqrt(outputDim));
        if (keep != null) o = o.withMask(keep);
        return ScaledDotProductAttention.compute(wq, wk, wv, o, needWeights);
    }

    public int outputDim() {
        return outputDim;
    }

    /** The kernel's input size, or -1 before it is built. */
    public int inputDim() {
        return inputDim;
    }

    public Scale scale() {
        return scale;
    }

    @Override
    public String header() {
        return "KerasSelfAttention(output_dim=" + outputDim + (scale == Scale.REFERENCE_64 ? ", scale=1/sqrt(64)" : "") + ")";
    }
}
