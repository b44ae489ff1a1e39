#!/usr/bin/env bash
# Prepares a GPU check for a lent device machine (which has nvcc, CMake and ninja but none of our
# Debian libraries and no network): builds the CUDA tests, benchmarks and CLI here for sm_90 with
# shared project libraries (one copy of the kernels), bundles them with the shared libraries they load
# (../shared/tools/device-bundle) and packs build/gpu-bundle.tgz (about 25 MB), small enough to carry.
# Then, with the device tool:  carry build/gpu-bundle.tgz, command: bash scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEDGESIM_CPU_ARCH=x86-64-v3 \
  -DCMAKE_CUDA_ARCHITECTURES=90-real -DBUILD_SHARED_LIBS=ON -DHEDGESIM_ENABLE_CUDA=ON >/dev/null
targets=(tests/test_rng tests/test_engine tests/test_hedging bench/bench_paths bench/bench_hedging bench/bench_optimise
         hedgesim)
cmake --build build/gpu -j "$(nproc)" --target "${targets[@]##*/}"
bundle=${HEDGESIM_DEVICE_BUNDLE:-../shared/tools/device-bundle}
rm -rf build/gpu-bundle
"$bundle" build/gpu-bundle "${targets[@]/#/build/gpu/}"
tar -C build -czf build/gpu-bundle.tgz gpu-bundle
ls -l build/gpu-bundle.tgz
