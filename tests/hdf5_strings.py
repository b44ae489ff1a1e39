#!/usr/bin/python3
"""Every string of every kind of hedgesim HDF5 file reaches h5py as str (issue 15, docs/hdf5.md "Types").

h5py reads a variable-length string *attribute* as str, and every string inside a *dataset*
(fixed-length, variable-length, a compound's field) as bytes. So the rule checked here, over every
group and dataset of a file: each string attribute is variable-length UTF-8 and reads as str (or, an
array, as str elements), and no dataset holds strings (nor a compound field of one).

Usage: hdf5_strings.py HEDGESIM SOURCE_DIR   (CTest hdf5_strings, Debian's /usr/bin/python3 with h5py):
writes a run file (per-path values and sample paths), an optimise file, a backtest file (funding, gas
and the model check), a calibration file and a pack task's file with the CLI, and checks each.
tests/python imports string_problems to check the files the Python package writes.
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def _attribute_problems(where, obj, name):
    dtype = obj.attrs.get_id(name).dtype
    if dtype.names is not None:
        if any(h5py.check_string_dtype(dtype.fields[f][0]) for f in dtype.names):
            return [f"{where} attribute {name}: a compound with string fields (h5py reads them as bytes)"], 0
        return [], 0
    info = h5py.check_string_dtype(dtype)
    if info is None:
        return [], 0
    problems = []
    if info.length is not None:
        problems.append(f"{where} attribute {name}: fixed-length string of {info.length} bytes (h5py reads bytes)")
    if info.encoding != "utf-8":
        problems.append(f"{where} attribute {name}: {info.encoding}, not UTF-8")
    value = obj.attrs[name]
    values = value.tolist() if isinstance(value, np.ndarray) else [value]
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        problems.append(f"{where} attribute {name}: {type(bad[0]).__name__} {bad[0]!r}, not str")
    return problems, 1


def _dataset_problems(where, ds):
    dtype = ds.dtype
    fields = [dtype.fields[f][0] for f in dtype.names] if dtype.names is not None else [dtype]
    if any(h5py.check_string_dtype(t) is not None or t.kind in ("S", "U") for t in fields):
        return [f"{where}: a dataset of strings or with string fields ({dtype}); h5py reads them as bytes"]
    return []


def string_problems(path):
    """(problems, string attributes checked) for the HDF5 file at `path`."""
    problems, count = [], 0
    with h5py.File(path, "r") as f:
        objects = [("/", f)]
        f.visititems(lambda n, o: objects.append(("/" + n, o)))
        for where, obj in objects:
            for name in obj.attrs:
                p, n = _attribute_problems(where, obj, name)
                problems += p
                count += n
            if isinstance(obj, h5py.Dataset):
                problems += _dataset_problems(where, obj)
    return problems, count


RUN = """simulation: {paths: 600, steps_per_day: 12, seed: 3}
model: {type: heston, spot: 60000, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}
book: [{type: call, strike: 62000, expiry_days: 5, quantity: -10}]
hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, funding: {rate: 0.1}}
costs: {fee_bps: 3}
policies:
  - {name: none, type: none}
  - {name: h2, type: time, every_hours: 2}
  - {name: band, type: delta_band, width: 0.5}
output: {per_path: true, sample_paths: 3}
"""

BACKTEST = """simulation: {paths: 400, steps_per_day: 24, seed: 11}
model: {type: gbm, spot: 60000, vol: 0.5}
book: [{type: call, strike: 62000, expiry_days: 1, quantity: -5}]
hedge: {instrument: perpetual, delta: implied, implied_vol: 0.5}
costs: {fee_bps: 4}
policies:
  - {name: none, type: none}
  - {name: h2, type: time, every_hours: 2}
backtest: {stride_hours: 5, vol: realized, realized_window_hours: 24}
"""


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    data = os.path.join(src, "tests", "data")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="hedgesim_strings_") as tmp:
        run_cfg, bt_cfg = os.path.join(tmp, "run.yaml"), os.path.join(tmp, "bt.yaml")
        with open(run_cfg, "w", encoding="utf-8") as fh:
            fh.write(RUN)
        with open(bt_cfg, "w", encoding="utf-8") as fh:
            fh.write(BACKTEST)
        kinds = {
            "run": (["run", run_cfg], "run.h5"),
            "optimise": (["optimise", os.path.join(src, "configs", "optimise_btc_band.yaml"), "--paths", "300"],
                         "optimise.h5"),
            "backtest": (["backtest", bt_cfg, "--prices", os.path.join(data, "backtest_okx_btc_perp_1h_2024-06-01_07.csv"),
                          "--funding", os.path.join(data, "backtest_binance_btc_funding_8h_2024-06-01_08.csv")],
                         "backtest.h5"),
            "calibrate": (["calibrate", os.path.join(data, "deribit_btc_20260302T093957Z_excerpt.csv"), "--model", "heston",
                           "--starts", "1"], "calibrate.h5"),
        }
        files = {}
        for kind, (args, name) in kinds.items():
            out = os.path.join(tmp, name)
            extra = ["--out", out] + ([] if kind == "calibrate" else ["--backend", "cpu", "--threads", "2", "--quiet"])
            p = subprocess.run([exe] + args + extra, capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                print(f"FAIL: hedgesim {kind}: exit {p.returncode}\n{p.stderr[-2000:]}")
                failures += 1
                continue
            files[kind] = out
        pack_dir = os.path.join(tmp, "pack")
        p = subprocess.run([exe, "pack", os.path.join(src, "configs", "packs", "nightly_btc.yaml"), "--task", "0",
                            "--paths", "300", "--threads", "2", "--backend", "cpu", "--out-dir", pack_dir],
                           capture_output=True, text=True, timeout=600)
        pack_files = sorted(n for n in os.listdir(pack_dir) if n.endswith(".h5")) if os.path.isdir(pack_dir) else []
        if p.returncode != 0 or len(pack_files) != 1:
            print(f"FAIL: hedgesim pack --task 0: exit {p.returncode}, files {pack_files}\n{p.stderr[-2000:]}")
            failures += 1
        else:
            files["pack"] = os.path.join(pack_dir, pack_files[0])
        for kind, path in files.items():
            problems, count = string_problems(path)
            for problem in problems:
                print(f"FAIL {kind}: {problem}")
            if count < 5:
                problems.append(f"only {count} string attributes")
                print(f"FAIL {kind}: only {count} string attributes found; the walk missed them")
            print(f"{'ok  ' if not problems else 'FAIL'} {kind}: {count} string attributes, every one str; "
                  f"no strings in datasets")
            failures += bool(problems)
        # The policy names as str in /summary's attributes, in config order.
        if "run" in files:
            with h5py.File(files["run"], "r") as f:
                names = list(f["summary"].attrs["name"])
                if names != ["none", "h2", "band"] or list(f["policies"]) != names:
                    print(f"FAIL run: /summary name {names!r}, /policies {list(f['policies'])!r}")
                    failures += 1
    print(f"{len(kinds) + 1} file kinds, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
