"""read(path): any hedgesim HDF5 file (run, optimise, backtest, calibrate; docs/hdf5.md) into Python."""
from __future__ import annotations

import os
from typing import Any, Dict

import numpy as np
import pandas as pd


class Group(dict):
    """An HDF5 group: its members by name (sub-groups as Group, compound datasets as DataFrame, other
    datasets as numpy arrays, scalar datasets as Python values) and its attributes in ``.attrs``;
    ``.units`` maps each dataset that has a ``units`` attribute to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs: Dict[str, Any] = {}
        self.units: Dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Group({list(self)}, attrs={list(self.attrs)})"


def _value(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.dtype.kind == "O":
        return [_value(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _dataset(ds):
    data = ds[()]
    if ds.dtype.names is not None:  # compound: one column per field
        frame = pd.DataFrame({n: data[n] for n in ds.dtype.names} if data.ndim else {n: [data[n]] for n in ds.dtype.names})
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = [_value(x) for x in frame[col]]
        return frame
    if ds.dtype.kind in ("O", "S"):
        return _value(data)
    if ds.shape == ():
        return _value(data)
    return np.asarray(data)


def _group(g) -> Group:
    import h5py

    out = Group()
    out.attrs = {k: _value(v) for k, v in g.attrs.items()}
    for name, item in g.items():
        if isinstance(item, h5py.Group):
            out[name] = _group(item)
        else:
            out[name] = _dataset(item)
            if "units" in item.attrs:
                out.units[name] = _value(item.attrs["units"])
    return out


def read(path) -> Group:
    """Reads a hedgesim HDF5 results file (needs h5py) into a Group: ``r.attrs`` the root attributes
    (version, commit, seed, config …), ``r["summary"]`` a DataFrame, ``r["histograms"]`` … as in
    docs/hdf5.md."""
    try:
        import h5py
    except ImportError as e:  # pragma: no cover
        raise ImportError("hedgesim.read needs h5py (pip install h5py)") from e
    with h5py.File(os.fspath(path), "r") as f:
        return _group(f)
