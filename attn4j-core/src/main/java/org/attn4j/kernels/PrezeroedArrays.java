package org.attn4j.kernels;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Large float arrays of zeros for op outputs and gradients, allocated in advance by a {@link Parallel} pool helper
 * while the calling thread computes.
 *
 * <p>Why: Java zeroes every new array on the thread that allocates it. An op's output is allocated by the thread
 * that runs the op, so in a 2-thread training step every output and gradient buffer is a memset on the main
 * thread while the pool's helper waits for the next parallel loop: for the {@code cnn-cbam} step, about 460 MB per
 * step at ~10 GB/s, some 45 ms of a 220 ms step. libtorch's CPU allocator hands out cached, uninitialised
 * blocks instead. (HotSpot's {@code Unsafe.allocateUninitializedArray} is no way out: it zeroes arrays this large
 * all the same.)
 *
 * <p>How: {@link #floats} hands out an array allocated earlier, on a pool helper, for a length asked for recently,
 * and asks a helper to allocate the next one. The helper runs such requests when it has nothing else queued,
 * typically while the main thread runs serial code (autograd bookkeeping, small ops). The arrays are always new,
 * never recycled: every caller gets zeros and the only reference. Arrays below {@link #MIN_LENGTH} (cheap
 * thread-local allocations) and single-thread runs are allocated directly. At most {@link #DEPTH} arrays per
 * length wait, and {@link #capBytes} in all; past that the lengths asked for least recently give theirs up.
 */
public final class PrezeroedArrays {
    private PrezeroedArrays() {}

    /** Smallest length served from prepared arrays: 1 MiB of floats (a G1 humongous object at heaps up to 4 GiB). */
    public static final int MIN_LENGTH = 1 << 18;
    /** Prepared arrays kept per length. */
    static final int DEPTH = 2;

    /** Arrays of one length: ready ones, and the count of ready plus requested. */
    private static final class Slot {
        final int length;
        final ConcurrentLinkedQueue<float[]> ready = new ConcurrentLinkedQueue<>();
        final AtomicInteger promised = new AtomicInteger();
        volatile long lastAsked;

        Slot(int length) {
            this.length = length;
        }
    }

    private static final Map<Integer, Slot> SLOTS = new ConcurrentHashMap<>();
    private static final AtomicLong PROMISED_BYTES = new AtomicLong();
    private static final AtomicLong CLOCK = new AtomicLong();

    /** Bytes prepared arrays may hold in all: an eighth of the maximum heap, at most 512 MiB. */
    static long capBytes() {
        return Math.min(512L << 20, Runtime.getRuntime().maxMemory() / 8);
    }

    /** Bytes of the arrays ready or requested now. */
    static long preparedBytes() {
        return PROMISED_BYTES.get();
    }

    /** A new float array of {@code n} zeros. */
    public static float[] floats(int n) {
        if (n < MIN_LENGTH || Parallel.threads() < 2) return new float[n];
        Slot s = SLOTS.computeIfAbsent(n, Slot::new);
        s.lastAsked = CLOCK.incrementAndGet();
        float[] a = s.ready.poll();
        if (a != null) {
            s.promised.decrementAndGet();
            PROMISED_BYTES.addAndGet(-4L * n);
        } else {
            a = new float[n];
        }
        refill(s);
        return a;
    }

    /** Requests arrays for {@code s} until {@link #DEPTH} are ready or requested, within the byte cap. */
    private static void refill(Slot s) {
        long bytes = 4L * s.length;
        for (int p; (p = s.promised.get()) < DEPTH; ) {
            if (PROMISED_BYTES.get() + bytes > capBytes() && !evictOther(s, bytes)) return;
            if (!s.promised.compareAndSet(p, p + 1)) continue;
            PROMISED_BYTES.addAndGet(bytes);
            Parallel.background(() -> {
                try {
                    s.ready.offer(new float[s.length]);
                } catch (OutOfMemoryError e) {
                    s.promised.decrementAndGet();
                    PROMISED_BYTES.addAndGet(-bytes);
                }
            });
        }
    }

    /** Drops the ready arrays of the length asked for least recently (not {@code keep}); false if none could go. */
    private static boolean evictOther(Slot keep, long needed) {
        while (PROMISED_BYTES.get() + needed > capBytes()) {
            Slot oldest = null;
            for (Slot s : SLOTS.values()) {
                if (s != keep && !s.ready.isEmpty() && (oldest == null || s.lastAsked < oldest.lastAsked)) oldest = s;
            }
            if (oldest == null) return false;
            for (float[] a; (a = oldest.ready.poll()) != null; ) {
                oldest.promised.decrementAndGet();
                PROMISED_BYTES.addAndGet(-4L * a.length);
            }
        }
        return true;
    }
}
