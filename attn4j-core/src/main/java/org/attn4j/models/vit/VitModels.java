package org.attn4j.models.vit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.data.images.EvalTransform;
import org.attn4j.tensor.Generator;

/**
 * The named Vision Transformers: the eight factory functions of the reference (section 4 of the tutorial,
 * the timm functions of 2021), timm's ViT-Ti/16, ViT-S/16 and DeiT-B/16 distilled, and {@code vit_fashion}, a
 * small ViT for 28x28 single-channel Fashion-MNIST images.
 *
 * <table>
 * <caption>Registered models</caption>
 * <tr><th>name</th><th>patch</th><th>D</th><th>depth</th><th>heads</th><th>pre-logits</th><th>classes</th></tr>
 * <tr><td>vit_base_patch16_224</td><td>16</td><td>768</td><td>12</td><td>12</td><td>-</td><td>1000</td></tr>
 * <tr><td>vit_base_patch16_224_in21k</td><td>16</td><td>768</td><td>12</td><td>12</td><td>768</td><td>21843</td></tr>
 * <tr><td>vit_base_patch32_224</td><td>32</td><td>768</td><td>12</td><td>12</td><td>-</td><td>1000</td></tr>
 * <tr><td>vit_base_patch32_224_in21k</td><td>32</td><td>768</td><td>12</td><td>12</td><td>768</td><td>21843</td></tr>
 * <tr><td>vit_large_patch16_224</td><td>16</td><td>1024</td><td>24</td><td>16</td><td>-</td><td>1000</td></tr>
 * <tr><td>vit_large_patch16_224_in21k</td><td>16</td><td>1024</td><td>24</td><td>16</td><td>1024</td><td>21843</td></tr>
 * <tr><td>vit_large_patch32_224_in21k</td><td>32</td><td>1024</td><td>24</td><td>16</td><td>1024</td><td>21843</td></tr>
 * <tr><td>vit_huge_patch14_224_in21k</td><td>14</td><td>1280</td><td>32</td><td>16</td><td>1280</td><td>21843</td></tr>
 * <tr><td>vit_tiny_patch16_224</td><td>16</td><td>192</td><td>12</td><td>3</td><td>-</td><td>1000</td></tr>
 * <tr><td>vit_small_patch16_224</td><td>16</td><td>384</td><td>12</td><td>6</td><td>-</td><td>1000</td></tr>
 * <tr><td>deit_base_distilled_patch16_224</td><td>16</td><td>768</td><td>12</td><td>12</td><td>-</td><td>1000 x 2</td></tr>
 * <tr><td>vit_fashion</td><td>4 (28 px, 1 channel)</td><td>96</td><td>6</td><td>4</td><td>-</td><td>10</td></tr>
 * </table>
 * All have image size 224 (but vit_fashion), mlp_ratio 4, qkv_bias true. The in21k factories' {@code has_logits}
 * is their default, true. Each model also carries the evaluation preprocessing of timm's pretrained
 * configuration for its weights ({@code _cfg} of timm's vision_transformer.py and deit.py): the ViTs bicubic,
 * crop_pct 0.9, mean = std = 0.5; DeiT bicubic, crop_pct 0.875, ImageNet mean and std. vit_fashion has none
 * (Fashion-MNIST images are already 28x28; normalise them with {@code FashionMnist.MEAN/STD}).
 */
public final class VitModels {
    private VitModels() {}

    /** A registered model: its architecture, the preprocessing of its weights (null for vit_fashion), a note. */
    public record Entry(String name, VitConfig config, EvalTransform preprocessing, String description) {}

    private static final Map<String, Entry> MODELS = new LinkedHashMap<>();

    private static void add(String name, VitConfig c, EvalTransform t, String description) {
        MODELS.put(name, new Entry(name, c, t, description));
    }

    static {
        EvalTransform vit = EvalTransform.inception(224, 0.9);
        add("vit_base_patch16_224", VitConfig.of(224, 16, 768, 12, 12, 0, 1000), vit, "ViT-B/16, ImageNet-1k");
        add("vit_base_patch16_224_in21k", VitConfig.of(224, 16, 768, 12, 12, 768, 21843), vit, "ViT-B/16, ImageNet-21k, pre-logits");
        add("vit_base_patch32_224", VitConfig.of(224, 32, 768, 12, 12, 0, 1000), vit, "ViT-B/32, ImageNet-1k");
        add("vit_base_patch32_224_in21k", VitConfig.of(224, 32, 768, 12, 12, 768, 21843), vit, "ViT-B/32, ImageNet-21k, pre-logits");
        add("vit_large_patch16_224", VitConfig.of(224, 16, 1024, 24, 16, 0, 1000), vit, "ViT-L/16, ImageNet-1k");
        add("vit_large_patch16_224_in21k", VitConfig.of(224, 16, 1024, 24, 16, 1024, 21843), vit, "ViT-L/16, ImageNet-21k, pre-logits");
        add("vit_large_patch32_224_in21k", VitConfig.of(224, 32, 1024, 24, 16, 1024, 21843), vit, "ViT-L/32, ImageNet-21k, pre-logits");
        add("vit_huge_patch14_224_in21k", VitConfig.of(224, 14, 1280, 32, 16, 1280, 21843), vit, "ViT-H/14, ImageNet-21k, pre-logits");
        add("vit_tiny_patch16_224", VitConfig.of(224, 16, 192, 12, 3, 0, 1000), vit, "ViT-Ti/16 (timm, augreg), ImageNet-1k");
        add("vit_small_patch16_224", VitConfig.of(224, 16, 384, 12, 6, 0, 1000), vit, "ViT-S/16 (timm, augreg), ImageNet-1k");
        add("deit_base_distilled_patch16_224", VitConfig.of(224, 16, 768, 12, 12, 0, 1000).withDistilled(true),
                EvalTransform.imagenet(224, EvalTransform.DEFAULT_CROP_PCT), "DeiT-B/16 distilled (timm), ImageNet-1k");
        add("vit_fashion", new VitConfig(28, 4, 1, 10, 96, 6, 4, 4.0, true, 0, 0, false, 0, 0, 0.1), null,
                "small ViT for 28x28 Fashion-MNIST: 7x7 patches of 4 px, 1 channel, 10 classes, drop_path 0.1");
    }

    /** The registered names, in the order above. */
    public static List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    /** The entry registered under {@code name}. */
    public static Entry get(String name) {
        Entry e = MODELS.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown ViT model '" + name + "' (models: " + String.join(", ", MODELS.keySet()) + ")");
        }
        return e;
    }

    /** The architecture of {@code name}. */
    public static VitConfig config(String name) {
        return get(name).config();
    }

    /** A freshly initialised {@code name} model. */
    public static VisionTransformer create(String name, Generator g) {
        return new VisionTransformer(config(name), g);
    }
}
