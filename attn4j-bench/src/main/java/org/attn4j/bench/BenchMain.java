package org.attn4j.bench;

import java.util.Arrays;

/**
 * Entry point of the bench jar ({@code ./bench.sh NAME [options]}): picks one benchmark by name.
 *
 * <p>Every benchmark compares attn4j with libtorch through DJL, which must never reach the network:
 * this class turns on DJL's offline mode before any DJL class is loaded, and the benchmarks refuse to
 * start unless the environment also has {@code DJL_OFFLINE=true} (see {@code bench.sh}).
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        if (args[0].equals("jit-report")) {   // reads a log file; starts no libtorch
            JitReport.run(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args[0].equals("species-mix")) {  // attn4j against itself; starts no libtorch
            SpeciesMix.run(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (!"true".equalsIgnoreCase(System.getenv("DJL_OFFLINE"))) {
            System.err.println("bench: refusing to start libtorch without DJL_OFFLINE=true in the environment "
                    + "(DJL would otherwise contact hosts on start-up); run through bench.sh");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "gemm" -> GemmBench.run(rest);
            case "vit" -> VitBench.run(rest);
            case "train" -> TrainBench.run(rest);
            case "attention" -> AttentionBench.run(rest);
            case "block" -> BlockBench.run(rest);
            case "suite" -> SuiteBench.run(rest);
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'");
                usage();
                System.exit(2);
            }
        }
    }

    /**
     * {@code --threads T} of every benchmark: attn4j's pool and libtorch's intra-op threads alike. The property is
     * read by DJL when the PyTorch engine starts, so this must run before the first DJL call.
     */
    static void setThreads(int threads) {
        org.attn4j.kernels.Parallel.setThreads(threads);
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    }

    private static void usage() {
        System.err.println("usage: bench.sh NAME [options]");
        System.err.println("  suite [--threads T] [--reps R] [--quick]        every target of issue 6 in one run and one table:");
        System.err.println("                                                  ms, GFLOP/s, share of peak, ratio to libtorch, target met");
        System.err.println("  gemm [--threads T] [--sizes 256,512,1024,2048]   sgemm vs libtorch matMul, N x N x N");
        System.err.println("  species-mix [--threads T] [--reps R] [--other-shape-first]   sgemm after 256-bit Vector API code");
        System.err.println("                                                  (with BENCH_JAVA_OPTS=-XX:-TieredCompilation; see ProfileWarmupVector)");
        System.err.println("  vit [--threads T] [--batches 1,8] [--reps R] [--depth D]");
        System.err.println("                                                  ViT-B/16 forward vs the same network in libtorch ops");
        System.err.println("  train [--models cnn-cbam,cnn] [--batch 128] [--parity 10] [--steps 10] [--warmup 3] [--lr 0.02]"
                + " [--threads T] [--seed 1]");
        System.err.println("        Fashion-MNIST CNN training: first losses vs libtorch (same weights, batches, SGD), then"
                + " ms/step and the ratio");
        System.err.println("  attention [--threads T] [--reps R] [--no-long]   fused attention vs libtorch composed, forward and backward;");
        System.err.println("                                                   N=32768 forward in a child JVM with -Xmx1g");
        System.err.println("  block [--threads T] [--reps R] [--batch 8]       one ViT-B block forward + backward vs the same block");
        System.err.println("                                                   composed from libtorch ops, same weights, libtorch autograd");
        System.err.println("  jit-report LOGFILE                               C2 calls left boxing vectors, from a -XX:+LogCompilation log");
    }
}
