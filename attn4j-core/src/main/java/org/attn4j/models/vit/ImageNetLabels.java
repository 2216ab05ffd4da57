package org.attn4j.models.vit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The 1000 ImageNet-1k (ILSVRC-2012) class names in class-index order, as the classifier heads of timm's
 * ImageNet-1k weights number them: the widely used list of pytorch/hub's {@code imagenet_classes.txt}
 * (one short WordNet lemma per class, "tench" at 0 to "toilet tissue" at 999), shipped as the resource
 * {@code imagenet1k_labels.txt} beside this class.
 *
 * <p>Two names occur twice in that list because the short lemma is shared by different WordNet synsets:
 * "crane" (134 the bird, 517 the machine) and "maillot" (638 and 639, two kinds of swimsuit). They are kept as
 * they are so that indices and names match what other tools print.
 */
public final class ImageNetLabels {
    private ImageNetLabels() {}

    /** Number of ImageNet-1k classes. */
    public static final int COUNT = 1000;

    private static volatile List<String> labels;

    /** The class names, index {@code i} naming class {@code i}; an unmodifiable list of {@link #COUNT}. */
    public static List<String> labels() {
        List<String> l = labels;
        if (l == null) {
            l = List.copyOf(read());
            labels = l;
        }
        return l;
    }

    /** The name of class {@code index}. */
    public static String name(int index) {
        if (index < 0 || index >= COUNT) {
            throw new IllegalArgumentException("ImageNetLabels: class index must be in [0, 1000), got " + index);
        }
        return labels().get(index);
    }

    private static List<String> read() {
        try (InputStream in = ImageNetLabels.class.getResourceAsStream("imagenet1k_labels.txt")) {
            if (in == null) throw new IllegalStateException("ImageNetLabels: resource imagenet1k_labels.txt is missing from the jar");
            List<String> out = new ArrayList<>(COUNT);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isEmpty()) out.add(line);
            }
            if (out.size() != COUNT) {
                throw new IllegalStateException("ImageNetLabels: imagenet1k_labels.txt has " + out.size() + " names, expected " + COUNT);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
