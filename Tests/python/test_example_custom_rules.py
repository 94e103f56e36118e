"""examples/custom_rules.py runs and prints what it checks (it asserts each claim itself)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_custom_rules_example():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "custom_rules.py")], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for claim in ("logsumexp([1000, 1000, 999]) = 1000.861995", "softplus'([-800, 0, 800]) = [0.  0.5 1. ]",
                  "straight-through gradient of sum(round(w)^2) = [ 0.  4. -4.]", "through 200 unrolled steps"):
        assert claim in result.stdout
