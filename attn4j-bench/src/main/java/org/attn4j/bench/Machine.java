package org.attn4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a reader needs to judge a benchmark run's noise: the processor (from {@code /proc/cpuinfo}), the cores
 * this JVM may use, the load average ({@code /proc/loadavg}: runnable processes averaged over 1, 5 and 15
 * minutes; on 2 cores, a load of 2 already means another job holds both), the JDK. Linux files; elsewhere the
 * fields say "unknown".
 */
final class Machine {
    private Machine() {}

    /** The 1, 5 and 15 minute load averages, as /proc/loadavg writes them. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * The processor's model name, family and model numbers (a virtual machine may show only "AMD EPYC"; family 25
     * model 1 is Zen 3, model 17 Zen 4) and widest vector extension, e.g. {@code AMD EPYC (family 25 model 1), AVX2}.
     */
    static String cpu() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String model = "unknown", family = "?", number = "?", flags = "";
            for (String l : lines) {
                String value = l.substring(l.indexOf(':') + 1).trim();
                if (l.startsWith("model name") && model.equals("unknown")) model = value;
                if (l.startsWith("cpu family") && family.equals("?")) family = value;
                if (l.matches("model\\s*:.*") && number.equals("?")) number = value;
                if (l.startsWith("flags") && flags.isEmpty()) flags = " " + value + " ";
            }
            String simd = flags.contains(" avx512f ") ? "AVX-512" : flags.contains(" avx2 ") ? "AVX2" : "no AVX2";
            return model + " (family " + family + " model " + number + "), " + simd;
        } catch (IOException | RuntimeException e) {
            return "unknown processor";
        }
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The running JDK: version and vendor. */
    static String jdk() {
        return "JDK " + Runtime.version() + " (" + System.getProperty("java.vm.vendor", "unknown vendor") + ")";
    }
}
