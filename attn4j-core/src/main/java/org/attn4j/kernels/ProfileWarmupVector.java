package org.attn4j.kernels;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Runs the Vector API operations the kernels use on every float vector shape (64 to 512 bits, and the
 * maximal one) once, when the Vector API is first enabled, so that HotSpot's call profiles inside the Vector
 * API are polymorphic from the start and C2 never compiles a kernel against a profile of exactly two vector
 * classes.
 *
 * <p>Why. The Vector API's methods are shared by every caller in the JVM: {@code FloatVector.fma} calls the
 * abstract {@code lanewise}, {@code intoArray} calls {@code length()}, and C2 decides how to compile those
 * calls from the receiver classes recorded there, whoever the callers were. The kernels use 512-bit vectors
 * ({@code SPECIES_PREFERRED} on AVX-512), while {@link TransposeVector} and the Winograd transforms use
 * 256-bit ones. When C2 compiled a 512-bit micro-kernel while those call sites had seen exactly the two classes
 * {@code Float256Vector} and {@code Float512Vector}, it inlined both ("bimorphic" inlining), merged their
 * results, and then kept every vector of the kernel as a heap object: the GEMM ran at 3 GFLOP/s instead of
 * 125 (one thread, N = 512), a {@code cnn-cbam} training step took 2.3 s instead of 0.2. Whether it happened
 * depended on which code had run when the kernel was compiled, so it struck about one JVM in four or five.
 * With {@code -XX:-TieredCompilation} the interpreter records those profiles before any compilation, and it
 * happens every time: that is the reproduction ({@code BENCH_JAVA_OPTS=-XX:-TieredCompilation ./bench.sh
 * species-mix}, with and without {@code -Dattn4j.vectorWarmup=false}).
 *
 * <p>A call site that has seen three or more classes is not inlined bimorphically: C2 inlines the class that
 * dominates (90% of the calls, the kernels' own) behind a type check, or leaves the call to be inlined once the
 * receiver's class is known exactly, and both compile the kernels to straight vector code. Five shapes run
 * here, interleaved, {@value #ITERATIONS} times each: long enough for this method to be compiled with profiling
 * (tier 3), where the records are kept, and, without tiered compilation, for the interpreter to start recording
 * (600 was the least that worked there). About 0.45 s, once per JVM. {@code -Dattn4j.vectorWarmup=false} skips it.
 *
 * <p>Not covered: Vector API code of another shape that a host program runs before attn4j's first kernel
 * ({@code species-mix --other-shape-first}). And the 256-bit code itself can now be compiled with virtual calls,
 * the kernels' 512-bit class dominating its call sites: always with {@code -XX:-TieredCompilation} (a
 * {@code cnn} training step 2-3x slower), in one of 14 tiered {@code ./bench.sh train} runs (2.5x), against a
 * 10x slowdown in one JVM in four or five without the warm-up. The complete fix would be a single vector shape
 * for all kernels; the 256-bit code rewritten as masked 512-bit code passed every test but made training steps
 * 2-3x slower (README, "When a kernel is suddenly slow").
 */
final class ProfileWarmupVector {
    private ProfileWarmupVector() {}

    static final int ITERATIONS = 1000;

    private static final List<VectorSpecies<Float>> SHAPES = List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128,
            FloatVector.SPECIES_256, FloatVector.SPECIES_512, FloatVector.SPECIES_MAX);

    /** Runs the warm-up unless {@code -Dattn4j.vectorWarmup=false}; returns a value that depends on every result. */
    static float run() {
        if ("false".equalsIgnoreCase(System.getProperty("attn4j.vectorWarmup"))) return 0f;
        int n = SHAPES.size();
        float[][] data = new float[n][];
        int[][] ints = new int[n][];
        @SuppressWarnings("unchecked")
        VectorShuffle<Float>[] shuffles = new VectorShuffle[n];
        for (int i = 0; i < n; i++) {
            VectorSpecies<Float> s = SHAPES.get(i);
            data[i] = new float[s.length()];
            ints[i] = new int[s.length()];
            for (int j = 0; j < s.length(); j++) {
                data[i][j] = 0.5f + j;
                ints[i][j] = j;
            }
            shuffles[i] = VectorShuffle.iota(s, 1, 1, true);
        }
        float sum = 0f;
        for (int it = 0; it < ITERATIONS; it++) {
            for (int i = 0; i < n; i++) sum += exercise(SHAPES.get(i), data[i], ints[i], shuffles[i]);
        }
        return sum;
    }

    /** The operations attn4j's kernels use, on one shape. */
    private static float exercise(VectorSpecies<Float> s, float[] a, int[] ia, VectorShuffle<Float> shuffle) {
        FloatVector x = FloatVector.fromArray(s, a, 0), y = FloatVector.broadcast(s, 0.25f), z = FloatVector.zero(s);
        z = x.fma(y, z).add(x).sub(y).mul(x).div(y).min(x).max(y).neg().abs().sqrt();
        z = z.add(1f).sub(0.5f).mul(0.5f).min(4f).max(0f);
        z = z.lanewise(VectorOperators.FMA, x, y);
        VectorMask<Float> lt = x.compare(VectorOperators.LT, y), gt = x.compare(VectorOperators.GT, 1f);
        z = z.blend(x, lt).blend(0f, gt.or(lt.not()).and(gt));
        z = z.rearrange(shuffle, x).rearrange(shuffle);
        IntVector bits = z.reinterpretAsInts();
        IntVector i = bits.add(127).sub(bits).mul(3).lanewise(VectorOperators.LSHL, 2).lanewise(VectorOperators.ASHR, 1)
                .lanewise(VectorOperators.LSHR, 1).lanewise(VectorOperators.XOR, bits);
        VectorMask<Integer> keep = IntVector.fromArray(bits.species(), ia, 0).compare(VectorOperators.LT, i);
        z = z.add(i.blend(0, keep).reinterpretAsFloats().mul(0f));
        z.intoArray(a, 0);
        return z.reduceLanes(VectorOperators.ADD) + z.lane(0);
    }
}
