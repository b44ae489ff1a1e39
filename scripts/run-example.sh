#!/usr/bin/env bash
# Installs what hedgesim needs, builds it and runs the main job on an example config. Extra arguments
# go to hedgesim, e.g. scripts/run-example.sh --json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target hedgesim
./build/release/hedgesim price configs/price_btc_bates.yaml "$@"
