#!/usr/bin/env python3
"""`cmake --install` gives a usable package (issue 15): install the build into a temporary prefix,
configure and build tests/install/example (a project outside the tree) with find_package(hedgesim),
and check its prices equal the installed CLI's (`hedgesim price --json`) bit for bit.

Usage: check_install.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile


def sh(*cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if p.returncode != 0:
        print(f"FAIL: {' '.join(cmd)}: exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        sys.exit(1)
    return p.stdout


def main():
    build, src = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="hedgesim_install_") as tmp:
        prefix = os.path.join(tmp, "prefix")
        sh("cmake", "--install", build, "--prefix", prefix)
        for f in ("bin/hedgesim", "include/hedgesim/config.hpp", "include/hedgesim/version.hpp",
                  "lib/cmake/hedgesim/hedgesimConfig.cmake", "lib/cmake/hedgesim/hedgesimTargets.cmake"):
            if not os.path.exists(os.path.join(prefix, f)):
                print(f"FAIL: {f} not installed")
                return 1
        example = os.path.join(tmp, "example")
        sh("cmake", "-S", os.path.join(src, "tests", "install", "example"), "-B", example, "-G", "Ninja",
           f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release")
        sh("cmake", "--build", example)
        config = os.path.join(src, "configs", "price_heston.yaml")
        lines = sh(os.path.join(example, "price_example"), config, "20000").splitlines()
        cli = json.loads(sh(os.path.join(prefix, "bin", "hedgesim"), "price", config, "--paths", "20000", "--backend",
                            "cpu", "--json"))
        got = [tuple(float(x) for x in l.split()[1:]) for l in lines[1:]]
        want = [(o["mc_price"], o["mc_stderr"]) for o in cli["options"]]
        ok = got == want and lines[0] == f"hedgesim {cli['hedgesim_version']}"
        print(f"{'ok' if ok else 'FAIL'}: the example built on the installed package prices {len(got)} options as the "
              f"installed CLI does: {got[:2]} vs {want[:2]}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
