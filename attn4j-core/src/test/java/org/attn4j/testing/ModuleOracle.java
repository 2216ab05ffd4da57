package org.attn4j.testing;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.attn4j.nn.Module;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Checks a whole module against libtorch: the module runs forward and backward with its own parameters;
 * libtorch runs the reference formula on copies of the same input and of every named parameter, with the
 * same random upstream gradient. Output, input gradient and the gradient of every parameter (by its
 * state-dict name) are compared within {@code atol + rtol·|expected|}.
 */
public final class ModuleOracle {
    private ModuleOracle() {}

    /**
     * @param theirs libtorch's computation from the input and the parameters by name
     */
    public static void check(String what, Module module, Tensor input, Function<Tensor, Tensor> ours,
                             BiFunction<NDArray, Map<String, NDArray>, NDArray> theirs, double atol, double rtol, long seed) {
        Map<String, Tensor> params = module.namedParameters();
        List<String> names = new ArrayList<>(params.keySet());
        module.zeroGrad();
        Tensor x = input.detach().requiresGrad(true);
        Tensor out = ours.apply(x);
        Tensor upstream = Tensor.randn(new Generator(seed), out.shape());
        out.backward(upstream);

        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x.detach().requiresGrad(true));
        for (String n : names) inputs.add(params.get(n).detach().requiresGrad(true));
        Torch.Result ref = Torch.run(inputs, arrays -> {
            Map<String, NDArray> p = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) p.put(names.get(i), arrays.get(i + 1));
            return theirs.apply(arrays.get(0), p);
        }, upstream);

        Assertions2.assertClose(what + " forward", ref.output(), out.detach(), atol, rtol);
        Assertions2.assertClose(what + " grad of input", ref.grads().get(0), x.grad(), atol, rtol);
        for (int i = 0; i < names.size(); i++) {
            Tensor g = params.get(names.get(i)).grad();
            if (g == null) throw new AssertionError(what + ": no gradient reached parameter " + names.get(i));
            Assertions2.assertClose(what + " grad of " + names.get(i), ref.grads().get(i + 1), g, atol, rtol);
        }
    }
}
