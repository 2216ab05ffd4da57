package org.attn4j.optim;

import static org.attn4j.optim.SGDTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.models.FashionModels;
import org.attn4j.models.vit.VisionTransformer;
import org.attn4j.models.vit.VitModels;
import org.attn4j.nn.Module;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Parameter groups, and timm's weight-decay convention ({@code timm.optim.param_groups_weight_decay} with the
 * model's {@code no_weight_decay()} names) on real models: which parameter names land in the decayed group
 * and which in the one without decay. The expected names are written out from timm's state-dict naming of
 * these architectures, not read from the grouping.
 */
class ParamGroupTest {
    /** Parameter names of {@code group}, looked up in {@code model}'s named parameters. */
    private static List<String> names(Module model, ParamGroup group) {
        Map<Tensor, String> nameOf = new IdentityHashMap<>();
        model.namedParameters().forEach((k, v) -> nameOf.put(v, k));
        return group.params().stream().map(nameOf::get).toList();
    }

    @Test
    void aVitDecaysOnlyItsWeightMatricesAndPatchKernel() {
        VisionTransformer vit = VitModels.create("vit_fashion", new Generator(1));   // 6 blocks
        List<ParamGroup> groups = ParamGroup.weightDecayGroups(vit.namedParameters(), 1e-3, 0.05);
        assertEquals(2, groups.size());
        List<String> decay = new ArrayList<>(List.of("patch_embed.proj.weight"));
        List<String> noDecay = new ArrayList<>(List.of("cls_token", "pos_embed", "patch_embed.proj.bias"));
        for (int b = 0; b < 6; b++) {
            String p = "blocks." + b + ".";
            decay.addAll(List.of(p + "attn.qkv.weight", p + "attn.proj.weight", p + "mlp.fc1.weight", p + "mlp.fc2.weight"));
            noDecay.addAll(List.of(p + "norm1.weight", p + "norm1.bias", p + "attn.qkv.bias", p + "attn.proj.bias",
                    p + "norm2.weight", p + "norm2.bias", p + "mlp.fc1.bias", p + "mlp.fc2.bias"));
        }
        decay.add("head.weight");
        noDecay.addAll(List.of("norm.weight", "norm.bias", "head.bias"));
        assertEquals(decay, names(vit, groups.get(0)), "decayed, in model order");
        assertEquals(noDecay.stream().sorted().toList(), names(vit, groups.get(1)).stream().sorted().toList(), "not decayed");
        assertEquals(0.05, groups.get(0).weightDecay(), 0);
        assertEquals(0.0, groups.get(1).weightDecay(), 0);
        assertEquals(1e-3, groups.get(1).lr(), 0);
        assertEquals(vit.parameters().size(), groups.get(0).params().size() + groups.get(1).params().size());
    }

    @Test
    void theDistillationTokenIsNotDecayedButItsHeadIs() {
        var config = VitModels.config("vit_fashion").withDistilled(true);
        VisionTransformer deit = new VisionTransformer(config, new Generator(2));
        List<ParamGroup> groups = ParamGroup.weightDecayGroups(deit.namedParameters(), 1e-3, 0.05);
        List<String> decay = names(deit, groups.get(0)), noDecay = names(deit, groups.get(1));
        assertEquals(List.of("cls_token", "dist_token", "pos_embed"), noDecay.subList(0, 3));
        assertEquals(List.of("head.weight", "head_dist.weight"), decay.subList(decay.size() - 2, decay.size()));
        assertEquals(List.of("head.bias", "head_dist.bias"), noDecay.subList(noDecay.size() - 2, noDecay.size()));
    }

    @Test
    void aCnnDecaysItsKernelsAndLinearWeightsButNotBatchNorm() {
        Module cnn = FashionModels.create("cnn", new Generator(3));
        List<ParamGroup> groups = ParamGroup.weightDecayGroups(cnn.namedParameters(), 0.1, 5e-4);
        // stage.0/.3: Conv2d without bias; stage.1/.4: BatchNorm2d; head.2/.5: Linear.
        assertEquals(List.of("stage1.0.weight", "stage1.3.weight", "stage2.0.weight", "stage2.3.weight", "head.2.weight",
                "head.5.weight"), names(cnn, groups.get(0)));
        assertEquals(List.of("stage1.1.weight", "stage1.1.bias", "stage1.4.weight", "stage1.4.bias", "stage2.1.weight",
                "stage2.1.bias", "stage2.4.weight", "stage2.4.bias", "head.2.bias", "head.5.bias"), names(cnn, groups.get(1)));
    }

    @Test
    void theRuleByNameAndShape() {
        Tensor matrix = Tensor.zeros(3, 4), vector = Tensor.zeros(4), scalar = Tensor.zeros(1);
        assertEquals(false, ParamGroup.noWeightDecay("fc.weight", matrix));
        assertEquals(true, ParamGroup.noWeightDecay("fc.bias", vector));
        assertEquals(true, ParamGroup.noWeightDecay("fc.bias", matrix), "timm: name.endswith('.bias'), whatever its shape");
        assertEquals(true, ParamGroup.noWeightDecay("norm.weight", vector), "1-D: norm weights");
        assertEquals(true, ParamGroup.noWeightDecay("attention.gamma", scalar), "1-D: a learned scale");
        assertEquals(true, ParamGroup.noWeightDecay("pos_embed", Tensor.zeros(1, 50, 96)));
        assertEquals(true, ParamGroup.noWeightDecay("backbone.cls_token", Tensor.zeros(1, 1, 96)), "also when nested");
        assertEquals(true, ParamGroup.noWeightDecay("layers.0.blocks.1.attn.relative_position_bias_table", Tensor.zeros(169, 3)));
        assertEquals(false, ParamGroup.noWeightDecay("attn.bias_k", Tensor.zeros(1, 1, 8)), "bias_k is a learned key, not a bias");
    }

    @Test
    void frozenParametersAreLeftOutAndAnEmptyGroupIsDropped() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        Tensor w = Tensor.zeros(2, 2).requiresGrad(true), frozen = Tensor.zeros(2).requiresGrad(false);
        named.put("fc.weight", w);
        named.put("fc.bias", frozen);
        List<ParamGroup> groups = ParamGroup.weightDecayGroups(named, 0.1, 0.01);
        assertEquals(1, groups.size(), "the only no-decay parameter is frozen: no empty group");
        assertSame(w, groups.get(0).params().get(0));
        w.requiresGrad(false);
        assertMessage(() -> ParamGroup.weightDecayGroups(named, 0.1, 0.01), "none of the 2 parameters requires grad");
    }

    @Test
    void withZeroGradientsAdamWOnlyShrinksTheDecayedGroup() {
        // AdamW with zero gradients moves nothing but by its decoupled decay, p *= 1 - lr·wd: what the groups
        // are for.
        VisionTransformer vit = VitModels.create("vit_fashion", new Generator(4));
        Map<String, float[]> before = new LinkedHashMap<>();
        vit.namedParameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
        Adam adamW = Adam.adamW(ParamGroup.weightDecayGroups(vit.namedParameters(), 0.01, 0.5), 0.9, 0.999, 1e-8);
        vit.parameters().forEach(p -> p.setGrad(Tensor.zerosLike(p)));
        adamW.step();
        float factor = (float) (1 - 0.01 * 0.5);
        vit.namedParameters().forEach((k, p) -> {
            float[] old = before.get(k), now = p.toFloatArray();
            if (ParamGroup.noWeightDecay(k, p)) {
                assertArrayEquals(old, now, k + " is not decayed");
            } else {
                for (int i = 0; i < old.length; i++) assertEquals(old[i] * factor, now[i], 0f, k + " shrinks by 1 - lr·wd");
            }
        });
    }

    @Test
    void badGroupsAreRefused() {
        List<Tensor> ok = List.of(Tensor.zeros(2).requiresGrad(true));
        assertMessage(() -> new ParamGroup(ok, -1e-3, 0), "learning rate", "-0.001");
        assertMessage(() -> new ParamGroup(ok, Double.POSITIVE_INFINITY, 0), "learning rate", "Infinity");
        assertMessage(() -> new ParamGroup(ok, 1e-3, Double.NaN), "weight_decay", "NaN");
        assertMessage(() -> new ParamGroup(List.of(Tensor.zeros(2, 3)), 1e-3, 0), "require grad", "[2, 3]");
        Tensor leaf = Tensor.zeros(2, 3).requiresGrad(true);
        assertMessage(() -> new ParamGroup(List.of(leaf.mul(2f)), 1e-3, 0), "leaf", "[2, 3]");
    }
}
