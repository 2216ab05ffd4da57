package org.attn4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * The base of every network component, after PyTorch's {@code torch.nn.Module}: a module owns parameters
 * (trainable leaf tensors), buffers (state that is not trained, such as BatchNorm's running statistics) and
 * child modules, each registered under a name in declaration order. From these it derives everything PyTorch
 * does: recursive {@link #namedParameters() named parameters} with dotted names, the {@link #stateDict() state
 * dict} whose keys and order are PyTorch's (so a PyTorch checkpoint loads unchanged), {@link #train() train} /
 * {@link #eval() eval} mode, and the printed module tree.
 *
 * <p><b>Forward.</b> This class has no {@code forward}: the signature depends on the module. Modules that map
 * one tensor to one tensor extend {@link UnaryModule} ({@code Tensor forward(Tensor x)}), which is what
 * {@link Sequential} chains; modules with several inputs or outputs (attention, {@link LSTM}) extend this class
 * directly and declare their own {@code forward} methods. There are no hooks: {@code forward} is called
 * directly.
 *
 * <p><b>Registration.</b> Subclasses register in their constructor, in the order PyTorch's {@code __init__}
 * assigns attributes, since that order is the state-dict order:
 * <pre>{@code
 * class Mlp extends UnaryModule {
 *     final Linear fc1, fc2;
 *     Mlp(int d, int hidden) {
 *         fc1 = registerModule("fc1", new Linear(d, hidden, true));
 *         fc2 = registerModule("fc2", new Linear(hidden, d, true));
 *     }
 *     public Tensor forward(Tensor x) { return fc2.forward(fc1.forward(x).gelu()); }
 * }
 * }</pre>
 * Registering again under an existing name replaces the entry in place (keeping its position), as assigning
 * {@code self.weight = ...} does in PyTorch; the layers of this package read their parameters from the registry
 * on every forward, so replacing one (for instance to tie an embedding and an output projection) takes effect.
 * A null value reserves the name without an entry (PyTorch's {@code register_parameter('bias', None)}); null
 * entries are skipped everywhere.
 *
 * <p>A parameter is simply a leaf {@link Tensor} with {@code requiresGrad} on; {@link #registerParameter}
 * turns it on (freeze one afterwards with {@code requiresGrad(false)} or {@link #requiresGrad(boolean)}).
 */
public abstract class Module {
    private final LinkedHashMap<String, Tensor> parameters = new LinkedHashMap<>();
    private final LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> nonPersistentBuffers = new LinkedHashSet<>();
    private final LinkedHashMap<String, Module> modules = new LinkedHashMap<>();
    private boolean training = true;

    // ---------------------------------------------------------------- registration

    private void checkName(String kind, String name, Map<String, ?> own) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(typeName() + ": " + kind + " name can't be empty");
        }
        if (name.contains(".")) {
            throw new IllegalArgumentException(typeName() + ": " + kind + " name can't contain \".\", got \"" + name + "\"");
        }
        if ((own != parameters && parameters.containsKey(name)) || (own != buffers && buffers.containsKey(name))
                || (own != modules && modules.containsKey(name))) {
            throw new IllegalArgumentException(typeName() + ": attribute \"" + name + "\" already exists as another kind"
                    + " of member; cannot register it as a " + kind);
        }
    }

    /**
     * Registers (or replaces) a parameter. The tensor must be a float leaf; its {@code requiresGrad} is turned
     * on. Null reserves the name (as {@code register_parameter(name, None)}).
     *
     * @return the tensor
     */
    public Tensor registerParameter(String name, Tensor param) {
        checkName("parameter", name, parameters);
        if (param != null) {
            if (!param.isLeaf()) {
                throw new IllegalArgumentException(typeName() + ": parameter \"" + name + "\" must be a leaf tensor, but it"
                        + " was computed by " + param.gradFn().op() + " (register a detach()ed copy)");
            }
            param.requiresGrad(true);
        }
        parameters.put(name, param);
        return param;
    }

    /** Registers (or replaces) a persistent buffer: part of the state dict, not trained. */
    public Tensor registerBuffer(String name, Tensor buffer) {
        return registerBuffer(name, buffer, true);
    }

    /**
     * Registers (or replaces) a buffer. A non-persistent buffer is still returned by {@link #buffers()} but is
     * left out of the {@link #stateDict()} and not expected by {@link #loadStateDict} (as PyTorch's
     * {@code persistent=False}).
     */
    public Tensor registerBuffer(String name, Tensor buffer, boolean persistent) {
        checkName("buffer", name, buffers);
        buffers.put(name, buffer);
        if (persistent) nonPersistentBuffers.remove(name); else nonPersistentBuffers.add(name);
        return buffer;
    }

    /** Registers (or replaces) a child module; its state-dict keys get the prefix {@code name + "."}. */
    public <M extends Module> M registerModule(String name, M module) {
        checkName("module", name, modules);
        if (module == this) throw new IllegalArgumentException(typeName() + ": a module cannot be its own child \"" + name + "\"");
        modules.put(name, module);
        return module;
    }

    /** This module's own parameter {@code name} (may be null if registered as null). */
    public Tensor parameter(String name) {
        if (!parameters.containsKey(name)) {
            throw new IllegalArgumentException(typeName() + " has no parameter \"" + name + "\"; it has " + parameters.keySet());
        }
        return parameters.get(name);
    }

    /** This module's own buffer {@code name} (may be null if registered as null). */
    public Tensor buffer(String name) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException(typeName() + " has no buffer \"" + name + "\"; it has " + buffers.keySet());
        }
        return buffers.get(name);
    }

    /** This module's direct child {@code name} (may be null if registered as null). */
    public Module child(String name) {
        if (!modules.containsKey(name)) {
            throw new IllegalArgumentException(typeName() + " has no child module \"" + name + "\"; it has " + modules.keySet());
        }
        return modules.get(name);
    }

    /**
     * The registered children exactly as registered (a module registered twice appears twice; null entries
     * included), read-only: what {@link Sequential} and {@link ModuleList} iterate.
     */
    Map<String, Module> childSlots() {
        return Collections.unmodifiableMap(modules);
    }

    // ---------------------------------------------------------------- traversal

    /**
     * Every module of the tree with its dotted name ({@code ""} for this one), in pre-order; a module reachable
     * twice is listed once, under its first name ({@code named_modules()}).
     */
    public Map<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, Collections.newSetFromMap(new IdentityHashMap<>()), out);
        return out;
    }

    private static void collectModules(String prefix, Module m, Set<Module> seen, Map<String, Module> out) {
        if (!seen.add(m)) return;
        out.put(prefix, m);
        for (Map.Entry<String, Module> e : m.modules.entrySet()) {
            if (e.getValue() != null) collectModules(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), seen, out);
        }
    }

    /** {@link #namedModules()} without the names. */
    public List<Module> modules() {
        return new ArrayList<>(namedModules().values());
    }

    /** The direct children with their names, each module once ({@code named_children()}). */
    public Map<String, Module> namedChildren() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            if (e.getValue() != null && seen.add(e.getValue())) out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** The direct children ({@code children()}). */
    public List<Module> children() {
        return new ArrayList<>(namedChildren().values());
    }

    /**
     * All parameters with dotted names: each module's own parameters in registration order, modules in
     * pre-order; a tensor shared by several modules (tied weights) is listed once, under its first name, as
     * PyTorch's {@code named_parameters()} does.
     */
    public Map<String, Tensor> namedParameters() {
        return namedParameters(true);
    }

    /** With {@code recurse} false, only this module's own parameters. */
    public Map<String, Tensor> namedParameters(boolean recurse) {
        return namedMembers(recurse, m -> m.parameters);
    }

    /** {@link #namedParameters()} without the names: what an optimizer is given. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** All buffers (persistent or not) with dotted names, deduplicated like {@link #namedParameters()}. */
    public Map<String, Tensor> namedBuffers() {
        return namedMembers(true, m -> m.buffers);
    }

    public List<Tensor> buffers() {
        return new ArrayList<>(namedBuffers().values());
    }

    private Map<String, Tensor> namedMembers(boolean recurse, java.util.function.Function<Module, Map<String, Tensor>> members) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, Module> mods = recurse ? namedModules() : Map.of("", this);
        for (Map.Entry<String, Module> me : mods.entrySet()) {
            String prefix = me.getKey().isEmpty() ? "" : me.getKey() + ".";
            for (Map.Entry<String, Tensor> e : members.apply(me.getValue()).entrySet()) {
                if (e.getValue() != null && seen.add(e.getValue())) out.put(prefix + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Total number of elements over {@link #parameters()} (shared tensors counted once). */
    public long numParameters() {
        long n = 0;
        for (Tensor p : parameters()) n += p.numel();
        return n;
    }

    // ---------------------------------------------------------------- state dict

    /**
     * The module's state as PyTorch's {@code state_dict()} lays it out: for each module, its own parameters,
     * then its own persistent buffers, then each child's entries under {@code childName + "."}, recursively
     * ({@code _save_to_state_dict} followed by the children). Shared tensors and modules appear under every
     * name, as in PyTorch. Values are {@link Tensor#detach() detached} views sharing storage with the module.
     */
    public Map<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        saveTo(out, "");
        return out;
    }

    private void saveTo(Map<String, Tensor> out, String prefix) {
        for (Map.Entry<String, Tensor> e : localState().entrySet()) out.put(prefix + e.getKey(), e.getValue().detach());
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            if (e.getValue() != null) e.getValue().saveTo(out, prefix + e.getKey() + ".");
        }
    }

    /** Own non-null parameters then own non-null persistent buffers: what the state dict holds for this module. */
    private Map<String, Tensor> localState() {
        LinkedHashMap<String, Tensor> local = new LinkedHashMap<>();
        parameters.forEach((k, v) -> { if (v != null) local.put(k, v); });
        buffers.forEach((k, v) -> { if (v != null && !nonPersistentBuffers.contains(k)) local.put(k, v); });
        return local;
    }

    /**
     * Copies values from a state dict into this module's parameters and buffers, in place and without recording
     * autograd, as PyTorch's {@code load_state_dict(state_dict, strict)}.
     *
     * <p>Every problem is collected before anything is copied, and if there is any problem nothing is modified
     * (PyTorch copies as it goes; here a failed load leaves the model as it was). A problem is: a key of the
     * model absent from {@code state} (missing; only with {@code strict}), a key of {@code state} the model does
     * not have (unexpected; only with {@code strict}), or a shape that differs (always, as in PyTorch). The
     * {@link IllegalArgumentException} lists all of them in PyTorch's wording:
     * <pre>
     * Error(s) in loading state_dict for Net:
     * 	Missing key(s) in state_dict: "fc.bias".
     * 	Unexpected key(s) in state_dict: "fc.scale".
     * 	size mismatch for fc.weight: copying a param with shape [3, 4] from checkpoint, the shape in current model is [2, 4].
     * </pre>
     *
     * @return the missing and unexpected keys (both empty after a successful strict load)
     */
    public IncompatibleKeys loadStateDict(Map<String, Tensor> state, boolean strict) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<Tensor[]> copies = new ArrayList<>();
        planLoad(new ArrayList<>(state.keySet()), state, "", missing, unexpected, errors, copies);
        if (strict) {
            if (!unexpected.isEmpty()) errors.add(0, "Unexpected key(s) in state_dict: " + quoted(unexpected) + ".");
            if (!missing.isEmpty()) errors.add(0, "Missing key(s) in state_dict: " + quoted(missing) + ".");
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + typeName() + ":\n\t" + String.join("\n\t", errors));
        }
        try (var ignored = GradMode.noGrad()) {
            for (Tensor[] c : copies) c[0].copy_(c[1]);
        }
        return new IncompatibleKeys(missing, unexpected);
    }

    /**
     * One module's part of {@link #loadStateDict}, following PyTorch's {@code _load_from_state_dict}: own
     * entries are matched by key; a key under this prefix is unexpected when its first name component is
     * neither an own entry (for a leaf name) nor a child (for a dotted name). Children see only the keys under
     * their own prefix.
     */
    private void planLoad(List<String> keys, Map<String, Tensor> state, String prefix, List<String> missing,
                          List<String> unexpected, List<String> errors, List<Tensor[]> copies) {
        Map<String, Tensor> local = localState();
        for (Map.Entry<String, Tensor> e : local.entrySet()) {
            String key = prefix + e.getKey();
            if (!state.containsKey(key)) {
                missing.add(key);
                continue;
            }
            Tensor input = state.get(key);
            Tensor own = e.getValue();
            if (input == null) {
                errors.add("While copying the parameter named \"" + key + "\", expected a Tensor from checkpoint but received null");
            } else if (!Shape.equal(input.shape(), own.shape())) {
                errors.add("size mismatch for " + key + ": copying a param with shape " + Shape.str(input.shape())
                        + " from checkpoint, the shape in current model is " + Shape.str(own.shape()) + ".");
            } else {
                copies.add(new Tensor[] {own, input});
            }
        }
        for (String key : keys) {
            if (!key.startsWith(prefix)) continue;
            String rest = key.substring(prefix.length());
            int dot = rest.indexOf('.');
            boolean known = dot >= 0 ? modules.containsKey(rest.substring(0, dot)) : local.containsKey(rest);
            if (!known) unexpected.add(key);
        }
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            if (e.getValue() == null) continue;
            String childPrefix = prefix + e.getKey() + ".";
            List<String> childKeys = new ArrayList<>();
            for (String k : keys) if (k.startsWith(childPrefix)) childKeys.add(k);
            e.getValue().planLoad(childKeys, state, childPrefix, missing, unexpected, errors, copies);
        }
    }

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            if (sb.length() > 0) sb.append(", ");
            sb.append('"').append(k).append('"');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- modes and bulk operations

    /** Sets training mode on this module and all descendants ({@code train(mode)}); returns this. */
    public Module train(boolean mode) {
        training = mode;
        for (Module m : children()) m.train(mode);
        return this;
    }

    public Module train() {
        return train(true);
    }

    /** {@code train(false)}: dropout off, BatchNorm uses its running statistics. */
    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Calls {@code fn} on every descendant, children first, then on this module, as PyTorch's {@code apply}. */
    public Module apply(Consumer<Module> fn) {
        for (Module m : children()) m.apply(fn);
        fn.accept(this);
        return this;
    }

    /** Sets every parameter's gradient to null ({@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        for (Tensor p : parameters()) p.zeroGrad();
    }

    /** Turns {@code requiresGrad} on or off for every parameter ({@code requires_grad_}); returns this. */
    public Module requiresGrad(boolean on) {
        for (Tensor p : parameters()) p.requiresGrad(on);
        return this;
    }

    // ---------------------------------------------------------------- printing

    /** The name printed for this module: the class's simple name, as PyTorch's {@code _get_name()}. */
    public String typeName() {
        String n = getClass().getSimpleName();
        return n.isEmpty() ? getClass().getName().substring(getClass().getName().lastIndexOf('.') + 1) : n;
    }

    /**
     * The module's settings as printed between its parentheses, in PyTorch's {@code extra_repr} text (for
     * example {@code in_features=4, out_features=2, bias=True}); empty by default. See {@link Repr} for
     * Python-style values.
     */
    public String extraRepr() {
        return "";
    }

    /** {@code TypeName(extraRepr)} on one line: used to name the module in error messages. */
    public String header() {
        return typeName() + "(" + extraRepr() + ")";
    }

    /**
     * The module tree as PyTorch prints it ({@code Module.__repr__}): the type name, the extra repr, and each
     * child as {@code (name): child} indented by two spaces.
     */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        String extra = extraRepr();
        List<String> extraLines = extra.isEmpty() ? List.of() : List.of(extra.split("\n", -1));
        lines.addAll(extraLines);
        List<String> childLines = childReprLines();
        lines.addAll(childLines);
        StringBuilder sb = new StringBuilder(typeName()).append('(');
        if (!lines.isEmpty()) {
            if (extraLines.size() == 1 && childLines.isEmpty()) {
                sb.append(extraLines.get(0));
            } else {
                sb.append("\n  ").append(String.join("\n  ", lines)).append('\n');
            }
        }
        return sb.append(')').toString();
    }

    /** One {@code (name): repr} entry per registered child; {@link ModuleList} overrides this to fold repeats. */
    List<String> childReprLines() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            out.add(Repr.indent("(" + e.getKey() + "): " + (e.getValue() == null ? "None" : e.getValue().toString()), 2));
        }
        return out;
    }
}
