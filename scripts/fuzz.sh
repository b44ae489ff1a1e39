#!/usr/bin/env bash
# Fuzzes hedgesim's parsers with libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer (CMake
# preset `fuzz`: Clang, CPU only, build/fuzz), each target for SECONDS (default 600), then the command
# line for as long with tests/fuzz/cli_fuzz.py against the same instrumented hedgesim. CI runs
# `scripts/fuzz.sh --seconds 20 --no-cli` (the test suite already runs the command-line fuzzer).
# Each target's grown corpus stays in build/fuzz/tests/fuzz/grown/, so runs continue where the last
# stopped. Findings: build/fuzz/tests/fuzz/artifacts/ (a crashing input per file; replay it with
# build/fuzz/tests/fuzz/fuzz_<target> FILE) and build/fuzz/cli-findings/ (a case folder with its
# COMMAND). Once fixed, copy the input to tests/fuzz/findings/<target>/: every build then replays it.
# See docs/testing.md "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
cli=1
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --no-cli) cli=0; shift ;;
    *) echo "usage: scripts/fuzz.sh [--seconds N] [--no-cli]" >&2; exit 2 ;;
  esac
done
bash scripts/install-deps.sh
cmake --preset fuzz -DHEDGESIM_FUZZ_SECONDS="$seconds" >/dev/null
targets=(fuzz_config fuzz_chain fuzz_series)
[ "$cli" = 1 ] && targets+=(hedgesim)
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]}"
ctest --preset fuzz -R '^fuzz_(config|chain|series)'
if [ "$cli" = 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    python3 tests/fuzz/cli_fuzz.py build/fuzz/hedgesim --seconds "$seconds" --seed "$(date +%s)" \
    --timeout 120 --findings build/fuzz/cli-findings
fi
