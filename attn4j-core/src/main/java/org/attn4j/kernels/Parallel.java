package org.attn4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The one thread pool every attn4j kernel shares, sized to the machine.
 *
 * <p>The size is, in order of precedence: {@link #setThreads(int)}, the system property
 * {@code attn4j.threads}, the environment variable {@code ATTN4J_THREADS}, and otherwise
 * {@link Runtime#availableProcessors()}. With one thread every loop runs on the caller, so results
 * are bitwise reproducible for a given thread count (work is always split the same way).
 */
public final class Parallel {
    private Parallel() {}

    /** A loop body over the half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static volatile int threads = initialThreads();
    private static volatile ForkJoinPool pool;

    private static int initialThreads() {
        String s = System.getProperty("attn4j.threads");
        if (s == null || s.isBlank()) s = System.getenv("ATTN4J_THREADS");
        if (s != null && !s.isBlank()) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the machine's size
            }
            System.err.println("attn4j: ignoring thread count '" + s + "' (want a whole number >= 1)");
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** The number of threads kernels use. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of threads kernels use from now on (for example from a {@code --threads} flag). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("Parallel.setThreads: thread count must be >= 1, got " + n);
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = null;
            threads = n;
            if (old != null) old.shutdown();
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(threads, pool -> {
                        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                        t.setName("attn4j-" + t.getPoolIndex());
                        t.setDaemon(true);
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks of at
     * least {@code grain} iterations each. Runs inline when one chunk suffices or when already inside
     * a pool worker (nested parallelism would only add overhead on a machine this size).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int t = threads;
        int chunks = (int) Math.min(t, Math.max(1L, n / (long) Math.max(1, grain)));
        if (chunks <= 1 || (pool != null && java.util.concurrent.ForkJoinTask.getPool() == pool)) {
            body.run(0, n);
            return;
        }
        pool().invoke(new Chunks(body, n, chunks, 0, chunks));
    }

    /** Like {@link #forRange} with chunks sized for work of roughly {@code costPerItem} flops per item. */
    public static void forRangeByCost(int n, long costPerItem, RangeBody body) {
        // ~64k flops per task is enough to amortise a fork on these machines.
        int grain = (int) Math.max(1, Math.min(n, 65_536 / Math.max(1, costPerItem)));
        forRange(n, grain, body);
    }

    private static final class Chunks extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Chunks(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                int from = (int) ((long) n * lo / chunks);
                int to = (int) ((long) n * hi / chunks);
                body.run(from, to);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunks(body, n, chunks, lo, mid), new Chunks(body, n, chunks, mid, hi));
        }
    }
}
