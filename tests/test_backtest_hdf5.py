#!/usr/bin/python3
"""The `hedgesim backtest` HDF5 file (docs/hdf5.md, /backtest) read back with h5py beside `--json`.

Usage: test_backtest_hdf5.py PATH/TO/hedgesim SOURCE_DIR   (run by CTest as backtest_hdf5_roundtrip with
Debian's /usr/bin/python3, which has python3-h5py and numpy).

Checks: every dataset has a units attribute; per-window arrays equal the JSON per-window values; the
/backtest/summary rows equal the JSON policy statistics and numpy.quantile of the stored P&L;
pnl_scaled = pnl * model.spot / start_spot; model_check datasets equal the JSON model check; data-issue
attributes equal the JSON counts; no temporary file is left behind.
"""
import datetime
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

FAILURES = []

CONFIG = """simulation: {paths: 3000, steps_per_day: 24, seed: 11}
model: {type: gbm, spot: 60000, vol: 0.5}
book: [{type: call, strike: 62000, expiry_days: 1, quantity: -5}, {type: put, strike: 57000, expiry_days: 2}]
hedge: {instrument: perpetual, delta: implied, implied_vol: 0.5}
costs: {fee_bps: 4, fixed_per_trade: 1}
policies:
  - {name: none, type: none}
  - {name: h2, type: time, every_hours: 2}
  - {name: ww, type: whalley_wilmott, risk_aversion: 0.001}
backtest: {stride_hours: 5, vol: realized, realized_window_hours: 24}
"""


def check(ok, what):
    if not ok:
        print("FAIL " + what)
        FAILURES.append(what)


def same(a, b, what, rel=1e-12):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = a.shape == b.shape and np.allclose(a, b, rtol=rel, atol=0, equal_nan=True)
    if not ok:
        print(f"  computed {a!r}\n  expected {b!r}")
    check(ok, what)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    data = os.path.join(source, "tests", "data")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "bt.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        out = os.path.join(tmp, "bt.h5")
        cmd = [binary, "backtest", cfg, "--prices", os.path.join(data, "backtest_okx_btc_perp_1h_2024-06-01_07.csv"),
               "--funding", os.path.join(data, "backtest_binance_btc_funding_8h_2024-06-01_08.csv"),
               "--out", out, "--json", "--threads", "2"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stderr)
            return 1
        j = json.loads(r.stdout)
        check(glob.glob(os.path.join(tmp, "*.tmp-*")) == [], "no temporary file left")
        with h5py.File(out, "r") as f:
            check(f.attrs["command"] == "backtest", "root command attribute")
            check(f.attrs["format"] == "hedgesim-results", "root format attribute")

            def units(name, obj):
                if isinstance(obj, h5py.Dataset):
                    check("units" in obj.attrs, f"{name} has units")
            f.visititems(units)

            b = f["backtest"]
            nw = j["windows"]
            check(b.attrs["windows"] == nw, "windows attribute")
            check(b.attrs["stride_hours"] == 5, "stride_hours attribute")
            for key, value in j["data"]["prices"].items():
                check(b.attrs["prices_" + key] == value, f"prices_{key} attribute")
            for key, value in j["data"]["funding"].items():
                check(b.attrs["funding_" + key] == value, f"funding_{key} attribute")
            w = b["windows"]
            starts = [int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())
                      for s in j["per_window"]["start_utc"]]
            check(list(w["start_time"][:]) == starts, "windows/start_time = JSON start_utc")
            same(w["start_spot"][:], j["per_window"]["start_spot"], "windows/start_spot")
            same(w["vol"][:], j["per_window"]["vol"], "windows/vol")
            check(w["strike"].shape == (nw, 2) and w["premium"].shape == (nw, 2), "strike and premium shapes")
            same(w["strike"][:, 0], 62000 / 60000 * w["start_spot"][:], "strike scales with the window's spot")
            summary = b["summary"][:]
            levels = b["summary_quantiles"]["levels"][:]
            for row, p in enumerate(j["policies"]):
                g = b["policies"][p["name"]]
                pnl = g["pnl"][:]
                same(pnl, p["per_window"]["pnl"], p["name"] + " pnl")
                same(g["cost"][:], p["per_window"]["cost"], p["name"] + " cost")
                same(g["trades"][:], p["per_window"]["trades"], p["name"] + " trades")
                same(g["pnl_scaled"][:], pnl * 60000 / w["start_spot"][:], p["name"] + " pnl_scaled")
                check(b["summary"].attrs["name"][row] == p["name"], "summary row order (attribute name, str)")
                check(b["summary"].attrs["type"][row] == p["type"], "summary type (attribute type, str)")
                for col in ("pnl_mean", "pnl_std", "pnl_var_95", "pnl_es_95", "cost_mean", "trades_mean"):
                    same(summary[col][row], p[col], f"{p['name']} summary {col}")
                same(summary["pnl_mean"][row], pnl.mean(), p["name"] + " pnl_mean = mean of stored P&L", 1e-10)
                same(b["summary_quantiles"]["pnl"][row], np.quantile(pnl, levels), p["name"] + " quantiles", 1e-10)
                mc = p["model_check"]
                m = b["model_check"]
                same(m["backtest_quantiles"][row], [q["backtest"] for q in mc["quantiles"]], p["name"] + " backtest quantiles")
                same(m["model_quantiles"][row], [q["model"] for q in mc["quantiles"]], p["name"] + " model quantiles")
                same(m["backtest_quantiles"][row], np.quantile(g["pnl_scaled"][:], levels), p["name"] + " quantiles of pnl_scaled", 1e-10)
                same(m["ks_statistic"][row], mc["ks_statistic"], p["name"] + " KS D")
                same(m["ks_p_value"][row], mc["ks_p_value"], p["name"] + " KS p")
                check(0.0 <= m["ks_p_value"][row] <= 1.0, p["name"] + " p in [0, 1]")
            check(b["model_check"].attrs["paths"] == 3000, "model_check paths")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
