package org.attn4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.attn4j.io.AtomicFiles;
import org.attn4j.train.EpochStats;

/** Writes the per-epoch metrics of a run as {@code metrics.csv} and {@code metrics.json}, atomically. */
final class MetricsFiles {
    private MetricsFiles() {}

    static void write(Path dir, List<EpochStats> history) throws IOException {
        StringBuilder csv = new StringBuilder("epoch,train_loss,train_acc,test_loss,test_acc,test_top5,seconds,images_per_second,lr\n");
        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < history.size(); i++) {
            EpochStats s = history.get(i);
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%.6g%n", s.epoch(), s.trainLoss(),
                    s.trainAccuracy(), s.testLoss(), s.testAccuracy(), s.testTopK(), s.seconds(), s.imagesPerSecond(), s.lr()));
            json.append(String.format(Locale.ROOT, "  {\"epoch\": %d, \"train_loss\": %.6f, \"train_acc\": %.6f, \"test_loss\": %.6f, "
                    + "\"test_acc\": %.6f, \"test_top5\": %.6f, \"seconds\": %.3f, \"images_per_second\": %.1f, \"lr\": %.6g}%s%n",
                    s.epoch(), s.trainLoss(), s.trainAccuracy(), s.testLoss(), s.testAccuracy(), s.testTopK(), s.seconds(),
                    s.imagesPerSecond(), s.lr(), i + 1 < history.size() ? "," : ""));
        }
        json.append("]\n");
        AtomicFiles.writeString(dir.resolve("metrics.csv"), csv.toString());
        AtomicFiles.writeString(dir.resolve("metrics.json"), json.toString());
    }
}
