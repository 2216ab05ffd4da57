package org.attn4j.models.vit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.autograd.GradMode;
import org.attn4j.io.SafeTensors;
import org.attn4j.nn.Conv2d;
import org.attn4j.nn.Dropout;
import org.attn4j.nn.Identity;
import org.attn4j.nn.IncompatibleKeys;
import org.attn4j.nn.Init;
import org.attn4j.nn.LayerNorm;
import org.attn4j.nn.Linear;
import org.attn4j.nn.Module;
import org.attn4j.nn.Sequential;
import org.attn4j.nn.Tanh;
import org.attn4j.nn.UnaryModule;
import org.attn4j.ops.Joining;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The reference's {@code VisionTransformer} (Dosovitskiy et al., "An Image is Worth 16x16 Words", 2020; the code
 * is rwightman's timm implementation of 2021, with DeiT's distillation token), with timm's parameter names so
 * that timm checkpoints load unchanged:
 * <pre>
 *   x = patch_embed(img)                                   [B, N, D]
 *   x = cat(cls_token, [dist_token,] x) + pos_embed         [B, prefix + N, D]
 *   x = pos_drop(x); x = blocks(x); x = norm(x)
 *   logits = head(pre_logits(x[:, 0]))                     [B, classes]
 *   distilled: (head(x[:, 0]) + head_dist(x[:, 1])) / 2 in eval; the pair in training
 * </pre>
 * State dict: {@code cls_token [1, 1, D]}, {@code dist_token [1, 1, D]} (distilled), {@code pos_embed
 * [1, prefix + N, D]}, {@code patch_embed.proj.*}, {@code blocks.<i>.*} (see {@link Block}), {@code norm.*},
 * {@code pre_logits.fc.*} (with a representation size and not distilled), {@code head.*}, {@code head_dist.*}.
 *
 * <p>Stochastic depth rises linearly over the blocks, {@code torch.linspace(0, drop_path_ratio, depth)}. With
 * {@code num_classes = 0} the heads are identities and the model returns features.
 *
 * <p>Initialisation is the reference's {@code _init_vit_weights}: pos_embed, cls_token and dist_token
 * {@code trunc_normal_(std=0.02)}; every Linear {@code trunc_normal_(std=0.01)} with zero bias (the reference
 * writes .01 where timm uses .02); the patch convolution {@code kaiming_normal_(mode='fan_out')} with zero bias;
 * LayerNorms weight 1, bias 0. ({@code trunc_normal_}'s bounds are PyTorch's absolute [-2, 2].)
 */
public final class VisionTransformer extends UnaryModule {
    private final VitConfig config;
    private final PatchEmbed patchEmbed;
    private final Tensor clsToken, distToken, posEmbed;
    private final Dropout posDrop;
    private final Sequential blocks;
    private final List<Block> blockList;
    private final LayerNorm norm;
    private final UnaryModule preLogits, head, headDist;

    /** The outputs of both heads; {@code distLogits} is null for a model without distillation token. */
    public record Heads(Tensor logits, Tensor distLogits) {}

    /** The model's output and every block's attention weights {@code [B, heads, T, T]}, first block first. */
    public record WithAttention(Tensor output, List<Tensor> attentions) {}

    /** Builds the model described by {@code config} with the reference's initialisation, drawing from {@code g}. */
    public VisionTransformer(VitConfig config, Generator g) {
        this(config, g, true);
    }

    /**
     * Builds the model described by {@code config}. With {@code referenceInit} false the reference's
     * {@code _init_vit_weights} is skipped and the layers keep PyTorch's default initialisation (which their
     * constructors draw anyway): much cheaper for a model whose weights are about to be loaded — the truncated
     * normal draws of the reference's scheme take tens of seconds for ViT-B's 86 million parameters.
     */
    public VisionTransformer(VitConfig config, Generator g, boolean referenceInit) {
        this.config = config;
        int d = config.embedDim();
        this.patchEmbed = registerModule("patch_embed",
                new PatchEmbed(config.imgSize(), config.patchSize(), config.inChans(), d, false, g));
        this.clsToken = registerParameter("cls_token", Tensor.zeros(1, 1, d));
        this.distToken = config.distilled() ? registerParameter("dist_token", Tensor.zeros(1, 1, d)) : null;
        this.posEmbed = registerParameter("pos_embed", Tensor.zeros(1, config.numPatches() + config.numPrefixTokens(), d));
        this.posDrop = registerModule("pos_drop", new Dropout(config.dropRatio(), g));
        List<Block> list = new ArrayList<>();
        for (int i = 0; i < config.depth(); i++) {
            // torch.linspace(0, drop_path_ratio, depth)[i]
            double dpr = config.depth() == 1 ? 0 : config.dropPathRatio() * i / (config.depth() - 1);
            list.add(new Block(d, config.numHeads(), config.mlpRatio(), config.qkvBias(), config.qkScale(), config.dropRatio(),
                    config.attnDropRatio(), dpr, g));
        }
        this.blockList = Collections.unmodifiableList(list);
        this.blocks = registerModule("blocks", new Sequential(list.toArray(new UnaryModule[0])));
        this.norm = registerModule("norm", new LayerNorm(d, 1e-6));
        if (config.hasPreLogits()) {
            LinkedHashMap<String, UnaryModule> pre = new LinkedHashMap<>();
            pre.put("fc", new Linear(d, config.representationSize(), true, g));
            pre.put("act", new Tanh());
            this.preLogits = registerModule("pre_logits", new Sequential(pre));
        } else {
            this.preLogits = registerModule("pre_logits", new Identity());
        }
        this.head = registerModule("head", config.numClasses() > 0
                ? new Linear(config.numFeatures(), config.numClasses(), true, g) : new Identity());
        this.headDist = config.distilled()
                ? registerModule("head_dist", config.numClasses() > 0 ? new Linear(d, config.numClasses(), true, g) : new Identity())
                : null;
        if (referenceInit) initWeights(g);
    }

    /** The reference's weight initialisation (see the class comment). */
    private void initWeights(Generator g) {
        Init.trunc_normal_(posEmbed, 0, 0.02, -2, 2, g);
        if (distToken != null) Init.trunc_normal_(distToken, 0, 0.02, -2, 2, g);
        Init.trunc_normal_(clsToken, 0, 0.02, -2, 2, g);
        apply(m -> initVitWeights(m, g));
    }

    /** The reference's {@code _init_vit_weights(m)}. */
    static void initVitWeights(Module m, Generator g) {
        if (m instanceof Linear lin) {
            Init.trunc_normal_(lin.weight(), 0, 0.01, -2, 2, g);
            if (lin.bias() != null) Init.zeros_(lin.bias());
        } else if (m instanceof Conv2d conv) {
            Init.kaiming_normal_(conv.weight(), 0, Init.Mode.FAN_OUT, "leaky_relu", g);
            if (conv.bias() != null) Init.zeros_(conv.bias());
        } else if (m instanceof LayerNorm ln) {
            if (ln.bias() != null) Init.zeros_(ln.bias());
            if (ln.weight() != null) Init.ones_(ln.weight());
        }
    }

    public VitConfig config() {
        return config;
    }

    public PatchEmbed patchEmbed() {
        return patchEmbed;
    }

    public Tensor clsToken() {
        return clsToken;
    }

    /** The distillation token, or null. */
    public Tensor distToken() {
        return distToken;
    }

    public Tensor posEmbed() {
        return posEmbed;
    }

    /** The transformer blocks, first to last. */
    public List<Block> blocks() {
        return blockList;
    }

    public LayerNorm norm() {
        return norm;
    }

    /** The classifier (an Identity when num_classes is 0). */
    public UnaryModule head() {
        return head;
    }

    /** The distillation head, or null for a model without distillation token. */
    public UnaryModule headDist() {
        return headDist;
    }

    /**
     * All tokens after the final norm: {@code [B, C, img, img] -> [B, prefix + N, D]} (timm's modern
     * {@code forward_features}; the reference's returned {@link #preLogits} of the class token).
     */
    public Tensor forwardFeatures(Tensor x) {
        return features(x, null);
    }

    private Tensor features(Tensor x, List<Tensor> attentions) {
        Tensor t = patchEmbed.forward(x);
        int b = t.size(0), d = config.embedDim();
        List<Tensor> parts = new ArrayList<>(3);
        parts.add(clsToken.expand(b, 1, d));
        if (distToken != null) parts.add(distToken.expand(b, 1, d));
        parts.add(t);
        t = posDrop.forward(Joining.cat(parts, 1).add(posEmbed));
        for (Block blk : blockList) {
            Attention.Result r = blk.forward(t, attentions != null);
            t = r.output();
            if (attentions != null) attentions.add(r.weights());
        }
        return norm.forward(t);
    }

    /**
     * The reference's {@code forward_features} output for a model without distillation token: the class token's
     * features through pre_logits, {@code [B, num_features]}.
     */
    public Tensor preLogits(Tensor tokens) {
        return preLogits.forward(tokens.select(1, 0));
    }

    private Heads heads(Tensor tokens) {
        if (headDist == null) return new Heads(head.forward(preLogits(tokens)), null);
        return new Heads(head.forward(tokens.select(1, 0)), headDist.forward(tokens.select(1, 1)));
    }

    /** Both heads' outputs, in training or eval mode. */
    public Heads forwardHeads(Tensor x) {
        return heads(forwardFeatures(x));
    }

    /**
     * {@code [B, C, img, img] -> [B, num_classes]} logits (features when num_classes is 0). A distilled model
     * returns the average of its two heads in eval mode; in training mode the reference returns the pair, which
     * this one-tensor signature cannot, so it refuses: use {@link #forwardHeads} to train one.
     *
     * @throws IllegalStateException for a distilled model in training mode
     */
    @Override
    public Tensor forward(Tensor x) {
        return combine(heads(forwardFeatures(x)));
    }

    private Tensor combine(Heads h) {
        if (h.distLogits() == null) return h.logits();
        if (isTraining()) {
            throw new IllegalStateException("VisionTransformer: a distilled model in training mode returns two outputs"
                    + " (head, head_dist); call forwardHeads, or eval() for their average");
        }
        return h.logits().add(h.distLogits()).div(2f);
    }

    /** {@link #forward} together with every block's attention weights {@code [B, heads, T, T]}. */
    public WithAttention forwardWithAttention(Tensor x) {
        List<Tensor> attentions = new ArrayList<>();
        Tensor tokens = features(x, attentions);
        return new WithAttention(combine(heads(tokens)), List.copyOf(attentions));
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * Loads a timm-named state dict ({@code model.state_dict()} of timm's VisionTransformer or of the reference),
     * adapting it as timm's {@code checkpoint_filter_fn} does for these models: a {@code pos_embed} whose grid
     * differs from this model's is resampled ({@link PosEmbed#resample}, prefix tokens kept, old grid assumed
     * square), and {@code pre_logits.*} entries are dropped when this model has no pre-logits layer (timm
     * removed that layer). Everything else must match by name and shape ({@link Module#loadStateDict}).
     *
     * @param antialias the bicubic resampling's antialias flag (timm: true)
     * @throws IllegalArgumentException listing every missing, unexpected or mis-shaped key (nothing is copied then)
     */
    public IncompatibleKeys loadTimmStateDict(Map<String, Tensor> state, boolean strict, boolean antialias) {
        Map<String, Tensor> adapted = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String k = e.getKey();
            Tensor v = e.getValue();
            if (k.startsWith("pre_logits.") && !config.hasPreLogits()) continue;
            if (k.equals("pos_embed") && v != null && !Shape.equal(v.shape(), posEmbed.shape())) {
                if (v.dim() != 3 || v.size(2) != posEmbed.size(2)) {
                    throw new IllegalArgumentException("VisionTransformer: checkpoint pos_embed " + Shape.str(v.shape())
                            + " cannot be resampled to " + Shape.str(posEmbed.shape()) + " (embedding widths differ)");
                }
                int grid = patchEmbed.gridSize();
                try (var ignored = GradMode.noGrad()) {
                    v = PosEmbed.resample(v, new int[] {grid, grid}, null, config.numPrefixTokens(), antialias);
                }
            }
            adapted.put(k, v);
        }
        return loadStateDict(adapted, strict);
    }

    /**
     * Reads a {@code .safetensors} checkpoint with timm's names (as timm and Hugging Face publish them) into this
     * model: {@link #loadTimmStateDict} with timm's antialiased pos_embed resampling.
     *
     * @throws IOException              when the file cannot be read or is not valid safetensors
     * @throws IllegalArgumentException when the tensors do not fit this model (every problem listed)
     */
    public IncompatibleKeys loadCheckpoint(Path file, boolean strict) throws IOException {
        return loadTimmStateDict(SafeTensors.load(file), strict, true);
    }

    /**
     * Writes the state dict as {@code .safetensors} with timm's names and float32 values, metadata
     * {@code {"format": "pt"}} as PyTorch's {@code safetensors.torch.save_file} writes it; timm's
     * {@code load_checkpoint} (or {@code model.load_state_dict(safetensors.torch.load_file(f))}) reads it back.
     *
     * @throws IOException when the file cannot be written
     */
    public void saveCheckpoint(Path file) throws IOException {
        SafeTensors.save(file, stateDict(), Map.of("format", "pt"));
    }
}
