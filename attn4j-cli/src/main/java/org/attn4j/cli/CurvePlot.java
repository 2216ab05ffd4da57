package org.attn4j.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Training curves as a PNG: two panels, loss (train and test) and accuracy (train and test), per epoch.
 * Drawn with Java2D (headless), written atomically (temporary file, then rename).
 */
final class CurvePlot {
    private CurvePlot() {}

    record Series(String name, Color color, List<Double> values) {}

    static void write(Path file, List<Series> lossSeries, List<Series> accSeries) throws IOException {
        int w = 1000, h = 420;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        panel(g, 0, 0, w / 2, h, "loss", lossSeries);
        panel(g, w / 2, 0, w / 2, h, "accuracy", accSeries);
        g.dispose();
        PngFiles.write(file, img);
    }

    private static void panel(Graphics2D g, int x0, int y0, int w, int h, String title, List<Series> series) {
        int left = x0 + 60, right = x0 + w - 20, top = y0 + 40, bottom = y0 + h - 50;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (Series s : series) {
            for (double v : s.values()) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            n = Math.max(n, s.values().size());
        }
        if (!Double.isFinite(min)) { min = 0; max = 1; }
        if (max - min < 1e-9) { max += 0.5; min -= 0.5; }
        double pad = (max - min) * 0.05;
        min -= pad;
        max += pad;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, y0 + 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 4; i++) {
            double v = min + (max - min) * i / 4;
            int y = bottom - (int) ((bottom - top) * i / 4.0);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, y, right - 1, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.3f", v), x0 + 8, y + 4);
        }
        int ticks = Math.max(1, n);
        for (int e = 1; e <= n; e++) {
            int x = n == 1 ? (left + right) / 2 : left + (int) ((right - left) * (e - 1) / (double) (ticks - 1));
            if (n <= 20 || e % (n / 10 + 1) == 0) g.drawString(Integer.toString(e), x - 3, bottom + 15);
        }
        g.drawString("epoch", (left + right) / 2 - 15, bottom + 32);
        int legendX = left + 10, legendY = top + 16;
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(new BasicStroke(2f));
            int px = -1, py = -1;
            for (int e = 0; e < s.values().size(); e++) {
                double v = s.values().get(e);
                int x = n == 1 ? (left + right) / 2 : left + (int) ((right - left) * e / (double) (n - 1));
                int y = bottom - (int) ((bottom - top) * (v - min) / (max - min));
                g.fillOval(x - 3, y - 3, 6, 6);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            g.drawLine(legendX, legendY - 4, legendX + 20, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), legendX + 26, legendY);
            legendY += 16;
        }
    }
}
