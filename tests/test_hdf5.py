#!/usr/bin/python3
"""Round trip of the `hedgesim run` HDF5 results file (docs/hdf5.md), read back with h5py.

Usage: test_hdf5.py PATH/TO/hedgesim   (run by CTest as hdf5_roundtrip, with Debian's /usr/bin/python3,
which has python3-h5py and numpy).

Checks: root attributes against `run --json`; every /summary row and column against the JSON policy
values; /summary_quantiles against the JSON quantiles and numpy.quantile of the per-path P&L; per-path
datasets (dtype, shape, chunking, compression, units) reproduce pnl_mean, pnl_std and the other
means; histogram counts sum to the paths and match numpy.histogram on the stored edges; an unwritable
--out fails with exit code 2 before simulating and leaves no file; no temporary file is left behind.
"""
import datetime
import glob
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile

import h5py
import yaml
import numpy as np

FAILURES = []


def check(ok, what, computed=None, expected=None, tol=None):
    if not ok:
        msg = f"FAIL {what}"
        if computed is not None or expected is not None:
            msg += f": computed {computed!r}, expected {expected!r}"
            try:
                msg += f", error {abs(float(computed) - float(expected)):.3g}"
            except (TypeError, ValueError):
                pass
        if tol is not None:
            msg += f", tolerance {tol:.3g}"
        print(msg)
        FAILURES.append(msg)
    return ok


def close(computed, expected, what, rel=1e-12, scale=None):
    """Equal to `rel` relative (of `scale` if given, else of |expected|); JSON null matches NaN."""
    if expected is None:
        return check(math.isnan(computed), what + " (JSON null = NaN)", computed, expected)
    if math.isnan(expected) and math.isnan(computed):
        return True
    tol = rel * (abs(expected) if scale is None else scale)
    return check(abs(computed - expected) <= tol, what, computed, expected, tol)


CONFIG = """\
simulation: {{paths: {paths}, steps_per_day: 24, seed: 7, backend: cpu, precision: float64, measure: physical}}
model: {{type: gbm, spot: 65000, vol: 0.6, drift: 0.1}}
book:
  - {{type: call, strike: 70000, expiry_days: 7, quantity: -10}}
  - {{type: put, strike: 60000, expiry_days: 5, quantity: -5, settlement: inverse}}
hedge: {{instrument: perpetual, delta: implied, implied_vol: 0.6, funding: {{rate: 0.1}}}}
costs: {{fee_bps: 3.0, fixed_per_trade: 0.5}}
policies:
  - {{name: hourly, type: time, every_hours: 1}}
  - {{name: band.0.5, type: delta_band, width: 0.5}}
  - {{name: unhedged, type: none}}
output: {{file: {file}, per_path: {per_path}, histogram_bins: 50}}
"""

# Units by field; anything else is USD. Per-path fields are those with a <field>_mean key in the JSON.
FIELD_UNITS = {"trades": "count", "failures": "count", "max_delta_error": "coin", "customer_trades": "count"}
SCALAR_UNITS = {"pnl_skewness": "1", "pnl_excess_kurtosis": "1",
                **{k + "_mean": v for k, v in FIELD_UNITS.items()}}


def per_path_fields(policy_json):
    return [k[:-len("_mean")] for k in policy_json if k.endswith("_mean")]


def run(exe, *args):
    r = subprocess.run([exe, "run", *args], capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout, r.stderr


def check_root(f, j, config_text):
    a = f.attrs
    check(a.get("format") == "hedgesim-results", "attr format", a.get("format"), "hedgesim-results")
    check(a.get("format_version") == 2, "attr format_version", a.get("format_version"), 2)
    check(a["format_version"].dtype == np.int32, "attr format_version is int32", a["format_version"].dtype, "int32")
    for key in ("hedgesim_version", "git_commit", "backend", "device", "precision", "model", "measure"):
        check(a.get(key) == j[key], f"attr {key}", a.get(key), j[key])
    for key in ("paths", "steps", "seed", "threads"):
        check(key in a and int(a[key]) == j[key], f"attr {key}", a.get(key), j[key])
    for key in ("elapsed_s", "path_steps_per_s"):
        close(float(a[key]), j[key], f"attr {key}")
    prem = np.asarray(a["premiums"], dtype=float)
    check(prem.shape == (len(j["premiums"]),), "attr premiums shape", prem.shape, len(j["premiums"]))
    for i, p in enumerate(j["premiums"]):
        close(prem[i], p, f"attr premiums[{i}]")
    check(a.get("config") == config_text, "attr config is the YAML text")
    # The config as it ran: the flags' values in place (run with --threads 2 --out FILE), and the command.
    effective = yaml.safe_load(a.get("effective_config"))
    given = yaml.safe_load(config_text)
    check(effective["simulation"]["threads"] == 2 and effective["simulation"]["paths"] == j["paths"],
          "attr effective_config has the flags' values", effective["simulation"], "threads 2, paths as run")
    check(effective["model"] == given["model"] and effective["policies"] == given["policies"],
          "attr effective_config keeps the rest of the config", effective["model"], given["model"])
    command = a.get("command_line")
    check(" run " in command and "--threads 2" in command and "--out" in command, "attr command_line is the command",
          command)
    created = a.get("created_utc")
    try:
        t = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        age = (datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()
        check(-5 <= age <= 3600, "attr created_utc is now", created, "within the last hour")
    except ValueError:
        check(False, "attr created_utc is ISO-8601 YYYY-MM-DDTHH:MM:SSZ", created)


def check_summary(f, j):
    s = f["summary"][()]
    pols = j["policies"]
    check(s.shape == (len(pols),), "/summary rows", s.shape, (len(pols),))
    # The JSON's strings (name, type) are the dataset's attributes, str in h5py; its numbers the columns.
    scalar_keys = [k for k in pols[0] if not isinstance(pols[0][k], (dict, str))]
    check(sorted(s.dtype.names) == sorted(scalar_keys), "/summary columns = the JSON number fields",
          sorted(s.dtype.names), sorted(scalar_keys))
    check(all(s.dtype.fields[c][0] == np.float64 for c in s.dtype.names), "/summary columns are float64", s.dtype)
    for key in ("name", "type"):
        labels = f["summary"].attrs[key]
        check(list(labels) == [p[key] for p in pols], f"/summary attr {key} = the JSON {key}s in order", list(labels),
              [p[key] for p in pols])
        check(all(isinstance(v, str) for v in labels), f"/summary attr {key} is str in h5py", labels)
    units = f["summary"].attrs["units"]
    check(len(units) == len(s.dtype.names), "/summary units: one per column", len(units), len(s.dtype.names))
    for col, u in zip(s.dtype.names, units):
        want = SCALAR_UNITS.get(col, "USD")
        check(u == want, f"/summary units of {col}", u, want)
    for row, p in zip(s, pols):
        for key in scalar_keys:
            close(float(row[key]), p[key], f"/summary {p['name']}.{key}")
    check(list(f["policies"]) == [p["name"] for p in pols], "/policies groups in /summary order",
          list(f["policies"]), [p["name"] for p in pols])
    for i, p in enumerate(pols):
        g = f["policies"][p["name"]]
        check(g.attrs.get("type") == p["type"], f"/policies/{p['name']} type attr", g.attrs.get("type"), p["type"])
        check(g.attrs.get("summary_row") == i, f"/policies/{p['name']} summary_row", g.attrs.get("summary_row"), i)


def check_quantiles(f, j, per_path):
    q = f["summary_quantiles"]
    levels = q["levels"][()]
    pols = j["policies"]
    want_levels = sorted(float(k) for k in pols[0]["pnl_quantiles"])
    check(levels.tolist() == want_levels, "/summary_quantiles/levels", levels.tolist(), want_levels)
    for name in ("pnl", "cost"):
        check(q[name].shape == (len(pols), len(levels)), f"/summary_quantiles/{name} shape", q[name].shape,
              (len(pols), len(levels)))
    for i, p in enumerate(pols):
        for key, v in p["pnl_quantiles"].items():  # JSON keys are the levels printed with {:g}
            k = levels.tolist().index(float(key)) if float(key) in levels.tolist() else None
            if check(k is not None, f"JSON quantile level {key} in /summary_quantiles/levels", key, levels.tolist()):
                close(float(q["pnl"][i, k]), v, f"/summary_quantiles/pnl[{p['name']}, {key}] vs JSON")
        if per_path:
            pnl = f["policies"][p["name"]]["pnl"][()]
            cost = f["policies"][p["name"]]["cost"][()]
            spread = float(np.ptp(pnl)) or 1.0
            np_q = np.quantile(pnl, levels)
            for k in range(len(levels)):
                close(float(q["pnl"][i, k]), float(np_q[k]), f"pnl quantile {levels[k]} of {p['name']} vs numpy",
                      rel=1e-12, scale=spread)
            np_c = np.quantile(cost, levels)
            for k in range(len(levels)):
                close(float(q["cost"][i, k]), float(np_c[k]), f"cost quantile {levels[k]} of {p['name']} vs numpy",
                      rel=1e-12, scale=float(np.ptp(cost)) or 1.0)
            close(-float(np.quantile(pnl, 0.05)), p["pnl_var_95"], f"{p['name']} VaR95 vs -numpy.quantile(0.05)",
                  rel=1e-12, scale=spread)


def check_policy_data(f, j, per_path, bins):
    paths = j["paths"]
    for p in j["policies"]:
        g = f["policies"][p["name"]]
        edges, counts = g["histogram/edges"][()], g["histogram/counts"][()]
        check(edges.shape == (bins + 1,) and counts.shape == (bins,), f"{p['name']} histogram shapes",
              (edges.shape, counts.shape), ((bins + 1,), (bins,)))
        check(counts.dtype == np.uint64 and edges.dtype == np.float64, f"{p['name']} histogram dtypes",
              (edges.dtype, counts.dtype), ("float64", "uint64"))
        check(int(counts.sum()) == paths, f"{p['name']} histogram counts sum to paths", int(counts.sum()), paths)
        check(bool(np.all(np.diff(edges) > 0)), f"{p['name']} histogram edges increase")
        if not per_path:
            check(list(g) == ["histogram"], f"{p['name']}: only the histogram without output.per_path", list(g),
                  ["histogram"])
            continue
        fields = per_path_fields(p)
        check(sorted(g) == sorted(fields + ["histogram"]), f"{p['name']}: one per-path dataset per JSON <field>_mean",
              sorted(g), sorted(fields + ["histogram"]))
        for name in fields:
            if not check(name in g, f"{p['name']}/{name} exists", list(g)):
                continue
            units = FIELD_UNITS.get(name, "USD")
            d = g[name]
            check(d.dtype == np.float64 and d.shape == (paths,), f"{p['name']}/{name} dtype, shape",
                  (d.dtype, d.shape), ("float64", (paths,)))
            check(d.chunks == (min(paths, 65536),), f"{p['name']}/{name} chunks", d.chunks, (min(paths, 65536),))
            check(d.compression == "gzip" and d.compression_opts == 4 and d.shuffle,
                  f"{p['name']}/{name} deflate 4 + shuffle", (d.compression, d.compression_opts, d.shuffle),
                  ("gzip", 4, True))
            check(d.attrs.get("units") == units, f"{p['name']}/{name} units", d.attrs.get("units"), units)
        pnl = g["pnl"][()]
        std = float(np.std(pnl, ddof=1))
        # The engine's moments are Welford's, numpy's a pairwise sum: equal to rounding, on the scale of std.
        close(float(np.mean(pnl)), p["pnl_mean"], f"{p['name']} mean(per-path pnl) vs pnl_mean", rel=1e-10, scale=std)
        close(std, p["pnl_std"], f"{p['name']} std(per-path pnl, ddof=1) vs pnl_std", rel=1e-10)
        close(float(np.std(g["cost"][()], ddof=1)), p["cost_std"], f"{p['name']} std(cost) vs cost_std", rel=1e-10)
        for name in fields:
            if name == "pnl" or name not in g:
                continue
            v = g[name][()]
            close(float(np.mean(v)), p[name + "_mean"], f"{p['name']} mean({name}) vs {name}_mean", rel=1e-10,
                  scale=max(abs(p[name + "_mean"]), float(np.std(v)), 1e-300))
        trades = g["trades"][()]
        check(bool(np.all(trades == np.round(trades)) and np.all(trades >= 0)), f"{p['name']} trades are counts")
        check(edges[0] == pnl.min() and edges[-1] == pnl.max(), f"{p['name']} histogram spans [min, max] of pnl",
              (edges[0], edges[-1]), (pnl.min(), pnl.max()))
        np_counts, _ = np.histogram(pnl, bins=edges)
        check(np.array_equal(np_counts, counts), f"{p['name']} histogram counts vs numpy.histogram on the edges",
              counts.tolist(), np_counts.tolist())


def check_all_units(f):
    missing = []
    f.visititems(lambda n, o: missing.append(n) if isinstance(o, h5py.Dataset) and "units" not in o.attrs else None)
    check(not missing, "every dataset has a units attribute", missing, [])
    # ... and it is one of docs/hdf5.md's units, not a sentence (a description goes in `description`).
    allowed = {"USD", "USD^2", "coin", "coin/USD", "count", "1", "index", "s", "hours", "days", "years", "1/year",
               "1/sqrt(year)", "mixed"}
    odd = []
    f.visititems(lambda n, o: odd.append((n, o.attrs["units"])) if isinstance(o, h5py.Dataset)
                 and isinstance(o.attrs.get("units"), str) and o.attrs["units"] not in allowed else None)
    check(not odd, "every dataset's units is one of the documented units", odd, sorted(allowed))


def check_sample_paths(f, n, steps, spot0, variance):
    """/sample_paths: n paths over steps + 1 grid times, starting at spot0, with GBM's constant variance."""
    if not check("sample_paths" in f, "/sample_paths exists", list(f)):
        return
    g = f["sample_paths"]
    check(g["time"].shape == (steps + 1,), "sample_paths/time shape", g["time"].shape, (steps + 1,))
    check(g["spot"].shape == (n, steps + 1), "sample_paths/spot shape", g["spot"].shape, (n, steps + 1))
    check(g["variance"].shape == (n, steps + 1), "sample_paths/variance shape", g["variance"].shape, (n, steps + 1))
    close(float(g["time"][-1]), steps / 24.0, "sample_paths/time at the horizon (days)")
    check(bool(np.all(g["spot"][:, 0] == spot0)), "sample paths start at the spot", g["spot"][:, 0], spot0)
    check(bool(np.all(g["spot"][()] > 0)), "sample spots are positive")
    close(float(np.max(np.abs(g["variance"][()] - variance))), 0.0, "GBM sample variance is sigma^2", scale=variance)
    check(len(set(np.round(g["spot"][:, -1], 6))) == n, "sample paths differ from each other")


def leftovers(d):
    return glob.glob(os.path.join(d, "**", "*.tmp-*"), recursive=True)


def main():
    exe = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="hedgesim_hdf5_") as tmp:
        cfg_path = os.path.join(tmp, "run.yaml")
        out = os.path.join(tmp, "run.h5")
        from_config = os.path.join(tmp, "from_config.h5")
        config_text = CONFIG.format(paths=2000, file=from_config, per_path="true")
        with open(cfg_path, "w") as fh:
            fh.write(config_text)

        # (a) a run with per-path output, --out overriding output.file
        code, stdout, stderr = run(exe, cfg_path, "--json", "--threads", "2", "--out", out)
        if not check(code == 0, "hedgesim run exit code", code, 0):
            print(stderr)
            return 1
        j = json.loads(stdout)
        check(f"wrote {out}" in stderr, "stderr says 'wrote FILE'", stderr.strip(), f"wrote {out}")
        check(os.path.isfile(out), "--out file exists", os.listdir(tmp))
        check(not os.path.exists(from_config), "--out overrides output.file", os.listdir(tmp))
        check(len(j["policies"]) == 3, "JSON policies", len(j["policies"]), 3)

        # (b), (c) the file against the JSON
        with h5py.File(out, "r") as f:
            check_root(f, j, config_text)
            check_summary(f, j)
            check_quantiles(f, j, per_path=True)
            check_policy_data(f, j, per_path=True, bins=50)
            check_all_units(f)
            check_sample_paths(f, n=10, steps=7 * 24, spot0=65000.0, variance=0.36)


        # Without output.per_path: summary and histograms only; the rerun replaces the file.
        small_text = CONFIG.format(paths=300, file=out, per_path="false")
        small_cfg = os.path.join(tmp, "small.yaml")
        with open(small_cfg, "w") as fh:
            fh.write(small_text)
        code, stdout, stderr = run(exe, small_cfg, "--json", "--threads", "2")
        if check(code == 0, "run without per_path, output.file from the config: exit code", code, stderr.strip()):
            j2 = json.loads(stdout)
            with h5py.File(out, "r") as f:
                check(int(f.attrs["paths"]) == 300, "rerun replaced the file", int(f.attrs["paths"]), 300)
                check_summary(f, j2)
                check_quantiles(f, j2, per_path=False)
                check_policy_data(f, j2, per_path=False, bins=50)
                check_all_units(f)

        # An options pool (order_flow): the inventory's greeks along the sample paths, 0 before the first
        # customers and at the horizon, where the inventory is closed; its fields in the summary.
        pool = os.path.join(tmp, "pool.h5")
        code, stdout, stderr = run(exe, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs",
                                                     "options_amm_pool.yaml"),
                                   "--json", "--threads", "2", "--paths", "200", "--out", pool)
        if check(code == 0, "options pool run: exit code", code, stderr.strip()):
            jp = json.loads(stdout)
            with h5py.File(pool, "r") as f:
                check_summary(f, jp)
                check_all_units(f)
                g = f["sample_paths"]
                steps = int(f.attrs["steps"])
                for name in ("pool_delta", "pool_gamma", "pool_vega"):
                    d = g[name][:]
                    check(d.shape == (10, steps + 1), f"sample_paths/{name} shape", d.shape, (10, steps + 1))
                    check(bool(np.all(d[:, 0] == 0) and np.all(d[:, -1] == 0)),
                          f"sample_paths/{name} is 0 at t = 0 and at the horizon", (d[:, 0], d[:, -1]), 0)
                    check(bool(np.any(d[:, 1:-1] != 0)), f"sample_paths/{name} moves with the customers", 0, "not 0")
                trades = f["summary"]["customer_trades_mean"][:]
                check(bool(np.all(trades == trades[0]) and trades[0] > 0), "customer_trades_mean: one value > 0",
                      trades.tolist(), "> 0")
        if os.path.exists(pool):
            os.remove(pool)

        # (d) an unwritable output path is bad input (exit code 2), found before simulating
        bad = os.path.join(tmp, "no_such_dir", "run.h5")
        code, stdout, stderr = run(exe, cfg_path, "--json", "--out", bad)
        check(code == 2, "--out in a missing directory: exit code", code, 2)
        check(bad in stderr, "the message names the path", stderr.strip(), bad)
        check(stdout == "", "nothing on stdout", stdout, "")
        check(not os.path.exists(os.path.dirname(bad)), "no directory created", os.listdir(tmp))
        code, stdout, stderr = run(exe, cfg_path, "--json", "--out", tmp)
        check(code == 2, "--out naming a directory: exit code", code, 2)
        check(tmp in stderr, "the message names the directory", stderr.strip(), tmp)

        # A write failing part-way (file size limit: EFBIG, as on a full disk) is a runtime failure (exit
        # code 3) that leaves neither the file nor its temporary.
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        full = os.path.join(tmp, "full.h5")
        r = subprocess.run([exe, "run", cfg_path, "--json", "--threads", "2", "--out", full], capture_output=True,
                           text=True, timeout=600, preexec_fn=limit_file_size, restore_signals=False)
        check(r.returncode == 3, "write failure (RLIMIT_FSIZE 64 KiB): exit code", r.returncode, 3)
        check(full in r.stderr and "File too large" in r.stderr, "the message names the file and the OS reason",
              r.stderr.strip(), f"... '{full}' ... File too large")
        check(r.stdout == "", "nothing on stdout after a failed write", r.stdout, "")
        check(not os.path.exists(full), "no partial file at the output path", os.listdir(tmp))

        # (e) no temporary files left
        check(not leftovers(tmp), "no *.tmp-* files left", leftovers(tmp), [])
        check(sorted(os.listdir(tmp)) == ["run.h5", "run.yaml", "small.yaml"], "files in the run directory",
              sorted(os.listdir(tmp)), ["run.h5", "run.yaml", "small.yaml"])

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("hdf5_roundtrip: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
