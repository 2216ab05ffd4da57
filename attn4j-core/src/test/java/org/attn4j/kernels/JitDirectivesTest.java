package org.attn4j.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * {@link JitDirectives}: on HotSpot with the Vector API, loading {@link VectorSupport} leaves a compiler directive that
 * inlines {@link VectorMath} into attn4j's methods, as {@code jcmd PID Compiler.directives_print} shows.
 */
class JitDirectivesTest {
    @Test
    void vectorSupportInstallsTheInliningDirective() throws Exception {
        assumeTrue(VectorSupport.ENABLED, "the directive is installed with the Vector API kernels");
        ObjectName dcmd = new ObjectName("com.sun.management:type=DiagnosticCommand");
        assumeTrue(ManagementFactory.getPlatformMBeanServer().isRegistered(dcmd), "a JVM with HotSpot's diagnostic commands");
        assertTrue(VectorSupport.jitDirectivesInstalled(), "HotSpot refused " + JitDirectives.DIRECTIVE);
        String printed = String.valueOf(ManagementFactory.getPlatformMBeanServer().invoke(dcmd, "compilerDirectivesPrint",
                new Object[] {new String[0]}, new String[] {String[].class.getName()}));
        assertTrue(printed.contains("matching: org/attn4j/*.*") && printed.contains("inline: +org/attn4j/kernels/VectorMath.*"),
                printed);
    }
}
