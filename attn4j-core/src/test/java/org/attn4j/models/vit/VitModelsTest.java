package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.attn4j.data.images.EvalTransform;
import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.Test;

/**
 * The registry: every variant's parameter count, and the counting formula against built models.
 *
 * <p>The expected counts are timm's ({@code sum(p.numel() for p in model.parameters())}): ViT-Ti/16 5,717,416,
 * ViT-S/16 22,050,664, ViT-B/16 86,567,656, ViT-B/32 88,224,232, ViT-L/16 304,326,632 and DeiT-B distilled
 * 87,338,192 for 1000 classes. The in21k variants (21843 classes and a pre-logits layer of width D, which current
 * timm no longer builds) are derived by hand from the reference's shapes: the 1000-class count, minus the
 * 1000-class head, plus the 21843-class head {@code D·21843 + 21843} and the pre-logits {@code D·D + D}; for
 * ViT-H/14: patch conv 1280·3·14·14 + 1280, 257 + 1 tokens of 1280, 32 blocks of 19,677,440, final norm 2560.
 */
class VitModelsTest {
    static final Map<String, Long> TIMM_COUNTS = Map.ofEntries(
            Map.entry("vit_tiny_patch16_224", 5_717_416L),
            Map.entry("vit_small_patch16_224", 22_050_664L),
            Map.entry("vit_base_patch16_224", 86_567_656L),
            Map.entry("vit_base_patch32_224", 88_224_232L),
            Map.entry("vit_large_patch16_224", 304_326_632L),
            Map.entry("deit_base_distilled_patch16_224", 87_338_192L),
            // 86,567,656 - 769,000 + 16,797,267 + 590,592
            Map.entry("vit_base_patch16_224_in21k", 103_186_515L),
            // 88,224,232 - 769,000 + 16,797,267 + 590,592
            Map.entry("vit_base_patch32_224_in21k", 104_843_091L),
            // 304,326,632 - 1,025,000 + 22,389,075 + 1,049,600
            Map.entry("vit_large_patch16_224_in21k", 326_740_307L),
            // ViT-L/32 1000-class 306,535,400 - 1,025,000 + 22,389,075 + 1,049,600
            Map.entry("vit_large_patch32_224_in21k", 328_949_075L),
            // 753,920 + 330,240 + 629,678,080 + 2,560 + 1,639,680 + 27,980,883
            Map.entry("vit_huge_patch14_224_in21k", 660_385_363L));

    @Test
    void everyVariantHasTimmsParameterCount() {
        for (Map.Entry<String, Long> e : TIMM_COUNTS.entrySet()) {
            assertEquals(e.getValue(), VitModels.config(e.getKey()).parameterCount(), e.getKey());
        }
        // ViT-H/14 with a plain 1000-class head is the "632M" model.
        assertEquals(632_045_800L, VitModels.config("vit_huge_patch14_224_in21k").withRepresentationSize(0).withNumClasses(1000)
                .parameterCount());
    }

    /**
     * Built models count what the formula says: ViT-Ti and ViT-S whole, every registered architecture with one
     * block and 3 classes (the head's share is the same product for any class count), and a model without qkv
     * bias and a fractional mlp_ratio. Built without the reference's (slow) truncated-normal init.
     */
    @Test
    void theFormulaCountsWhatIsBuilt() {
        Generator g = new Generator(1);
        assertEquals(5_717_416L, new VisionTransformer(VitModels.config("vit_tiny_patch16_224"), g, false).numParameters());
        assertEquals(22_050_664L, new VisionTransformer(VitModels.config("vit_small_patch16_224"), g, false).numParameters());
        for (String name : VitModels.names()) {
            VitConfig c = VitModels.config(name).withDepth(1).withNumClasses(3);
            assertEquals(c.parameterCount(), new VisionTransformer(c, g, false).numParameters(), name + " with one block");
        }
        VitConfig noBias = new VitConfig(32, 8, 2, 3, 16, 2, 4, 2.5, false, 0, 0, false, 0, 0, 0);
        assertEquals(noBias.parameterCount(), new VisionTransformer(noBias, g).numParameters(), "qkv_bias=False, mlp_ratio 2.5");
        assertEquals(VitModels.config("vit_fashion").parameterCount(), VitModels.create("vit_fashion", g).numParameters());
    }

    @Test
    void namesAndPreprocessing() {
        assertEquals(List.of("vit_base_patch16_224", "vit_base_patch16_224_in21k", "vit_base_patch32_224",
                "vit_base_patch32_224_in21k", "vit_large_patch16_224", "vit_large_patch16_224_in21k",
                "vit_large_patch32_224_in21k", "vit_huge_patch14_224_in21k", "vit_tiny_patch16_224", "vit_small_patch16_224",
                "deit_base_distilled_patch16_224", "vit_fashion"), VitModels.names());
        EvalTransform vit = VitModels.get("vit_base_patch16_224").preprocessing();
        assertEquals(248, vit.scaleSize());
        assertEquals(0.5f, vit.mean()[0]);
        EvalTransform deit = VitModels.get("deit_base_distilled_patch16_224").preprocessing();
        assertEquals(256, deit.scaleSize());
        assertEquals(0.485f, deit.mean()[0]);
        assertNull(VitModels.get("vit_fashion").preprocessing());
        VitConfig f = VitModels.config("vit_fashion");
        assertEquals(1, f.inChans());
        assertEquals(49, f.numPatches());
        var e = assertThrows(IllegalArgumentException.class, () -> VitModels.get("vit_giant"));
        assertEquals("unknown ViT model 'vit_giant' (models: " + String.join(", ", VitModels.names()) + ")", e.getMessage());
    }

    @Test
    void configRejectsInconsistentShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> VitConfig.of(224, 16, 100, 1, 3, 0, 10));
        assertEquals("VitConfig: embed_dim 100 is not divisible by num_heads 3", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VitConfig.of(8, 16, 96, 1, 3, 0, 10));
    }
}
