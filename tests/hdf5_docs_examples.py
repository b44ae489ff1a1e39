#!/usr/bin/env python3
"""Every ```python example of docs/hdf5.md runs (issue 15): against files the shipped configs write,
at the paths the examples name (results/run.h5 from configs/btc_short_calls_perp.yaml,
results/optimise_btc_band.h5 from configs/optimise_btc_band.yaml), in a temporary folder. An example
naming a results file this script does not make fails the test, so a new example needs its file here.

Usage: hdf5_docs_examples.py HEDGESIM SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

# The results file each example may name, and the command that writes it (few paths: seconds).
MAKERS = {
    "results/run.h5": ["run", "configs/btc_short_calls_perp.yaml", "--paths", "2000"],
    "results/optimise_btc_band.h5": ["optimise", "configs/optimise_btc_band.yaml", "--paths", "400"],
}


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with open(os.path.join(src, "docs", "hdf5.md")) as fh:
        blocks = re.findall(r"```python\n(.*?)```", fh.read(), flags=re.S)
    if not blocks:
        print("FAIL: docs/hdf5.md has no python examples")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="hedgesim_docs_") as tmp:
        os.makedirs(os.path.join(tmp, "results"))
        for i, code in enumerate(blocks, 1):
            files = sorted(set(re.findall(r"results/[A-Za-z0-9_./-]+\.h5", code)))
            unknown = [f for f in files if f not in MAKERS]
            if unknown:
                print(f"FAIL: example {i} names {unknown}, which this test does not write (add it to MAKERS)")
                failures += 1
                continue
            for f in files:
                if os.path.exists(os.path.join(tmp, f)):
                    continue
                p = subprocess.run([exe] + MAKERS[f] + ["--backend", "cpu", "--quiet", "--out", os.path.join(tmp, f)],
                                   cwd=src, capture_output=True, text=True, timeout=600)
                if p.returncode != 0:
                    print(f"FAIL: writing {f}: exit {p.returncode}\n{p.stderr[-2000:]}")
                    return 1
            p = subprocess.run([sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True, timeout=300)
            ok = p.returncode == 0
            print(f"{'ok  ' if ok else 'FAIL'} example {i} of docs/hdf5.md ({', '.join(files)}): exit {p.returncode}")
            if not ok:
                print(p.stderr[-3000:])
            failures += 0 if ok else 1
    print(f"{len(blocks)} examples, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
