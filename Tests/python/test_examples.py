"""Every example runs to completion (each checks its own success criterion and exits non-zero
when it is not met) in a few seconds."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_mds_recovers_distances():
    out = run_example("mds.py")
    assert "recovered the configuration" in out


def test_mlp_classification():
    out = run_example("mlp_classification.py")
    accuracy = float(out.strip().rsplit("test accuracy", 1)[1])
    assert accuracy >= 0.95


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                    reason="scikit-learn (optional; scripts/install-deps.sh installs it) provides the digits")
def test_digits_mlp():
    out = run_example("digits_mlp.py")
    accuracy = float(out.strip().rsplit("test accuracy", 1)[1].split()[0])
    assert accuracy >= 0.95


def test_quickstart():
    run_example("quickstart.py")


def test_trace_and_graph(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "trace_and_graph.py"), str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "y = v_7 = 11.6521" in result.stdout
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert "div" in (tmp_path / "gradient_graph.dot").read_text()  # d ln(x1) / dx1 = 1 / x1
