package org.attn4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.attn4j.kernels.Parallel;
import org.attn4j.models.vit.VisionTransformer;

/**
 * Issue 6, "one command, one run, one table": every benchmark the targets of shared/ANCHORS.md name, attn4j and
 * libtorch interleaved in the same run, summed up in one table. {@code ./bench.sh suite [--threads T] [--reps R]
 * [--quick]}. The rows, each measured by its own benchmark's code:
 * <ul>
 *   <li>attention forward B=8 H=12 N=197 d=64, the same forward + backward, forward B=1 H=12 N=1024 d=64, forward
 *       causal B=1 H=12 N=4096 d=64 ({@link AttentionBench#measure});
 *   <li>attention forward N=32768, one head, d=64, in a child JVM with -Xmx1g ({@link AttentionBench#runLong}):
 *       the target is to complete; libtorch's composed path cannot (its N² scores alone are 4 GiB);
 *   <li>sgemm N=1024 ({@link GemmBench#measure}), ViT-B/16 forward batch 1 ({@link VitBench#measure}), one ViT-B
 *       block forward + backward batch 8 ({@link BlockBench#measure}).
 * </ul>
 * Columns: attn4j and libtorch median ms, attn4j GFLOP/s at its median ({@link Flops}), that as a share of the
 * 231 GFLOP/s of ANCHORS.md and of the peak measured in this run ({@link PeakFlops}, at the start and at the end;
 * the higher is used), the ratio attn4j/libtorch of the medians, the target and whether it was met, and how
 * closely the two sides' results agree. Above the table: processor, cores, load average at start and end, JDK,
 * libtorch and thread counts.
 *
 * <p>{@code --threads T} sets attn4j's pool, libtorch's intra-op threads and the peak loop's threads alike.
 * {@code --reps R} sets every case's timed reps (default 7; the sgemm row defaults to about 1.5 s of reps, the
 * causal N=4096 row to about half). {@code --quick} is a smoke check: one rep per case and short JIT warm-ups,
 * numbers not fit to judge anything.
 */
final class SuiteBench {
    private SuiteBench() {}

    /** Measures one case, returning its row. */
    @FunctionalInterface
    private interface Measure {
        CaseResult run() throws Exception;
    }

    /** One case of the suite: its name and target (for the row should it fail) and how to measure it. */
    private record Row(String name, double target, Measure measure) {}

    static void run(String[] args) throws Exception {
        int reps = -1;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> BenchMain.setThreads(Integer.parseInt(args[++i]));
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> throw new IllegalArgumentException("suite bench: unknown option '" + args[i] + "'");
            }
        }
        if (reps != -1 && reps < 1) throw new IllegalArgumentException("suite bench: --reps must be >= 1, got " + reps);
        int threads = Parallel.threads();
        int caseReps = reps > 0 ? reps : quick ? 1 : 7;
        int gemmReps = reps > 0 ? reps : quick ? 1 : 0;
        double jit = quick ? 0.5 : 4, blockJit = quick ? 0 : 3;
        int peakTrials = quick ? 1 : 3;
        double peakSeconds = quick ? 0.2 : 0.5;

        String loadStart = Machine.loadAverage();
        PeakFlops.Result peakStart = PeakFlops.measure(threads, peakTrials, peakSeconds);
        Engine engine = Engine.getEngine("PyTorch");
        String libtorchThreads = System.getProperty("ai.djl.pytorch.num_threads", "default");

        List<CaseResult> results = new ArrayList<>();
        try (NDManager base = engine.newBaseManager()) {
            List<Row> rows = new ArrayList<>();
            for (AttentionBench.Case c : AttentionBench.cases()) {
                int r = AttentionBench.repsFor(c, caseReps);
                rows.add(new Row(c.label(), c.target(), () -> AttentionBench.measure(base, c, r, jit)));
            }
            int longReps = reps > 0 ? reps : quick ? 1 : 2;
            double longJit = quick ? 0.5 : 3;
            rows.add(new Row(AttentionBench.LONG_LABEL, Double.NaN, () -> AttentionBench.runLong(longReps, longJit)));
            rows.add(new Row("sgemm N=1024", 0.9, () -> GemmBench.measure(base, 1024, gemmReps, 0.9)));
            rows.add(new Row("ViT-B/16 forward batch 1", 0.8, () -> {
                VisionTransformer model = VitBench.buildModel(12);
                try (NDManager weights = base.newSubManager()) {
                    Map<String, NDArray> p = VitBench.torchParams(weights, model);
                    return VitBench.measure(weights, model, p, 1, caseReps, 0.8);
                }
            }));
            rows.add(new Row(BlockBench.VIT_B.label(8), 0.9,
                    () -> BlockBench.measure(base, BlockBench.VIT_B, 8, caseReps, blockJit, 0.9)));

            for (int i = 0; i < rows.size(); i++) {
                Row row = rows.get(i);
                System.err.printf("suite: [%d/%d] %s ...%n", i + 1, rows.size(), row.name());
                long t0 = System.nanoTime();
                CaseResult r;
                try {
                    r = row.measure().run();
                } catch (Exception | OutOfMemoryError e) {
                    // One failing case must not lose the others' numbers: it becomes a row that says why.
                    r = new CaseResult(row.name(), 0, null, null, Double.NaN, row.target(), "failed: " + e);
                }
                System.err.printf("suite: [%d/%d] done in %.0f s%n", i + 1, rows.size(), (System.nanoTime() - t0) / 1e9);
                results.add(r);
            }
        }
        PeakFlops.Result peakEnd = PeakFlops.measure(threads, peakTrials, peakSeconds);
        String loadEnd = Machine.loadAverage();

        System.out.println();
        System.out.printf("machine: %s, %d cores; load average (1/5/15 min) %s at start, %s at end; %s; libtorch %s (DJL %s)%n",
                Machine.cpu(), Machine.cores(), loadStart, loadEnd, Machine.jdk(), engine.getVersion(), Engine.getDjlVersion());
        System.out.printf("threads: attn4j %d, libtorch %s; times: %s, median of the reps, attn4j and libtorch interleaved%s%n",
                threads, libtorchThreads, Interleaved.CPU ? "calling thread's CPU time" : "wall clock",
                quick ? "; --quick: ONE rep per case, short warm-up - a smoke run, not a measurement" : "");
        double peak = Double.NaN;
        if (peakStart == null || peakEnd == null) {
            System.out.println("peak: not measured (no Vector API: start the JVM with --add-modules jdk.incubator.vector)");
        } else if (!peakStart.clean() || !peakEnd.clean()) {
            System.out.println("peak: not usable, the JIT left the FMA loop's vectors boxed (it allocated); no share of it is given");
        } else {
            peak = Math.max(peakStart.gflops(), peakEnd.gflops());
            System.out.printf("peak: %.0f GFLOP/s measured in this run (FMA loop on %d thread%s, %d float lanes x 12 chains: %.0f at start,"
                            + " %.0f at end; the higher is used); 231 GFLOP/s is shared/ANCHORS.md's two-core Zen 4 peak%n",
                    peak, threads, threads == 1 ? "" : "s", peakStart.lanes(), peakStart.gflops(), peakEnd.gflops());
        }
        printTable(results, peak);
    }

    private static void printTable(List<CaseResult> results, double peak) {
        String peakCol = Double.isNaN(peak) ? "% of meas." : String.format("%% of %.0f", peak);
        String head = String.format("%-45s %4s %9s %11s %14s %8s %10s %6s %10s %4s  %s", "case", "reps", "attn4j ms",
                "libtorch ms", "attn4j GFLOP/s", "% of 231", peakCol, "ratio", "target", "met?", "check");
        System.out.println(head);
        System.out.println("-".repeat(head.length() + 20));
        for (CaseResult r : results) {
            String ours = r.attn4j() == null ? "failed" : ms(r.attn4j().medianMs());
            String torch = r.libtorch() == null ? "n/a" : ms(r.libtorch().medianMs());
            double gf = r.gflops();
            String gflops = Double.isNaN(gf) ? "-" : String.format("%.1f", gf);
            String share231 = Double.isNaN(gf) ? "-" : String.format("%.0f%%", 100 * gf / AttentionBench.PEAK);
            String shareMeasured = Double.isNaN(gf) || Double.isNaN(peak) ? "-" : String.format("%.0f%%", 100 * gf / peak);
            String ratio = Double.isNaN(r.ratio()) ? "-" : String.format("%.2f", r.ratio());
            System.out.printf("%-45s %4d %9s %11s %14s %8s %10s %6s %10s %4s  %s%n", r.name(), r.reps(), ours, torch, gflops,
                    share231, shareMeasured, ratio, r.target(), r.met() ? "yes" : "no", r.check());
        }
    }

    /** Milliseconds with three significant digits or whole ms, whichever is longer. */
    private static String ms(double v) {
        return v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
    }
}
