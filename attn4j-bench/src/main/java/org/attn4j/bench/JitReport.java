package org.attn4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a HotSpot compilation log and lists where C2 left attn4j's Vector API code boxed: calls it did not
 * inline to an attn4j method that takes or returns a vector ({@code jdk.incubator.vector} type). Such a call
 * passes its vectors as heap objects, an allocation each, and a kernel that does it in its loop runs several
 * times slower. The usual cause is C2's node budget: past about 18,000 parsed IR nodes in one compilation
 * (NodeCountInliningCutoff) C2 stops inlining methods other than the Vector API's own, and each Vector API
 * call parses to a few hundred nodes. Whether a compilation crosses it can depend on what C2 inlined first,
 * so it can differ from one JVM to the next. The kernels avoid helpers that take vectors after their heavy
 * part (see GemmVector's class comment); this report is how to check.
 *
 * <p>Usage: run any workload with
 * {@code -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=/tmp/jit.xml} (for a benchmark, in
 * {@code BENCH_JAVA_OPTS}), then {@code ./bench.sh jit-report /tmp/jit.xml}. It prints one line per (compiled
 * method, callee, reason) with the number of C2 compilations in which it happened, and "no boxed vector
 * calls" when there were none. C1 compilations (which box by design and are replaced by C2's) are skipped.
 */
final class JitReport {
    private JitReport() {}

    private static final Pattern TASK = Pattern.compile("<task (compile_id='\\d+'[^>]*?method='([^']+)'[^>]*)>(.*?)</task>",
            Pattern.DOTALL);
    private static final Pattern KLASS = Pattern.compile("<klass id='(\\d+)' name='([^']+)'");
    private static final Pattern METHOD = Pattern.compile(
            "<method id='(\\d+)' holder='(\\d+)' name='([^']+)' return='(\\d+)'(?: arguments='([^']*)')?");
    /** A call followed by its inline_fail, with no other call between them. */
    private static final Pattern FAILED_CALL = Pattern.compile(
            "<call method='(\\d+)'[^>]*/>\\s*(?:<(?!call )[^>]*/>\\s*)*?<inline_fail reason='([^']+)'/>");

    static void run(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: bench.sh jit-report LOGFILE   (a -XX:LogFile written with -XX:+LogCompilation)");
            System.exit(2);
        }
        Map<String, Integer> found = boxedCalls(Files.readString(Path.of(args[0])));
        if (found.isEmpty()) {
            System.out.println("jit-report: no boxed vector calls in C2's compilations of attn4j code");
            return;
        }
        System.out.println("jit-report: calls C2 did not inline that pass or return vectors (boxed); compilations, "
                + "compiled method -> callee: reason");
        found.forEach((k, n) -> System.out.printf("%4d  %s%n", n, k));
    }

    /** "compiled method -> Holder.callee: reason" for each failed inline of a vector-taking attn4j method, counted. */
    static Map<String, Integer> boxedCalls(String log) {
        Map<String, Integer> out = new TreeMap<>();
        Matcher task = TASK.matcher(log);
        while (task.find()) {
            if (task.group(1).contains("level=")) continue;   // C1 (tiers 1-3); C2 tasks have no level attribute
            String compiled = task.group(2);
            if (!compiled.startsWith("org.attn4j.")) continue;
            String body = task.group(3);
            Map<String, String> klass = new HashMap<>();
            for (Matcher m = KLASS.matcher(body); m.find(); ) klass.put(m.group(1), m.group(2));
            Map<String, String[]> method = new HashMap<>();
            for (Matcher m = METHOD.matcher(body); m.find(); ) {
                List<String> types = new ArrayList<>(List.of(m.group(4)));
                if (m.group(5) != null && !m.group(5).isBlank()) types.addAll(List.of(m.group(5).trim().split(" ")));
                boolean vector = types.stream().anyMatch(t -> klass.getOrDefault(t, "").startsWith("jdk.incubator.vector."));
                method.put(m.group(1), new String[] {klass.getOrDefault(m.group(2), "?"), m.group(3), Boolean.toString(vector)});
            }
            for (Matcher m = FAILED_CALL.matcher(body); m.find(); ) {
                String[] callee = method.get(m.group(1));
                if (callee == null || !callee[0].startsWith("org.attn4j.") || !Boolean.parseBoolean(callee[2])) continue;
                String holder = callee[0].substring(callee[0].lastIndexOf('.') + 1);
                String[] parts = compiled.split(" ");   // "org.attn4j.kernels.GemmVector macro (Z[F...)V"
                String name = parts.length > 1 ? parts[0] + "." + parts[1] : parts[0];
                out.merge(name + " -> " + holder + "." + callee[1] + ": " + m.group(2), 1, Integer::sum);
            }
        }
        return out;
    }
}
