#!/usr/bin/env bash
# Installs what hedgesim needs, builds it and runs the main job: a desk short 50 BTC of 30-day calls,
# hedged with the perpetual under nine policies (configs/btc_short_calls_perp.yaml). Extra arguments
# go to hedgesim, e.g. scripts/run-example.sh --json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Only what the example needs: the CUDA backend only where a GPU is, for that GPU alone (compiling it for
# every architecture costs minutes on a machine that cannot run it); the CPU backend everywhere.
cuda=(-DHEDGESIM_ENABLE_CUDA=OFF)
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 && command -v nvcc >/dev/null; then
  cuda=(-DHEDGESIM_ENABLE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=native)
fi
source scripts/compiler-cache.sh
cmake --preset release "${cuda[@]}" "${cache_args[@]}" >/dev/null
cmake --build --preset release -j "$(nproc)" --target hedgesim
./build/release/hedgesim run configs/btc_short_calls_perp.yaml "$@"
