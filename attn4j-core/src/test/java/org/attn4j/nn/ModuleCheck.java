package org.attn4j.nn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;
import org.attn4j.testing.Assertions2;
import org.attn4j.testing.Torch;

/**
 * Checks a module against libtorch: our forward and backward through the module's own parameters, and
 * libtorch's computation on copies of the same input and parameters, with the same random upstream gradient.
 * Output, the input's gradient and every parameter's gradient are compared within
 * {@code atol + rtol·|expected|}.
 */
final class ModuleCheck {
    private ModuleCheck() {}

    /**
     * @param ours    the module's computation on the input leaf (it may return a concatenation of outputs)
     * @param params  the parameters whose gradients to compare, in the order {@code theirs} receives them after
     *                the input
     * @param theirs  libtorch's computation on {@code [input, params...]}
     */
    static void check(String what, Tensor input, Function<Tensor, Tensor> ours, List<Tensor> params,
                      Function<List<NDArray>, NDArray> theirs, double atol, double rtol, long seed) {
        for (Tensor p : params) p.zeroGrad();
        Tensor x = input.detach().requiresGrad(true);
        Tensor out = ours.apply(x);
        Tensor upstream = Tensor.randn(new Generator(seed), out.shape());
        out.backward(upstream);

        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x.detach().requiresGrad(true));
        for (Tensor p : params) inputs.add(p.detach().requiresGrad(true));
        Torch.Result ref = Torch.run(inputs, theirs, upstream);

        Assertions2.assertClose(what + " forward", ref.output(), out.detach(), atol, rtol);
        Assertions2.assertClose(what + " grad of input", ref.grads().get(0), x.grad(), atol, rtol);
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g == null) throw new AssertionError(what + ": no gradient reached parameter " + i);
            Assertions2.assertClose(what + " grad of parameter " + i, ref.grads().get(i + 1), g, atol, rtol);
        }
    }
}
