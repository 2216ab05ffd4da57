package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The Module contract against PyTorch's: names and order of parameters, buffers and state-dict keys,
 * load_state_dict's matching and error text, train/eval, apply and the printed tree. The expected key lists
 * and texts are what PyTorch 2.x produces for the equivalent Python module, written out by hand from
 * {@code torch/nn/modules/module.py} ({@code _save_to_state_dict}, {@code _load_from_state_dict},
 * {@code _named_members}, {@code __repr__}).
 */
class ModuleTest {
    /**
     * <pre>
     * class Net(nn.Module):
     *     def __init__(self):
     *         super().__init__()
     *         self.fc = nn.Linear(4, 3)
     *         self.scale = nn.Parameter(torch.ones(3))      # own parameter, assigned after a child
     *         self.register_buffer("steps", torch.zeros(()))
     *         self.register_buffer("cache", torch.zeros(2), persistent=False)
     *         self.body = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
     * </pre>
     */
    static final class Net extends UnaryModule {
        final Linear fc;
        final Sequential body;

        Net(Generator g) {
            fc = registerModule("fc", new Linear(4, 3, true, g));
            registerParameter("scale", Tensor.ones(3));
            registerBuffer("steps", Tensor.zeros());
            registerBuffer("cache", Tensor.zeros(2), false);
            body = registerModule("body", new Sequential(new Linear(3, 3, true, g), new ReLU(), new Linear(3, 2, true, g)));
        }

        @Override
        public Tensor forward(Tensor x) {
            return body.forward(fc.forward(x).mul(parameter("scale")));
        }
    }

    @Test
    void sequentialStateDictKeysArePyTorchs() {
        // nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 1)).state_dict().keys()
        Sequential s = new Sequential(new Linear(4, 2), new ReLU(), new Linear(2, 1));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(s.stateDict().keySet()));
        assertArrayEquals(new int[] {2, 4}, s.stateDict().get("0.weight").shape());
        assertArrayEquals(new int[] {1}, s.stateDict().get("2.bias").shape());
    }

    @Test
    void ownParametersThenOwnBuffersThenChildren() {
        Net net = new Net(new Generator(1));
        // Net().state_dict().keys(): own params, own persistent buffers, then each child recursively.
        assertEquals(List.of("scale", "steps", "fc.weight", "fc.bias", "body.0.weight", "body.0.bias", "body.2.weight",
                "body.2.bias"), List.copyOf(net.stateDict().keySet()));
        // named_parameters(): per module (pre-order) its own parameters.
        assertEquals(List.of("scale", "fc.weight", "fc.bias", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"),
                List.copyOf(net.namedParameters().keySet()));
        assertEquals(List.of("scale"), List.copyOf(net.namedParameters(false).keySet()));
        // named_buffers() includes the non-persistent one.
        assertEquals(List.of("steps", "cache"), List.copyOf(net.namedBuffers().keySet()));
        assertEquals(List.of("", "fc", "body", "body.0", "body.1", "body.2"), List.copyOf(net.namedModules().keySet()));
        assertEquals(List.of("fc", "body"), List.copyOf(net.namedChildren().keySet()));
        assertEquals(4 * 3 + 3 + 3 + 3 * 3 + 3 + 3 * 2 + 2, net.numParameters());
        for (Tensor p : net.parameters()) assertTrue(p.requiresGrad() && p.isLeaf());
    }

    @Test
    void stateDictValuesShareStorageButAreDetached() {
        Net net = new Net(new Generator(2));
        Tensor w = net.stateDict().get("fc.weight");
        assertFalse(w.requiresGrad());
        assertSame(net.fc.weight().storage(), w.storage());
    }

    @Test
    void sharedParametersAreListedOnceButSavedUnderEveryName() {
        Linear emb = new Linear(3, 3, false), head = new Linear(3, 3, false);
        head.registerParameter("weight", emb.weight());   // tie, as self.head.weight = self.emb.weight
        Sequential tied = new Sequential(emb, head);
        assertEquals(List.of("0.weight"), List.copyOf(tied.namedParameters().keySet()));
        assertEquals(9, tied.numParameters());
        assertEquals(List.of("0.weight", "1.weight"), List.copyOf(tied.stateDict().keySet()));
        // The same module twice: named_modules lists it once, state_dict under both names, forward runs it twice.
        Linear shared = new Linear(2, 2, false);
        Sequential twice = new Sequential(shared, shared);
        assertEquals(List.of("", "0"), List.copyOf(twice.namedModules().keySet()));
        assertEquals(List.of("0.weight", "1.weight"), List.copyOf(twice.stateDict().keySet()));
        Tensor x = Tensor.vector(1f, 2f);
        assertArrayEquals(shared.forward(shared.forward(x)).toFloatArray(), twice.forward(x).toFloatArray());
    }

    @Test
    void loadStateDictCopiesInPlace() {
        Net a = new Net(new Generator(3)), b = new Net(new Generator(4));
        Tensor bWeight = b.fc.weight();
        IncompatibleKeys r = b.loadStateDict(a.stateDict(), true);
        assertTrue(r.isEmpty());
        assertEquals("<All keys matched successfully>", r.toString());
        assertSame(bWeight, b.fc.weight(), "load copies into the existing tensor");
        for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toFloatArray(), b.stateDict().get(e.getKey()).toFloatArray(), e.getKey());
        }
        assertTrue(b.fc.weight().requiresGrad());
        assertNull(b.fc.weight().grad());
    }

    @Test
    void strictLoadListsEveryProblemAndModifiesNothing() {
        Net net = new Net(new Generator(5));
        Map<String, Tensor> before = snapshot(net);
        Map<String, Tensor> bad = new LinkedHashMap<>(new Net(new Generator(6)).stateDict());
        bad.remove("fc.bias");
        bad.remove("steps");
        bad.put("fc.weight", Tensor.zeros(2, 4));
        bad.put("extra", Tensor.zeros(1));
        bad.put("body.1.weight", Tensor.zeros(1));       // ReLU has no parameters
        bad.put("head.weight", Tensor.zeros(1));         // no child called head
        var e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(bad, true));
        // PyTorch's text: missing (model order), unexpected (per module, in the state dict's order), size mismatches.
        assertEquals("Error(s) in loading state_dict for Net:\n"
                + "\tMissing key(s) in state_dict: \"steps\", \"fc.bias\".\n"
                + "\tUnexpected key(s) in state_dict: \"extra\", \"head.weight\", \"body.1.weight\".\n"
                + "\tsize mismatch for fc.weight: copying a param with shape [2, 4] from checkpoint, the shape in current model"
                + " is [3, 4].", e.getMessage());
        assertUnchanged(before, net);
    }

    @Test
    void nonStrictLoadReportsKeysAndStillRefusesShapeMismatches() {
        Net net = new Net(new Generator(7));
        Net other = new Net(new Generator(8));
        Map<String, Tensor> partial = new LinkedHashMap<>();
        partial.put("fc.weight", other.fc.weight().detach());
        partial.put("unused", Tensor.zeros(1));
        IncompatibleKeys r = net.loadStateDict(partial, false);
        assertEquals(List.of("scale", "steps", "fc.bias", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"),
                r.missingKeys());
        assertEquals(List.of("unused"), r.unexpectedKeys());
        assertArrayEquals(other.fc.weight().toFloatArray(), net.fc.weight().toFloatArray());

        // As in PyTorch, a size mismatch is an error even when not strict — and here nothing is copied.
        Map<String, Tensor> before = snapshot(net);
        Map<String, Tensor> mismatch = new LinkedHashMap<>();
        mismatch.put("scale", Tensor.full(7f, 3));
        mismatch.put("fc.bias", Tensor.zeros(4));
        var e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(mismatch, false));
        assertEquals("Error(s) in loading state_dict for Net:\n\tsize mismatch for fc.bias: copying a param with shape [4]"
                + " from checkpoint, the shape in current model is [3].", e.getMessage());
        assertUnchanged(before, net);
    }

    @Test
    void nonPersistentBuffersAreNotSavedNorExpected() {
        Net net = new Net(new Generator(9));
        assertFalse(net.stateDict().containsKey("cache"));
        Map<String, Tensor> withCache = new LinkedHashMap<>(net.stateDict());
        withCache.put("cache", Tensor.zeros(2));
        var e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(withCache, true));
        assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"cache\"."), e.getMessage());
    }

    @Test
    void trainAndEvalPropagateToEveryDescendant() {
        Net net = new Net(new Generator(10));
        assertTrue(net.isTraining());
        net.eval();
        for (Module m : net.modules()) assertFalse(m.isTraining(), m.typeName());
        net.body.train();
        assertFalse(net.isTraining());
        assertFalse(net.fc.isTraining());
        for (Module m : net.body.modules()) assertTrue(m.isTraining());
    }

    @Test
    void applyVisitsChildrenBeforeTheParent() {
        Net net = new Net(new Generator(11));
        List<String> seen = new ArrayList<>();
        net.apply(m -> seen.add(m.typeName()));
        // PyTorch: for module in self.children(): module.apply(fn); then fn(self)
        assertEquals(List.of("Linear", "Linear", "ReLU", "Linear", "Sequential", "Net"), seen);
    }

    @Test
    void zeroGradAndRequiresGrad() {
        Net net = new Net(new Generator(12));
        Tensor out = net.forward(Tensor.ones(2, 4));
        out.backward(Tensor.ones(out.shape()));
        for (Tensor p : net.parameters()) assertTrue(p.grad() != null);
        net.zeroGrad();
        for (Tensor p : net.parameters()) assertNull(p.grad());
        net.requiresGrad(false);
        for (Tensor p : net.parameters()) assertFalse(p.requiresGrad());
    }

    @Test
    void reprIsPyTorchs() {
        Net net = new Net(new Generator(13));
        // print(Net()) in PyTorch (parameters and buffers are not printed, children are).
        assertEquals("""
                Net(
                  (fc): Linear(in_features=4, out_features=3, bias=True)
                  (body): Sequential(
                    (0): Linear(in_features=3, out_features=3, bias=True)
                    (1): ReLU()
                    (2): Linear(in_features=3, out_features=2, bias=True)
                  )
                )""", net.toString());
        assertEquals("Linear(in_features=2, out_features=5, bias=False)", new Linear(2, 5, false).toString());
        assertEquals("Sequential()", new Sequential().toString());
    }

    @Test
    void badRegistrationsAreNamed() {
        Net net = new Net(new Generator(14));
        var e1 = assertThrows(IllegalArgumentException.class, () -> net.registerParameter("a.b", Tensor.zeros(1)));
        assertEquals("Net: parameter name can't contain \".\", got \"a.b\"", e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> net.registerBuffer("fc", Tensor.zeros(1)));
        assertEquals("Net: attribute \"fc\" already exists as another kind of member; cannot register it as a buffer",
                e2.getMessage());
        Tensor computed = Tensor.ones(2).requiresGrad(true).mul(2f);
        var e3 = assertThrows(IllegalArgumentException.class, () -> net.registerParameter("w", computed));
        assertEquals("Net: parameter \"w\" must be a leaf tensor, but it was computed by mul (register a detach()ed copy)",
                e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> net.parameter("nope"));
        assertEquals("Net has no parameter \"nope\"; it has [scale]", e4.getMessage());
    }

    private static Map<String, Tensor> snapshot(Module m) {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> copy.put(k, v.contiguousCopy()));
        return copy;
    }

    private static void assertUnchanged(Map<String, Tensor> before, Module m) {
        Map<String, Tensor> now = m.stateDict();
        assertEquals(before.keySet(), now.keySet());
        for (String k : before.keySet()) assertArrayEquals(before.get(k).toFloatArray(), now.get(k).toFloatArray(), k);
    }
}
