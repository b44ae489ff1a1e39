"""read(path): any hedgesim HDF5 file (run, optimise, backtest, calibrate; docs/hdf5.md) into Python."""
from __future__ import annotations

import os
from typing import Any, Dict

import numpy as np
import pandas as pd


# The string attributes of a compound dataset that label its rows: /summary's `name` and `type` (one per
# policy; strings are attributes, which h5py reads as str, docs/hdf5.md "Types"). read() puts them in
# front of the DataFrame's columns, as the columns of `run --json`.
_ROW_LABELS = ("name", "type")


class Group(dict):
    """An HDF5 group: its members by name (sub-groups as Group, compound datasets as DataFrame, other
    datasets as numpy arrays, scalar datasets as Python values) and its attributes in ``.attrs``;
    ``.units`` maps each dataset that has a ``units`` attribute to it. A compound dataset's row labels
    (/summary's ``name`` and ``type`` attributes) are the DataFrame's first columns."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs: Dict[str, Any] = {}
        self.units: Dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Group({list(self)}, attrs={list(self.attrs)})"


def _value(v):
    if isinstance(v, np.ndarray) and v.dtype.kind == "O":
        return [_value(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _dataset(ds):
    data = ds[()]
    if ds.dtype.names is not None:  # compound: one column per field
        frame = pd.DataFrame({n: data[n] for n in ds.dtype.names} if data.ndim else {n: [data[n]] for n in ds.dtype.names})
        labels = [n for n in _ROW_LABELS if n in ds.attrs and np.ndim(ds.attrs[n]) == 1 and len(ds.attrs[n]) == len(frame)]
        for i, n in enumerate(labels):
            frame.insert(i, n, _value(ds.attrs[n]))
        return frame
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
