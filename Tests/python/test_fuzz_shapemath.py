"""Bounded, seeded fuzzing of the issue-5 operators in a subprocess (see fuzz/fuzz_shapemath.py):
the process must survive and every failure must be an allowed Python exception with a message."""
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("seed", [0, 1])
def test_fuzzed_shapemath_calls_never_crash(seed):
    script = os.path.join(os.path.dirname(__file__), "fuzz", "fuzz_shapemath.py")
    result = subprocess.run([sys.executable, script, "--calls", "1500", "--seed", str(seed)], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert "process survived" in result.stdout
