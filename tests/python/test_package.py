"""The Python package against the CLI: the same config rules, the same numbers (docs/python.md)."""
import copy
import json
import math
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, SMALL, SMALL_OPTIMISE, run_cli

TIMINGS = {"elapsed_s", "path_steps_per_s", "kernel_s", "candidates_per_s", "oos_elapsed_s"}


def without_timings(doc):
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in TIMINGS}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def assert_same(a, b, where="$"):
    """Every key and every number equal, bit for bit (NaN equal to NaN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b and type(a) == type(b), f"{where}: {a!r} != {b!r}"


# ---- Config: the C++ parser and validation, errors as ConfigError naming the key

def test_config_from_dict_and_yaml(hedgesim, small_yaml):
    a = hedgesim.Config(SMALL)
    b = hedgesim.Config.from_yaml(small_yaml)
    assert hedgesim.Config.from_dict(SMALL).text == a.text
    assert b.source == small_yaml and a.source == "<dict>"
    assert json.loads(a.text) == SMALL


def test_config_error_names_key_value_and_range(hedgesim):
    bad = copy.deepcopy(SMALL)
    bad["model"]["v0"] = -0.5
    with pytest.raises(hedgesim.ConfigError) as e:
        hedgesim.Config(bad)
    assert isinstance(e.value, ValueError)
    assert "model.v0" in str(e.value) and "-0.5" in str(e.value)


def test_config_unknown_key_suggests(hedgesim):
    bad = copy.deepcopy(SMALL)
    bad["simulation"]["sead"] = 1
    with pytest.raises(hedgesim.ConfigError, match=r"simulation\.sead.*seed"):
        hedgesim.Config(bad)


def test_config_error_same_message_as_cli(hedgesim, cli, tmp_path):
    import subprocess

    bad = copy.deepcopy(SMALL)
    bad["book"][0]["strike"] = -5
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(bad, indent=1))
    with pytest.raises(hedgesim.ConfigError) as e:
        hedgesim.Config.from_yaml(str(path))
    p = subprocess.run([cli, "run", str(path)], capture_output=True, text=True)
    assert p.returncode == 2
    assert str(e.value) in p.stderr and "book[0].strike" in str(e.value)


@pytest.mark.parametrize("kwargs, key", [
    ({"paths": -5}, "paths = '-5'"), ({"paths": 1}, "paths = '1'"), ({"seed": "x"}, "seed = 'x'"),
    ({"backend": "gpu"}, "backend = 'gpu'"), ({"precision": "half"}, "precision = 'half'"),
    ({"threads": 100000}, "threads = '100000'"),
])
def test_override_errors_name_the_argument(hedgesim, kwargs, key):
    with pytest.raises(hedgesim.ConfigError) as e:
        hedgesim.run(SMALL, **kwargs)
    assert str(e.value).startswith(key), str(e.value)


def test_run_needs_policies(hedgesim):
    cfg = {k: v for k, v in SMALL.items() if k != "policies"}
    hedgesim.Config(cfg)  # fine for price
    with pytest.raises(hedgesim.ConfigError, match="policies"):
        hedgesim.run(cfg)


def test_cuda_without_build_or_device_is_runtime_failure(hedgesim):
    try:
        r = hedgesim.run(SMALL, backend="cuda")
    except hedgesim.RuntimeFailure as e:  # not built with CUDA, or no device here
        assert ("without CUDA" in str(e)) != hedgesim.cuda_compiled(), str(e)
    else:
        assert hedgesim.cuda_compiled() and r.json["backend"] == "cuda"


# ---- run: the CLI's numbers, bit for bit

def test_run_matches_cli(hedgesim, cli, small_yaml):
    for seed in (7, 11):
        expected = run_cli(cli, "run", small_yaml, "--seed", str(seed), "--paths", "3000")
        r = hedgesim.run(hedgesim.Config.from_yaml(small_yaml), seed=seed, paths=3000)
        assert_same(without_timings(r.json), without_timings(expected))
        # A dict config parses to the same spec: the same numbers.
        r2 = hedgesim.run(SMALL, seed=seed, paths=3000)
        assert_same(without_timings(r2.json), without_timings(expected))


def test_run_float64_and_threads_match_cli(hedgesim, cli, small_yaml):
    expected = run_cli(cli, "run", small_yaml, "--precision", "float64", "--threads", "1")
    r = hedgesim.run(small_yaml, precision="float64", threads=1)
    assert_same(without_timings(r.json), without_timings(expected))
    assert r.json["precision"] == "float64" and r.json["threads"] == 1


def test_summary_frame(hedgesim):
    r = hedgesim.run(SMALL)
    s = r.summary
    assert list(s["name"]) == [p["name"] for p in SMALL["policies"]]
    for col in ("name", "type", "pnl_mean", "pnl_mean_stderr", "pnl_std", "pnl_skewness", "pnl_excess_kurtosis",
                "pnl_var_95", "pnl_es_95", "pnl_var_99", "pnl_es_99", "cost_mean", "cost_std", "trades_mean"):
        assert col in s.columns, col
    for i, p in enumerate(r.json["policies"]):
        for col in s.columns:
            assert s[col].iloc[i] == p[col]
    assert list(r.quantiles.index) == list(s["name"])
    assert r.provenance["seed"] == 7 and r.provenance["paths"] == 4000
    assert r.provenance["hedgesim_version"] == hedgesim.__version__
    assert r.provenance["git_commit"] == hedgesim.git_commit
    assert r.provenance["config_text"] == hedgesim.Config(SMALL).text
    assert r.pnl == {} and r.cost == {}
    for name, (edges, counts) in r.histograms.items():
        assert edges.dtype == np.float64 and counts.dtype == np.uint64
        assert len(edges) == 21 and len(counts) == 20 and int(counts.sum()) == 4000


def test_histograms_match_cli_file(hedgesim, cli, small_yaml, tmp_path):
    import subprocess

    out = tmp_path / "cli.h5"
    subprocess.run([cli, "run", small_yaml, "--out", str(out)], check=True, capture_output=True)
    f = hedgesim.read(out)
    r = hedgesim.run(small_yaml)
    assert f.attrs["format"] == "hedgesim-results" and f.attrs["seed"] == 7
    for col in r.summary.columns:
        assert list(f["summary"][col]) == list(r.summary[col]), col
    for name in r.summary["name"]:
        edges, counts = r.histograms[name]
        h = f["policies"][name]["histogram"]
        assert np.array_equal(h["edges"], edges) and np.array_equal(h["counts"], counts)


def test_per_path(hedgesim):
    plain = hedgesim.run(SMALL)
    r = hedgesim.run(SMALL, per_path=True)
    assert_same(without_timings(r.json), without_timings(plain.json))  # keeping paths changes no number
    for i, name in enumerate(r.summary["name"]):
        pnl, cost = r.pnl[name], r.cost[name]
        assert pnl.shape == (4000,) and cost.shape == (4000,)
        assert np.mean(pnl) == pytest.approx(r.summary["pnl_mean"].iloc[i], rel=1e-12, abs=1e-9)
        assert np.mean(cost) == pytest.approx(r.summary["cost_mean"].iloc[i], rel=1e-12, abs=1e-9)
        assert np.std(pnl, ddof=1) == pytest.approx(r.summary["pnl_std"].iloc[i], rel=1e-9)
        frame = r.per_path[name]
        assert np.mean(frame["trades"]) == pytest.approx(r.summary["trades_mean"].iloc[i], rel=1e-12, abs=1e-12)


def test_options_pool_matches_cli_and_reports_its_fields(hedgesim, cli, tmp_path):
    """An options AMM's customers (order_flow): the same numbers as the CLI, and per path the pool's fields,
    the same for every policy."""
    config = os.path.join(ROOT, "configs", "options_amm_pool.yaml")
    expected = run_cli(cli, "run", config, "--paths", "300", "--threads", "2", "--out", str(tmp_path / "cli.h5"))
    r = hedgesim.run(config, paths=300, threads=2, per_path=True, out=str(tmp_path / "py.h5"))
    assert_same(without_timings(r.json), without_timings(expected))
    spread = None
    for i, name in enumerate(r.summary["name"]):
        frame = r.per_path[name]
        assert np.mean(frame["spread_income"]) == pytest.approx(r.summary["spread_income_mean"].iloc[i], rel=1e-12)
        assert np.all(frame["customer_trades"] > 0)
        if spread is None:
            spread = np.asarray(frame["spread_income"])
        assert np.array_equal(np.asarray(frame["spread_income"]), spread), name


def test_out_writes_the_cli_file(hedgesim, tmp_path):
    out = tmp_path / "py.h5"
    r = hedgesim.run(SMALL, out=out, per_path=True)
    assert r.output_file == str(out)
    f = hedgesim.read(out)
    assert f.attrs["config"] == hedgesim.Config(SMALL).text and f.attrs["config_path"] == "<dict>"
    assert list(f["summary"]["pnl_mean"]) == list(r.summary["pnl_mean"])


def test_price_matches_cli(hedgesim, cli, small_yaml):
    expected = run_cli(cli, "price", small_yaml, "--paths", "20000")
    p = hedgesim.price(small_yaml, paths=20000)
    assert_same(without_timings(p.json), without_timings(expected))
    assert list(p.options.columns)[:2] == ["index", "type"] and len(p.options) == 1


def test_optimise_matches_cli(hedgesim, cli, tmp_path):
    path = tmp_path / "opt.yaml"
    path.write_text(json.dumps(SMALL_OPTIMISE, indent=1))
    expected = run_cli(cli, "optimise", str(path))
    o = hedgesim.optimise(str(path))
    assert_same(without_timings(o.json), without_timings(expected))
    assert len(o.frontier) == len(expected["frontier"])
    assert {"family", "level", "param_width", "in_objective", "oos_objective"} <= set(o.frontier.columns)
    assert o.optimum == o.json["optimum"]


# ---- progress, the GIL, Ctrl-C

BIG_PATHS = 64 * 262144  # 64 batches of the run's kBatchPaths


def test_progress_called(hedgesim):
    calls = []
    hedgesim.run(SMALL, paths=3 * 262144 // 2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3 * 262144 // 2, 3 * 262144 // 2)
    assert len(calls) == 2 and calls[0][0] == 262144


def test_exception_in_progress_stops_the_run(hedgesim):
    calls = []

    def progress(done, total):
        calls.append(done)
        raise ZeroDivisionError("stop")

    with pytest.raises(ZeroDivisionError, match="stop"):
        hedgesim.run(SMALL, paths=BIG_PATHS, progress=progress)
    assert calls == [262144]
    hedgesim.run(SMALL)  # the module is usable afterwards


def test_sigint_during_progress_is_keyboard_interrupt(hedgesim):
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        hedgesim.run(SMALL, paths=BIG_PATHS, progress=progress)
    assert len(calls) <= 2


def test_ctrl_c_while_engine_runs_and_gil_released(hedgesim):
    """A Python thread keeps running while the engine works (the GIL is released) and its SIGINT stops the
    run at the next batch: KeyboardInterrupt, well before the run's end."""
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    def interrupt():
        time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=ticker)
    k = threading.Thread(target=interrupt)
    start = time.monotonic()
    t.start()
    k.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            hedgesim.run(SMALL, paths=BIG_PATHS)
    finally:
        stop.set()
        t.join()
        k.join()
    assert len(ticks) > 50, "the Python thread did not run while the engine did"
    assert time.monotonic() - start < 30


def test_tqdm_progress(hedgesim):
    pytest.importorskip("tqdm")
    r = hedgesim.run(SMALL, progress="tqdm")
    assert len(r.summary) == 4


# ---- backtest: the CLI's numbers on the shipped excerpts

BACKTEST = """simulation: {paths: 3000, steps_per_day: 24, seed: 11}
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


def test_backtest_matches_cli(hedgesim, cli, tmp_path):
    from conftest import ROOT

    cfg = tmp_path / "bt.yaml"
    cfg.write_text(BACKTEST)
    data = os.path.join(ROOT, "tests", "data")
    prices = os.path.join(data, "backtest_okx_btc_perp_1h_2024-06-01_07.csv")
    funding = os.path.join(data, "backtest_binance_btc_funding_8h_2024-06-01_08.csv")
    expected = run_cli(cli, "backtest", str(cfg), "--prices", prices, "--funding", funding, "--threads", "2")
    calls = []
    b = hedgesim.backtest(str(cfg), prices=prices, funding=funding, threads=2, progress=lambda d, t: calls.append(d))
    assert_same(without_timings(b.json), without_timings(expected))
    assert calls and calls[-1] == 3000  # the model check's paths
    assert list(b.summary["name"]) == ["none", "h2", "ww"]
    assert len(b.windows) == expected["windows"] == len(b.per_window["h2"])
    assert b.model_check["ww"]["ks_statistic"] == expected["policies"][2]["model_check"]["ks_statistic"]
    plain = hedgesim.backtest(str(cfg), prices=prices, funding=funding, model_check=False)
    assert plain.model_check is None and "model_check" not in plain.json
    assert list(plain.summary["pnl_mean"]) == list(b.summary["pnl_mean"])


def test_backtest_errors(hedgesim, tmp_path):
    cfg = tmp_path / "bt.yaml"
    cfg.write_text(BACKTEST)
    with pytest.raises(hedgesim.ConfigError, match="prices"):
        hedgesim.backtest(str(cfg))
    with pytest.raises(hedgesim.ConfigError, match="on_bad_data = 'maybe'"):
        hedgesim.backtest(str(cfg), prices="x.csv", on_bad_data="maybe")
    with pytest.raises(hedgesim.ConfigError, match="no_such.csv"):
        hedgesim.backtest(str(cfg), prices=str(tmp_path / "no_such.csv"))


# ---- calibrate: the CLI's fit on the shipped chain excerpt

def test_calibrate_matches_cli(hedgesim, cli, tmp_path):
    import subprocess

    from conftest import ROOT

    chain = os.path.join(ROOT, "tests", "data", "deribit_btc_20260302T093957Z_excerpt.csv")
    expected = run_cli(cli, "calibrate", chain, "--model", "heston", "--starts", "2")
    c = hedgesim.calibrate(chain, model="heston", starts=2, out=tmp_path / "cal.h5")
    assert_same(without_timings({k: v for k, v in c.json.items() if k != "fit_seconds"}),
                without_timings({k: v for k, v in expected.items() if k != "fit_seconds"}))
    assert set(c.parameters) >= {"v0", "kappa", "theta", "xi", "rho"}
    table = subprocess.run([cli, "calibrate", chain, "--model", "heston", "--starts", "2"], check=True,
                           capture_output=True, text=True).stdout
    import re

    timings = re.compile(r"\b\d+(\.\d+)?(e[-+]?\d+)? s\b")  # "Fit 0.16 s": the only lines that differ
    assert [timings.sub("T s", l) for l in c.table.splitlines()] == [timings.sub("T s", l) for l in table.splitlines()]
    assert hedgesim.read(tmp_path / "cal.h5").attrs["model"] == "heston"


def test_calibrate_errors_name_the_argument(hedgesim):
    with pytest.raises(hedgesim.ConfigError, match=r"^model = 'hestn'"):
        hedgesim.calibrate("x.csv", model="hestn")
    with pytest.raises(hedgesim.ConfigError, match=r"^weights = 'w'"):
        hedgesim.calibrate("x.csv", weights="w")
    with pytest.raises(hedgesim.ConfigError, match="starts = 0"):
        hedgesim.calibrate("x.csv", starts=0)
    with pytest.raises(hedgesim.ConfigError, match="no_such.csv"):
        hedgesim.calibrate("no_such.csv")


def test_config_reference(hedgesim):
    keys = hedgesim.config_reference()
    assert "`simulation`" in keys or "simulation" in keys
    assert "heston" in hedgesim.config_reference("models")
    with pytest.raises(hedgesim.ConfigError):
        hedgesim.config_reference("nonsense")
