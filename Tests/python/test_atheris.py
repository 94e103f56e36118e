"""Coverage-guided fuzzing (fuzz/atheris_ops.py) for a bounded time: zero crashes, zero
exceptions outside the allowed kinds. The seed is printed so a failure can be replayed."""
import os
import random
import subprocess
import sys

import pytest

pytest.importorskip("atheris", reason="atheris (libFuzzer for Python) is not installed; make test installs it")

HERE = os.path.dirname(os.path.abspath(__file__))


def test_atheris_finds_nothing_in_60_seconds(tmp_path):
    seed = random.randrange(1, 2**31)
    cmd = [sys.executable, os.path.join(HERE, "fuzz", "atheris_ops.py"), f"-seed={seed}", "-max_total_time=60",
           "-rss_limit_mb=4096", f"-artifact_prefix={tmp_path}/"]
    import swiftgrad

    package_root = os.path.dirname(os.path.dirname(os.path.abspath(swiftgrad.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env)
    tail = result.stderr[-6000:]
    assert result.returncode == 0, f"seed {seed}: exit {result.returncode}\n{tail}"
    assert "Done" in result.stderr, tail
