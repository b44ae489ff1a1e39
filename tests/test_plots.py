#!/usr/bin/python3
"""tools/plot_results.py on small run and optimise files, and the data it plots.

Usage: test_plots.py PATH/TO/hedgesim PATH/TO/plot_results.py   (run by CTest as plot_results, with
Debian's /usr/bin/python3, which has python3-h5py, numpy and python3-matplotlib).

Checks: the run file's /sample_paths/trades marks, per sample path and policy, exactly as many
rebalances as the per-path `trades` dataset counts (the rebalance times come from the engine's own
decisions); the optimise file's /frontier holds in- and out-of-sample rows and /optimum names a
family; every PNG the tool reports exists, is a PNG of at least 20 kB, and is not blank (its pixels
vary).
"""
import os
import subprocess
import sys
import tempfile

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

FAILURES = []


def check(ok, what):
    if not ok:
        print("FAIL", what)
        FAILURES.append(what)
    return ok


BASE = """\
simulation: {{paths: 1500, steps_per_day: 24, horizon_days: 5, seed: 8}}
model: {{type: gbm, spot: 100, vol: 0.6}}
book:
  - {{type: call, strike: 100, expiry_days: 5, quantity: -100}}
hedge: {{instrument: perpetual, delta: implied, implied_vol: 0.6}}
costs: {{fee_bps: 5}}
{extra}"""

RUN = BASE.format(extra="""policies:
  - {name: every_12h, type: time, every_hours: 12}
  - {name: band, type: delta_band, width: 4}
  - {name: state, type: state_band, theta: {const: 1.5, gamma: 0.6}, rebalance_fraction: 1}
output: {per_path: true, sample_paths: 5}
""")

OPTIMISE = BASE.format(extra="""optimise:
  families:
    - {name: band, type: delta_band, parameters: {width: [0.5, 30]}}
    - {name: interval, type: time, parameters: {every_hours: [1, 24]}}
  objective: {risk: es, level: 0.95, lambda: 0.3}
  frontier: {lambdas: [0.1, 1.0]}
  search: {max_evaluations: 32, population: 16}
""")


def main():
    hedgesim, tool = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for kind, text in (("run", RUN), ("optimise", OPTIMISE)):
            cfg = os.path.join(d, f"{kind}.yaml")
            with open(cfg, "w") as f:
                f.write(text)
            out = os.path.join(d, f"{kind}.h5")
            r = subprocess.run([hedgesim, kind, cfg, "--out", out, "--json"], capture_output=True, text=True)
            if not check(r.returncode == 0, f"hedgesim {kind} exit code {r.returncode}: {r.stderr}"):
                return 1
            files[kind] = out

        leftovers = [n for n in os.listdir(d) if ".tmp-" in n]
        check(not leftovers, f"no temporary files left behind: {leftovers}")
        with h5py.File(files["run"], "r") as f:
            trades = f["sample_paths/trades"][:]
            names = list(f["summary"].attrs["name"])
            check(trades.shape == (3, 5, f.attrs["steps"] + 1), f"trades shape {trades.shape}")
            for i, name in enumerate(names):
                per_path = f[f"policies/{name}/trades"][:5]
                check(np.array_equal(trades[i].sum(axis=1), per_path),
                      f"{name}: rebalances marked {trades[i].sum(axis=1)} vs per-path trades {per_path}")
        with h5py.File(files["optimise"], "r") as f:
            sample = f["frontier/sample"][:]
            check((sample == 0).sum() > 10 and (sample == 1).sum() == 6, f"frontier rows in/out {np.bincount(sample)}")
            check(f["optimum"].attrs["family"] in ("band", "interval"), "optimum family")

        for kind, expected in (("run", 2), ("optimise", 1)):
            r = subprocess.run(["/usr/bin/python3", tool, files[kind], "--outdir", d], capture_output=True, text=True)
            check(r.returncode == 0, f"plot_results.py on the {kind} file: exit {r.returncode}: {r.stderr}")
            pngs = r.stdout.split()
            check(len(pngs) == expected, f"{kind}: {len(pngs)} PNGs reported, expected {expected}: {pngs}")
            for p in pngs:
                if not check(os.path.exists(p), f"{p} exists"):
                    continue
                with open(p, "rb") as fh:
                    check(fh.read(8) == b"\x89PNG\r\n\x1a\n", f"{p} is a PNG")
                check(os.path.getsize(p) > 20000, f"{p} is {os.path.getsize(p)} bytes (> 20 kB)")
                img = mpimg.imread(p)
                check(float(img[..., :3].std()) > 0.05, f"{p} is not blank (pixel std {img[..., :3].std():.3f})")
        bad = subprocess.run(["/usr/bin/python3", tool, os.path.join(d, "run.yaml"), "--outdir", d],
                             capture_output=True, text=True)
        check(bad.returncode == 2, f"a non-HDF5 input is exit 2, got {bad.returncode}")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("plot_results: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
