"""The generated boundary fuzzer (fuzz/boundary.py): every op of the op list, every integer,
shape, axis and index parameter at the integer limits, each call returning or raising a Python
exception, never a signal. Bounded to 110 s; the seed is printed on failure."""
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fuzz"))

import boundary  # noqa: E402


def test_every_op_of_the_op_list_is_covered():
    ops = {name for name, _ in boundary.op_list()}
    assert len(ops) > 150
    assert ops - boundary.covered_ops() == set()


def test_hostile_integers_never_crash_the_interpreter():
    seed = random.randrange(100000)
    result = subprocess.run([sys.executable, os.path.join(HERE, "fuzz", "boundary.py"), "--seed", str(seed),
                             "--limit", "110"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"seed {seed}:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert " 0 crashes, 0 bad exceptions" in result.stdout
