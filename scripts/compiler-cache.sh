# Sourced by run-example.sh and test.sh (from the repository root): compile through ccache where it is
# installed, with paths relative to the repository (CCACHE_BASEDIR), so that the two build folders share
# their objects. build/release and build/ci sit at the same depth and compile every library source with
# the same command (CMakeLists.txt: position-independent everywhere, CUDA's runtime linked only), so after
# the example's build the test command's compiles of those sources are cache hits.
cache_args=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$PWD
  cache_args=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
