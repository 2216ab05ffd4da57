package org.attn4j.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@code nn.ModuleList}: holds modules under the names {@code "0", "1", ...} so their parameters are
 * registered (state-dict keys {@code blocks.0.attn.qkv.weight} ...), without defining a forward. Typed, so a
 * model can iterate its blocks directly: {@code for (Block b : blocks) x = b.forward(x);}.
 *
 * <p>Printed as PyTorch prints it: runs of children with identical text are folded into one entry,
 * {@code (0-11): 12 x Block(...)}.
 */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {

    @SafeVarargs
    public ModuleList(M... modules) {
        for (M m : modules) add(m);
    }

    public ModuleList(Iterable<? extends M> modules) {
        for (M m : modules) add(m);
    }

    /** Appends a module under the next index ({@code append}); returns this. */
    public ModuleList<M> add(M module) {
        if (module == null) throw new IllegalArgumentException("ModuleList: cannot add null at index " + size());
        registerModule(String.valueOf(size()), module);
        return this;
    }

    /** The modules in order (only {@link #add} puts them in, so they are all {@code M}). */
    @SuppressWarnings("unchecked")
    private List<M> items() {
        return (List<M>) List.copyOf(childSlots().values());
    }

    public M get(int i) {
        List<M> items = items();
        if (i < 0 || i >= items.size()) {
            throw new IndexOutOfBoundsException("ModuleList: index " + i + " is out of range for " + items.size() + " modules");
        }
        return items.get(i);
    }

    public int size() {
        return childSlots().size();
    }

    @Override
    public Iterator<M> iterator() {
        return items().iterator();
    }

    /** PyTorch's {@code ModuleList.__repr__}: consecutive children printing identically share one entry. */
    @Override
    List<String> childReprLines() {
        List<M> items = items();
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < items.size()) {
            String text = String.valueOf(items.get(start));
            int end = start;
            while (end + 1 < items.size() && String.valueOf(items.get(end + 1)).equals(text)) end++;
            String entry = start == end ? "(" + start + "): " + text
                    : "(" + start + "-" + end + "): " + (end - start + 1) + " x " + text;
            out.add(Repr.indent(entry, 2));
            start = end + 1;
        }
        return out;
    }
}
