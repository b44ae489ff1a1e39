# Type stubs of the hedgesim package (hand-written; docs/python.md).
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._read import Group

__version__: str
git_commit: str

class ConfigError(ValueError): ...
class RuntimeFailure(RuntimeError): ...

_Path = Union[str, os.PathLike[str]]
Progress = Optional[Union[Callable[[int, int], Any], str, bool]]

class Config:
    def __init__(self, source: Union[Mapping[str, Any], Config]) -> None: ...
    @classmethod
    def from_yaml(cls, path: _Path) -> Config: ...
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Config: ...
    @classmethod
    def from_text(cls, text: str, source_name: str = ...) -> Config: ...
    @property
    def text(self) -> str: ...
    @property
    def source(self) -> str: ...
    def validate(
        self,
        *,
        paths: Optional[int] = ...,
        seed: Optional[int] = ...,
        backend: Optional[str] = ...,
        threads: Optional[int] = ...,
        precision: Optional[str] = ...,
        devices: Optional[Union[str, Sequence[int]]] = ...,
        out: Optional[_Path] = ...,
    ) -> None: ...

ConfigLike = Union[Config, Mapping[str, Any], _Path]

class Result:
    json: Dict[str, Any]
    summary: pd.DataFrame
    quantiles: pd.DataFrame
    histograms: Dict[str, Tuple[npt.NDArray[np.float64], npt.NDArray[np.uint64]]]
    pnl: Dict[str, npt.NDArray[np.float64]]
    cost: Dict[str, npt.NDArray[np.float64]]
    per_path: Dict[str, pd.DataFrame]
    provenance: Dict[str, Any]
    output_file: Optional[str]

class PriceResult:
    json: Dict[str, Any]
    options: pd.DataFrame
    provenance: Dict[str, Any]

class OptimiseResult:
    json: Dict[str, Any]
    frontier: pd.DataFrame
    optimum: Dict[str, Any]
    warnings: List[str]
    provenance: Dict[str, Any]
    output_file: Optional[str]

def run(
    config: ConfigLike,
    paths: Optional[int] = ...,
    seed: Optional[int] = ...,
    backend: Optional[str] = ...,
    threads: Optional[int] = ...,
    precision: Optional[str] = ...,
    per_path: bool = ...,
    progress: Progress = ...,
    devices: Optional[Union[str, Sequence[int]]] = ...,
    out: Optional[_Path] = ...,
) -> Result: ...
def price(
    config: ConfigLike,
    paths: Optional[int] = ...,
    seed: Optional[int] = ...,
    backend: Optional[str] = ...,
    threads: Optional[int] = ...,
    precision: Optional[str] = ...,
    progress: Progress = ...,
    devices: Optional[Union[str, Sequence[int]]] = ...,
) -> PriceResult: ...
def optimise(
    config: ConfigLike,
    paths: Optional[int] = ...,
    seed: Optional[int] = ...,
    backend: Optional[str] = ...,
    threads: Optional[int] = ...,
    precision: Optional[str] = ...,
    progress: Progress = ...,
    devices: Optional[Union[str, Sequence[int]]] = ...,
    out: Optional[_Path] = ...,
) -> OptimiseResult: ...
class BacktestResult:
    json: Dict[str, Any]
    summary: pd.DataFrame
    windows: pd.DataFrame
    per_window: Dict[str, pd.DataFrame]
    model_check: Optional[Dict[str, Dict[str, Any]]]
    provenance: Dict[str, Any]
    output_file: Optional[str]

def backtest(
    config: ConfigLike,
    prices: Optional[_Path] = ...,
    funding: Optional[_Path] = ...,
    gas: Optional[_Path] = ...,
    on_bad_data: Optional[str] = ...,
    model_check: bool = ...,
    paths: Optional[int] = ...,
    seed: Optional[int] = ...,
    backend: Optional[str] = ...,
    threads: Optional[int] = ...,
    precision: Optional[str] = ...,
    progress: Progress = ...,
    devices: Optional[Union[str, Sequence[int]]] = ...,
    out: Optional[_Path] = ...,
) -> BacktestResult: ...
class CalibrationResult:
    json: Dict[str, Any]
    table: str
    @property
    def parameters(self) -> Dict[str, Any]: ...

def calibrate(
    chain: _Path,
    model: Optional[str] = ...,
    currency: Optional[str] = ...,
    min_days: Optional[float] = ...,
    max_days: Optional[float] = ...,
    min_moneyness: Optional[float] = ...,
    max_moneyness: Optional[float] = ...,
    weights: Optional[str] = ...,
    space: Optional[str] = ...,
    starts: Optional[int] = ...,
    out: Optional[_Path] = ...,
) -> CalibrationResult: ...
def read(path: _Path) -> Group: ...
def config_reference(section: str = ...) -> str: ...
def cuda_compiled() -> bool: ...
