package org.attn4j.attention;

import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Linear;
import org.attn4j.nn.UnaryModule;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * The single-head {@code SelfAttention(input_size=1, num_heads=1)} of reference 000: query, key and value
 * projections, scaled dot-product attention, then an output projection {@code out}:
 * <pre>
 *   queries, keys, values = self.query(x), self.key(x), self.value(x)
 *   attention = softmax(queries @ keys.T / head_size ** 0.5)
 *   output = self.out(attention @ values)
 * </pre>
 * It differs from {@link SelfAttention} (reference 003) in its parameter names ({@code query}, {@code key},
 * {@code value}, {@code out} instead of {@code q}, {@code k}, {@code v}), in the output projection, and in
 * keeping the feature width: every projection is {@code Linear(input_size, input_size)}.
 *
 * <p>The reference ignores its arguments: it hard-codes {@code num_heads = 1}, {@code head_size = 1} and
 * {@code nn.Linear(1, 1)}, so it only runs for {@code input_size = 1} (its {@code view(batch, seq, 1, 1)}
 * fails otherwise), and its head split is a no-op. Here {@code inputSize} is honoured as the one head's size —
 * {@code head_size = input_size / num_heads} as the tutorial's explanation states — so {@code inputSize = 1}
 * is the reference exactly (scale 1) and larger sizes are the same formula with scale {@code 1/√input_size}.
 * Only one head: the reference's reshape back ({@code view(batch, seq, input_size)} without undoing the
 * permute) would interleave heads wrongly for more than one.
 *
 * <p>Shapes: {@code [B, T, input_size] -> [B, T, input_size]}. State dict: {@code query.weight},
 * {@code query.bias}, {@code key.weight}, {@code key.bias}, {@code value.weight}, {@code value.bias},
 * {@code out.weight}, {@code out.bias} ({@code [input_size, input_size]} and {@code [input_size]}).
 */
public final class SingleHeadSelfAttention extends UnaryModule {
    private final int inputSize;
    private final Linear query, key, value, out;

    /** The reference's configuration, {@code input_size = 1}, initialised from the default generator. */
    public SingleHeadSelfAttention() {
        this(1, Generator.defaultGenerator());
    }

    public SingleHeadSelfAttention(int inputSize, Generator generator) {
        if (inputSize <= 0) throw new IllegalArgumentException("SingleHeadSelfAttention: input_size must be positive, got " + inputSize);
        this.inputSize = inputSize;
        query = registerModule("query", new Linear(inputSize, inputSize, true, generator));
        key = registerModule("key", new Linear(inputSize, inputSize, true, generator));
        value = registerModule("value", new Linear(inputSize, inputSize, true, generator));
        out = registerModule("out", new Linear(inputSize, inputSize, true, generator));
    }

    /** {@code [B, T, input_size] -> [B, T, input_size]}. */
    @Override
    public Tensor forward(Tensor inputs) {
        return attend(inputs, false).output();
    }

    /** The forward, with the weights {@code [B, T, T]} when {@code needWeights}. */
    public ScaledDotProductAttention.Result attend(Tensor inputs, boolean needWeights) {
        AttentionChecks.requireShape(header(), "inputs", inputs, 3, inputSize, "[batch, seq_len, " + inputSize + "]");
        Options o = Options.none().withScale(1 / Math.sqrt(inputSize));
        var r = ScaledDotProductAttention.compute(query.forward(inputs), key.forward(inputs), value.forward(inputs), o, needWeights);
        return new ScaledDotProductAttention.Result(out.forward(r.output()), r.weights());
    }

    public int inputSize() {
        return inputSize;
    }

    @Override
    public String header() {
        return "SingleHeadSelfAttention(input_size=" + inputSize + ")";
    }
}
