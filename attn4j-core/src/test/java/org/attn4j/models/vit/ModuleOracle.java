package org.attn4j.models.vit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.attn4j.nn.Module;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;

/**
 * A ViT component against its composition in libtorch: the module's forward and backward (random upstream
 * gradient) against libtorch's on copies of the input and of every named parameter; output, input gradient and
 * each parameter's gradient compared within {@code atol + rtol·|expected|} (a parameter the output does not use
 * must have no gradient here and a zero one in libtorch).
 */
final class ModuleOracle {
    private ModuleOracle() {}

    static void check(String what, Module module, Tensor input, Function<Tensor, Tensor> ours,
                      BiFunction<Map<String, NDArray>, NDArray, NDArray> theirs, double atol, double rtol, long seed) {
        module.zeroGrad();
        Tensor x = input.detach().requiresGrad(true);
        Tensor out = ours.apply(x);
        Tensor upstream = Tensor.randn(new Generator(seed), out.shape());
        out.backward(upstream);
        try (NDManager m = Torch.scope()) {
            Map<String, NDArray> p = new LinkedHashMap<>();
            module.namedParameters().forEach((k, v) -> {
                NDArray a = Torch.nd(m, v);
                a.setRequiresGradient(true);
                p.put(k, a);
            });
            NDArray xt = Torch.nd(m, input);
            xt.setRequiresGradient(true);
            NDArray ref;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                ref = theirs.apply(p, xt);
                gc.backward(ref.mul(Torch.nd(m, upstream)).sum());
            }
            Assertions2.assertClose(what + " forward", Torch.tensor(ref), out.detach(), atol, rtol);
            Assertions2.assertClose(what + " grad of input", Torch.tensor(xt.getGradient()), x.grad(), atol, rtol);
            for (Map.Entry<String, Tensor> e : module.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                Tensor expected = Torch.tensor(p.get(e.getKey()).getGradient());
                // A parameter the output does not depend on: no gradient here, zeros in libtorch.
                if (g == null) g = Tensor.zeros(expected.shape());
                Assertions2.assertClose(what + " grad of " + e.getKey(), expected, g, atol, rtol);
            }
        }
    }
}
