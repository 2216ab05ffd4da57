package org.attn4j.autograd;

/**
 * Whether operations record a graph for backward, per thread (like {@code torch.no_grad()}).
 *
 * <pre>{@code
 * try (var ignored = GradMode.noGrad()) {
 *     param.subInPlace(param.grad().mul(lr));   // optimizer step: not recorded
 * }
 * }</pre>
 */
public final class GradMode {
    private GradMode() {}

    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** A scope in which no graph is recorded; closing it restores the previous mode. */
    public static Scope noGrad() {
        return set(false);
    }

    /** A scope in which graphs are recorded again (inside an outer no-grad scope). */
    public static Scope enableGrad() {
        return set(true);
    }

    private static Scope set(boolean on) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[0];
        cell[0] = on;
        return () -> cell[0] = previous;
    }

    /** A try-with-resources scope that cannot throw on close. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
