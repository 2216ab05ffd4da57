package org.attn4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link Generator#derive}: the seeds of a run's named streams (shuffle, augmentation, dropout per epoch). */
class GeneratorTest {
    @Test
    void deriveIsAFunctionOfSeedAndKeysInOrder() {
        assertEquals(Generator.derive(5, 1, 2), Generator.derive(5, 1, 2));
        assertNotEquals(Generator.derive(5, 1, 2), Generator.derive(5, 2, 1));
        assertNotEquals(Generator.derive(5), Generator.derive(6));
        assertNotEquals(Generator.derive(5), Generator.derive(5, 0));
    }

    @Test
    void seedsAndEpochsDoNotCollide() {
        // 64 seeds x 64 epochs x 2 streams: all 8192 seeds distinct. An arithmetic seed * K + epoch would repeat
        // as soon as an epoch reaches K, and seed * 31 + epoch at epoch 31.
        Set<Long> seen = new HashSet<>();
        for (long stream : new long[] {"a".hashCode(), "b".hashCode()}) {
            for (long seed = 0; seed < 64; seed++) {
                for (int epoch = 0; epoch < 64; epoch++) seen.add(Generator.derive(seed, stream, epoch));
            }
        }
        assertEquals(8192, seen.size());
    }

    @Test
    void neighbouringInputsGiveUnrelatedSeeds() {
        // Flipping the low bit of the seed or of a key flips half of the output bits on average (32 of 64; the
        // mean of 2000 such distances has a standard deviation of 0.09, so [31, 33] is over 10 sd wide).
        long bits = 0;
        for (long s = 0; s < 1000; s++) {
            bits += Long.bitCount(Generator.derive(s, 7, 3) ^ Generator.derive(s + 1, 7, 3));
            bits += Long.bitCount(Generator.derive(s, 7, 3) ^ Generator.derive(s, 7, 4));
        }
        double mean = bits / 2000.0;
        assertTrue(mean > 31 && mean < 33, "mean flipped bits " + mean);
    }
}
