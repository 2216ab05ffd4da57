package org.attn4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place ({@code \r}) on a terminal, like tqdm / Keras' progbar:
 * {@code epoch 1/10 [=========>      ] 212/468 loss 0.4213 acc 0.8471 1843 img/s ETA 0:14}. When the
 * output is not a terminal it stays quiet until the end of the epoch and prints one summary line.
 */
final class ProgressBar {
    private final PrintStream out;
    private final boolean interactive;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintStream out, boolean interactive, String label, int total) {
        this.out = out;
        this.interactive = interactive;
        this.label = label;
        this.total = total;
    }

    /** True when standard output looks like a terminal. */
    static boolean stdoutIsTerminal() {
        return System.console() != null && System.getenv("CI") == null;
    }

    void update(int done, String metrics, double itemsPerSecond) {
        if (!interactive) return;
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return;   // at most 10 redraws a second
        lastDraw = now;
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (done < total ? ">" : "=") : "")
                + " ".repeat(width - filled);
        double elapsed = (now - start) / 1e9;
        double eta = done == 0 ? 0 : elapsed * (total - done) / done;
        out.print(String.format(Locale.ROOT, "\r%s [%s] %d/%d %s %.0f img/s ETA %s ", label, bar, done, total, metrics,
                itemsPerSecond, clock(eta)));
        out.flush();
    }

    void finish(String summary) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (interactive) out.print("\r\033[K");
        out.println(String.format(Locale.ROOT, "%s %s (%s)", label, summary, clock(elapsed)));
        out.flush();
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
