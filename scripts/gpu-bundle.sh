#!/usr/bin/env bash
# Prepares a GPU check for a lent device machine (which has nvcc, CMake and ninja but none of our
# Debian libraries and no network): builds the CUDA tests, benchmarks and CLI here for sm_90 with
# shared project libraries (one copy of the kernels), bundles them with the shared libraries they load
# (with the device-bundle tool named by HEDGESIM_DEVICE_BUNDLE, see below), configs/, scripts/gpu-check.sh, the kernel resource checker and its
# report on this build, and the commit, and packs build/gpu-bundle.tgz (about 25 MB), small enough
# to carry. Then, with the device tool: carry build/gpu-bundle.tgz, command: bash scripts/gpu-check.sh
# (or, from any checkout: tar -C build -xzf build/gpu-bundle.tgz && bash build/gpu-bundle/gpu-check.sh).
# HEDGESIM_BUNDLE_JOBS sets the build's parallelism (default: nproc).
# HEDGESIM_DEVICE_BUNDLE (required, no default): the path of the device-bundle tool, an executable
# called as `TOOL OUT_DIR BINARY...` that copies the binaries and every shared library they load into
# OUT_DIR so they run on a machine without our Debian libraries. It is the team's device tooling and
# not part of this repository; without it the script stops before building.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${HEDGESIM_DEVICE_BUNDLE:-}
if [[ -z $bundle || ! -x $bundle ]]; then
  echo "gpu-bundle.sh: set HEDGESIM_DEVICE_BUNDLE to the device-bundle tool (an executable: TOOL OUT_DIR BINARY...);" >&2
  echo "  ${bundle:+'$bundle' is not an executable file; }it is not part of this repository" >&2
  exit 2
fi
bash scripts/install-deps.sh
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEDGESIM_CPU_ARCH=x86-64-v3 \
  -DCMAKE_CUDA_ARCHITECTURES=90-real -DBUILD_SHARED_LIBS=ON -DHEDGESIM_ENABLE_CUDA=ON -DHEDGESIM_KERNEL_BUDGET=ON >/dev/null
targets=(tests/test_rng tests/test_engine tests/test_hedging tests/test_summary tests/test_device_summary bench/bench_paths bench/bench_hedging
         bench/bench_optimise hedgesim)
# Any test whose name contains "cuda" goes along too.
while read -r t; do targets+=("$t"); done < <(ninja -C build/gpu -t targets all |
  sed -n 's#^\(tests/test_[A-Za-z0-9_]*cuda[A-Za-z0-9_]*\): .*#\1#p' | sort -u)
cmake --build build/gpu -j "${HEDGESIM_BUNDLE_JOBS:-$(nproc)}" --target "${targets[@]##*/}"
rm -rf build/gpu-bundle
"$bundle" build/gpu-bundle "${targets[@]/#/build/gpu/}"
cp -r configs build/gpu-bundle/configs
cp scripts/gpu-check.sh scripts/check_kernel_resources.py bench/pfhedge_compare.py build/gpu-bundle/
commit=$(git rev-parse --short=12 HEAD)
[[ -z $(git status --porcelain --untracked-files=no) ]] || commit+="-dirty"
echo "$commit" > build/gpu-bundle/COMMIT
# The compiler's resource report of the kernels just built (ptxas -v, captured at compile time); the
# budget's verdict is recorded, not enforced, here: gpu-check.sh puts it in its summary.
mapfile -t cuda_objects < <(find build/gpu/CMakeFiles/hedgesim_engine.dir build/gpu/CMakeFiles/hedgesim_hedging.dir -name '*.cu.o')
python3 scripts/check_kernel_resources.py check --verbose "${cuda_objects[@]}" > build/gpu-bundle/kernel_resources.txt 2>&1 || true
grep -m1 -E 'kernel resource budget: (OK|FAILED)' build/gpu-bundle/kernel_resources.txt || true
tar -C build -czf build/gpu-bundle.tgz gpu-bundle
ls -l build/gpu-bundle.tgz
