package org.attn4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.attn4j.models.vit.VisionTransformer;
import org.attn4j.tensor.Generator;
import org.junit.jupiter.api.Test;

class FashionModelsTest {
    @Test
    void vitTakesItsRecipesStochasticDepthOrAGivenOne() {
        // The recipe trains without stochastic depth and label smoothing (the small ViT underfits); a rate can be given.
        assertEquals(0.0, FashionModels.recipe("vit").dropPath());
        assertEquals(0f, FashionModels.recipe("vit").labelSmoothing());
        VisionTransformer byRecipe = (VisionTransformer) FashionModels.create("vit", new Generator(1));
        assertEquals(0.0, byRecipe.config().dropPathRatio());
        VisionTransformer with = (VisionTransformer) FashionModels.create("vit", 0.1, new Generator(1));
        assertEquals(0.1, with.config().dropPathRatio());
        // Only the rate differs: the same weights from the same seed.
        assertEquals(byRecipe.stateDict().keySet(), with.stateDict().keySet());
        byRecipe.stateDict().forEach((k, t) -> org.attn4j.testing.Assertions2.assertClose(k, t, with.stateDict().get(k), 0, 0));
    }

    @Test
    void modelsWithoutStochasticDepthRefuseARate() {
        assertNull(FashionModels.recipe("cnn-cbam").dropPath());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FashionModels.create("cnn-cbam", 0.1, new Generator(1)));
        assertEquals("model 'cnn-cbam' has no stochastic depth (drop path); models with it: vit", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FashionModels.create("vit", 1.5, new Generator(1)));
    }
}
