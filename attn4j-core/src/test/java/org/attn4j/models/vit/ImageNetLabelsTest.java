package org.attn4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The shipped label list against anchors read from pytorch/hub's numbered imagenet_classes.txt
 * ({@code "0, tench"} ... {@code "999, toilet_tissue"}, underscores there for the spaces here): every
 * 50th index and the duplicates, so that a dropped or doubled line anywhere would shift an anchor.
 */
class ImageNetLabelsTest {
    @Test
    void indicesMatchTheNumberedList() {
        Map<Integer, String> anchors = new TreeMap<>(Map.ofEntries(
                Map.entry(0, "tench"), Map.entry(1, "goldfish"), Map.entry(50, "American alligator"),
                Map.entry(100, "black swan"), Map.entry(150, "sea lion"), Map.entry(200, "Tibetan terrier"),
                Map.entry(250, "Siberian husky"), Map.entry(281, "tabby"), Map.entry(300, "tiger beetle"),
                Map.entry(350, "ibex"), Map.entry(385, "Indian elephant"), Map.entry(400, "academic gown"),
                Map.entry(450, "bobsled"), Map.entry(500, "cliff dwelling"), Map.entry(550, "espresso maker"),
                Map.entry(600, "hook"), Map.entry(650, "microphone"), Map.entry(700, "paper towel"),
                Map.entry(750, "quilt"), Map.entry(800, "slot"), Map.entry(817, "sports car"), Map.entry(850, "teddy"),
                Map.entry(900, "water tower"), Map.entry(916, "web site"), Map.entry(950, "orange"),
                Map.entry(954, "banana"), Map.entry(999, "toilet tissue")));
        List<String> labels = ImageNetLabels.labels();
        assertEquals(1000, labels.size());
        anchors.forEach((i, name) -> assertEquals(name, labels.get(i), "class " + i));
    }

    @Test
    void onlyTheKnownLemmasRepeat() {
        Map<String, Integer> counts = new HashMap<>();
        for (String s : ImageNetLabels.labels()) counts.merge(s, 1, Integer::sum);
        assertEquals(998, counts.size());
        assertEquals(2, counts.get("crane"));
        assertEquals(2, counts.get("maillot"));
        assertEquals("crane", ImageNetLabels.name(134));
        assertEquals("crane", ImageNetLabels.name(517));
        assertEquals("maillot", ImageNetLabels.name(638));
        assertEquals("maillot", ImageNetLabels.name(639));
        for (String s : ImageNetLabels.labels()) assertEquals(s.strip(), s, "no stray whitespace");
    }

    @Test
    void indexOutOfRangeIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> ImageNetLabels.name(1000));
        assertEquals("ImageNetLabels: class index must be in [0, 1000), got 1000", e.getMessage());
    }
}
