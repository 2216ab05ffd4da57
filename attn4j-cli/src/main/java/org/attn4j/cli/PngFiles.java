package org.attn4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.attn4j.io.AtomicFiles;

/** Writes the command line's pictures (training curves, attention maps) as PNG, replacing old ones atomically. */
final class PngFiles {
    private PngFiles() {}

    static void write(Path file, BufferedImage img) throws IOException {
        AtomicFiles.write(file, ch -> {
            OutputStream out = Channels.newOutputStream(ch);   // not closed: AtomicFiles owns the channel
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer for a " + img.getType() + " image");
            out.flush();
        });
    }
}
