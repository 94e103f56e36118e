"""Bounded, derandomized fuzzing of the extension in a subprocess: the process must survive and
every failure must be an allowed Python exception with a message (see fuzz/fuzz_ops.py)."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("hypothesis", reason="hypothesis is an optional test dependency (installed by make test)")


def test_fuzzed_calls_never_crash():
    script = os.path.join(os.path.dirname(__file__), "fuzz", "fuzz_ops.py")
    result = subprocess.run([sys.executable, script, "--examples", "1500"], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert "process survived" in result.stdout


def test_fuzzed_indexing_and_nn_calls_never_crash():
    script = os.path.join(os.path.dirname(__file__), "fuzz", "fuzz_indexing_nn.py")
    result = subprocess.run([sys.executable, script, "8000", "0"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert "process survived" in result.stdout
