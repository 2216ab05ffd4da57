package org.attn4j.kernels;

import java.util.concurrent.atomic.AtomicReference;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3x3 convolution, stride 1, dilation 1, one group, by Winograd's minimal filtering F(2x2, 3x3) (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs ("tile") of
 * every output channel is
 * <pre>
 *   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A        d_c: the tile's 4x4 input window of channel c
 * </pre>
 * with {@code Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]}, {@code G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]]},
 * {@code Aᵀ = [[1,1,1,0],[0,1,-1,-1]]}. The sum over channels is, for each of the 16 transform positions
 * ξ, a matrix product {@code M_ξ [Cout, tiles] = U_ξ [Cout, C] · V_ξ [C, tiles]}: 16 multiplies per tile,
 * input and output channel instead of the direct convolution's 36 ({@link Conv2dVector#forwardPadded}), 2.25x
 * fewer flops, for rounding that differs from it by a few ulps of the inputs' magnitude (only the weight
 * transform has non-integer coefficients, ½).
 *
 * <p>Layout. The padded input is stored with each row split into its even and odd columns
 * ({@link #deinterleave}), so that the windows of L consecutive tiles of a tile row, which start two columns
 * apart, are four contiguous vector loads per input row: columns {@code 2t, 2t+1, 2t+2, 2t+3} of tiles
 * {@code t .. t+L} are {@code even[t..], odd[t..], even[t+1..], odd[t+1..]}. A "unit" is L consecutive tiles
 * of one tile row; three units (NR = 3L tiles, possibly from different rows and images) form a block, whose
 * input transform is written straight into {@link GemmVector}'s packed B layout, multiplied by the
 * transformed weight packed as its A panels, and transformed back into the output. Tiles past the right or
 * bottom edge (odd output sizes, rows of tiles not a multiple of L) are computed on zeros and dropped.
 * Blocks are split over threads, each block's arithmetic in a fixed order, so results do not depend on the
 * thread count.
 *
 * <p>The weight gradient stays with the direct kernel: its Winograd form ({@code dU_ξ = Σ_tiles dM_ξ V_ξᵀ},
 * {@code dM = A dY Aᵀ}, {@code dg = Gᵀ dU G}) was built and measured 1.3-1.5x slower at 32-64 channels, its
 * products no cheaper than the forward's while both the input and the output gradient need deinterleaving and
 * transforming, and the input transposing to tile-major.
 *
 * <p>Only load this class when {@link VectorSupport#ENABLED} is true. Conv2dVectorTest checks it against
 * {@link Conv2dKernel#forwardReference}, ConvolutionTest the convolutions that use it against libtorch.
 */
final class Conv3x3WinogradVector {
    private Conv3x3WinogradVector() {}

    /**
     * The transforms' vectors, and so the width of a unit: at most 256 bits (8 tiles), even with AVX-512. Tiles of
     * one unit come from one tile row, and the images these networks see are small: a 14 x 14 feature map has 7
     * tiles per row, so 16-tile units computed 16 tiles' products for 7 (and 4 for a 7 x 7 map). With 8-tile units
     * six fill a block ({@code NR / 8}) and a 14 x 14 map wastes one tile in eight. Measured with AVX-512 (KVM
     * Xeon, 2 threads, {@code ./bench.sh train}): a {@code cnn} training step took 178 ms with 16-tile units and
     * 158-160 with 8 (libtorch 111-126 in the same runs). With AVX2 units were 8 tiles already.
     */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.length() > 8
            ? FloatVector.SPECIES_256 : FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = GemmVector.MR, NR = GemmVector.NR, UNITS_PER_BLOCK = NR / L;
    /** Transform positions ξ = 4i + j of a 4x4 tile. */
    private static final int XI = 16;
    /**
     * Shuffles zipping two vectors a, b into {@code a0 b0 a1 b1 ..}: the low half's lanes, then the high
     * half's. Lane sources {@code i - L} are the exceptional indexes that pick from the second vector.
     */
    private static final VectorShuffle<Float> ZIP_LO = zip(0), ZIP_HI = zip(L / 2);
    /** The inverse: the even lanes of a, b ({@code a0 a2 .. b0 b2 ..}), and the odd ones. */
    private static final VectorShuffle<Float> UNZIP_EVEN = unzip(0), UNZIP_ODD = unzip(1);

    private static VectorShuffle<Float> unzip(int parity) {
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) idx[i] = i < L / 2 ? 2 * i + parity : 2 * i + parity - 2 * L;
        return VectorShuffle.fromArray(S, idx, 0);
    }

    private static VectorShuffle<Float> zip(int from) {
        int[] idx = new int[L];
        for (int i = 0; i < L / 2; i++) {
            idx[2 * i] = from + i;
            idx[2 * i + 1] = from + i - L;
        }
        return VectorShuffle.fromArray(S, idx, 0);
    }

    /**
     * Whether the Winograd path pays: a 3x3, stride 1, dilation 1, ungrouped convolution with enough channels
     * on both sides that the two transforms are small beside the 16 products (with one input channel, the
     * first layer of an image network, the direct kernel is faster).
     */
    static boolean applies(int C, int Cout, int groups, Window2d g) {
        return groups == 1 && g.kH() == 3 && g.kW() == 3 && g.sH() == 1 && g.sW() == 1 && g.dH() == 1 && g.dW() == 1
                && C >= 8 && Cout >= 8;
    }

    /** Per-thread scratch, grown on demand and reused. */
    private static final class Buffers {
        float[] v = new float[0], m = new float[0];
        final float[] y = new float[4 * L];

        float[] v(int n) { return v.length >= n ? v : (v = new float[n]); }
        float[] m(int n) { return m.length >= n ? m : (m = new float[n]); }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * {@code out [N, Cout, Ho, Wo] = conv2d(x, w, bias, padding (pH, pW))} with {@code Ho = H + 2pH - 2},
     * {@code Wo = W + 2pW - 2}: x {@code [N, C, H, W]} at {@code xOff}, w {@code [Cout, C, 3, 3]} at
     * {@code wOff}, bias {@code [Cout]} at {@code bOff} or null; out is overwritten.
     */
    static void forward(int N, int C, int Cout, int H, int W, int pH, int pW, float[] x, int xOff,
                        float[] w, int wOff, float[] bias, int bOff, float[] out) {
        final int Ho = H + 2 * pH - 2, Wo = W + 2 * pW - 2;
        final int th = (Ho + 1) / 2, tw = (Wo + 1) / 2, unitsPerRow = (tw + L - 1) / L;
        final int units = N * th * unitsPerRow, blocks = (units + UNITS_PER_BLOCK - 1) / UNITS_PER_BLOCK;
        final int mPanels = (Cout + MR - 1) / MR, Mpad = mPanels * MR;
        final Deinterleaved xd = deinterleave(N, C, H, W, pH, pW, th, unitsPerRow, x, xOff);
        final float[] u = transformWeight(C, Cout, Mpad, w, wOff);
        // A block's work is its 16 products [Mpad, C] x [C, NR]; the transforms add a few percent.
        long flopsPerBlock = 2L * XI * Mpad * C * NR;
        int grain = (int) Math.max(1, (1L << 20) / flopsPerBlock);
        Parallel.forRange(blocks, grain, (b0, b1) -> {
            Buffers buf = BUFFERS.get();
            float[] v = buf.v(XI * C * NR), m = buf.m(XI * Mpad * NR), y = buf.y;
            int[] unitBase = new int[UNITS_PER_BLOCK], unitOut = new int[UNITS_PER_BLOCK],
                    unitTy = new int[UNITS_PER_BLOCK], unitTx = new int[UNITS_PER_BLOCK];
            for (int b = b0; b < b1; b++) {
                int inBlock = Math.min(UNITS_PER_BLOCK, units - b * UNITS_PER_BLOCK);
                for (int k = 0; k < UNITS_PER_BLOCK; k++) {
                    // A short last block repeats its last unit: valid reads, results dropped.
                    int q = b * UNITS_PER_BLOCK + Math.min(k, inBlock - 1);
                    int n = q / (th * unitsPerRow), rem = q - n * th * unitsPerRow;
                    int ty = rem / unitsPerRow, tx = (rem - ty * unitsPerRow) * L;
                    unitBase[k] = n * C * xd.plane + 2 * ty * xd.rowStride + tx;
                    unitOut[k] = n * Cout * Ho * Wo;
                    unitTy[k] = ty;
                    unitTx[k] = tx;
                }
                transformInput(C, xd, unitBase, v);
                for (int xi = 0; xi < XI; xi++) {
                    for (int r = 0; r < mPanels; r++) {
                        GemmVector.kernel(MR, C, u, (xi * Mpad + r * MR) * C, v, xi * C * NR,
                                m, (xi * Mpad + r * MR) * NR, NR, false);
                    }
                }
                for (int k = 0; k < inBlock; k++) {
                    transformOutput(Cout, Mpad, Ho, Wo, tw, m, k * L, unitOut[k], unitTy[k], unitTx[k], bias, bOff, y, out);
                }
            }
        });
        giveBack(xd.data());
    }

    /**
     * The zero-padded input with every row split into even and odd columns: row r of plane (n, c) is
     * {@code data[(n*C + c) * plane + r * rowStride ..]}, its even columns {@code 0, 2, 4, ..} first, its odd
     * columns {@code half} floats later.
     */
    record Deinterleaved(float[] data, int plane, int rowStride, int half) {}

    /**
     * Pads x by (pH, pW) with zeros, and further on the bottom and right to {@code 2*th + 2} rows and
     * {@code 2*(tilesPerRow + 1)} columns, and splits each row into its even and odd columns. A half row is
     * {@code unitsPerRow * L + L} floats: a unit's loads at tile offsets {@code t} and {@code t + 1} stay in it.
     */
    static Deinterleaved deinterleave(int N, int C, int H, int W, int pH, int pW, int th, int unitsPerRow,
                                      float[] x, int xOff) {
        final int half = unitsPerRow * L + L, rowStride = 2 * half, rows = 2 * th + 2, plane = rows * rowStride;
        final float[] d = takeSpare(N * C * plane);
        // Every element of the used region is written (zeros included): the buffer comes back dirty from the
        // last call, and clearing it separately would cost a pass of its own.
        Parallel.forRangeByCost(N * C, (long) rows * rowStride, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int src = xOff + pl * H * W, dstPlane = pl * plane;
                java.util.Arrays.fill(d, dstPlane, dstPlane + pH * rowStride, 0f);
                java.util.Arrays.fill(d, dstPlane + (pH + H) * rowStride, dstPlane + plane, 0f);
                for (int h = 0; h < H; h++) {
                    int row = dstPlane + (h + pH) * rowStride, s = src + h * W;
                    java.util.Arrays.fill(d, row, row + rowStride, 0f);
                    splitRow(x, s, W, pW, d, row, half);
                }
            }
        });
        return new Deinterleaved(d, plane, rowStride, half);
    }

    /**
     * Copies input row {@code x[s .. s + W)} into a deinterleaved row: input column wi is padded column
     * {@code c = wi + pW}, stored at {@code c / 2} of the even half ({@code d[row ..]}) or the odd half
     * ({@code d[row + half ..]}). Pairs of vectors are split with two shuffles; the last pair starts at the
     * last even offset that fits and may overlap the one before it (it rewrites the same values), and a row
     * narrower than two vectors (or an odd one's last column) goes element by element.
     */
    private static void splitRow(float[] x, int s, int W, int pW, float[] d, int row, int half) {
        int wi = 0;
        if (W >= 2 * L) {
            int last = (W - 2 * L) & ~1;
            for (int w0 = 0; ; w0 = Math.min(w0 + 2 * L, last)) {
                FloatVector a = FloatVector.fromArray(S, x, s + w0), b = FloatVector.fromArray(S, x, s + w0 + L);
                FloatVector even = a.rearrange(UNZIP_EVEN, b), odd = a.rearrange(UNZIP_ODD, b);
                // Input columns w0 + 2j are padded columns w0 + pW + 2j: even ones when pW is even.
                if ((pW & 1) == 0) {
                    even.intoArray(d, row + ((w0 + pW) >> 1));
                    odd.intoArray(d, row + half + ((w0 + pW) >> 1));
                } else {
                    even.intoArray(d, row + half + ((w0 + pW) >> 1));
                    odd.intoArray(d, row + ((w0 + pW + 1) >> 1));
                }
                if (w0 == last) break;
            }
            wi = last + 2 * L;
        }
        for (; wi < W; wi++) {
            int c = wi + pW;
            d[row + (c & 1) * half + (c >> 1)] = x[s + wi];
        }
    }

    /**
     * One deinterleaved input buffer kept between calls: a training step runs this convolution a few times
     * on inputs of tens of MB, and a fresh array each time costs its zeroing, page faults and collection,
     * as much as the copy itself. A caller that finds it taken (another thread's convolution) allocates.
     */
    private static final AtomicReference<float[]> SPARE = new AtomicReference<>();

    private static float[] takeSpare(int n) {
        float[] b = SPARE.getAndSet(null);
        return b != null && b.length >= n ? b : new float[n];
    }

    /** The largest buffer kept (64 MiB): a bigger one, from a large image or batch, is left to the collector. */
    private static final int SPARE_MAX_FLOATS = 16 << 20;

    private static void giveBack(float[] b) {
        if (b.length <= SPARE_MAX_FLOATS) SPARE.set(b);
    }

    /**
     * {@code U_ξ = G g Gᵀ} for every output channel o and input channel c, packed as {@link GemmVector}'s A
     * panels: for each ξ a {@code [Mpad, C]} matrix in MR-row panels, element (o, c) at
     * {@code (ξ*Mpad + (o/MR)*MR) * C + c*MR + o%MR}; rows past Cout are zero.
     */
    static float[] transformWeight(int C, int Cout, int Mpad, float[] w, int wOff) {
        float[] u = new float[XI * Mpad * C];
        float[] t = new float[12];
        for (int o = 0; o < Cout; o++) {
            for (int c = 0; c < C; c++) {
                int g = wOff + (o * C + c) * 9;
                // t = G g: [4, 3]
                for (int j = 0; j < 3; j++) {
                    float g0 = w[g + j], g1 = w[g + 3 + j], g2 = w[g + 6 + j];
                    t[j] = g0;
                    t[3 + j] = 0.5f * (g0 + g1 + g2);
                    t[6 + j] = 0.5f * (g0 - g1 + g2);
                    t[9 + j] = g2;
                }
                int panel = (o / MR) * MR * C + c * MR + o % MR;
                // U = t Gᵀ: [4, 4]
                for (int i = 0; i < 4; i++) {
                    float t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
                    u[(4 * i) * Mpad * C + panel] = t0;
                    u[(4 * i + 1) * Mpad * C + panel] = 0.5f * (t0 + t1 + t2);
                    u[(4 * i + 2) * Mpad * C + panel] = 0.5f * (t0 - t1 + t2);
                    u[(4 * i + 3) * Mpad * C + panel] = t2;
                }
            }
        }
        return u;
    }

    /**
     * {@code V_ξ = Bᵀ d B} for the block's three units and every input channel, written as packed B panels:
     * for each ξ a {@code [C, NR]} row-major matrix at {@code ξ*C*NR}, unit k in columns {@code k*L ..}.
     */
    private static void transformInput(int C, Deinterleaved xd, int[] unitBase, float[] v) {
        for (int k = 0; k < UNITS_PER_BLOCK; k++) {
            for (int c = 0; c < C; c++) {
                transformWindows(xd, unitBase[k] + c * xd.plane(), v, c * NR + k * L, C * NR);
            }
        }
    }

    /**
     * {@code V = Bᵀ d B} for the L windows of one unit in one channel plane ({@code base}: the unit's first
     * window's top-left element), the vector of ξ stored at {@code v[dst + ξ * xiStride ..]}. One window row r
     * at a time: {@code h_r = d_r B} from its columns e0 = 2t, o0 = 2t+1, e1 = 2t+2, o1 = 2t+3; then
     * {@code V_0j = h_0j - h_2j}, {@code V_1j = h_1j + h_2j}, {@code V_2j = h_2j - h_1j}, {@code V_3j = h_1j - h_3j}
     * at ξ = 4i + j. Rows 1 and 2 first, so that at most 12 vectors are live.
     */
    private static void transformWindows(Deinterleaved xd, int base, float[] v, int dst, int xiStride) {
        final float[] d = xd.data();
        final int rs = xd.rowStride(), half = xd.half();
        int r1 = base + rs, r2 = base + 2 * rs;
        FloatVector e0 = FloatVector.fromArray(S, d, r1), e1 = FloatVector.fromArray(S, d, r1 + 1);
        FloatVector o0 = FloatVector.fromArray(S, d, r1 + half), o1 = FloatVector.fromArray(S, d, r1 + half + 1);
        FloatVector h10 = e0.sub(e1), h11 = o0.add(e1), h12 = e1.sub(o0), h13 = o0.sub(o1);
        e0 = FloatVector.fromArray(S, d, r2); e1 = FloatVector.fromArray(S, d, r2 + 1);
        o0 = FloatVector.fromArray(S, d, r2 + half); o1 = FloatVector.fromArray(S, d, r2 + half + 1);
        FloatVector h20 = e0.sub(e1), h21 = o0.add(e1), h22 = e1.sub(o0), h23 = o0.sub(o1);
        h10.add(h20).intoArray(v, dst + 4 * xiStride);
        h11.add(h21).intoArray(v, dst + 5 * xiStride);
        h12.add(h22).intoArray(v, dst + 6 * xiStride);
        h13.add(h23).intoArray(v, dst + 7 * xiStride);
        h20.sub(h10).intoArray(v, dst + 8 * xiStride);
        h21.sub(h11).intoArray(v, dst + 9 * xiStride);
        h22.sub(h12).intoArray(v, dst + 10 * xiStride);
        h23.sub(h13).intoArray(v, dst + 11 * xiStride);
        e0 = FloatVector.fromArray(S, d, base); e1 = FloatVector.fromArray(S, d, base + 1);
        o0 = FloatVector.fromArray(S, d, base + half); o1 = FloatVector.fromArray(S, d, base + half + 1);
        e0.sub(e1).sub(h20).intoArray(v, dst);
        o0.add(e1).sub(h21).intoArray(v, dst + xiStride);
        e1.sub(o0).sub(h22).intoArray(v, dst + 2 * xiStride);
        o0.sub(o1).sub(h23).intoArray(v, dst + 3 * xiStride);
        int r3 = base + 3 * rs;
        e0 = FloatVector.fromArray(S, d, r3); e1 = FloatVector.fromArray(S, d, r3 + 1);
        o0 = FloatVector.fromArray(S, d, r3 + half); o1 = FloatVector.fromArray(S, d, r3 + half + 1);
        h10.sub(e0.sub(e1)).intoArray(v, dst + 12 * xiStride);
        h11.sub(o0.add(e1)).intoArray(v, dst + 13 * xiStride);
        h12.sub(e1.sub(o0)).intoArray(v, dst + 14 * xiStride);
        h13.sub(o0.sub(o1)).intoArray(v, dst + 15 * xiStride);
    }

    /**
     * {@code Y = Aᵀ M A} (+ bias) for the L tiles of one unit, every output channel, stored into
     * {@code out [N, Cout, Ho, Wo]}: tile t covers rows {@code 2*ty, 2*ty + 1} and columns {@code 2t, 2t + 1},
     * cut at the output's edge.
     */
    private static void transformOutput(int Cout, int Mpad, int Ho, int Wo, int tw, float[] m, int col,
                                        int outImage, int ty, int tx, float[] bias, int bOff, float[] y, float[] out) {
        final int xiStride = Mpad * NR, tiles = Math.min(L, tw - tx), oh = 2 * ty;
        final boolean secondRow = oh + 1 < Ho;
        for (int o = 0; o < Cout; o++) {
            int src = o * NR + col;
            // Y = Aᵀ M A one column j of M at a time: s_0j = M_0j + M_1j + M_2j, s_1j = M_1j - M_2j - M_3j
            // (M_ij at ξ = 4i + j), then Y_i0 = s_i0 + s_i1 + s_i2 and Y_i1 = s_i1 - s_i2 - s_i3.
            FloatVector bv = FloatVector.broadcast(S, bias == null ? 0f : bias[bOff + o]);
            FloatVector y00 = bv, y01 = bv, y10 = bv, y11 = bv;
            for (int j = 0; j < 4; j++) {
                int at = src + j * xiStride;
                FloatVector mA = FloatVector.fromArray(S, m, at), mB = FloatVector.fromArray(S, m, at + 4 * xiStride);
                FloatVector mC = FloatVector.fromArray(S, m, at + 8 * xiStride), mD = FloatVector.fromArray(S, m, at + 12 * xiStride);
                FloatVector s0 = mA.add(mB).add(mC), s1 = mB.sub(mC).sub(mD);
                if (j < 3) {
                    y00 = y00.add(s0);
                    y10 = y10.add(s1);
                }
                if (j == 1) {
                    y01 = y01.add(s0);
                    y11 = y11.add(s1);
                } else if (j > 1) {
                    y01 = y01.sub(s0);
                    y11 = y11.sub(s1);
                }
            }
            int row = outImage + o * Ho * Wo + oh * Wo + 2 * tx;
            if (tiles == L && 2 * L <= Wo - 2 * tx) {
                // A whole unit inside the plane: zip each row's two columns with two-vector shuffles.
                y00.rearrange(ZIP_LO, y01).intoArray(out, row);
                y00.rearrange(ZIP_HI, y01).intoArray(out, row + L);
                if (secondRow) {
                    y10.rearrange(ZIP_LO, y11).intoArray(out, row + Wo);
                    y10.rearrange(ZIP_HI, y11).intoArray(out, row + Wo + L);
                }
                continue;
            }
            y00.intoArray(y, 0);
            y01.intoArray(y, L);
            y10.intoArray(y, 2 * L);
            y11.intoArray(y, 3 * L);
            // Interleave the tiles' two columns back into output rows; the last tile of an odd width has one.
            int full = 2 * tiles <= Wo - 2 * tx ? tiles : tiles - 1;
            for (int t = 0; t < full; t++) {
                out[row + 2 * t] = y[t];
                out[row + 2 * t + 1] = y[L + t];
            }
            if (full < tiles) out[row + 2 * full] = y[full];
            if (secondRow) {
                row += Wo;
                for (int t = 0; t < full; t++) {
                    out[row + 2 * t] = y[2 * L + t];
                    out[row + 2 * t + 1] = y[3 * L + t];
                }
                if (full < tiles) out[row + 2 * full] = y[2 * L + full];
            }
        }
    }
}
