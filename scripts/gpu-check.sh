#!/usr/bin/env bash
# One call on a lent GPU machine measures everything issue 10 asks of the CUDA hedging path, in about
# 5-8 minutes: the CUDA tests, the kernels' compiler resource budget, bench_paths, bench_hedging (2^20
# paths, 8 and 1 policies), bench_optimise, whole-process wall time and peak RSS of a 10M-path
# `hedgesim run` and of `hedgesim optimise`, compute-sanitizer memcheck on the CUDA hedging test, and
# Nsight Compute on the hedging kernel (registers, achieved occupancy, duration), and last the pfhedge
# side by side (bench/pfhedge_compare.py, 1M paths x 720 steps, ~2-4 min) when its wheel is carried.
#
# Build the bundle here with scripts/gpu-bundle.sh; for pfhedge also `python3 -m pip download --no-deps
# pfhedge==0.23.0 -d .whl` (.whl/ is git-ignored through .git/info/exclude). Then with the device tool:
# carry build/gpu-bundle.tgz and .whl, command `bash scripts/gpu-check.sh`, timeout_s 600. The machine
# is lent for 15 minutes a session: run it once, give the machine back only when done with it.
# The bundle holds the binaries, their libraries, configs/, this script, the pfhedge comparison and the
# build's ptxas report.
#
# Writes to $OUT (the device tool's folder) or results/gpu/ at most 8 files (the tool's limit):
# summary.md (device, date, commit, each measure against its goal), logs.tgz (every log), the three
# benchmark reports, ncu_hedging.txt, kernel_resources.txt and pfhedge_compare.md.
set -uo pipefail
start_dir=$PWD                                   # the checkout: .whl/ holds a carried pfhedge wheel
here=$(cd "$(dirname "$0")" && pwd)
if [[ -x $here/bin/hedgesim ]]; then
  bundle=$here                                   # run from the unpacked bundle
else
  root=$(cd "$here/.." && pwd)
  tar -C "$root/build" -xzf "$root/build/gpu-bundle.tgz" || { echo "gpu-check: no build/gpu-bundle.tgz" >&2; exit 2; }
  bundle=$root/build/gpu-bundle
fi
out=${OUT:-results/gpu}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
logs=$work/gpu-check
mkdir -p "$logs"
export LD_LIBRARY_PATH=$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export HEDGESIM_SOURCE_DIR=$bundle              # configs/ for the tests that read them
bin=$bundle/bin
cfg=$bundle/configs
cd "$work" || exit 2                            # results files of the runs land here, not in $OUT
t0=$SECONDS

# ---------------------------------------------------------------- goals (issue 10) and the 2026-12-04 baseline
goal_regs=128 goal_stack=256 goal_spill=0
goal_ratio=2        # bench_hedging: time(8 policies) / time(1) on the device
goal_optimise=10    # seconds, bench_optimise on the GPU (README: < 10 s on an H100)
base_h8="563.67 M path-steps/s, 1.339 s" base_h1="3643.68 M path-steps/s, 0.207 s"
base_paths="63226.64 M path-steps/s" base_bopt="5.0 s" base_run="16.0 s (elapsed in run)" base_opt="12.6 s"

# ---------------------------------------------------------------- helpers
step() { printf '[%4ds] %s\n' "$((SECONDS - t0))" "$*"; }
# timed NAME LIMIT_S CMD...: CMD's output in NAME.log, wall seconds and peak RSS in NAME.time.
timed() {
  local name=$1 limit=$2 start rc
  shift 2
  start=$EPOCHREALTIME
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$logs/$name.rusage" timeout "$limit" "$@" > "$logs/$name.log" 2>&1
    rc=$?
  else
    python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(f"\tMaximum resident set size (kbytes): {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.exit(rc)' "$logs/$name.rusage" timeout "$limit" "$@" > "$logs/$name.log" 2>&1
    rc=$?
  fi
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$logs/$name.rusage" 2>/dev/null)
  printf 'wall_s=%s\nmax_rss_kib=%s\nrc=%s\n' "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')" \
    "${rss:-?}" "$rc" > "$logs/$name.time"
  return "$rc"
}
val() { sed -n "s/^$2=//p" "$logs/$1.time" 2>/dev/null; }                  # val NAME wall_s|max_rss_kib|rc
gib() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.2f GiB", k / 1048576; else print "?" }'; }
verdict() { if [[ $1 == 0 ]]; then echo "ok"; elif [[ $1 == 124 ]]; then echo "TIMED OUT"; else echo "FAILED (rc $1)"; fi; }
# Rows of the "## CUDA backend" table of a benchmark report whose first cell matches $2.
cuda_row() { awk -v key="$2" '/^## CUDA backend/ {on = 1; next} /^## / {on = 0} on && $0 ~ "^\\| *" key " *\\|" {print; exit}' "$1" 2>/dev/null; }
cell() { awk -F'|' -v n="$2" '{gsub(/^ +| +$/, "", $(n + 1)); print $(n + 1)}' <<< "$1"; }

status=0
{ date -u '+%Y-%m-%d %H:%M:%S UTC'; echo "bundle commit: $(cat "$bundle/COMMIT" 2>/dev/null || echo unknown)";
  echo "checkout commit: $(git -C "$here" rev-parse --short=12 HEAD 2>/dev/null || echo none)"; nvidia-smi;
  nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.max.sm,driver_version --format=csv; nproc; } > "$logs/device.txt" 2>&1
device=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)

# ---------------------------------------------------------------- 1. tests
step "tests"
tests=(test_rng test_engine test_hedging test_summary test_device_summary)
for t in "$bin"/*cuda*; do [[ -x $t ]] && tests+=("$(basename "$t")"); done
test_rows=()
for t in "${tests[@]}"; do
  if [[ ! -x $bin/$t ]]; then test_rows+=("| $t | missing from the bundle |"); status=1; continue; fi
  timed "$t" 240 "$bin/$t" --gtest_color=no || status=1
  l=$logs/$t.log
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$l" | tail -1)
  failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$l" | tail -1)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$l" | tail -1)
  test_rows+=("| $t | $(verdict "$(val "$t" rc)"): ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped ($(val "$t" wall_s) s) |")
  tail -3 "$l"
done

# ---------------------------------------------------------------- 2. kernel resource budget
step "kernel resources"
{
  echo "== ptxas -v at bundle time (scripts/gpu-bundle.sh):"
  cat "$bundle/kernel_resources.txt" 2>/dev/null || echo "(not in the bundle)"
  if command -v cuobjdump > /dev/null; then
    echo; echo "== cuobjdump --dump-resource-usage of the bundle's libraries, checked on this machine:"
    for so in "$bin"/* "$bundle"/lib/libhedgesim*; do
      [[ -f $so ]] && cuobjdump --dump-resource-usage "$so" 2>/dev/null
    done > "$logs/cuobjdump_resources.txt"
    python3 "$bundle/check_kernel_resources.py" check --verbose --max-registers "$goal_regs" --max-stack "$goal_stack" \
      --max-spill-bytes "$goal_spill" --report "$logs/cuobjdump_resources.txt" 2>&1
  fi
} > "$logs/kernel_resources.txt" 2>&1
res_line=$(grep -E 'kernel resource budget: (OK|FAILED)' "$logs/kernel_resources.txt" |
  sed 's/kernel resource budget: //; s/ break the budget.*//' | paste -sd ';' -)
res_worst=$(awk '/registers [0-9?]+, stack/ {r = $2; s = $4; sub(/,/, "", r); if (r + 0 > mr) mr = r + 0; if (s + 0 > ms) ms = s + 0}
                 END {if (mr) printf "max %d registers, max %d bytes stack", mr, ms}' "$logs/kernel_resources.txt")

# ---------------------------------------------------------------- 3. benchmarks
step "bench_paths"
timed bench_paths 120 "$bin/bench_paths" --paths 20000 --reps 2 --ql-seconds 2 --markdown "$logs/paths_benchmark.md" || status=1
step "bench_hedging"
timed bench_hedging 180 "$bin/bench_hedging" --paths 20000 --gpu-paths 1048576 --reps 3 --ql-seconds 2 --mem-paths 1048576 \
  --markdown "$logs/hedging_benchmark.md" || status=1
step "bench_optimise"
timed bench_optimise 120 "$bin/bench_optimise" --no-cpu --markdown "$logs/optimise_benchmark.md" || status=1

# ---------------------------------------------------------------- 4. whole processes
step "hedgesim run, 10M paths"
timed run_10M 150 "$bin/hedgesim" run "$cfg/btc_short_calls_perp.yaml" --backend cuda --paths 10000000 --out "$work/run_10M.h5" || status=1
step "hedgesim optimise"
timed optimise 150 "$bin/hedgesim" optimise "$cfg/optimise_btc_band.yaml" --backend cuda --out "$work/optimise.h5" || status=1

# ---------------------------------------------------------------- 5. memcheck and Nsight Compute (may be refused on some runtimes)
step "compute-sanitizer memcheck"
if command -v compute-sanitizer > /dev/null && (( SECONDS - t0 < 330 )); then
  timed memcheck 100 compute-sanitizer --tool memcheck --error-exitcode 99 "$bin/test_hedging" --gtest_color=no --gtest_filter='*Cuda*'
  mc_rc=$(val memcheck rc)
  mc_errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) error.*/\1/p' "$logs/memcheck.log" | tail -1)
  [[ $mc_rc == 0 && -n $mc_errors && $mc_errors == 0 ]] || status=1
  mc="${mc_errors:-?} errors ($(verdict "$mc_rc"); $(grep -c '^\[       OK \]' "$logs/memcheck.log") tests ran, $(val memcheck wall_s) s)"
else
  mc="skipped (compute-sanitizer not found or too little time left)"
fi
step "ncu"
if command -v ncu > /dev/null && (( SECONDS - t0 < 420 )); then
  timed ncu 120 ncu --clock-control none --launch-count 1 -k regex:hedging --section LaunchStats --section Occupancy \
    --section SpeedOfLight "$bin/hedgesim" run "$cfg/btc_short_calls_perp.yaml" --backend cuda --paths 262144 --out "$work/ncu.h5"
  cp "$logs/ncu.log" "$logs/ncu_hedging.txt"
  # ncu's section rows: "    Metric Name   unit   value"; prints "value unit" of the first row named $1.
  metric() { sed 's/^ *//' "$logs/ncu.log" | awk -v m="$1" 'index($0, m " ") == 1 {print $NF, $(NF - 1); exit}'; }
  nc="registers $(metric 'Registers Per Thread'), achieved occupancy $(metric 'Achieved Occupancy'), duration $(metric 'Duration'); 262,144 paths, clocks as found ($(verdict "$(val ncu rc)"))"
else
  nc="skipped (ncu not found or too little time left)"
  echo "$nc" > "$logs/ncu_hedging.txt"
fi

# ---------------------------------------------------------------- 6. pfhedge side by side (issue 10), last: the longest step
# Needs the pfhedge wheel carried in .whl/ (README of the device tool; torch is on the device) and
# bench/pfhedge_compare.py with configs/bench/ in the bundle.
step "pfhedge side by side"
pf_whl=$(ls "$start_dir"/.whl/pfhedge-*.whl 2> /dev/null | head -1)
if [[ -n $pf_whl && -f $bundle/pfhedge_compare.py ]] && python3 -c 'import torch' 2> /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$pf_whl" > "$logs/pfhedge_install.log" 2>&1
  PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} timed pfhedge 300 python3 "$bundle/pfhedge_compare.py" --hedgesim "$bin/hedgesim" \
    --config-dir "$cfg/bench" --device cuda --paths 1000000 --steps 720 --models gbm,heston --reps 1 \
    --markdown "$logs/pfhedge_compare.md" --json-out "$logs/pfhedge_compare.json"
  pf="$(grep -m2 -iE 'ratio|faster' "$logs/pfhedge_compare.md" 2> /dev/null | tr '\n' ' ' | cut -c1-300) ($(verdict "$(val pfhedge rc)"), $(val pfhedge wall_s) s)"
else
  pf="not run (no .whl/pfhedge-*.whl carried, no bench/pfhedge_compare.py in the bundle, or no torch)"
fi

# ---------------------------------------------------------------- summary
step "summary"
h8=$(cuda_row "$logs/hedging_benchmark.md" 8)
h1=$(cuda_row "$logs/hedging_benchmark.md" 1)
ratio=$(awk -v a="$(cell "$h8" 4)" -v b="$(cell "$h1" 4)" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "?" }')
pb=$(cuda_row "$logs/paths_benchmark.md" 'bates [(]qe[)] *[|] *float32')
ob=$(grep -m1 '^| cuda' "$logs/optimise_benchmark.md" 2>/dev/null)
run_elapsed=$(grep -m1 '^elapsed' "$logs/run_10M.log" 2>/dev/null)
opt_line=$(grep -m1 'candidates (' "$logs/optimise.log" 2>/dev/null)
mem=$(grep -o 'Linear extrapolation[^*]*' "$logs/hedging_benchmark.md" 2>/dev/null | head -1)
{
  echo "# GPU check: $(cat "$bundle/COMMIT" 2>/dev/null || echo 'commit unknown')"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); script wall time $((SECONDS - t0)) s"
  echo "- Device: ${device:-no nvidia-smi}; host $(nproc) CPUs"
  echo "- Bundle: built from commit $(cat "$bundle/COMMIT" 2>/dev/null || echo unknown) (scripts/gpu-bundle.sh, sm_90, Release)"
  echo "- Baseline: commit 8448e9b on an H200, 2026-12-04 (its figures as recorded in results/gpu/2026-12-04-h200-55eb4e8/summary.md)"
  echo
  echo "| measure | goal | measured | baseline |"
  echo "|---|---|---|---|"
  echo "| hedging kernels' resources (every instantiation, sm_90) | <= $goal_regs registers, <= $goal_stack B stack, $goal_spill spills | ${res_worst:-?}; verdicts (bundle ptxas; device cuobjdump): ${res_line:-no report} | 182 registers, 7544 B stack |"
  echo "| bench_hedging CUDA, 8 policies, 2^20 paths | | $(cell "$h8" 3), $(cell "$h8" 4) s | $base_h8 |"
  echo "| bench_hedging CUDA, 1 policy, 2^20 paths | | $(cell "$h1" 3), $(cell "$h1" 4) s | $base_h1 |"
  echo "| time(8 policies) / time(1) on the GPU | < $goal_ratio | $ratio | 6.5 |"
  echo "| bench_paths CUDA, Bates QE float32, 2^22 paths | | $(cell "$pb" 4) | $base_paths |"
  echo "| bench_optimise CUDA (300 candidates, 100k paths) wall | < $goal_optimise s | $(cell "$ob" 9) s | $base_bopt |"
  echo "| \`hedgesim run btc_short_calls_perp --paths 10000000\` whole process | | $(val run_10M wall_s) s wall, peak RSS $(gib "$(val run_10M max_rss_kib)"); ${run_elapsed:-no elapsed line} ($(verdict "$(val run_10M rc)")) | $base_run |"
  echo "| \`hedgesim optimise optimise_btc_band\` whole process | | $(val optimise wall_s) s wall, peak RSS $(gib "$(val optimise max_rss_kib)"); ${opt_line:-no summary line} ($(verdict "$(val optimise rc)")) | $base_opt |"
  echo "| host memory at 10M paths (bench_hedging extrapolation) | <= 2 GB | ${mem:-?} | 7.77 GiB |"
  echo "| pfhedge side by side, 1M paths x 720 steps, GBM and Heston (pfhedge_compare.md) | >= 30x | $pf | 3.9x / 9x |"
  echo "| compute-sanitizer memcheck, test_hedging *Cuda* | 0 errors | $mc | not run |"
  echo "| ncu, hedging kernel (first launch) | | $nc | 180 registers, 12% achieved occupancy, 62.1 ms at 1.5 GHz locked |"
  echo
  echo "## Tests"
  echo
  echo "| binary | result |"
  echo "|---|---|"
  printf '%s\n' "${test_rows[@]}"
  echo
  echo "## Steps (wall s, peak RSS, exit)"
  echo
  for f in "$logs"/*.time; do
    n=$(basename "$f" .time)
    echo "- $n: $(val "$n" wall_s) s, $(gib "$(val "$n" max_rss_kib)"), $(verdict "$(val "$n" rc)")"
  done
  echo
  echo "Logs: logs.tgz (gpu-check/*.log, device.txt, cuobjdump_resources.txt)."
} > "$logs/summary.md"

# At most 8 files go back from $OUT: the summary, the reports, and one archive of everything.
for f in summary.md paths_benchmark.md hedging_benchmark.md optimise_benchmark.md ncu_hedging.txt kernel_resources.txt \
  pfhedge_compare.md; do
  [[ -f $logs/$f ]] && cp "$logs/$f" "$out/"
done
tar -C "$work" -czf "$out/logs.tgz" gpu-check
cat "$logs/summary.md"
exit $status
