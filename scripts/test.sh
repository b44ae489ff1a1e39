#!/usr/bin/env bash
# Installs what hedgesim needs, builds everything (the CUDA backend too when nvcc is found, compiled
# for sm_90) and runs every test under CTest. GPU tests skip where no device is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$(nproc)"
ctest --preset ci
