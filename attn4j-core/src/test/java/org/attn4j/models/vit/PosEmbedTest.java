package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.attn4j.ops.Interpolation;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * resample_abs_pos_embed: the prefix tokens pass through, the grid goes through a bicubic resize laid out as an
 * image. The antialias=True path (timm's default) is composed in libtorch exactly as timm writes it (slice,
 * reshape, permute, interpolate, permute, reshape, cat; DJL's interpolate is antialiased, see
 * InterpolationTest); tolerance atol 2e-6, rtol 1e-6 (a weighted sum of up to ~10 values per output, a few
 * float32 ulps). The antialias=False path is the same layout around {@link Interpolation#bicubic}, whose plain
 * kernel InterpolationTest checks against PyTorch's formula.
 */
class PosEmbedTest {
    private static Tensor torchResample(Tensor posemb, int prefix, int oh, int ow, int nh, int nw) {
        try (NDManager m = Torch.scope()) {
            NDArray p = Torch.nd(m, posemb);
            long d = p.getShape().get(2);
            NDArray pre = p.get(new NDIndex(":, 0:" + prefix + ", :"));
            NDArray grid = p.get(new NDIndex(":, " + prefix + ":, :")).reshape(1, oh, ow, d).transpose(0, 3, 1, 2);
            NDArray r = JniUtils.interpolate((PtNDArray) grid, new long[] {nh, nw}, 3, false);
            NDArray back = r.transpose(0, 2, 3, 1).reshape(1, (long) nh * nw, d);
            return Torch.tensor(prefix == 0 ? back : NDArrays.concat(new ai.djl.ndarray.NDList(pre, back), 1));
        }
    }

    @Test
    void antialiasedBicubicMatchesTimmsCompositionInLibtorch() {
        Generator g = new Generator(3);
        int[][] cases = {{1, 14, 14, 24, 24}, {2, 14, 14, 12, 12}, {1, 7, 7, 7, 10}, {0, 4, 6, 8, 3}};
        for (int[] c : cases) {
            Tensor pe = Tensor.randn(g, 1, c[0] + c[1] * c[2], 16);
            Tensor ours = PosEmbed.resample(pe, new int[] {c[3], c[4]}, new int[] {c[1], c[2]}, c[0], true);
            Assertions2.assertClose("resample " + java.util.Arrays.toString(c), torchResample(pe, c[0], c[1], c[2], c[3], c[4]), ours, 2e-6, 1e-6);
        }
    }

    @Test
    void prefixTokensAreKeptAndTheGridIsResizedAsAnImage() {
        Generator g = new Generator(4);
        Tensor pe = Tensor.randn(g, 1, 2 + 16, 5);
        Tensor out = PosEmbed.resample(pe, new int[] {6, 6}, null, 2, false);
        assertArrayEquals(new int[] {1, 2 + 36, 5}, out.shape());
        Assertions2.assertClose("prefix", pe.narrow(1, 0, 2), out.narrow(1, 0, 2), 0, 0);
        Tensor image = pe.narrow(1, 2, 16).reshape(1, 4, 4, 5).permute(0, 3, 1, 2);
        Tensor expected = Interpolation.bicubic(image, 6, 6, false).permute(0, 2, 3, 1).reshape(1, 36, 5);
        Assertions2.assertClose("grid", expected, out.narrow(1, 2, 36), 0, 0);
    }

    @Test
    void sameGridIsReturnedAsIs() {
        Tensor pe = Tensor.zeros(1, 197, 8);
        assertSame(pe, PosEmbed.resample(pe, new int[] {14, 14}, null, 1, true));
    }

    @Test
    void impossibleGridsAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PosEmbed.resample(Tensor.zeros(1, 1 + 15, 8), new int[] {4, 4}, null, 1, true));
        assertEquals("resample_abs_pos_embed: pos_embed [1, 16, 8] has 15 grid tokens after 1 prefix tokens, which is not a"
                + " square grid; give the old grid size", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PosEmbed.resample(Tensor.zeros(1, 1 + 15, 8), new int[] {4, 4}, new int[] {4, 4}, 1, true));
        assertEquals("resample_abs_pos_embed: old grid [4, 4] does not hold the 15 grid tokens of pos_embed [1, 16, 8] (1 prefix tokens)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PosEmbed.resample(Tensor.zeros(197, 8), new int[] {4, 4}, null, 1, true));
        // A rectangular old grid given explicitly is fine.
        assertEquals(1 + 9, PosEmbed.resample(Tensor.zeros(1, 1 + 15, 8), new int[] {3, 3}, new int[] {3, 5}, 1, false).size(1));
    }
}
