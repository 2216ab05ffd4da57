package org.attn4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.attn4j.io.SafeTensorsEntry;
import org.attn4j.io.SafeTensorsFile;

/** {@code attn4j inspect FILE.safetensors}: each tensor's name, dtype, shape and size, and the totals. */
final class InspectCommand {
    private InspectCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = new Args("inspect", argv, 1, Set.of(), Set.of("help"));
        if (a.positional().size() != 1) throw new Args.UsageException("inspect: expected one .safetensors file");
        Path file = Path.of(a.positional().get(0));
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            long elements = 0, bytes = 0;
            int width = 4;
            for (SafeTensorsEntry e : f.entries()) width = Math.max(width, e.name().length());
            out.printf(Locale.ROOT, "%-" + width + "s  %-5s  %-22s %14s%n", "name", "dtype", "shape", "bytes");
            for (SafeTensorsEntry e : f.entries()) {
                long n = e.numel();
                long b = e.dtype().byteLength(n);
                elements += n;
                bytes += b;
                out.printf(Locale.ROOT, "%-" + width + "s  %-5s  %-22s %,14d%n", e.name(), e.dtype(), Arrays.toString(e.shape()), b);
            }
            out.printf(Locale.ROOT, "%d tensors, %,d elements, %,d bytes of data%n", f.entries().size(), elements, bytes);
            if (!f.metadata().isEmpty()) out.println("metadata: " + f.metadata());
        }
        return 0;
    }
}
