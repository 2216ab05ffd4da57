package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Parallel.forRange: every index once, fixed chunk boundaries, nested loops inline, failures reach the caller, helpers wake. */
class ParallelTest {
    private int saved;

    @BeforeEach
    void threeThreads() {
        saved = Parallel.threads();
        Parallel.setThreads(3);
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
    }

    @Test
    void everyIndexRunsExactlyOnceInFixedChunks() {
        for (int n : new int[] {1, 2, 3, 7, 1000}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
            for (int rep = 0; rep < 50; rep++) {
                ranges.clear();
                Parallel.forRange(n, 1, (from, to) -> {
                    ranges.add(new int[] {from, to});
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                ranges.sort((a, b) -> a[0] - b[0]);
                // n * c / chunks boundaries with min(3, n) chunks, whoever ran them.
                int chunks = Math.min(3, n);
                assertEquals(chunks, ranges.size(), "chunks of " + n);
                for (int c = 0; c < chunks; c++) {
                    assertEquals(n * c / chunks, ranges.get(c)[0]);
                    assertEquals(n * (c + 1) / chunks, ranges.get(c)[1]);
                }
            }
            for (int i = 0; i < n; i++) assertEquals(50, hits.get(i), "index " + i + " of " + n);
        }
    }

    @Test
    void blocksCoverTheRunOnceCutAtBlockMultiples() {
        for (int n : new int[] {1, Parallel.BLOCK - 1, 4 * Parallel.BLOCK, 12 * Parallel.BLOCK + 5, 40 * Parallel.BLOCK}) {
            List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
            Parallel.forBlocks(n, (s, e) -> ranges.add(new int[] {s, e}));
            ranges.sort((a, b) -> a[0] - b[0]);
            int at = 0;
            for (int[] r : ranges) {
                assertEquals(at, r[0], "ranges of " + n + " leave a gap or overlap");
                assertEquals(0, r[0] % Parallel.BLOCK, "a range of " + n + " starts off a block boundary");
                assertTrue(r[1] > r[0]);
                at = r[1];
            }
            assertEquals(n, at, "ranges of " + n + " stop early");
            // Fewer than 4 blocks per thread: one range; 40 blocks on 3 threads: three.
            assertEquals(n < 8 * Parallel.BLOCK ? 1 : 3, ranges.size(), "ranges of " + n);
        }
    }

    @Test
    void theCallerWorksAndNestedLoopsRunInline() {
        Set<Thread> outer = ConcurrentHashMap.newKeySet();
        Set<String> nestedOnOtherThreads = ConcurrentHashMap.newKeySet();
        for (int rep = 0; rep < 200; rep++) {
            Parallel.forRange(3, 1, (from, to) -> {
                outer.add(Thread.currentThread());
                Thread me = Thread.currentThread();
                Parallel.forRange(100, 1, (a, b) -> {
                    if (Thread.currentThread() != me) nestedOnOtherThreads.add(a + ".." + b);
                });
            });
        }
        assertTrue(outer.contains(Thread.currentThread()), "the calling thread took no chunk in 200 loops");
        assertTrue(nestedOnOtherThreads.isEmpty(), "nested loop left its thread: " + nestedOnOtherThreads);
    }

    @Test
    void aFailingChunkReachesTheCaller() {
        IllegalArgumentException boom = new IllegalArgumentException("chunk 2 failed");
        for (int rep = 0; rep < 20; rep++) {
            RuntimeException e = assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(3, 1, (from, to) -> {
                if (from == 2) throw boom;
            }));
            assertSame(boom, e);
        }
        // The pool still works afterwards.
        AtomicIntegerArray hits = new AtomicIntegerArray(9);
        Parallel.forRange(9, 1, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < 9; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void helpersRunTheChunksTheCallerCannotTakeEvenAfterParking() throws Exception {
        // The caller's chunk waits for the other two to run elsewhere: only helpers can run them.
        for (int rep = 0; rep < 50; rep++) {
            java.util.concurrent.CountDownLatch others = new java.util.concurrent.CountDownLatch(2);
            Set<Thread> helpers = ConcurrentHashMap.newKeySet();
            Thread caller = Thread.currentThread();
            Parallel.forRange(3, 1, (from, to) -> {
                if (Thread.currentThread() == caller) {
                    try {
                        assertTrue(others.await(10, java.util.concurrent.TimeUnit.SECONDS), "no helper took a chunk");
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                } else {
                    helpers.add(Thread.currentThread());
                    others.countDown();
                }
            });
            assertTrue(!helpers.isEmpty() && !helpers.contains(caller), "chunks the caller could not take ran on " + helpers);
            // Idle past the spin time now and then, so that a loop also starts with the helpers parked.
            if (rep % 10 == 0) Thread.sleep(5);
        }
    }
}
