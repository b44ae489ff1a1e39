#!/usr/bin/env bash
# Installs the Debian packages hedgesim builds and tests with. Idempotent; quiet when all present.
# The CUDA toolkit is not installed here: it is optional and detected at configure time. The Python
# package's extension (python/, built and tested by the ci preset) needs python3-dev and pybind11-dev,
# its tests python3-pytest and the python3-* modules below. ccache lets the test command reuse what
# the run-example command compiled (scripts/compiler-cache.sh).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libeigen3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libhdf5-dev librandom123-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libquantlib0-dev libboost-dev
  clang libclang-rt-dev
  libopenmpi-dev openmpi-bin
  python3 python3-h5py python3-numpy python3-matplotlib python3-yaml python3-pandas
  python3-dev python3-pytest pybind11-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
