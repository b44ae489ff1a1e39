#!/usr/bin/env bash
# Installs what hedgesim needs, builds the CPU-only tree under AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake preset `asan`: build/asan, HEDGESIM_SANITIZE=address,undefined, RelWithDebInfo, CUDA off) and
# runs every test under CTest with the sanitizer options of the `asan` test preset: any memory error,
# leak or undefined behaviour aborts the process and fails its test. See docs/testing.md.
exec bash "$(dirname "$0")/test.sh" asan
