package org.attn4j.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API convolution for {@link Conv2dKernel}: the same products as its im2col + GEMM reference, with
 * the column matrix never written out, and the pixels of all images of the batch as one long GEMM
 * dimension, so a small per-image product (a 28x28 plane is 784 columns, a 1x1 one a single column) becomes
 * one product over the whole batch and the weight is packed once per call. Everything reads a zero-padded
 * copy {@code xp} of the input ({@code Hp x Wp} planes, slack after the end), where output pixel
 * {@code (n, oh, ow)} and tap {@code t = (c, i, j)} read {@code xp[base(pixel) + tapOff(t)]} with
 * {@code base = n*C*Hp*Wp + oh*sH*Wp + ow*sW} and {@code tapOff = c*Hp*Wp + i*dH*Wp + j*dW}.
 *
 * <p>Stride 1 (every convolution of the Fashion-MNIST CNNs, and every input gradient below):
 * <ul>
 *   <li>forward ({@link #forwardDirect}): over each image's padded-width grid {@code v = oh*Wp + ow}, a panel
 *       of NR consecutive v is NR consecutive floats of every tap row, so {@link #kernelRows} (GemmVector's
 *       3 x 3-vector tile) reads B in place, with A = the weight packed once; grid columns past Wo are
 *       computed and dropped;
 *   <li>weight gradient ({@link #weightGradDirect}): {@code dWᵀ = X · gOutGridᵀ} with A's rows the input's
 *       own tap rows and only gOut transposed and packed, in {@link #kernel4x2} ({@link #kernel8x2} with
 *       AVX-512); with fewer output channels
 *       than a vector, dot products ({@link #weightGradDots});
 *   <li>input gradient ({@link #inputGrad}): the transposed convolution, i.e. the forward over {@code gOut}
 *       padded by {@code d*(k-1) - p} with the kernel flipped and its in/out channels swapped: a deep product
 *       ({@code K = C_out*kH*kW}) with no col2im scatter.
 * </ul>
 * 3x3 stride-1 convolutions with at least 8 channels in and out (forward and input gradient) go to
 * {@link Conv3x3WinogradVector} instead, 2.25x fewer flops.
 * Other strides pack B panels row by row from runs of consecutive addresses ({@link #packRows}, whole-vector
 * copies) for {@link GemmVector#kernel}, and compute the input gradient by the reference's GEMM + col2im.
 * (Vector gathers were tried first for the packing: through the Vector API on AVX2 they cost as much as the
 * product. Sharing one gap of pW zeros between rows, to drop fewer grid columns, measured slower.) Work is
 * split over output panels, or for weight gradients over taps, each summing the batch in order, so every
 * result is the same whatever the thread count.
 *
 * <p>Only load this class when {@link VectorSupport#ENABLED} is true. ConvolutionTest checks the results
 * against libtorch and Conv2dVectorTest against {@link Conv2dKernel}'s reference loops.
 */
final class Conv2dVector {
    private Conv2dVector() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int NR = GemmVector.NR, KC = GemmVector.KC;
    /** Rows of the forward tile: {@link GemmVector}'s 3 x NR micro-kernel, whatever the vector width. */
    private static final int MR = 3;
    /**
     * The weight-gradient tile: 4 taps ({@link #kernel4x2}), or 8 with AVX-512's 32 registers ({@link #kernel8x2}),
     * by two vectors of output channels.
     */
    private static final int WR = L >= 16 ? 8 : 4, WN = 2 * L;
    /**
     * Floats of slack after a padded copy: a direct-rows panel of the last image reads up to
     * {@code NR - 1 + (kW-1)*dW} past its last plane, a packed run up to {@code L - 1}.
     */
    private static int slack(int kW, int dW) {
        return NR + (kW - 1) * dW + L;
    }
    /** A fork should carry at least this many flops. */
    private static final long MIN_FLOPS_PER_TASK = 1L << 20;

    /** Per-thread scratch, grown on demand and reused. */
    private static final class Buffers {
        float[] a = new float[0], b = new float[0], c = new float[0];
        final int[] cols = new int[NR], outs = new int[NR], taps = new int[NR], runStart = new int[NR], runLen = new int[NR];
        int[] bases = new int[0], rowBase = new int[0];

        float[] a(int n) { return a.length >= n ? a : (a = new float[n]); }
        /** A B panel of {@code n} floats, plus the slack {@link #packRows} may spill into. */
        float[] b(int n) { return b.length >= n + L ? b : (b = new float[n + L]); }
        int[] rowBase(int n) { return rowBase.length >= n ? rowBase : (rowBase = new int[n]); }
        float[] c(int n) { return c.length >= n ? c : (c = new float[n]); }
        int[] bases(int n) { return bases.length >= n ? bases : (bases = new int[n]); }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** A zero-padded copy of an input: {@code data} holds {@code [N, C, Hp, Wp]} and then {@code L - 1} zeros. */
    record Padded(float[] data, int Hp, int Wp) {
        int plane() { return Hp * Wp; }
    }

    /**
     * {@code x [N, C, H, W]} at {@code xOff} copied with {@code pH, pW} zeros on each side and {@code slack}
     * more past the end (see {@link #slack}), so that the kernels' vector loads stay inside the array.
     */
    static Padded pad(int N, int C, int H, int W, int pH, int pW, int slack, float[] x, int xOff) {
        int Hp = H + 2 * pH, Wp = W + 2 * pW, planeP = Hp * Wp;
        float[] xp = PrezeroedArrays.floats(N * C * planeP + slack);
        Parallel.forRangeByCost(N * C, planeP, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int src = xOff + pl * H * W, dst = pl * planeP + pH * Wp + pW;
                if (Wp == W) {
                    System.arraycopy(x, src, xp, dst, H * W);
                } else {
                    for (int r = 0; r < H; r++) System.arraycopy(x, src + r * W, xp, dst + r * Wp, W);
                }
            }
        });
        return new Padded(xp, Hp, Wp);
    }

    /**
     * Splits {@code offs[0 .. NR)} into runs of consecutive values: run r covers entries
     * {@code [start[r], start[r] + len[r])}, where each offset is one more than the previous. Returns the
     * number of runs.
     */
    static int runs(int[] offs, int[] start, int[] len) {
        int n = 0;
        for (int j = 0; j < NR; ) {
            int e = j + 1;
            while (e < NR && offs[e] == offs[e - 1] + 1) e++;
            start[n] = j;
            len[n++] = e - j;
            j = e;
        }
        return n;
    }

    /**
     * Packs {@code rows} rows of a B panel: row {@code p} is {@code bp[p*NR + j] = src[rowBase[p] + offs[j]]}
     * for {@code j < NR}, copied run by run (see {@link #runs}) with whole-vector loads and stores. A run's
     * last store may spill up to {@code L - 1} floats past it, into the next run or row, which is written
     * afterwards (and past the last row: {@code bp} has that much slack); loads stay inside {@code src}
     * because padded inputs carry {@code L - 1} floats of slack.
     */
    private static void packRows(float[] src, int[] rowBase, int rowBaseOff, int rows, int[] offs,
                                 int[] start, int[] len, int nRuns, float[] bp) {
        for (int p = 0; p < rows; p++) {
            int base = rowBase[rowBaseOff + p], dst = p * NR;
            for (int r = 0; r < nRuns; r++) {
                // A run is at most NR = 3 vectors long. Written out rather than as a loop over vectors:
                // C2 compiled that loop 2-3x slower (measured on AVX2).
                int j = start[r], s = base + offs[j], d = dst + j, n = len[r];
                FloatVector.fromArray(S, src, s).intoArray(bp, d);
                if (n > L) {
                    FloatVector.fromArray(S, src, s + L).intoArray(bp, d + L);
                    if (n > 2 * L) FloatVector.fromArray(S, src, s + 2 * L).intoArray(bp, d + 2 * L);
                }
            }
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /** Offsets of the taps {@code (c, i, j)} of one group, in the order of the weight's last three dims. */
    private static int[] tapOffsets(int Cg, int kH, int kW, int dH, int dW, Padded xp) {
        int[] off = new int[Cg * kH * kW];
        int t = 0;
        for (int c = 0; c < Cg; c++) {
            for (int i = 0; i < kH; i++) {
                for (int j = 0; j < kW; j++) off[t++] = c * xp.plane() + i * dH * xp.Wp() + j * dW;
            }
        }
        return off;
    }

    /** As {@link Conv2dKernel#forward} (stride, dilation, padding and groups as in {@code d}). */
    static void forward(Conv2dKernel.Dims d, float[] x, int xOff, float[] w, int wOff, float[] bias, int bOff, float[] out) {
        Window2d g = d.win();
        if (Conv3x3WinogradVector.applies(d.C(), d.Cout(), d.groups(), g)) {
            Conv3x3WinogradVector.forward(d.N(), d.C(), d.Cout(), g.H(), g.W(), g.pH(), g.pW(), x, xOff, w, wOff,
                    bias, bOff, out);
            return;
        }
        Padded xp = pad(d.N(), d.C(), g.H(), g.W(), g.pH(), g.pW(), slack(g.kW(), g.dW()), x, xOff);
        forwardPadded(d.N(), d.C(), d.Cout(), d.groups(), g.kH(), g.kW(), g.sH(), g.sW(), g.dH(), g.dW(), g.Ho(), g.Wo(),
                xp, w, wOff, bias, bOff, out);
    }

    /**
     * The forward pass over an already padded input: {@code out [N, Cout, Ho, Wo]} (overwritten) from
     * {@code xp [N, C, Hp, Wp]} and {@code w [Cout, C/groups, kH, kW]}.
     */
    static void forwardPadded(int N, int C, int Cout, int groups, int kH, int kW, int sH, int sW, int dH, int dW,
                              int Ho, int Wo, Padded xp, float[] w, int wOff, float[] bias, int bOff, float[] out) {
        final int Cg = C / groups, Og = Cout / groups, K = Cg * kH * kW, P = Ho * Wo;
        final int NP = N * P, planeP = xp.plane(), Wp = xp.Wp();
        final int mPanels = ceilDiv(Og, MR), Mpad = mPanels * MR;
        final int kcStep = ceilDiv(K, ceilDiv(K, KC));
        final int[] tapOff = tapOffsets(Cg, kH, kW, dH, dW, xp);
        // A = the weight of each group, packed once: block pc of depth kc at pc*Mpad, panel r at r*kc*MR.
        final float[] ap = new float[groups * Mpad * K];
        final boolean direct = sH == 1 && sW == 1;
        for (int gi = 0; gi < groups; gi++) {
            int base = gi * Mpad * K;
            for (int pc = 0; pc < K; pc += kcStep) {
                int kc = Math.min(kcStep, K - pc);
                for (int o = 0; o < Og; o++) {
                    int r = o / MR, i = o % MR, src = wOff + (gi * Og + o) * K + pc;
                    int dst = base + pc * Mpad + r * kc * MR + i;
                    for (int p = 0; p < kc; p++) ap[dst + p * MR] = w[src + p];
                }
            }
        }
        if (direct) {
            forwardDirect(N, C, Cout, groups, Ho, Wo, xp, ap, Mpad, K, kcStep, tapOff, bias, bOff, out);
            return;
        }
        final int panels = ceilDiv(NP, NR);
        long flopsPerPanel = 2L * Cout * K * NR;
        int grain = (int) Math.max(1, MIN_FLOPS_PER_TASK / flopsPerPanel);
        Parallel.forRange(panels, grain, (q0, q1) -> {
            Buffers buf = BUFFERS.get();
            float[] bp = buf.b(kcStep * NR), cp = buf.c(Mpad * NR);
            int[] cols = buf.cols, outs = buf.outs, runStart = buf.runStart, runLen = buf.runLen, rowBase = buf.rowBase(K);
            for (int q = q0; q < q1; q++) {
                int col0 = q * NR, ncols = Math.min(NR, NP - col0);
                for (int jj = 0; jj < NR; jj++) {
                    // Columns past the end repeat the last pixel: valid reads, results dropped.
                    int pix = col0 + Math.min(jj, ncols - 1), n = pix / P, pos = pix - n * P;
                    int oh = pos / Wo, ow = pos - oh * Wo;
                    cols[jj] = n * C * planeP + oh * sH * Wp + ow * sW;
                    outs[jj] = n * Cout * P + pos;
                }
                boolean contiguous = ncols == NR && outs[NR - 1] - outs[0] == NR - 1;
                int nRuns = runs(cols, runStart, runLen);
                for (int gi = 0; gi < groups; gi++) {
                    int gx = gi * Cg * planeP;
                    for (int t = 0; t < K; t++) rowBase[t] = tapOff[t] + gx;
                    for (int pc = 0; pc < K; pc += kcStep) {
                        int kc = Math.min(kcStep, K - pc);
                        packRows(xp.data(), rowBase, pc, kc, cols, runStart, runLen, nRuns, bp);
                        int aBlock = gi * Mpad * K + pc * Mpad;
                        for (int r = 0; r < mPanels; r++) {
                            GemmVector.kernel(MR, kc, ap, aBlock + r * kc * MR, bp, 0, cp, r * MR * NR, NR, pc != 0);
                        }
                    }
                    for (int o = 0; o < Og; o++) {
                        int co = gi * Og + o, row = o * NR, rowOut = co * P;
                        float b = bias == null ? 0f : bias[bOff + co];
                        if (contiguous) {
                            int dst = outs[0] + rowOut;
                            for (int jj = 0; jj < NR; jj++) out[dst + jj] = cp[row + jj] + b;
                        } else {
                            for (int jj = 0; jj < ncols; jj++) out[outs[jj] + rowOut] = cp[row + jj] + b;
                        }
                    }
                }
            }
        });
    }

    /**
     * The stride-1 forward without packing B. Output pixel {@code (oh, ow)} of image n reads
     * {@code xp[n*C*Hp*Wp + tapOff(t) + v]} with {@code v = oh*Wp + ow}: over the padded-width grid
     * {@code v in [0, Ho*Wp)} a panel of NR consecutive v is NR consecutive floats of every tap row, which
     * {@link #kernelRows} loads in place. Grid columns {@code ow >= Wo} (and v past the grid in an image's
     * last panel) are computed and dropped: 7% more work for 28x28 planes with padding 1, 22% for 14x14,
     * against packing every B panel (measured at about half the micro-kernel's time).
     */
    private static void forwardDirect(int N, int C, int Cout, int groups, int Ho, int Wo, Padded xp, float[] ap,
                                      int Mpad, int K, int kcStep, int[] tapOff, float[] bias, int bOff, float[] out) {
        final int Cg = C / groups, Og = Cout / groups, P = Ho * Wo, Wp = xp.Wp(), planeP = xp.plane();
        final int V = Ho * Wp, perImage = ceilDiv(V, NR), panels = N * perImage, mPanels = Mpad / MR;
        long flopsPerPanel = 2L * Cout * K * NR;
        int grain = (int) Math.max(1, MIN_FLOPS_PER_TASK / flopsPerPanel);
        Parallel.forRange(panels, grain, (q0, q1) -> {
            Buffers buf = BUFFERS.get();
            float[] cp = buf.c(Mpad * NR);
            int[] outs = buf.outs, runStart = buf.runStart, runLen = buf.runLen;
            for (int q = q0; q < q1; q++) {
                int n = q / perImage, v0 = (q - n * perImage) * NR;
                // Valid grid columns in runs of consecutive output positions.
                int nRuns = 0;
                for (int jj = 0; jj < NR; ) {
                    int v = v0 + jj, oh = v / Wp, ow = v - oh * Wp;
                    if (v >= V) break;
                    if (ow >= Wo) {
                        jj += Wp - ow;
                        continue;
                    }
                    int len = Math.min(Wo - ow, NR - jj);
                    outs[nRuns] = n * Cout * P + oh * Wo + ow;
                    runStart[nRuns] = jj;
                    runLen[nRuns++] = len;
                    jj += len;
                }
                for (int gi = 0; gi < groups; gi++) {
                    int xBase = n * C * planeP + gi * Cg * planeP + v0;
                    for (int pc = 0; pc < K; pc += kcStep) {
                        int kc = Math.min(kcStep, K - pc);
                        int aBlock = gi * Mpad * K + pc * Mpad;
                        for (int r = 0; r < mPanels; r++) {
                            kernelRows(kc, ap, aBlock + r * kc * MR, xp.data(), tapOff, pc, xBase, cp, r * MR * NR, NR, pc != 0);
                        }
                    }
                    for (int o = 0; o < Og; o++) {
                        int co = gi * Og + o, row = o * NR, rowOut = co * P;
                        float b = bias == null ? 0f : bias[bOff + co];
                        FloatVector bv = FloatVector.broadcast(S, b);
                        for (int r = 0; r < nRuns; r++) {
                            // Whole vectors, then a scalar tail: runs are short (a grid row or less), where
                            // an auto-vectorised loop's pre- and post-loops cost more than the copy.
                            int dst = outs[r] + rowOut, src = row + runStart[r], len = runLen[r], e = 0;
                            for (; e + L <= len; e += L) FloatVector.fromArray(S, cp, src + e).add(bv).intoArray(out, dst + e);
                            for (; e < len; e++) out[dst + e] = cp[src + e] + b;
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code C[3, NR] = Apanel[3, kc] * B (+ C when accumulate)}, with B's row p read in place at
     * {@code x[rowOff[ro + p] + xBase ..]}: {@link GemmVector}'s 3 x 3-vector tile with unpacked B rows.
     */
    private static void kernelRows(int kc, float[] ap, int ao, float[] x, int[] rowOff, int ro, int xBase,
                                   float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = rowOff[ro + p] + xBase, ai = ao + p * 3;
            FloatVector b0 = FloatVector.fromArray(S, x, bi);
            FloatVector b1 = FloatVector.fromArray(S, x, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, x, bi + 2 * L);
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22);
        }
        // The stores are written out, not left to a helper taking the accumulators: past C2's node budget such a
        // helper is called with its vectors boxed (see GemmVector's class comment). No float argument is live
        // across the loop, where it would take one of the sixteen vector registers.
        int c1 = co + ldc, c2 = co + 2 * ldc;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + 2 * L));
            c10 = c10.add(FloatVector.fromArray(S, c, c1)); c11 = c11.add(FloatVector.fromArray(S, c, c1 + L));
            c12 = c12.add(FloatVector.fromArray(S, c, c1 + 2 * L));
            c20 = c20.add(FloatVector.fromArray(S, c, c2)); c21 = c21.add(FloatVector.fromArray(S, c, c2 + L));
            c22 = c22.add(FloatVector.fromArray(S, c, c2 + 2 * L));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L); c12.intoArray(c, c1 + 2 * L);
        c20.intoArray(c, c2); c21.intoArray(c, c2 + L); c22.intoArray(c, c2 + 2 * L);
    }

    /**
     * {@code C[4, 2L] = A[4, kc] * Bpanel[kc, 2L] (+ C when accumulate)}, A's four rows read in place at
     * {@code x[a_i + p]}, B packed {@code 2L} wide: eight accumulators, as many as AVX2's two FMA ports with
     * four-cycle latency keep busy.
     */
    private static void kernel4x2(int kc, float[] x, int a0, int a1, int a2, int a3, float[] bp, int bo,
                                  float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * WN;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, x[a0 + p]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, x[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, x[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, x[a3 + p]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
        }
        // Stores written out, as in kernelRows.
        int c1 = co + ldc, c2 = co + 2 * ldc, c3 = co + 3 * ldc;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c10 = c10.add(FloatVector.fromArray(S, c, c1)); c11 = c11.add(FloatVector.fromArray(S, c, c1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, c2)); c21 = c21.add(FloatVector.fromArray(S, c, c2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, c3)); c31 = c31.add(FloatVector.fromArray(S, c, c3 + L));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L);
        c20.intoArray(c, c2); c21.intoArray(c, c2 + L);
        c30.intoArray(c, c3); c31.intoArray(c, c3 + L);
    }

    /** {@link #kernel4x2} with eight rows of A (taps): sixteen accumulators, for AVX-512. */
    private static void kernel8x2(int kc, float[] x, int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7,
                                  float[] bp, int bo, float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * WN;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, x[a0 + p]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, x[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, x[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, x[a3 + p]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, x[a4 + p]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, x[a5 + p]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(S, x[a6 + p]);
            c60 = a.fma(b0, c60); c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(S, x[a7 + p]);
            c70 = a.fma(b0, c70); c71 = a.fma(b1, c71);
        }
        // Stores written out, as in kernelRows.
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c10 = c10.add(FloatVector.fromArray(S, c, c1)); c11 = c11.add(FloatVector.fromArray(S, c, c1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, c2)); c21 = c21.add(FloatVector.fromArray(S, c, c2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, c3)); c31 = c31.add(FloatVector.fromArray(S, c, c3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, c4)); c41 = c41.add(FloatVector.fromArray(S, c, c4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, c5)); c51 = c51.add(FloatVector.fromArray(S, c, c5 + L));
            c60 = c60.add(FloatVector.fromArray(S, c, c6)); c61 = c61.add(FloatVector.fromArray(S, c, c6 + L));
            c70 = c70.add(FloatVector.fromArray(S, c, c7)); c71 = c71.add(FloatVector.fromArray(S, c, c7 + L));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L);
        c20.intoArray(c, c2); c21.intoArray(c, c2 + L);
        c30.intoArray(c, c3); c31.intoArray(c, c3 + L);
        c40.intoArray(c, c4); c41.intoArray(c, c4 + L);
        c50.intoArray(c, c5); c51.intoArray(c, c5 + L);
        c60.intoArray(c, c6); c61.intoArray(c, c6 + L);
        c70.intoArray(c, c7); c71.intoArray(c, c7 + L);
    }

    /**
     * The stride-1 weight gradient as {@code dWᵀ[t, co] = sum_v xp[n*C*Hp*Wp + tapOff(t) + v] * gOutGrid[co, v]}
     * over each image's padded-width grid {@code v = oh*Wp + ow}, where gOutGrid is gOut with zeros in the
     * columns {@code ow >= Wo}: A's rows are the input's own rows (no packing), B is gOut transposed and
     * packed once per image (C_out*Ho*Wp floats, small beside the product). Threads own whole panels of four
     * taps and sum the images in order, so the result does not depend on the thread count.
     */
    private static void weightGradDirect(Conv2dKernel.Dims d, Padded xp, int[] tapOff, float[] gOut, int gOff, float[] gw) {
        Window2d g = d.win();
        final int N = d.N(), C = d.C(), Cout = d.Cout(), groups = d.groups(), Cg = d.cg(), Og = d.og(), K = d.k();
        final int Ho = g.Ho(), Wo = g.Wo(), P = Ho * Wo, Wp = xp.Wp(), planeP = xp.plane(), V = Ho * Wp;
        final int nPanels = ceilDiv(Og, WN), Npad = nPanels * WN, tPanels = ceilDiv(K, WR);
        for (int gi = 0; gi < groups; gi++) {
            final int gc = gi * Og, gx = gi * Cg * planeP;
            Parallel.forRange(tPanels, 1, (t0, t1) -> {
                float[] bp = BUFFERS.get().b(nPanels * V * WN);
                float[] acc = new float[(t1 - t0) * WR * Npad];
                // B: gOut[n, gc + co, oh, ow] at bp[(co / WN) * V * WN + (oh*Wp + ow) * WN + co % WN], zero for
                // ow >= Wo and co >= Og: those entries are the same for every image, so zeroed once.
                java.util.Arrays.fill(bp, 0, nPanels * V * WN, 0f);
                for (int n = 0; n < N; n++) {
                    // Eight channels by eight columns at a time through a register transpose: one at a time, each
                    // store lands WN floats from the last, a cache line apart (the packing, repeated by every
                    // thread, was a third of this loop's time with AVX-512). WN is a multiple of 8 whenever the
                    // transposes are enabled, so a group of eight never straddles two panels.
                    int co = 0;
                    if (TransposeVector.ENABLED) {
                        for (; co + 8 <= Og; co += 8) {
                            int dst = (co / WN) * V * WN + co % WN, src = gOff + (n * Cout + gc + co) * P;
                            for (int oh = 0; oh < Ho; oh++) {
                                int dRow = dst + oh * Wp * WN, sRow = src + oh * Wo, ow = 0;
                                for (; ow + 8 <= Wo; ow += 8) TransposeVector.transpose8x8(gOut, sRow + ow, P, bp, dRow + ow * WN, WN, 1f);
                                for (int j = 0; j < 8; j++) {
                                    for (int w = ow; w < Wo; w++) bp[dRow + w * WN + j] = gOut[sRow + j * P + w];
                                }
                            }
                        }
                    }
                    for (; co < Og; co++) {
                        int dst = (co / WN) * V * WN + co % WN, src = gOff + (n * Cout + gc + co) * P;
                        for (int oh = 0; oh < Ho; oh++) {
                            int dRow = dst + oh * Wp * WN, sRow = src + oh * Wo;
                            for (int ow = 0; ow < Wo; ow++) bp[dRow + ow * WN] = gOut[sRow + ow];
                        }
                    }
                    int xBase = n * C * planeP + gx;
                    for (int tp = t0; tp < t1; tp++) {
                        int t = tp * WR;
                        // Taps past K repeat the last one: valid reads, results dropped.
                        int a0 = xBase + tapOff[t], a1 = xBase + tapOff[Math.min(t + 1, K - 1)];
                        int a2 = xBase + tapOff[Math.min(t + 2, K - 1)], a3 = xBase + tapOff[Math.min(t + 3, K - 1)];
                        int cRow = (tp - t0) * WR * Npad;
                        if (WR == 4) {
                            for (int q = 0; q < nPanels; q++) {
                                kernel4x2(V, xp.data(), a0, a1, a2, a3, bp, q * V * WN, acc, cRow + q * WN, Npad, n > 0);
                            }
                        } else {
                            int a4 = xBase + tapOff[Math.min(t + 4, K - 1)], a5 = xBase + tapOff[Math.min(t + 5, K - 1)];
                            int a6 = xBase + tapOff[Math.min(t + 6, K - 1)], a7 = xBase + tapOff[Math.min(t + 7, K - 1)];
                            for (int q = 0; q < nPanels; q++) {
                                kernel8x2(V, xp.data(), a0, a1, a2, a3, a4, a5, a6, a7, bp, q * V * WN, acc, cRow + q * WN, Npad, n > 0);
                            }
                        }
                    }
                }
                for (int tp = t0; tp < t1; tp++) {
                    for (int i = 0; i < WR && tp * WR + i < K; i++) {
                        int t = tp * WR + i, row = ((tp - t0) * WR + i) * Npad;
                        for (int co = 0; co < Og; co++) gw[(gc + co) * K + t] = acc[row + co];
                    }
                }
            });
        }
    }

    /**
     * The stride-1 weight gradient for few output channels per group (CBAM's 7x7 spatial convolution has one):
     * each {@code dW[co, t]} is a dot product of the input's tap row with gOut laid out on the padded-width
     * grid (zeros in the columns {@code ow >= Wo}), image by image, each image's float-lane sum added in
     * double. Threads own whole taps.
     */
    private static void weightGradDots(Conv2dKernel.Dims d, Padded xp, int[] tapOff, float[] gOut, int gOff, float[] gw) {
        Window2d g = d.win();
        final int N = d.N(), C = d.C(), Cout = d.Cout(), groups = d.groups(), Cg = d.cg(), Og = d.og(), K = d.k();
        final int Ho = g.Ho(), Wo = g.Wo(), P = Ho * Wo, Wp = xp.Wp(), planeP = xp.plane(), V = Ho * Wp;
        for (int gi = 0; gi < groups; gi++) {
            final int gc = gi * Og, gx = gi * Cg * planeP;
            Parallel.forRangeByCost(K, 2L * Og * N * V, (t0, t1) -> {
                float[] grid = BUFFERS.get().b(Og * V);
                double[] acc = new double[(t1 - t0) * Og];
                for (int n = 0; n < N; n++) {
                    java.util.Arrays.fill(grid, 0, Og * V, 0f);
                    for (int co = 0; co < Og; co++) {
                        int src = gOff + (n * Cout + gc + co) * P;
                        for (int oh = 0; oh < Ho; oh++) System.arraycopy(gOut, src + oh * Wo, grid, co * V + oh * Wp, Wo);
                    }
                    int xBase = n * C * planeP + gx;
                    for (int t = t0; t < t1; t++) {
                        for (int co = 0; co < Og; co++) acc[(t - t0) * Og + co] += dot(xp.data(), xBase + tapOff[t], grid, co * V, V);
                    }
                }
                for (int t = t0; t < t1; t++) {
                    for (int co = 0; co < Og; co++) gw[(gc + co) * K + t] = (float) acc[(t - t0) * Og + co];
                }
            });
        }
    }

    /** {@code sum_i a[ao + i] * b[bo + i]} for {@code i < n}, in float lanes (two accumulators). */
    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
            s1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), s1);
        }
        // sumLanes, not reduceLanes(ADD): the latter's order depends on the execution mode (see VectorMath).
        float s = VectorMath.sumLanes(s0.add(s1));
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /**
     * Weight gradient {@code gw [Cout, C/groups, kH, kW]} (overwritten) of the convolution {@code d} given
     * {@code gOut [N, Cout, Ho, Wo]} at {@code gOff} and the padded input.
     */
    static void weightGrad(Conv2dKernel.Dims d, Padded xp, float[] gOut, int gOff, float[] gw) {
        Window2d g = d.win();
        final int N = d.N(), C = d.C(), Cout = d.Cout(), groups = d.groups(), Cg = d.cg(), Og = d.og(), K = d.k();
        final int Ho = g.Ho(), Wo = g.Wo(), P = Ho * Wo, NP = N * P, sH = g.sH(), sW = g.sW();
        final int planeP = xp.plane(), Wp = xp.Wp();
        final int mPanels = ceilDiv(Og, MR), Mpad = mPanels * MR;
        final int kcStep = ceilDiv(NP, ceilDiv(NP, KC));
        final int[] tapOff = tapOffsets(Cg, g.kH(), g.kW(), g.dH(), g.dW(), xp);
        if (sH == 1 && sW == 1) {
            // Fewer output channels than a vector would leave most of kernel4x2's columns empty: dot products.
            if (Og >= L) weightGradDirect(d, xp, tapOff, gOut, gOff, gw);
            else weightGradDots(d, xp, tapOff, gOut, gOff, gw);
            return;
        }
        final int nPanels = ceilDiv(K, NR);
        for (int gi = 0; gi < groups; gi++) {
            final int gx = gi * Cg * planeP, gc = gi * Og;
            Parallel.forRange(nPanels, 1, (q0, q1) -> {
                Buffers buf = BUFFERS.get();
                float[] ap = buf.a(Mpad * kcStep), bp = buf.b(kcStep * NR);
                float[] acc = new float[(q1 - q0) * Mpad * NR];
                int[] bases = buf.bases(kcStep), taps = buf.taps, runStart = buf.runStart, runLen = buf.runLen;
                for (int pb = 0; pb < NP; pb += kcStep) {
                    int kc = Math.min(kcStep, NP - pb);
                    // A block: gOut rows gc .. gc+Og over pixels pb .. pb+kc, MR rows interleaved.
                    Arrays.fill(ap, 0, Mpad * kc, 0f);
                    for (int p = 0; p < kc; ) {
                        int pix = pb + p, n = pix / P, pos = pix - n * P;
                        int run = Math.min(kc - p, P - pos);
                        int src0 = gOff + (n * Cout + gc) * P + pos;
                        for (int o = 0; o < Og; o++) {
                            int r = o / MR, i = o % MR, src = src0 + o * P, dst = r * kc * MR + p * MR + i;
                            for (int e = 0; e < run; e++) ap[dst + e * MR] = gOut[src + e];
                        }
                        for (int e = 0; e < run; e++) {
                            int pe = pos + e, oh = pe / Wo, ow = pe - oh * Wo;
                            bases[p + e] = n * C * planeP + gx + oh * sH * Wp + ow * sW;
                        }
                        p += run;
                    }
                    boolean accumulate = pb != 0;
                    for (int q = q0; q < q1; q++) {
                        // Taps past K repeat the last one: valid reads, results dropped.
                        for (int jj = 0; jj < NR; jj++) taps[jj] = tapOff[Math.min(q * NR + jj, K - 1)];
                        int nRuns = runs(taps, runStart, runLen);
                        packRows(xp.data(), bases, 0, kc, taps, runStart, runLen, nRuns, bp);
                        int cBase = (q - q0) * Mpad * NR;
                        for (int r = 0; r < mPanels; r++) {
                            GemmVector.kernel(MR, kc, ap, r * kc * MR, bp, 0, acc, cBase + r * MR * NR, NR, accumulate);
                        }
                    }
                }
                for (int q = q0; q < q1; q++) {
                    int cols = Math.min(NR, K - q * NR), cBase = (q - q0) * Mpad * NR;
                    for (int o = 0; o < Og; o++) {
                        System.arraycopy(acc, cBase + o * NR, gw, (gc + o) * K + q * NR, cols);
                    }
                }
            });
        }
    }

    /**
     * As {@link Conv2dKernel#backward}, except that {@code gx} is overwritten: the weight gradient by
     * {@link #weightGrad}, the input gradient by {@link #inputGrad} when {@link #transposable}, otherwise
     * by the reference's GEMM + col2im.
     */
    static void backward(Conv2dKernel.Dims d, float[] x, int xOff, float[] w, int wOff, float[] gOut, int gOff,
                         float[] gx, float[] gw) {
        if (gw != null) {
            Window2d g = d.win();
            weightGrad(d, pad(d.N(), d.C(), g.H(), g.W(), g.pH(), g.pW(), slack(g.kW(), g.dW()), x, xOff), gOut, gOff, gw);
        }
        if (gx != null) {
            if (transposable(d)) {
                inputGrad(d, w, wOff, gOut, gOff, gx);
            } else {
                Arrays.fill(gx, 0f);
                Conv2dKernel.backwardReference(d, x, xOff, w, wOff, gOut, gOff, gx, null);
            }
        }
    }

    /** True when the input gradient of {@code d} can run as the transposed convolution (stride 1, padding fits). */
    static boolean transposable(Conv2dKernel.Dims d) {
        Window2d g = d.win();
        return g.sH() == 1 && g.sW() == 1 && g.pH() <= g.dH() * (g.kH() - 1) && g.pW() <= g.dW() * (g.kW() - 1);
    }

    /**
     * Input gradient {@code gx [N, C, H, W]} (overwritten) for a {@link #transposable} convolution: the
     * forward over {@code gOut} padded by {@code d*(k-1) - p}, with the weight flipped in both spatial dims
     * and its two channel dims swapped within each group.
     */
    static void inputGrad(Conv2dKernel.Dims d, float[] w, int wOff, float[] gOut, int gOff, float[] gx) {
        Window2d g = d.win();
        final int C = d.C(), Cout = d.Cout(), groups = d.groups(), Cg = d.cg(), Og = d.og();
        final int kH = g.kH(), kW = g.kW(), taps = kH * kW;
        float[] wt = new float[C * Og * taps];
        for (int gi = 0; gi < groups; gi++) {
            for (int o = 0; o < Og; o++) {
                for (int c = 0; c < Cg; c++) {
                    int src = wOff + ((gi * Og + o) * Cg + c) * taps, dst = ((gi * Cg + c) * Og + o) * taps;
                    for (int t = 0; t < taps; t++) wt[dst + taps - 1 - t] = w[src + t];
                }
            }
        }
        int qH = g.dH() * (kH - 1) - g.pH(), qW = g.dW() * (kW - 1) - g.pW();
        if (Conv3x3WinogradVector.applies(Cout, C, groups, g)) {
            Conv3x3WinogradVector.forward(d.N(), Cout, C, g.Ho(), g.Wo(), qH, qW, gOut, gOff, wt, 0, null, 0, gx);
            return;
        }
        Padded gp = pad(d.N(), Cout, g.Ho(), g.Wo(), qH, qW, slack(kW, g.dW()), gOut, gOff);
        forwardPadded(d.N(), Cout, C, groups, kH, kW, 1, 1, g.dH(), g.dW(), g.H(), g.W(), gp, wt, 0, null, 0, gx);
    }
}
