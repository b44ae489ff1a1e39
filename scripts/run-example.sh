#!/usr/bin/env bash
# Installs what hedgesim needs, builds it and runs the main job: a desk short 50 BTC of 30-day calls,
# hedged with the perpetual under nine policies (configs/btc_short_calls_perp.yaml). Extra arguments
# go to hedgesim, e.g. scripts/run-example.sh --json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target hedgesim
./build/release/hedgesim run configs/btc_short_calls_perp.yaml "$@"
