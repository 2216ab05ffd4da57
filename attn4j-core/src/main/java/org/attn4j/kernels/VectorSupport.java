package org.attn4j.kernels;

/**
 * Whether the Vector API ({@code jdk.incubator.vector}) is available to this JVM.
 *
 * <p>The Vector API is still an incubator module: it is only resolved when the JVM is started with
 * {@code --add-modules jdk.incubator.vector}. Without it attn4j still gives correct results through
 * plain scalar loops, and says once on stderr which flag makes it fast. Every class that touches
 * {@code jdk.incubator.vector} is named {@code *Vector} and is loaded only after {@link #ENABLED} is true,
 * so a plain classpath never links against the missing module.
 *
 * <p>{@code -Dattn4j.vector=false} forces the scalar path (tests use it to hold both paths together).
 */
public final class VectorSupport {
    private VectorSupport() {}

    private static float warmupResult;
    private static boolean directivesInstalled;

    /** Whether {@link JitDirectives} installed its compiler directive (best effort; see there). */
    static boolean jitDirectivesInstalled() {
        return directivesInstalled;
    }

    /** True when the fast Vector API kernels are in use. */
    public static final boolean ENABLED = detect();

    private static boolean detect() {
        if ("false".equalsIgnoreCase(System.getProperty("attn4j.vector"))) return false;
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (!present) {
            System.err.println("attn4j: the Vector API is not enabled, using slower scalar kernels. "
                    + "Start the JVM with --add-modules jdk.incubator.vector for full speed.");
            return false;
        }
        // Before any kernel is compiled: see ProfileWarmupVector (a kernel C2 compiled against a two-class profile
        // ran 10-40x slower). The result is only there so that the work cannot be optimised away.
        warmupResult = ProfileWarmupVector.run();
        // Also before any kernel is compiled: see JitDirectives (VectorMath.exp not inlined ran kernels 2x slower).
        directivesInstalled = JitDirectives.install();
        return true;
    }
}
