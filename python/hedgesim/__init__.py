"""hedgesim from Python: the engine the ``hedgesim`` command runs, with results as pandas and numpy.

The config schema, its defaults and its validation are the C++ library's (the CLI's): a ``Config``
is parsed by the same parser, and every override (``paths=``, ``seed=``, ``backend=``, ``threads=``,
``precision=``) goes through the same rules as the CLI's flags. Bad input raises ``ConfigError`` (a
``ValueError``) whose message names the key, the value and what is allowed; a run that cannot be
carried out raises ``RuntimeFailure`` (a ``RuntimeError``). See docs/python.md.
"""
from __future__ import annotations

import inspect as _inspect
import json as _json
import os as _os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import numpy as np
import pandas as pd

from . import _hedgesim
from ._hedgesim import ConfigError, RuntimeFailure

__version__ = _hedgesim.__version__
git_commit = _hedgesim.git_commit

__all__ = [
    "Config", "ConfigError", "RuntimeFailure", "Result", "PriceResult", "OptimiseResult",
    "BacktestResult", "CalibrationResult", "run", "calibrate", "price", "optimise", "backtest", "read", "config_reference", "cuda_compiled", "__version__", "git_commit",
]

Progress = Optional[Union[Callable[[int, int], Any], str, bool]]


class Config:
    """A validated hedgesim config (the YAML schema of docs/config.md).

    ``Config(dict)`` and ``Config.from_dict(d)`` serialise the dict to text (JSON, which is YAML) and
    parse it with the C++ parser; ``Config.from_yaml(path)`` reads a file like ``hedgesim run PATH``;
    ``Config.from_text(text)`` parses YAML text. A ``Config`` passed to ``run``/``price``/``optimise``
    is not changed by their overrides.
    """

    def __init__(self, source: Union[Mapping[str, Any], "Config", None] = None, *, _spec=None, _origin=None):
        if _spec is not None:
            self._spec = _spec
            self._origin = _origin
        elif isinstance(source, Config):
            self._spec = source._spec
            self._origin = source._origin
        elif isinstance(source, Mapping):
            self._spec = _hedgesim.Spec.parse(_dict_to_text(source), "<dict>")
            self._origin = "hedgesim.Config(<dict>)"
        else:
            raise TypeError(f"Config() takes a dict (or use Config.from_yaml(path)), not {type(source).__name__}")

    @classmethod
    def from_yaml(cls, path: Union[str, "_os.PathLike[str]"]) -> "Config":
        path = _os.fspath(path)
        return cls(_spec=_hedgesim.Spec.load(path), _origin=f"hedgesim.Config.from_yaml({path!r})")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Config":
        return cls(d)

    @classmethod
    def from_text(cls, text: str, source_name: str = "<string>") -> "Config":
        return cls(_spec=_hedgesim.Spec.parse(text, source_name),
                   _origin=f"hedgesim.Config.from_text(<text>, {source_name!r})")

    @property
    def text(self) -> str:
        """The config text as parsed (YAML, or the JSON a dict was written as)."""
        return self._spec.text

    @property
    def source(self) -> str:
        return self._spec.source

    def validate(self, **overrides) -> None:
        """Applies the overrides (as ``run`` does) and validates, raising ConfigError."""
        self._spec.validate(_overrides(**overrides))

    def __repr__(self) -> str:
        return f"Config(source={self.source!r})"


def _dict_to_text(d: Mapping[str, Any]) -> str:
    # JSON is YAML 1.2 (flow style); one key per line so messages' line numbers are meaningful.
    def plain(x):
        if isinstance(x, Mapping):
            return {str(k): plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, _os.PathLike):
            return _os.fspath(x)
        return x

    return _json.dumps(plain(d), indent=1, allow_nan=True)


def _as_config(config: Union[Config, Mapping[str, Any], str, "_os.PathLike[str]"]) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return Config(config)
    if isinstance(config, (str, _os.PathLike)):
        return Config.from_yaml(config)
    raise TypeError(f"expected a Config, a dict or a path, not {type(config).__name__}")


def _call_text(function, first, arguments: Mapping[str, Any]) -> str:
    """The call as Python text, for the results file's ``command_line`` attribute (the CLI stores its
    command line there): ``hedgesim.run(hedgesim.Config.from_yaml('cfg.yaml'), paths=1000, seed=7)``.
    The first argument (the config, or calibrate's chain) as it was given: a path as a string, a
    Config by how it was made (a dict or YAML text as ``<dict>``, ``<text>``: the file's ``config``
    attribute holds it); then every other argument that differs from its default, by name, in the
    signature's order, as ``repr`` writes it. ``progress`` is left out: it changes no result."""
    params = list(_inspect.signature(function).parameters.values())
    if isinstance(first, Config):
        head = first._origin or "hedgesim.Config(...)"
    elif isinstance(first, Mapping):
        head = "<dict>"
    elif isinstance(first, (str, _os.PathLike)):
        head = repr(_os.fspath(first))
    else:
        head = repr(first)
    parts = [head]
    for p in params[1:]:
        value = arguments.get(p.name, p.default)
        if p.name == "progress" or value is p.default or (p.default is not None and value == p.default):
            continue
        parts.append(f"{p.name}={_os.fspath(value) if isinstance(value, _os.PathLike) else value!r}")
    return f"hedgesim.{function.__name__}({', '.join(parts)})"


def _text(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):  # True would read as 1
        return str(value).lower()
    return str(value)


def _overrides(paths=None, seed=None, backend=None, threads=None, precision=None, devices=None, out=None):
    o = _hedgesim.Overrides()
    o.paths, o.seed, o.threads = _text(paths), _text(seed), _text(threads)
    o.backend, o.precision = _text(backend), _text(precision)
    if devices is not None and not isinstance(devices, str):
        devices = ",".join(str(d) for d in devices)
    o.devices = devices
    o.out = None if out is None else _os.fspath(out)
    return o


class _Tqdm:
    """progress="tqdm" (or True): a tqdm bar (tqdm.auto: the notebook widget in Jupyter)."""

    def __init__(self, desc):
        from tqdm.auto import tqdm

        self._tqdm, self._bar, self._desc = tqdm, None, desc

    def __call__(self, done, total):
        if self._bar is None:
            self._bar = self._tqdm(total=total, desc=self._desc)
        self._bar.update(done - self._bar.n)

    def close(self):
        if self._bar is not None:
            self._bar.close()


def _progress(progress: Progress, desc: str):
    if progress is True or progress == "tqdm":
        return _Tqdm(desc)
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    raise TypeError("progress: a callable progress(done, total), 'tqdm', True or None")


def _call(job, desc, config, progress, *args, command_line=None, **overrides):
    cfg = _as_config(config)
    cb = _progress(progress, desc)
    extra = () if command_line is None else (command_line,)
    try:
        return cfg, job(cfg._spec, _overrides(**overrides), *args, cb, *extra)
    finally:
        if isinstance(cb, _Tqdm):
            cb.close()


def _front(frame: pd.DataFrame, *first: str) -> pd.DataFrame:
    """The columns `first` first, then the JSON's (alphabetical) order."""
    head = [c for c in first if c in frame.columns]
    return frame[head + [c for c in frame.columns if c not in head]]


def _provenance(doc: Dict[str, Any], config_text: str) -> Dict[str, Any]:
    keys = ("hedgesim_version", "git_commit", "backend", "device", "threads", "precision", "model", "measure",
            "paths", "steps", "seed")
    p = {k: doc[k] for k in keys if k in doc}
    p["config_text"] = config_text
    return p


_RUN_OBJECT_COLUMNS = ("pnl_quantiles",)


@dataclass
class Result:
    """The result of ``run``: ``json`` is the document ``hedgesim run --json`` prints."""

    json: Dict[str, Any]
    summary: pd.DataFrame
    quantiles: pd.DataFrame
    histograms: Dict[str, Tuple[np.ndarray, np.ndarray]]
    pnl: Dict[str, np.ndarray]
    cost: Dict[str, np.ndarray]
    per_path: Dict[str, pd.DataFrame]
    provenance: Dict[str, Any]
    output_file: Optional[str] = None

    def __repr__(self) -> str:
        return f"<hedgesim.Result {len(self.summary)} policies, {self.json['paths']} paths>\n{self.summary}"


def run(config, paths=None, seed=None, backend=None, threads=None, precision=None, per_path=False,
        progress: Progress = None, devices=None, out=None) -> Result:
    """``hedgesim run``: hedge the book with every policy on the same paths.

    Overrides are those of the CLI's flags (``--paths`` …); ``out`` is ``--out`` (the HDF5 results
    file; the config's output.file is written too, as by the CLI). ``per_path=True`` keeps every
    path's values (``.pnl``, ``.cost``, ``.per_path``). ``progress``: ``callable(done, total)``
    called between batches, or ``"tqdm"``. The GIL is released while the engine runs; Ctrl-C stops it
    (KeyboardInterrupt).
    """
    call = _call_text(run, config, locals())
    cfg, r = _call(_hedgesim.run, "hedgesim run", config, progress, bool(per_path), command_line=call, paths=paths,
                   seed=seed, backend=backend, threads=threads, precision=precision, devices=devices, out=out)
    doc = _json.loads(r["json"])
    rows = [{k: v for k, v in p.items() if k not in _RUN_OBJECT_COLUMNS} for p in doc["policies"]]
    summary = _front(pd.DataFrame(rows), "name", "type")
    quantiles = pd.DataFrame([p["pnl_quantiles"] for p in doc["policies"]], index=summary["name"].tolist())
    per = {name: pd.DataFrame(fields) for name, fields in r["per_path"].items()}
    return Result(
        json=doc,
        summary=summary,
        quantiles=quantiles,
        histograms=dict(r["histograms"]),
        pnl={name: fields["pnl"] for name, fields in r["per_path"].items()},
        cost={name: fields["cost"] for name, fields in r["per_path"].items()},
        per_path=per,
        provenance=_provenance(doc, r["config_text"]),
        output_file=r["output_file"] or None,
    )


@dataclass
class PriceResult:
    """The result of ``price``: ``json`` is ``hedgesim price --json``; ``options`` one row per option."""

    json: Dict[str, Any]
    options: pd.DataFrame
    provenance: Dict[str, Any]


def price(config, paths=None, seed=None, backend=None, threads=None, precision=None, progress: Progress = None,
          devices=None) -> PriceResult:
    """``hedgesim price``: Monte Carlo prices of the book's options beside their closed forms."""
    cfg, r = _call(_hedgesim.price, "hedgesim price", config, progress, paths=paths, seed=seed, backend=backend,
                   threads=threads, precision=precision, devices=devices)
    doc = _json.loads(r["json"])
    return PriceResult(json=doc, options=_front(pd.DataFrame(doc["options"]), "index", "type"), provenance=_provenance(doc, r["config_text"]))


@dataclass
class OptimiseResult:
    """The result of ``optimise``: ``json`` is ``hedgesim optimise --json``; ``frontier`` one row per
    (family, level) with the parameters and the in- and out-of-sample statistics flattened
    (``param_<name>``, ``in_<stat>``, ``oos_<stat>``)."""

    json: Dict[str, Any]
    frontier: pd.DataFrame
    optimum: Dict[str, Any]
    warnings: list
    provenance: Dict[str, Any]
    output_file: Optional[str] = None


def _frontier_row(f: Dict[str, Any]) -> Dict[str, Any]:
    row = {k: v for k, v in f.items() if k not in ("parameters", "in_sample", "out_of_sample")}
    row.update({f"param_{k}": v for k, v in f["parameters"].items()})
    row.update({f"in_{k}": v for k, v in f["in_sample"].items()})
    row.update({f"oos_{k}": v for k, v in f["out_of_sample"].items()})
    return row


def optimise(config, paths=None, seed=None, backend=None, threads=None, precision=None,
             progress: Progress = None, devices=None, out=None) -> OptimiseResult:
    """``hedgesim optimise``: the cost/risk frontier of the config's policy families."""
    call = _call_text(optimise, config, locals())
    cfg, r = _call(_hedgesim.optimise, "hedgesim optimise", config, progress, command_line=call, paths=paths,
                   seed=seed, backend=backend, threads=threads, precision=precision, devices=devices, out=out)
    doc = _json.loads(r["json"])
    return OptimiseResult(json=doc, frontier=_front(pd.DataFrame([_frontier_row(f) for f in doc["frontier"]]), "family", "type", "level"),
                          optimum=doc["optimum"], warnings=list(doc["warnings"]),
                          provenance=_provenance(doc, r["config_text"]), output_file=r["output_file"] or None)


@dataclass
class BacktestResult:
    """The result of ``backtest``: ``json`` is ``hedgesim backtest --json``; ``summary`` one row per
    policy (the columns of ``run``), ``windows`` one row per window (start_utc, start_spot, end_spot,
    vol), ``per_window[policy]`` a DataFrame (pnl, pnl_scaled, cost, funding, trades), ``model_check``
    per policy (None without the model check)."""

    json: Dict[str, Any]
    summary: pd.DataFrame
    windows: pd.DataFrame
    per_window: Dict[str, pd.DataFrame]
    model_check: Optional[Dict[str, Dict[str, Any]]]
    provenance: Dict[str, Any]
    output_file: Optional[str] = None


def backtest(config, prices=None, funding=None, gas=None, on_bad_data=None, model_check=True, paths=None, seed=None,
             backend=None, threads=None, precision=None, progress: Progress = None, devices=None,
             out=None) -> BacktestResult:
    """``hedgesim backtest``: the book and policies replayed on historical prices (``prices=`` is
    ``--prices``, ``funding=``, ``gas=``, ``on_bad_data=`` likewise; ``model_check=False`` is
    ``--no-model-check``). Progress is that of the model check."""
    call = _call_text(backtest, config, locals())
    bo = _hedgesim.BacktestOverrides()
    bo.prices, bo.funding, bo.gas = (None if x is None else _os.fspath(x) for x in (prices, funding, gas))
    bo.on_bad_data = on_bad_data
    bo.no_model_check = not model_check
    cfg, r = _call(_hedgesim.backtest, "model check", config, progress, bo, command_line=call, paths=paths,
                   seed=seed, backend=backend, threads=threads, precision=precision, devices=devices, out=out)
    doc = _json.loads(r["json"])
    objects = ("pnl_quantiles", "per_window", "model_check")
    summary = _front(pd.DataFrame([{k: v for k, v in p.items() if k not in objects} for p in doc["policies"]]),
                     "name", "type")
    checks = {p["name"]: p["model_check"] for p in doc["policies"]} if "model_check" in doc else None
    return BacktestResult(json=doc, summary=summary, windows=pd.DataFrame(doc["per_window"]),
                          per_window={p["name"]: pd.DataFrame(p["per_window"]) for p in doc["policies"]},
                          model_check=checks, provenance=_provenance(doc, r["config_text"]),
                          output_file=r["output_file"] or None)


@dataclass
class CalibrationResult:
    """The result of ``calibrate``: ``json`` is ``hedgesim calibrate --json``, ``table`` what the CLI
    prints without it, ``parameters`` the fitted model parameters."""

    json: Dict[str, Any]
    table: str

    @property
    def parameters(self) -> Dict[str, Any]:
        return self.json.get("parameters", {})

    def __repr__(self) -> str:
        return self.table


def calibrate(chain, model=None, currency=None, min_days=None, max_days=None, min_moneyness=None,
              max_moneyness=None, weights=None, space=None, starts=None, out=None) -> CalibrationResult:
    """``hedgesim calibrate CHAIN``: fit gbm, heston, bates or svcj to a Deribit option chain CSV. Each
    argument is the CLI's flag of that name (``--min-days`` is ``min_days``); None keeps the CLI's
    default."""
    req = _hedgesim.CalibrateRequest()
    req.command_line = _call_text(calibrate, chain, locals())
    req.chain = _os.fspath(chain)
    given = dict(model=model, currency=currency, min_days=min_days, max_days=max_days, min_moneyness=min_moneyness,
                 max_moneyness=max_moneyness, weights=weights, space=space, starts=starts)
    for key, value in given.items():
        if value is not None:
            if key == "starts" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ConfigError(f"starts = {value!r}: expected an integer from 1 to 64")
            setattr(req, key, value)
    if out is not None:
        req.out = _os.fspath(out)
    r = _hedgesim.calibrate(req)
    return CalibrationResult(json=_json.loads(r["json"]), table=r["table"])


def config_reference(section: str = "keys") -> str:
    """The config key reference as Markdown (``hedgesim list``): "keys", "models", "policies", "costs"."""
    return _hedgesim.config_reference(section)


def cuda_compiled() -> bool:
    """Whether this build has the CUDA backend."""
    return _hedgesim.cuda_compiled()


from ._read import read  # noqa: E402  (h5py is imported only when read() is called)
