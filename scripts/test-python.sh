#!/usr/bin/env bash
# The Python package as a user gets it (docs/python.md): a fresh venv, `pip install .` (which builds the
# C++ libraries and the extension with scikit-build-core: several minutes), then pytest over
# tests/python against the installed package. With a hedgesim executable built from the same source as
# the first argument (e.g. build/ci/hedgesim) the bit-identity tests against the CLI run too; without
# it they are skipped. CUDA is built when nvcc is found; HEDGESIM_PIP_ARGS adds pip arguments, e.g.
#   HEDGESIM_PIP_ARGS="-C cmake.define.HEDGESIM_ENABLE_CUDA=OFF" scripts/test-python.sh build/cpu/hedgesim
# The venv is VENV (default build/python-venv); the system's numpy is used when it has one (Debian's,
# so that its h5py works), else pip's.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:+$(realpath "$1")}
root=$(pwd)
venv=$(realpath -m "${VENV:-build/python-venv}")
python=${PYTHON:-/usr/bin/python3}
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
# Keep the system's numpy when there is one (its h5py is built against it): pip then picks a pandas
# that works with it.
constraints=$venv/constraints.txt
"$venv/bin/python" -c "import numpy; print('numpy==' + numpy.__version__)" >"$constraints" 2>/dev/null || : >"$constraints"
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install -c "$constraints" . pytest ${HEDGESIM_PIP_ARGS:-}
"$venv/bin/python" -c "import hedgesim; print('hedgesim', hedgesim.__version__, hedgesim.git_commit, hedgesim.__file__)"
if [ -n "$cli" ]; then export HEDGESIM_CLI=$cli; else unset HEDGESIM_CLI; fi
# From outside the source tree, so that `import hedgesim` is the installed package.
cd "$(mktemp -d)"
"$venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$root/tests/python"
