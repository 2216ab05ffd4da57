package org.attn4j.kernels;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * Asks HotSpot's C2 to inline {@link VectorMath} (the vector {@code exp} and its helpers) into every attn4j method
 * it compiles, through a compiler directive added at run time (what {@code jcmd PID Compiler.directives_add FILE}
 * does, here through the {@code DiagnosticCommand} MBean).
 *
 * <p>Why: a kernel that calls {@code VectorMath.exp} (GELU, sigmoid, softmax, the flash-attention softmax step) is
 * only fast when C2 inlines it: otherwise every call passes its vectors boxed and the arithmetic inside runs through
 * the Vector API's Java fallbacks ({@code Float512Vector.tOp}, {@code bOp}). C2 refuses to inline a method that
 * already has compiled code larger than {@code InlineSmallCode} ("already compiled into a big method"), and whether
 * {@code exp} got compiled on its own first depends on timing. Measured on a KVM Xeon (AVX-512), a JVM that ran
 * sgemm N=1024 and then ViT-B/16 forwards: without the directive, ViT-B took 440-470 ms per image instead of
 * 200-215 in one run of two to six (with GELU and softmax at the top of the profile, inside the fallbacks); with it,
 * 16 runs out of 16 were normal (203-243 ms). The same as {@code -XX:CompileCommand=inline,org.attn4j.kernels.VectorMath::*},
 * which the launcher, {@code bench.sh} and the tests also pass, for JVMs started without attn4j's scripts.
 *
 * <p>Best effort: on a JVM without the {@code java.management} module or the diagnostic command, nothing happens.
 * {@code -Dattn4j.jitDirectives=false} skips it.
 */
final class JitDirectives {
    private JitDirectives() {}

    /** The directive: for every attn4j method C2 compiles, inline VectorMath's methods. */
    static final String DIRECTIVE = "[{ match: \"org/attn4j/*.*\", inline: \"+org/attn4j/kernels/VectorMath.*\" }]";

    /** Adds {@link #DIRECTIVE}; returns whether HotSpot took it. */
    static boolean install() {
        if ("false".equalsIgnoreCase(System.getProperty("attn4j.jitDirectives"))) return false;
        Path file = null;
        try {
            file = Files.createTempFile("attn4j-jit-directives", ".json");
            Files.writeString(file, DIRECTIVE, StandardCharsets.UTF_8);
            Object reply = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            return String.valueOf(reply).contains("1 compiler directives added");
        } catch (Throwable e) {
            return false;          // no java.management, another VM, or the command refused: the kernels still work
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (Exception ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }
}
