package org.attn4j.data.images;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The PIL-made images of {@code scripts/pil-resize-fixtures.py}, in this package's test resources. */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        URL url = Fixtures.class.getResource(name);
        if (url == null) throw new IllegalStateException("missing test resource " + name + " (run scripts/pil-resize-fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static RgbImage read(String name) {
        try {
            return ImageFiles.readRgb(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Index and values of the first differing sample, or null when the images are equal. */
    static String firstDifference(RgbImage expected, RgbImage actual) {
        if (expected.width() != actual.width() || expected.height() != actual.height()) {
            return "size " + actual.width() + "x" + actual.height() + ", expected " + expected.width() + "x" + expected.height();
        }
        for (int y = 0; y < expected.height(); y++) {
            for (int x = 0; x < expected.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    if (expected.get(x, y, c) != actual.get(x, y, c)) {
                        return "pixel (" + x + ", " + y + ") channel " + c + ": " + actual.get(x, y, c) + ", expected "
                                + expected.get(x, y, c);
                    }
                }
            }
        }
        return null;
    }
}
