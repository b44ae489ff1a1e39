#!/usr/bin/env bash
# Runs on the GPU machine from the repository root with build/gpu-bundle.tgz carried
# (scripts/gpu-bundle.sh): the CUDA known-answer and CPU-vs-GPU tests, and the GPU benchmarks (paths,
# hedging, and the band optimiser's < 10 s goal).
# Logs and reports go to $OUT (the device tool's folder) or results/gpu/.
set -uo pipefail
out=${OUT:-results/gpu}
mkdir -p "$out"
tar -C build -xzf build/gpu-bundle.tgz
export LD_LIBRARY_PATH=$PWD/build/gpu-bundle/lib
export HEDGESIM_SOURCE_DIR=$PWD
bin=build/gpu-bundle/bin
{ date -u; git rev-parse --short HEAD 2>/dev/null; nvidia-smi; } > "$out/device.txt" 2>&1
status=0
for t in test_rng test_engine test_hedging; do
  "$bin/$t" --gtest_color=no > "$out/$t.log" 2>&1 || status=1
  tail -3 "$out/$t.log"
done
"$bin/bench_paths" --paths 20000 --reps 2 --ql-seconds 2 --markdown "$out/paths_benchmark.md" > "$out/bench_paths.log" 2>&1 || status=1
"$bin/bench_hedging" --paths 20000 --reps 2 --ql-seconds 2 --mem-paths 262144 --markdown "$out/hedging_benchmark.md" \
  > "$out/bench_hedging.log" 2>&1 || status=1
"$bin/bench_optimise" --no-cpu --markdown "$out/optimise_benchmark.md" > "$out/bench_optimise.log" 2>&1 || status=1
tail -5 "$out/bench_paths.log" "$out/bench_hedging.log" "$out/bench_optimise.log"
exit $status
