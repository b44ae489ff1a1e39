"""examples/python/ run with few paths."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def test_sweep_example(tmp_path, hedgesim):
    pytest.importorskip("matplotlib")
    out = tmp_path / "sweep.png"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", "sweep.py"), "--paths", "500",
                        "--out", str(out)], capture_output=True, text=True, env={**os.environ})
    assert p.returncode == 0, p.stderr
    assert out.stat().st_size > 10000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = p.stdout.splitlines()
    assert lines[0].split()[:4] == ["vol", "width", "name", "pnl_es_95"]
    assert len(lines) == 1 + 3 * 6 + 1
