package org.attn4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Tensor;

/**
 * {@code nn.Sequential}: applies its children in order, each to the previous one's output. Children are named
 * {@code "0", "1", ...} (so a state dict has keys such as {@code 0.weight, 2.bias}), or by the names given in
 * an ordered map, as {@code nn.Sequential(OrderedDict(...))}. The same module may appear twice; it then runs
 * twice, as in PyTorch.
 */
public final class Sequential extends UnaryModule {
    /** Children named by position. */
    public Sequential(UnaryModule... layers) {
        for (UnaryModule m : layers) append(m);
    }

    /** Children named by the map's keys, in its iteration order (pass a {@link java.util.LinkedHashMap}). */
    public Sequential(Map<String, ? extends UnaryModule> layers) {
        layers.forEach(this::registerModule);
    }

    /** Adds a layer at the end, named by its position ({@code append}); returns this. */
    public Sequential append(UnaryModule layer) {
        registerModule(String.valueOf(size()), layer);
        return this;
    }

    /** The number of layers. */
    public int size() {
        return childSlots().size();
    }

    /** The layer at position {@code i}. */
    public UnaryModule get(int i) {
        List<Module> layers = new ArrayList<>(childSlots().values());
        if (i < 0 || i >= layers.size()) {
            throw new IndexOutOfBoundsException("Sequential: index " + i + " is out of range for " + layers.size() + " layers");
        }
        return (UnaryModule) layers.get(i);
    }

    /**
     * Runs every layer in order. Layers are {@link UnaryModule}s by construction; a non-unary module put in
     * with {@link #registerModule} is refused here, naming it. A {@link BatchNorm} directly followed by a
     * {@link ReLU} runs as one op ({@link BatchNorm#forwardRelu}): the same values and gradients, two fewer
     * tensors of the activation's size.
     */
    @Override
    public Tensor forward(Tensor x) {
        List<Map.Entry<String, Module>> children = new ArrayList<>(childSlots().entrySet());
        for (int i = 0; i < children.size(); i++) {
            UnaryModule layer = unary(children.get(i));
            if (layer instanceof BatchNorm bn && i + 1 < children.size() && unary(children.get(i + 1)) instanceof ReLU) {
                x = bn.forwardRelu(x);
                i++;
            } else {
                x = layer.forward(x);
            }
        }
        return x;
    }

    private static UnaryModule unary(Map.Entry<String, Module> child) {
        if (!(child.getValue() instanceof UnaryModule layer)) {
            throw new IllegalStateException("Sequential: child (" + child.getKey() + ") "
                    + (child.getValue() == null ? "None" : child.getValue().header()) + " is not a UnaryModule and cannot be chained");
        }
        return layer;
    }
}
