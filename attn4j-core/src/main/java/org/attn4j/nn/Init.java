package org.attn4j.nn;

import org.attn4j.autograd.GradMode;
import org.attn4j.kernels.Elementwise;
import org.attn4j.kernels.Parallel;
import org.attn4j.tensor.Generator;
import org.attn4j.tensor.Shape;
import org.attn4j.tensor.Tensor;

/**
 * Weight initialisers, after {@code torch.nn.init}: each fills a tensor in place (without recording autograd,
 * so parameters can be initialised) and returns it. Every random initialiser takes a {@link Generator}; the
 * numbers differ from PyTorch's stream, the distributions are the same. Values are drawn in double and
 * rounded to float32.
 *
 * <p>Fan computation follows {@code _calculate_fan_in_and_fan_out}: for a weight of shape
 * {@code [out, in, k1, k2, ...]}, {@code fan_in = in · k1 · k2 · ...} and {@code fan_out = out · k1 · k2 ...}
 * (the receptive field multiplies both); a grouped convolution's weight is {@code [out, in/groups, ...]}, so
 * its fan-in is per group.
 */
public final class Init {
    private Init() {}

    /** Which fan scales the variance in the Kaiming initialisers. */
    public enum Mode {
        /** Preserves the variance of activations in the forward pass (PyTorch's default). */
        FAN_IN,
        /** Preserves the variance of gradients in the backward pass. */
        FAN_OUT
    }

    private static Tensor fill(Tensor t, java.util.function.DoubleSupplier value) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) value.getAsDouble();
        return set(t, v);
    }

    /** Copies {@code v} (t's elements in row-major order) into t, outside autograd. */
    private static Tensor set(Tensor t, float[] v) {
        try (var ignored = GradMode.noGrad()) {
            t.copy_(Tensor.of(v, t.shape()));
        }
        return t;
    }

    /** U(a, b), as {@code uniform_(tensor, a, b)}. */
    public static Tensor uniform_(Tensor t, double a, double b, Generator g) {
        if (!(a <= b)) throw new IllegalArgumentException("uniform_: expects a <= b, got a=" + a + ", b=" + b);
        return fill(t, () -> a + (b - a) * g.nextDouble());
    }

    /** N(mean, std²), as {@code normal_(tensor, mean, std)}. */
    public static Tensor normal_(Tensor t, double mean, double std, Generator g) {
        if (!(std >= 0)) throw new IllegalArgumentException("normal_: expects std >= 0, got " + std);
        return fill(t, () -> mean + std * g.nextGaussian());
    }

    public static Tensor constant_(Tensor t, double value) {
        try (var ignored = GradMode.noGrad()) {
            return t.fill_((float) value);
        }
    }

    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    /**
     * The normal distribution N(mean, std²) truncated to [a, b] — {@code a} and {@code b} are absolute bounds,
     * not multiples of std (PyTorch's and timm's {@code trunc_normal_(tensor, mean=0, std=1, a=-2, b=2)}; so
     * {@code trunc_normal_(w, 0, 0.02, -2, 2)}, ViT's usual call, is practically untruncated).
     *
     * <p>Sampled by inverse CDF as PyTorch does: u uniform in (Φ(α), Φ(β)) with α = (a - mean)/std,
     * β = (b - mean)/std, then mean + std·Φ⁻¹(u), clamped to [a, b] against rounding. Unlike PyTorch (which
     * computes in float32 via erfinv) this works in double and, when the interval lies in the upper tail, in
     * the mirrored lower tail, so narrow intervals far from the mean keep their shape.
     */
    public static Tensor trunc_normal_(Tensor t, double mean, double std, double a, double b, Generator g) {
        if (!(std > 0)) throw new IllegalArgumentException("trunc_normal_: expects std > 0, got " + std);
        if (!(a < b)) throw new IllegalArgumentException("trunc_normal_: expects a < b, got a=" + a + ", b=" + b);
        double alpha = (a - mean) / std, beta = (b - mean) / std;
        boolean mirror = alpha > 0;          // sample -z from [-beta, -alpha], where Φ has full relative precision
        double lo = normalCdf(mirror ? -beta : alpha), hi = normalCdf(mirror ? -alpha : beta);
        float fa = (float) a, fb = (float) b;
        // The uniforms are drawn in order from g, then mapped through Φ⁻¹ on all cores (the quantile's erfc
        // refinement is most of the cost: ViT-B's 86M weights took ~10 s on one core). Same values whatever the
        // thread count.
        float[] v = new float[t.numel()];
        double[] u = new double[Math.min(v.length, 1 << 20)];
        for (int c0 = 0; c0 < v.length; c0 += u.length) {
            int c1 = Math.min(v.length, c0 + u.length), base = c0;
            for (int i = c0; i < c1; i++) {
                double ui;
                do {
                    ui = lo + (hi - lo) * g.nextDouble();
                } while (ui <= 0 || ui >= 1);
                u[i - c0] = ui;
            }
            Parallel.forRange(c1 - c0, 4096, (from, to) -> {
                for (int i = from; i < to; i++) {
                    double z = normalQuantile(u[i]);
                    double x = mean + std * (mirror ? -z : z);
                    v[base + i] = Math.min(Math.max((float) x, fa), fb);
                }
            });
        }
        return set(t, v);
    }

    /** Standard normal CDF Φ(z) = erfc(-z/√2) / 2, in double. */
    static double normalCdf(double z) {
        return 0.5 * Elementwise.erfc(-z * 0.7071067811865476);
    }

    // Acklam's rational approximation of Φ⁻¹ (relative error below 1.2e-9), refined below by one Halley step.
    private static final double[] QA = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
        1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    private static final double[] QB = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
        6.680131188771972e+01, -1.328068155288572e+01};
    private static final double[] QC = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
        -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    private static final double[] QD = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
        3.754408661907416e+00};

    /**
     * Standard normal quantile Φ⁻¹(p) for p in (0, 1): P. J. Acklam's rational approximation, then one Halley
     * step on Φ(z) - p with the double-precision {@link Elementwise#erfc}, which brings it to double accuracy.
     */
    static double normalQuantile(double p) {
        if (!(p > 0 && p < 1)) throw new IllegalArgumentException("normalQuantile: p must be in (0, 1), got " + p);
        double z;
        if (p < 0.02425) {
            double q = Math.sqrt(-2 * Math.log(p));
            z = (((((QC[0] * q + QC[1]) * q + QC[2]) * q + QC[3]) * q + QC[4]) * q + QC[5])
                    / ((((QD[0] * q + QD[1]) * q + QD[2]) * q + QD[3]) * q + 1);
        } else if (p <= 1 - 0.02425) {
            double q = p - 0.5, r = q * q;
            z = (((((QA[0] * r + QA[1]) * r + QA[2]) * r + QA[3]) * r + QA[4]) * r + QA[5]) * q
                    / (((((QB[0] * r + QB[1]) * r + QB[2]) * r + QB[3]) * r + QB[4]) * r + 1);
        } else {
            double q = Math.sqrt(-2 * Math.log1p(-p));
            z = -(((((QC[0] * q + QC[1]) * q + QC[2]) * q + QC[3]) * q + QC[4]) * q + QC[5])
                    / ((((QD[0] * q + QD[1]) * q + QD[2]) * q + QD[3]) * q + 1);
        }
        double e = normalCdf(z) - p;
        double u = e * Math.sqrt(2 * Math.PI) * Math.exp(z * z / 2);
        return z - u / (1 + z * u / 2);
    }

    /**
     * {@code [fan_in, fan_out]} of a weight shape, as PyTorch's {@code _calculate_fan_in_and_fan_out}:
     * dim 1 and dim 0 times the product of the remaining (receptive field) dims.
     */
    public static int[] fanInAndFanOut(int[] shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("Init: fan in and fan out can not be computed for a tensor with fewer than 2"
                    + " dimensions, got shape " + Shape.str(shape));
        }
        int receptive = 1;
        for (int i = 2; i < shape.length; i++) receptive *= shape[i];
        return new int[] {shape[1] * receptive, shape[0] * receptive};
    }

    /**
     * The recommended gain for a nonlinearity, as {@code torch.nn.init.calculate_gain}: 1 for linear, conv*d,
     * conv_transpose*d and sigmoid; 5/3 for tanh; √2 for relu; √(2 / (1 + slope²)) for leaky_relu (slope =
     * {@code param}, NaN meaning PyTorch's default 0.01); 3/4 for selu.
     */
    public static double calculateGain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                 "sigmoid" -> 1.0;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> {
                double slope = Double.isNaN(param) ? 0.01 : param;
                yield Math.sqrt(2.0 / (1 + slope * slope));
            }
            case "selu" -> 3.0 / 4;
            default -> throw new IllegalArgumentException("calculate_gain: unsupported nonlinearity \"" + nonlinearity
                    + "\" (expected linear, conv1d, conv2d, conv3d, conv_transpose1d/2d/3d, sigmoid, tanh, relu,"
                    + " leaky_relu or selu)");
        };
    }

    private static double kaimingStd(Tensor t, double a, Mode mode, String nonlinearity) {
        int[] fans = fanInAndFanOut(t.shape());
        int fan = mode == Mode.FAN_IN ? fans[0] : fans[1];     // > 0: empty tensors were returned before
        return calculateGain(nonlinearity, a) / Math.sqrt(fan);
    }

    /**
     * He initialisation, uniform: U(-bound, bound) with bound = gain·√(3 / fan), gain from
     * {@link #calculateGain}(nonlinearity, a). PyTorch's defaults are {@code a = 0, FAN_IN, "leaky_relu"};
     * Linear and Conv use {@code a = √5}, which gives bound = 1/√fan_in.
     */
    public static Tensor kaiming_uniform_(Tensor t, double a, Mode mode, String nonlinearity, Generator g) {
        if (t.numel() == 0) return t;     // PyTorch warns and leaves an empty tensor alone
        double bound = Math.sqrt(3.0) * kaimingStd(t, a, mode, nonlinearity);
        return uniform_(t, -bound, bound, g);
    }

    /** He initialisation, normal: N(0, std²) with std = gain / √fan. */
    public static Tensor kaiming_normal_(Tensor t, double a, Mode mode, String nonlinearity, Generator g) {
        if (t.numel() == 0) return t;
        return normal_(t, 0, kaimingStd(t, a, mode, nonlinearity), g);
    }

    private static double xavierStd(Tensor t, double gain) {
        int[] fans = fanInAndFanOut(t.shape());
        return gain * Math.sqrt(2.0 / (fans[0] + fans[1]));
    }

    /** Glorot initialisation, uniform: U(-a, a) with a = gain·√(6 / (fan_in + fan_out)). */
    public static Tensor xavier_uniform_(Tensor t, double gain, Generator g) {
        double bound = Math.sqrt(3.0) * xavierStd(t, gain);
        return uniform_(t, -bound, bound, g);
    }

    /** Glorot initialisation, normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)). */
    public static Tensor xavier_normal_(Tensor t, double gain, Generator g) {
        return normal_(t, 0, xavierStd(t, gain), g);
    }
}
