package org.attn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.attn4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Accuracy, top-k and per-class figures on hand-made logits, each worked out by hand in the comments.
 * Ties are broken as {@code torch.argmax} does (the first maximal index), for top-1 and top-k alike.
 */
class ConfusionMatrixTest {
    /**
     * Five samples of three classes (rows: logits, then the true label and what follows from them):
     * <pre>
     *   [2.0, 1.0, 0.0]  label 0  predicted 0, true class ranked 1st
     *   [0.1, 0.5, 0.3]  label 2  predicted 1, ranked 2nd
     *   [3.0, 2.0, 1.0]  label 2  predicted 0, ranked 3rd
     *   [0.0, 0.0, 1.0]  label 2  predicted 2, ranked 1st
     *   [1.0, 4.0, 1.0]  label 1  predicted 1, ranked 1st
     * </pre>
     */
    private static final Tensor LOGITS = Tensor.of(new float[] {
            2.0f, 1.0f, 0.0f,
            0.1f, 0.5f, 0.3f,
            3.0f, 2.0f, 1.0f,
            0.0f, 0.0f, 1.0f,
            1.0f, 4.0f, 1.0f}, 5, 3);
    private static final Tensor LABELS = Tensor.ofInts(new int[] {0, 2, 2, 2, 1}, 5);

    private static ConfusionMatrix of(int k, Tensor logits, Tensor labels) {
        ConfusionMatrix cm = new ConfusionMatrix(logits.size(1), k);
        cm.add(logits, labels);
        return cm;
    }

    @Test
    void accuracyTopKAndCountsOfAHandMadeBatch() {
        ConfusionMatrix cm = of(2, LOGITS, LABELS);
        assertEquals(5, cm.total());
        assertEquals(3 / 5.0, cm.accuracy(), 0);        // samples 0, 3, 4 are right
        assertEquals(4 / 5.0, cm.topK(), 0);            // sample 2's true class is only 3rd
        assertEquals(2, cm.k());
        long[][] expected = {
                {1, 0, 0},   // true 0: predicted 0 once
                {0, 1, 0},   // true 1: predicted 1 once
                {1, 1, 1}};  // true 2: predicted 0, 1 and 2 once each
        for (int t = 0; t < 3; t++) {
            for (int p = 0; p < 3; p++) assertEquals(expected[t][p], cm.count(t, p), "count(" + t + ", " + p + ")");
        }
        assertArrayEquals(new double[] {1, 1, 1 / 3.0}, cm.perClassAccuracy(), 0);
    }

    @Test
    void topOneIsAccuracyAndTopAllIsOne() {
        assertEquals(of(1, LOGITS, LABELS).accuracy(), of(1, LOGITS, LABELS).topK(), 0);
        assertEquals(1.0, of(3, LOGITS, LABELS).topK(), 0);
    }

    @Test
    void batchesAccumulate() {
        ConfusionMatrix cm = new ConfusionMatrix(3, 2);
        cm.add(LOGITS.narrow(0, 0, 2), LABELS.narrow(0, 0, 2));
        cm.add(LOGITS.narrow(0, 2, 3), LABELS.narrow(0, 2, 3));
        ConfusionMatrix whole = of(2, LOGITS, LABELS);
        assertEquals(whole.total(), cm.total());
        assertEquals(whole.accuracy(), cm.accuracy(), 0);
        assertEquals(whole.topK(), cm.topK(), 0);
        assertEquals(whole.format(null), cm.format(null));
    }

    @Test
    void tiesGoToTheFirstIndexForTopOneAndTopK() {
        // [1, 1, 0] with label 1: torch.argmax picks index 0, so the prediction is wrong; and with the same
        // tie-break the ranking is 0, 1, 2, so class 1 is in the top 2 but not the top 1.
        Tensor z = Tensor.of(new float[] {1, 1, 0}, 1, 3);
        Tensor y = Tensor.ofInts(new int[] {1}, 1);
        assertEquals(1, of(1, z, y).count(1, 0));
        assertEquals(0.0, of(1, z, y).accuracy(), 0);
        assertEquals(0.0, of(1, z, y).topK(), 0, "top-1 must agree with accuracy on a tie");
        assertEquals(1.0, of(2, z, y).topK(), 0);
    }

    @Test
    void constantLogitsDoNotScorePerfectTopK() {
        // A dead network (all logits equal) ranks the classes 0, 1, 2, 3 by the tie-break: only labels 0 and 1
        // are in its top 2, so half of these four samples, not all of them.
        Tensor z = Tensor.zeros(4, 4);
        Tensor y = Tensor.ofInts(new int[] {0, 1, 2, 3}, 4);
        assertEquals(0.5, of(2, z, y).topK(), 0);
        assertEquals(0.25, of(1, z, y).topK(), 0);
        assertEquals(0.25, of(1, z, y).accuracy(), 0);
    }

    @Test
    void formattedTableNamesTheClassesAndShowsTheCounts() {
        String table = of(2, LOGITS, LABELS).format(List.of("T-shirt/top", "Trouser", "Pullover"));
        List<String> lines = table.lines().toList();
        assertEquals(4, lines.size(), table);                 // header and one row per class
        assertTrue(lines.get(1).startsWith("0 T-shirt/top"), table);
        assertTrue(lines.get(2).startsWith("1 Trouser"), table);
        assertTrue(lines.get(3).startsWith("2 Pullover"), table);
        // The counts of true class 2 (row 3), read back from the table.
        String[] cells = lines.get(3).substring(14).trim().split("\\s+");
        assertArrayEquals(new String[] {"1", "1", "1"}, cells, table);
        // Without names the rows are labelled by index.
        assertTrue(of(2, LOGITS, LABELS).format(null).lines().skip(1).findFirst().orElseThrow().startsWith("0 0"));
    }

    @Test
    void emptyMatrixReportsZeroNotNaN() {
        ConfusionMatrix cm = new ConfusionMatrix(3, 1);
        assertEquals(0, cm.total());
        assertEquals(0.0, cm.accuracy(), 0);
        assertEquals(0.0, cm.topK(), 0);
    }

    @Test
    void badArgumentsAreRejectedWithTheirValues() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ConfusionMatrix(3, 4));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("[1, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConfusionMatrix(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConfusionMatrix(3, 0));
        var shape = assertThrows(IllegalArgumentException.class,
                () -> new ConfusionMatrix(4, 1).add(LOGITS, LABELS));
        assertTrue(shape.getMessage().contains("[5, 3]"), shape.getMessage());
        var label = assertThrows(IllegalArgumentException.class,
                () -> new ConfusionMatrix(3, 1).add(LOGITS.narrow(0, 0, 1), Tensor.ofInts(new int[] {3}, 1)));
        assertTrue(label.getMessage().contains("label 3"), label.getMessage());
    }
}
