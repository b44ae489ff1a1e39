"""Files the package writes carry the CLI's provenance (effective_config, command_line) and every string
in them is a str in h5py (issue 15; docs/python.md "Provenance in the files", docs/hdf5.md "Types")."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SMALL, SMALL_OPTIMISE

h5py = pytest.importorskip("h5py")
yaml = pytest.importorskip("yaml")
sys.path.insert(0, os.path.join(ROOT, "tests"))
from hdf5_strings import BACKTEST, string_problems  # noqa: E402  (tests/hdf5_strings.py, CTest hdf5_strings)

DATA = os.path.join(ROOT, "tests", "data")
PRICES = os.path.join(DATA, "backtest_okx_btc_perp_1h_2024-06-01_07.csv")
FUNDING = os.path.join(DATA, "backtest_binance_btc_funding_8h_2024-06-01_08.csv")
CHAIN = os.path.join(DATA, "deribit_btc_20260302T093957Z_excerpt.csv")


def attrs(path):
    with h5py.File(path, "r") as f:
        return dict(f.attrs)


def assert_all_str(path):
    problems, count = string_problems(path)
    assert not problems, problems
    assert count >= 5


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_run_file_records_the_call_and_effective_config(hedgesim, small_yaml, tmp_path):
    out = tmp_path / "run.h5"
    hedgesim.run(hedgesim.Config.from_yaml(small_yaml), paths=1000, seed=7, out=out)
    a = attrs(out)
    assert a["command_line"] == (f"hedgesim.run(hedgesim.Config.from_yaml({small_yaml!r}), paths=1000, seed=7, "
                                 f"out={str(out)!r})")
    effective = yaml.safe_load(a["effective_config"])
    assert effective["simulation"]["paths"] == 1000 and effective["simulation"]["seed"] == 7
    assert effective["output"]["file"] == str(out)
    assert effective["model"] == SMALL["model"] and effective["policies"] == SMALL["policies"]
    assert a["config"] == hedgesim.Config.from_yaml(small_yaml).text  # the text as given, beside it
    assert_all_str(out)


def test_call_text_by_how_the_config_was_given(hedgesim, small_yaml, tmp_path):
    out = str(tmp_path / "r.h5")
    hedgesim.run(SMALL, paths=500, per_path=True, backend="cpu", out=out, progress=lambda d, t: None)
    assert attrs(out)["command_line"] == f"hedgesim.run(<dict>, paths=500, backend='cpu', per_path=True, out={out!r})"
    hedgesim.run(hedgesim.Config(SMALL), paths=500, out=out)
    assert attrs(out)["command_line"] == f"hedgesim.run(hedgesim.Config(<dict>), paths=500, out={out!r})"
    hedgesim.run(small_yaml, paths=500, out=out)
    assert attrs(out)["command_line"] == f"hedgesim.run({small_yaml!r}, paths=500, out={out!r})"
    hedgesim.run(hedgesim.Config.from_text(json.dumps(SMALL), "mine"), paths=500, seed=3, out=out)
    assert attrs(out)["command_line"] == f"hedgesim.run(hedgesim.Config.from_text(<text>, 'mine'), paths=500, seed=3, out={out!r})"


def test_optimise_backtest_calibrate_files(hedgesim, tmp_path):
    opt_cfg = write(tmp_path, "opt.yaml", json.dumps(SMALL_OPTIMISE, indent=1))
    out = tmp_path / "opt.h5"
    hedgesim.optimise(opt_cfg, paths=800, out=out)
    a = attrs(out)
    assert a["command_line"] == f"hedgesim.optimise({opt_cfg!r}, paths=800, out={str(out)!r})"
    assert yaml.safe_load(a["effective_config"])["simulation"]["paths"] == 800
    assert_all_str(out)

    bt_cfg = write(tmp_path, "bt.yaml", BACKTEST)
    out = tmp_path / "bt.h5"
    hedgesim.backtest(bt_cfg, prices=PRICES, funding=FUNDING, model_check=False, threads=2, out=out)
    a = attrs(out)
    assert a["command_line"] == (f"hedgesim.backtest({bt_cfg!r}, prices={PRICES!r}, funding={FUNDING!r}, "
                                 f"model_check=False, threads=2, out={str(out)!r})")
    bt = yaml.safe_load(a["effective_config"])["backtest"]
    assert bt["prices"] == PRICES and bt["funding"] == FUNDING and bt["model_check"] is False
    assert_all_str(out)

    out = tmp_path / "fit.h5"
    hedgesim.calibrate(CHAIN, model="gbm", starts=1, out=out)
    assert attrs(out)["command_line"] == f"hedgesim.calibrate({CHAIN!r}, model='gbm', starts=1, out={str(out)!r})"
    assert_all_str(out)


def test_effective_config_is_the_clis(hedgesim, cli, small_yaml, tmp_path):
    """The same config and overrides: the same effective_config text, byte for byte (one C++ function)."""
    out = str(tmp_path / "same.h5")
    subprocess.run([cli, "run", small_yaml, "--paths", "1000", "--seed", "7", "--threads", "2", "--out", out, "--quiet"],
                   check=True, capture_output=True)
    from_cli = attrs(out)
    hedgesim.run(hedgesim.Config.from_yaml(small_yaml), paths=1000, seed=7, threads=2, out=out)
    from_python = attrs(out)
    assert from_python["effective_config"] == from_cli["effective_config"]
    assert from_cli["command_line"].split()[1:] == ["run", small_yaml, "--paths", "1000", "--seed", "7", "--threads",
                                                   "2", "--out", out, "--quiet"]

    bt_cfg = write(tmp_path, "bt.yaml", BACKTEST)
    subprocess.run([cli, "backtest", bt_cfg, "--prices", PRICES, "--funding", FUNDING, "--no-model-check", "--out", out,
                    "--quiet"], check=True, capture_output=True)
    from_cli = attrs(out)["effective_config"]
    hedgesim.backtest(bt_cfg, prices=PRICES, funding=FUNDING, model_check=False, out=out)
    assert attrs(out)["effective_config"] == from_cli


def test_read_gives_str(hedgesim, tmp_path):
    out = tmp_path / "run.h5"
    r = hedgesim.run(SMALL, paths=500, out=out)
    f = hedgesim.read(out)
    assert list(f["summary"].columns[:2]) == ["name", "type"]
    assert list(f["summary"]["name"]) == list(r.summary["name"])
    assert all(isinstance(v, str) for v in list(f["summary"]["name"]) + list(f["summary"]["type"]))
    assert all(isinstance(f.attrs[k], str) for k in ("format", "config", "effective_config", "command_line", "model"))
    assert f.attrs["format_version"] == 2
