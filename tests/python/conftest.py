"""Fixtures of the Python package's tests (docs/python.md, docs/testing.md).

The package is imported from wherever Python finds it: the build tree (CTest python_package sets
PYTHONPATH to BUILD/python) or a venv it was pip-installed into (scripts/test-python.sh). The CLI
comparisons need the hedgesim executable of the same source: HEDGESIM_CLI, else they are skipped.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Small enough for a few seconds on two cores; Heston with jumps off, a perpetual hedge with funding,
# four policies of different families.
SMALL = {
    "simulation": {"paths": 4000, "steps_per_day": 24, "seed": 7},
    "model": {"type": "heston", "spot": 65000, "v0": 0.36, "kappa": 2.0, "theta": 0.36, "xi": 1.0, "rho": -0.3},
    "book": [{"type": "call", "strike": 70000, "expiry_days": 3, "quantity": -10}],
    "hedge": {"instrument": "perpetual", "delta": "implied", "implied_vol": 0.6, "funding": {"rate": 0.1}},
    "costs": {"fee_bps": 5},
    "policies": [
        {"name": "none", "type": "none"},
        {"name": "four_hourly", "type": "time", "every_hours": 4},
        {"name": "band", "type": "delta_band", "width": 0.5},
        {"name": "ww", "type": "whalley_wilmott", "risk_aversion": 1.0e-4},
    ],
    "output": {"histogram_bins": 20, "sample_paths": 0},
}

SMALL_OPTIMISE = {
    "simulation": {"paths": 2000, "steps_per_day": 24, "seed": 3},
    "model": {"type": "gbm", "spot": 65000, "vol": 0.6},
    "book": [{"type": "call", "strike": 70000, "expiry_days": 2, "quantity": -10}],
    "hedge": {"delta": "implied", "implied_vol": 0.6},
    "costs": {"fee_bps": 5},
    "optimise": {
        "families": [{"name": "band", "type": "delta_band", "parameters": {"width": [0.1, 5.0]}}],
        "objective": {"risk": "es", "level": 0.95, "lambda": 0.1},
        "frontier": {"lambdas": [1.0]},
        "search": {"max_evaluations": 12, "population": 4, "seed": 1},
        "out_of_sample": {"paths": 1000},
    },
}


@pytest.fixture(scope="session")
def hedgesim():
    import hedgesim as hs

    return hs


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("HEDGESIM_CLI")
    if not path:
        pytest.skip("HEDGESIM_CLI (the hedgesim executable built from this source) is not set")
    import hedgesim as hs

    version = subprocess.run([path, "--version"], check=True, capture_output=True, text=True).stdout
    if f"(commit {hs.git_commit})" not in version:
        pytest.skip(f"HEDGESIM_CLI {path} is `{version.strip()}`, the package is commit {hs.git_commit}: "
                    "build both from the same source")
    return path


def run_cli(cli, *args):
    """The CLI's --json document of `hedgesim ARGS --json`."""
    out = subprocess.run([cli, *args, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.fixture
def small_yaml(tmp_path, hedgesim):
    """SMALL as a YAML file (JSON text is YAML), for the CLI and Config.from_yaml alike."""
    path = tmp_path / "small.yaml"
    path.write_text(json.dumps(SMALL, indent=1))
    return str(path)
