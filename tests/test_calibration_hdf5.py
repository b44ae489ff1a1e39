#!/usr/bin/env python3
"""The calibration HDF5 file (docs/hdf5.md, "calibration file") read back with h5py and checked
against `calibrate --json`; then tools/plot_smile.py renders it (skipped, exit 77, without matplotlib).

usage: test_calibration_hdf5.py HEDGESIM_BIN SOURCE_DIR [--plot]
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

bin_, root = sys.argv[1], sys.argv[2]
plot = "--plot" in sys.argv
chain = os.path.join(root, "tests/data/deribit_btc_20260302T093957Z_excerpt.csv")
if plot:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("SKIP: python3-matplotlib is not installed")
        sys.exit(77)

with tempfile.TemporaryDirectory() as tmp:
    h5 = os.path.join(tmp, "fit.h5")
    out = subprocess.run([bin_, "calibrate", chain, "--model", "bates", "--json", "--out", h5],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    with h5py.File(h5, "r") as f:
        assert f.attrs["format"] == "hedgesim-calibration"
        assert f.attrs["format_version"] == 1
        # One type in every hedgesim file (run, optimise and backtest files write int32 too).
        assert f.attrs["format_version"].dtype == np.int32, f.attrs["format_version"].dtype
        assert f.attrs["model"] == "bates"
        assert abs(100 * f.attrs["rmse_vol"] - j["rmse_vol_points"]) < 1e-9
        n = j["options"]
        units = {"expiry_index": "index", "is_call": "1", "line": "index", "maturity": "years", "strike": "USD",
                 "forward": "USD", "market_iv": "1", "model_iv": "1", "bid_iv": "1", "ask_iv": "1",
                 "market_price": "coin", "model_price": "coin", "bid_price": "coin", "ask_price": "coin",
                 "weight": "1"}
        for name, u in units.items():
            d = f["options"][name]
            assert d.shape == (n,), (name, d.shape)
            assert d.attrs["units"] == u, (name, d.attrs["units"])
        # The stored vols reproduce the reported RMSE.
        err = f["options/model_iv"][:] - f["options/market_iv"][:]
        rmse = math.sqrt(sum(e * e for e in err) / n)
        assert abs(rmse - f.attrs["rmse_vol"]) < 1e-12, (rmse, f.attrs["rmse_vol"])
        assert sorted(f["parameters"].attrs["names"]) == sorted(j["parameters"].keys())  # JSON sorts keys
        assert len(f["expiries/maturity"]) == len(j["expiries"])
        assert sum(f["dropped"].attrs[k] for k in f["dropped"].attrs) + n == f.attrs["rows"]
    assert not [p for p in os.listdir(tmp) if ".tmp-" in p]
    if plot:
        png = os.path.join(tmp, "smile.png")
        subprocess.run([sys.executable, os.path.join(root, "tools/plot_smile.py"), h5, png], check=True)
        size = os.path.getsize(png)
        with open(png, "rb") as p:
            assert p.read(8) == b"\x89PNG\r\n\x1a\n"
        assert size > 20000, size  # four panels of points and lines, not an empty canvas
        print(f"plot ok: {size} bytes")
print("ok")
