package org.attn4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.attn4j.autograd.GradMode;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Tensor;

/**
 * Finite-difference gradient check, after {@code torch.autograd.gradcheck}, for backward functions that
 * libtorch cannot serve as an oracle for (ops DJL does not expose, or compositions of our own).
 *
 * <p>attn4j has no float64, so the check runs in float32 and is built to survive it: the scalar probed is
 * {@code L = Σ out ⊙ u} for a fixed random {@code u}, summed in double; each input element is moved by
 * {@code ±eps} and the step actually taken after rounding to float is used as the denominator; the
 * central difference {@code (L(x+h) - L(x-h)) / 2h} has truncation error O(eps² f''') and rounding
 * error about {@code 6e-8 · |L| / eps}. With eps around 1e-2..1e-3 both stay below 1e-3 for inputs and
 * outputs of order one, while a wrong backward formula is off by O(1): tolerances of 1e-2 separate the
 * two cleanly. Points where the function is not differentiable (relu at 0, ties in max) must be kept
 * further than eps from the inputs by the caller.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Compares the analytic gradient of every input that requires grad with central differences.
     *
     * @throws AssertionError naming {@code what}, the input and the worst element when they disagree
     */
    public static void check(String what, List<Tensor> inputs, Function<List<Tensor>, Tensor> f,
                             double eps, double atol, double rtol, long seed) {
        List<Tensor> leaves = new ArrayList<>();
        for (Tensor t : inputs) {
            // A private dense copy: its values are perturbed in place below.
            Tensor leaf = Tensor.of(t.toFloatArray(), t.shape()).withDType(t.dtype());
            if (t.requiresGrad()) leaf.requiresGrad(true);
            leaves.add(leaf);
        }
        Tensor out = f.apply(leaves);
        Tensor u = Tensor.randn(new Generator(seed), out.shape());
        out.backward(u);
        float[] ud = u.toFloatArray();
        for (int k = 0; k < leaves.size(); k++) {
            Tensor leaf = leaves.get(k);
            if (!leaf.requiresGrad()) continue;
            Tensor analytic = leaf.grad();
            if (analytic == null) throw new AssertionError(what + ": no gradient reached input " + k);
            float[] x = leaf.data();
            float[] numeric = new float[x.length];
            try (var ignored = GradMode.noGrad()) {
                for (int j = 0; j < x.length; j++) {
                    float v = x[j];
                    float up = (float) (v + eps), down = (float) (v - eps);
                    x[j] = up;
                    double lUp = dot(f.apply(leaves), ud);
                    x[j] = down;
                    double lDown = dot(f.apply(leaves), ud);
                    x[j] = v;
                    numeric[j] = (float) ((lUp - lDown) / ((double) up - down));
                }
            }
            Assertions2.assertClose(what + " d/d input " + k + " (analytic vs central differences)",
                    Tensor.of(numeric, leaf.shape()), analytic, atol, rtol);
        }
    }

    private static double dot(Tensor out, float[] u) {
        float[] o = out.toFloatArray();
        double s = 0;
        for (int i = 0; i < o.length; i++) s += (double) o[i] * u[i];
        return s;
    }
}
