#!/usr/bin/env bash
# Installs what hedgesim needs, builds everything (the CUDA backend too when nvcc is found, compiled
# for sm_90; the Python package with Debian's pybind11-dev, and where something it needs is missing
# CTest python_package is skipped and the configure step says why) and runs every test under CTest. GPU tests skip where no device is
# present. Reuses build/<preset>: a second run rebuilds only what changed, and through ccache what
# scripts/run-example.sh compiled. An argument
# names another CMake preset with configure, build and test presets of that name (scripts/sanitize.sh
# passes asan).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-ci}
bash scripts/install-deps.sh
source scripts/compiler-cache.sh
cmake --preset "$preset" "${cache_args[@]}" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
