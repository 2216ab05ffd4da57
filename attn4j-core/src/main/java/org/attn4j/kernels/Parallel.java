package org.attn4j.kernels;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

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
    private static volatile Helpers pool;

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
            Helpers old = pool;
            pool = null;
            threads = n;
            if (old != null) old.shutdown();
        }
    }

    /** The pool's helpers: one fewer than {@link #threads()}, since the calling thread works too. */
    private static Helpers pool() {
        Helpers p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new Helpers(Math.max(1, threads - 1));
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * How long an idle helper keeps looking for work before it parks: 200 µs. A training step is a few hundred
     * parallel loops with short serial stretches between them; a parked helper is woken through the kernel,
     * and on a virtual machine that took long enough that the caller had often run every chunk itself before
     * the helper arrived (JFR: the helper ran for two thirds of the caller's time in a {@code cnn-cbam} step).
     * Spinning through the gaps keeps it at hand, as OpenMP's workers do under libtorch.
     */
    private static final long SPIN_NANOS = 200_000;

    /**
     * The helper threads: they take tasks from one queue in order (loop chunks and background tasks alike), spin
     * for {@link #SPIN_NANOS} when it is empty, then park until a task is queued.
     */
    private static final class Helpers {
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final Worker[] workers;
        private volatile boolean shutdown;

        Helpers(int n) {
            workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker(i);
                workers[i].start();
            }
        }

        void execute(Runnable task) {
            tasks.add(task);
            // A helper sets parked before its last look at the queue, so it either sees this task or is unparked.
            for (Worker w : workers) {
                if (w.parked) {
                    w.parked = false;
                    LockSupport.unpark(w);
                    return;
                }
            }
        }

        void shutdown() {
            shutdown = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }

        private final class Worker extends Thread {
            volatile boolean parked;

            Worker(int index) {
                super("attn4j-" + index);
                setDaemon(true);
            }

            @Override
            public void run() {
                long idleSince = System.nanoTime();
                while (!shutdown) {
                    Runnable task = tasks.poll();
                    if (task != null) {
                        try {
                            task.run();
                        } catch (Throwable ignored) {
                            // Loop chunks report their failures to the caller; background tasks are optional.
                        }
                        idleSince = System.nanoTime();
                    } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (tasks.isEmpty() && !shutdown) LockSupport.park(this);
                        parked = false;
                        idleSince = System.nanoTime();
                    }
                }
            }
        }
    }

    /** Set while a thread runs a chunk: a loop nested inside one runs inline. */
    private static final ThreadLocal<boolean[]> IN_CHUNK = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks of at
     * least {@code grain} iterations each. Runs inline when one chunk suffices or when already inside a
     * chunk (nested parallelism would only add overhead on a machine this size).
     *
     * <p>The calling thread takes chunks too, beside {@code threads - 1} pool helpers: each thread takes the
     * next chunk not yet taken until none is left. The caller no longer sleeps through every loop while
     * a helper is woken for each chunk, and a helper that wakes late finds its chunks already done
     * instead of holding the caller up. Chunk boundaries depend only on {@code n}, {@code grain} and the
     * thread count, never on which thread runs a chunk, so results stay bitwise the same run after run.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int t = threads;
        int chunks = (int) Math.min(t, Math.max(1L, n / (long) Math.max(1, grain)));
        boolean[] inChunk = IN_CHUNK.get();
        if (chunks <= 1 || inChunk[0]) {
            body.run(0, n);
            return;
        }
        Region region = new Region(body, n, chunks, Thread.currentThread());
        Helpers p = pool();
        for (int h = 1; h < chunks; h++) p.execute(region::help);
        inChunk[0] = true;
        try {
            region.work();
        } finally {
            inChunk[0] = false;
        }
        region.await();
    }

    /**
     * Runs {@code task} on a pool helper when one is free, after the loop chunks already queued; nothing waits for
     * it. For work that only fills idle time ({@link PrezeroedArrays}). With one thread there is no helper and the
     * task is dropped: such tasks must be optional.
     */
    static void background(Runnable task) {
        if (threads > 1) pool().execute(task);
    }

    /** Elements per block of {@link #forBlocks}: 64 KiB of floats, a multiple of every vector length. */
    public static final int BLOCK = 16_384;

    /**
     * Runs {@code body} over {@code [0, n)} for one long memory-bound run (a copy, an add of two same-shape
     * tensors), each chunk a range cut at multiples of {@link #BLOCK} and holding at least four blocks. The cuts
     * do not depend on the thread count, so neither does which elements a vector loop leaves to its scalar tail.
     */
    public static void forBlocks(int n, RangeBody body) {
        int blocks = (int) (((long) n + BLOCK - 1) / BLOCK);
        forRange(blocks, 4, (b0, b1) -> body.run(b0 * BLOCK, (int) Math.min(n, (long) b1 * BLOCK)));
    }

    /** Like {@link #forRange} with chunks sized for work of roughly {@code costPerItem} flops per item. */
    public static void forRangeByCost(int n, long costPerItem, RangeBody body) {
        // ~64k flops per task is enough to amortise a fork on these machines.
        int grain = (int) Math.max(1, Math.min(n, 65_536 / Math.max(1, costPerItem)));
        forRange(n, grain, body);
    }

    /** One {@link #forRange} call: its chunks, handed out in order to whichever thread asks next. */
    private static final class Region {
        private final RangeBody body;
        private final int n, chunks;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Region(RangeBody body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
        }

        /** Runs chunks until none is left to take. */
        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure.get() == null) body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    if (done.incrementAndGet() == chunks) LockSupport.unpark(caller);
                }
            }
        }

        /** A pool helper's share: {@link #work()} with nested loops inline. */
        void help() {
            boolean[] inChunk = IN_CHUNK.get();
            inChunk[0] = true;
            try {
                work();
            } finally {
                inChunk[0] = false;
            }
        }

        /** The caller waits for chunks still running on helpers, then rethrows the first failure. */
        void await() {
            for (int spins = 0; done.get() < chunks; spins++) {
                if (spins < 2_000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            Throwable e = failure.get();
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            if (e != null) throw new IllegalStateException(e);
        }
    }
}
