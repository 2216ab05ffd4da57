#!/usr/bin/env bash
# Builds the bench module and runs one benchmark against libtorch (through DJL, offline).
#   ./bench.sh suite [--threads T] [--reps R] [--quick]   every target of issue 6 in one run, one table
#   ./bench.sh gemm [--threads T] [--sizes 256,512,1024,2048]
#   ./bench.sh vit [--threads T] [--batches 1,8] [--reps R] [--depth D]
#   ./bench.sh train [--models cnn-cbam,cnn] [--steps 10] [--threads T]   (Fashion-MNIST CNN training vs libtorch)
# Extra JVM options go in BENCH_JAVA_OPTS (e.g. -Dbench.cputime=true, see GemmBench).
#   ./bench.sh attention [--threads T] [--reps R] [--no-long]
#   ./bench.sh block [--threads T] [--reps R] [--batch 8] [--geometry vit-b|fashion]   one transformer block fwd + bwd
#   BENCH_JAVA_OPTS=-XX:-TieredCompilation ./bench.sh species-mix [--other-shape-first]   sgemm after 256-bit
#     Vector API code: the reproduction of the slow C2 compiles ProfileWarmupVector prevents (add
#     -Dattn4j.vectorWarmup=false to the options to see them)
#   ./bench.sh jit-report LOGFILE   calls C2 left boxing vectors; write LOGFILE with
#     BENCH_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=LOGFILE" ./bench.sh NAME ...
# -XX:MaxHeapFreeRatio=100 as in ./attn4j (G1 keeps its heap instead of re-committing it every step).
# libtorch must never reach the network: DJL_OFFLINE=true and -Dai.djl.offline=true are set here.
set -euo pipefail
cd "$(dirname "$0")"

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
JAVA=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 25 ] 2>/dev/null; then
  JAVA="$JAVA_HOME/bin/java"
else
  for j in /usr/lib/jvm/*25*/bin/java; do
    if [ -x "$j" ]; then JAVA="$j"; break; fi
  done
fi
if [ -z "$JAVA" ]; then
  echo "bench.sh: no JDK 25 found (set JAVA_HOME to one, or install it under /usr/lib/jvm)" >&2
  exit 1
fi

./mvnw -q -B -Pbench -pl attn4j-bench -am package -DskipTests

export DJL_OFFLINE=true
# Huge pages for the Java heap where the kernel gives them on request, as ./attn4j does (see there).
thp=""
if grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then thp="-XX:+UseTransparentHugePages"; fi
# VectorMath inlined at every call site, as ./attn4j does (see there).
inline=(-XX:CompileCommand=quiet "-XX:CompileCommand=inline,org.attn4j.kernels.VectorMath::*")   # an array: no globbing of the *
# The whole heap committed and touched at start (-Xms4g -XX:+AlwaysPreTouch, ~1 s): G1 can let mostly-humongous
# allocations grow the heap for many seconds without a collection, and on a virtual machine the first touch of
# memory the guest never used is slow (the host backs and zeroes it). In ./bench.sh suite the ViT-B block then
# took 800-1100 ms instead of 360-440, with clear_page_erms (kernel page zeroing) a quarter of the samples and the
# heap growing from 1.2 to 4 GiB in 13 s without a GC; pre-touched, it did not happen.
heap="-Xms4g -Xmx4g -XX:+AlwaysPreTouch"
exec "$JAVA" ${BENCH_JAVA_OPTS:-} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $heap -XX:MaxHeapFreeRatio=100 $thp "${inline[@]}" \
  -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 \
  -jar attn4j-bench/target/attn4j-bench.jar "$@"
