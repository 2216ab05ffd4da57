package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link PrezeroedArrays} must behave exactly like {@code new float[n]}: zeros of the length asked for, and an array
 * no one else holds, whether it was made on the spot or in advance by a pool helper, and however the caller
 * dirtied the arrays it got before.
 */
class PrezeroedArraysTest {
    private static void assertAllZero(float[] a, String what) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] != 0f) throw new AssertionError(what + ": element " + i + " is " + a[i] + ", not 0");
        }
    }

    /** A test body that may throw (the tests sleep to let the helper work). */
    private interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with the pool at {@code threads} threads, then restores the previous size. */
    private static void onThreads(int threads, Body body) throws Exception {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(threads);
            body.run();
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void givesZerosOfTheLengthAskedForOnOneAndTwoThreads() throws Exception {
        for (int threads : new int[] {1, 2}) {
            onThreads(threads, () -> {
                for (int n : new int[] {0, 7, PrezeroedArrays.MIN_LENGTH - 1, PrezeroedArrays.MIN_LENGTH, PrezeroedArrays.MIN_LENGTH + 5}) {
                    float[] a = PrezeroedArrays.floats(n);
                    assertEquals(n, a.length, "length on " + threads + " threads");
                    assertAllZero(a, "n = " + n + " on " + threads + " threads");
                }
            });
        }
    }

    @Test
    void neverHandsOutAnArrayTwiceAndDirtyingOneLeavesTheNextZero() throws Exception {
        onThreads(2, () -> {
            int n = PrezeroedArrays.MIN_LENGTH + 3;
            Set<float[]> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            List<float[]> kept = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                float[] a = PrezeroedArrays.floats(n);
                assertEquals(n, a.length);
                assertAllZero(a, "array " + i);
                assertEquals(true, seen.add(a), "array " + i + " was handed out before");
                java.util.Arrays.fill(a, i + 1f);           // the caller owns it: write every element
                kept.add(a);
                if (i % 3 == 0) Thread.sleep(20);           // let the helper prepare the next ones
            }
            // Every array still holds what its caller wrote: none was given to anyone else.
            for (int i = 0; i < kept.size(); i++) {
                assertEquals(i + 1f, kept.get(i)[0]);
                assertEquals(i + 1f, kept.get(i)[n - 1]);
            }
            assertNotSame(kept.get(0), kept.get(1));
        });
    }

    @Test
    void preparedArraysStayWithinTheirByteCap() throws Exception {
        onThreads(2, () -> {
            // Many different lengths: old ones give up their prepared arrays as new ones are asked for.
            for (int i = 0; i < 64; i++) {
                float[] a = PrezeroedArrays.floats(PrezeroedArrays.MIN_LENGTH + 1024 * i);
                assertAllZero(a, "length " + a.length);
            }
            Thread.sleep(50);
            long held = PrezeroedArrays.preparedBytes();
            assertEquals(true, held <= PrezeroedArrays.capBytes(),
                    "prepared arrays hold " + held + " bytes, cap " + PrezeroedArrays.capBytes());
        });
    }
}
