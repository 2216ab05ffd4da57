package org.attn4j.attention;

import org.attn4j.attention.ScaledDotProductAttention.Options;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.Init;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.ops.Indexing;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Swin Transformer's window multi-head self-attention with relative position bias (W-MSA / SW-MSA),
 * {@code WindowAttention(dim, window_size, num_heads, qkv_bias=True, qk_scale=None, attn_drop=0., proj_drop=0.)}
 * (reference 002; Liu et al. 2021, official code):
 * <pre>
 *   qkv = self.qkv(x).reshape(B_, N, 3, nH, C // nH).permute(2, 0, 3, 1, 4);  q = q * scale
 *   attn = q @ kᵀ + relative_position_bias_table[relative_position_index.view(-1)].view(N, N, nH).permute(2, 0, 1)
 *   with a mask [nW, N, N]: attn.view(B_ // nW, nW, nH, N, N) + mask.unsqueeze(1).unsqueeze(0)
 *   x = proj_drop(proj((attn_drop(softmax(attn)) @ v).transpose(1, 2).reshape(B_, N, C)))
 * </pre>
 * Shapes: x {@code [B·nW, N, C]} with {@code N = Wh·Ww} tokens per window and {@code C = dim}; mask
 * {@code [nW, N, N]} of 0 / -100 ({@link SwinWindows#shiftedWindowMask}) or null → {@code [B·nW, N, C]}.
 *
 * <p>Relative position index, as the official code builds it: for tokens i, j of a window with coordinates
 * (h, w), {@code (h_i - h_j + Wh - 1)·(2Ww - 1) + (w_i - w_j + Ww - 1)}, an index into the
 * {@code (2Wh-1)(2Ww-1)} rows of the table. {@code qk_scale or head_dim ** -0.5}: a null or 0 qkScale gives
 * {@code head_dim^-1/2} (Python's {@code or} treats 0 as unset).
 *
 * <p>State dict (the official code's keys and order): {@code relative_position_bias_table [(2Wh-1)(2Ww-1), nH]}
 * (trunc_normal_, std 0.02, bounds ±2), {@code relative_position_index [N, N]} (int64, a persistent buffer as in
 * the official Swin code; timm later made it non-persistent), {@code qkv.weight [3C, C]}, {@code qkv.bias [3C]}
 * (with qkv_bias), {@code proj.weight [C, C]}, {@code proj.bias [C]}.
 */
public final class WindowAttention extends Module {
    private final int dim, numHeads, headDim, wh, ww;
    private final double scale;
    private final Linear qkv, proj;
    private final Dropout attnDrop, projDrop;
    private final Generator generator;

    /** {@code WindowAttention(dim, window_size, num_heads)}: qkv_bias, no dropout, the default generator. */
    public WindowAttention(int dim, int[] windowSize, int numHeads) {
        this(dim, windowSize, numHeads, true, null, 0.0, 0.0, Generator.defaultGenerator());
    }

    /**
     * @param windowSize {Wh, Ww}
     * @param qkScale    null (or 0) for {@code head_dim^-1/2}
     */
    public WindowAttention(int dim, int[] windowSize, int numHeads, boolean qkvBias, Double qkScale, double attnDrop,
                           double projDrop, Generator generator) {
        if (windowSize == null || windowSize.length != 2 || windowSize[0] <= 0 || windowSize[1] <= 0) {
            throw new IllegalArgumentException("WindowAttention: window_size must be two positive ints (Wh, Ww), got "
                    + java.util.Arrays.toString(windowSize));
        }
        if (dim <= 0 || numHeads <= 0 || dim % numHeads != 0) {
            throw new IllegalArgumentException("WindowAttention: dim must be a positive multiple of num_heads (the heads split C into"
                    + " C // num_heads), got dim=" + dim + ", num_heads=" + numHeads);
        }
        this.dim = dim;
        this.numHeads = numHeads;
        this.headDim = dim / numHeads;
        this.wh = windowSize[0];
        this.ww = windowSize[1];
        this.scale = qkScale != null && qkScale != 0 ? qkScale : Math.pow(headDim, -0.5);
        this.generator = generator;
        Tensor table = registerParameter("relative_position_bias_table", Tensor.zeros((2 * wh - 1) * (2 * ww - 1), numHeads));
        registerBuffer("relative_position_index", relativePositionIndex(wh, ww));
        qkv = registerModule("qkv", new Linear(dim, 3 * dim, qkvBias, generator));
        this.attnDrop = registerModule("attn_drop", new Dropout(attnDrop, generator));
        proj = registerModule("proj", new Linear(dim, dim, true, generator));
        this.projDrop = registerModule("proj_drop", new Dropout(projDrop, generator));
        Init.trunc_normal_(table, 0, 0.02, -2, 2, generator);
    }

    /**
     * The official construction: {@code coords = stack(meshgrid(arange(Wh), arange(Ww)))} flattened,
     * pairwise differences shifted by (Wh-1, Ww-1), the row offset times (2Ww-1), summed: int64 {@code [N, N]}.
     */
    static Tensor relativePositionIndex(int wh, int ww) {
        int n = wh * ww;
        long[] idx = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int dh = i / ww - j / ww + wh - 1, dw = i % ww - j % ww + ww - 1;
                idx[i * n + j] = (long) dh * (2 * ww - 1) + dw;
            }
        }
        return Tensor.ofLongs(idx, n, n);
    }

    /** The bias {@code [nH, N, N]} gathered from the table. */
    public Tensor relativePositionBias() {
        int n = wh * ww;
        Tensor index = buffer("relative_position_index").reshape(-1);
        return Indexing.indexSelect(parameter("relative_position_bias_table"), 0, index).view(n, n, numHeads).permute(2, 0, 1)
                .contiguous();
    }

    /** {@code forward(x, mask=None)}: {@code [B·nW, N, C] -> [B·nW, N, C]}. */
    public Tensor forward(Tensor x, Tensor mask) {
        return attend(x, mask, false).output();
    }

    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /** The forward, and the weights {@code [B·nW, nH, N, N]} (after attn_drop) when {@code needWeights}. */
    public ScaledDotProductAttention.Result attend(Tensor x, Tensor mask, boolean needWeights) {
        int n = wh * ww;
        AttentionChecks.requireShape(header(), "x", x, 3, dim, "[B*num_windows, Wh*Ww=" + n + ", dim=" + dim + "]");
        if (x.size(1) != n) {
            throw new IllegalArgumentException(header() + ": x of shape " + AttentionChecks.str(x) + " must be [B*num_windows, Wh*Ww="
                    + n + ", dim=" + dim + "]");
        }
        int bw = x.size(0);
        if (mask != null && (mask.dim() != 3 || mask.size(1) != n || mask.size(2) != n || mask.size(0) == 0 || bw % mask.size(0) != 0)) {
            throw new IllegalArgumentException(header() + ": mask of shape " + AttentionChecks.str(mask) + " must be [num_windows, " + n
                    + ", " + n + "] with num_windows dividing x's first dim (x " + AttentionChecks.str(x) + ")");
        }
        Tensor t = qkv.forward(x).reshape(bw, n, 3, numHeads, headDim).permute(2, 0, 3, 1, 4);   // [3, B_, nH, N, hd]
        Tensor q = t.select(0, 0).mul((float) scale), k = t.select(0, 1), v = t.select(0, 2);
        Tensor bias = relativePositionBias();                                                     // [nH, N, N]
        Options o = Options.none().withScale(1.0).withDropout(attnDrop.p(), isTraining(), generator);
        ScaledDotProductAttention.Result r;
        if (mask == null) {
            r = ScaledDotProductAttention.compute(q, k, v, o.withMask(bias), needWeights);
        } else {
            int nW = mask.size(0);
            // attn.view(B_ // nW, nW, nH, N, N) + bias + mask[None, :, None]: the two float masks added first.
            Tensor full = bias.unsqueeze(0).add(mask.unsqueeze(1));                               // [nW, nH, N, N]
            int[] five = {bw / nW, nW, numHeads, n, headDim};
            var r5 = ScaledDotProductAttention.compute(q.reshape(five), k.reshape(five), v.reshape(five), o.withMask(full), needWeights);
            r = new ScaledDotProductAttention.Result(r5.output().reshape(bw, numHeads, n, headDim),
                    r5.weights() == null ? null : r5.weights().reshape(bw, numHeads, n, n));
        }
        Tensor out = r.output().transpose(1, 2).reshape(bw, n, dim);
        out = projDrop.forward(proj.forward(out));
        return new ScaledDotProductAttention.Result(out, r.weights());
    }

    public double scale() {
        return scale;
    }

    public int[] windowSize() {
        return new int[] {wh, ww};
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim + ", window_size=(" + wh + ", " + ww + "), num_heads=" + numHeads;
    }
}
