"""Regression tests for inputs that once killed the interpreter (Note [Checked size arithmetic]).
Each runs in its own interpreter so that a regression fails the test instead of the suite."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CASES = [
    ("sg.reshape(sg.zeros(4), (2**32, 2**32))", "ValueError", "does not fit in memory"),
    ("sg.reshape(sg.zeros(4), (-1, 2**62, 4))", "ValueError", "does not fit in memory"),
    ("sg.compile(lambda x: sg.reshape(x, (2**32, 2**32)))(sg.zeros(4))", "ValueError", "does not fit in memory"),
    ("sg.var(sg.zeros(3), ddof=-2**63)", None, None),
    ("sg.std(sg.zeros(3), ddof=2**63 - 1)", None, None),
    ("sg.linalg.solve(sg.ones((2, 2)), 1)", "ValueError", "b must be at least 1-D"),
    ("sg.split(sg.ones((2, 3)), 2**62)", "ValueError", "equal division"),
    # Found by atheris: slots for 2**62 parts were allocated before the 0-d input was refused.
    ("sg.split(sg.tensor(1.0), 2**62)", "AxisError", "out of bounds"),  # NumPy's: a ValueError and an IndexError
    ("sg.split(sg.zeros((0, 3)), 2**40)", "MemoryError", "cannot make"),
    # Found by atheris: a Python scalar as log_probs raised AttributeError.
    ("sg.nn.functional.nll_loss(3, 5)", "ValueError", "expected log_probs"),
    ("sg.ones(5)[2**63 - 1]", "IndexError", None),
    ("sg.ones(5)[2**64]", "IndexError", None),
]
SLICES = ["::2**62", "::-2**63", "2**62:2**62:2**62", "-2**63:-2**63:-2**63", "::2**63-1"]


def run(code, limit_bytes=None):
    prefix = ""
    if limit_bytes:
        prefix = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes}))\n"
    script = (prefix + "import numpy as np\nimport swiftgrad as sg\ntry:\n    r = " + code
              + "\n    print('returned', r)\n"
              "except Exception as e:\n    print(type(e).__name__, e)\n")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))


@pytest.mark.parametrize("code,kind,text", CASES, ids=[c[0] for c in CASES])
def test_hostile_call_raises_or_returns(code, kind, text):
    out = run(code)
    assert out.returncode == 0, f"{code} killed the interpreter ({out.returncode}): {out.stderr[-2000:]}"
    if kind is None:
        assert out.stdout.startswith("returned"), out.stdout
    else:
        assert out.stdout.startswith(kind), out.stdout
        assert text is None or text in out.stdout, out.stdout


@pytest.mark.parametrize("key", SLICES)
def test_hostile_slices_read_and_write(key):
    # Reading gives NumPy's shape; writing through the same key fills the same elements.
    code = (f"(lambda x: (x.__setitem__(np.s_[{key}], 1.0), x[{key}].shape, float(x.sum()))[1:])"
            "(sg.zeros((2, 3)))")
    out = run(code)
    assert out.returncode == 0, f"{code}: {out.stderr[-2000:]}"
    import numpy as np
    a = np.zeros((2, 3))
    a[eval(f"np.s_[{key}]")] = 1.0
    expected = (a[eval(f"np.s_[{key}]")].shape, float(a.sum()))
    assert out.stdout.strip() == f"returned {expected}", out.stdout


@pytest.mark.skipif(bool(os.environ.get("SWIFTGRAD_SANITIZED")),
                    reason="sanitizer runtimes map terabytes of shadow memory, which an RLIMIT_AS cap forbids")
def test_allocations_beyond_the_address_space_limit_are_memory_errors():
    # 16 GiB under a 4 GiB limit: refused before malloc (which would abort the process).
    for code in ("sg.ones(2**31)", "sg.eye(2**16)", "sg.random.rand(2**31)", "sg.arange(2**31)"):
        out = run(code, limit_bytes=4 << 30)
        assert out.returncode == 0, f"{code}: {out.stderr[-2000:]}"
        assert out.stdout.startswith("MemoryError") and "cannot allocate" in out.stdout, out.stdout


def test_a_buffer_the_core_refuses_to_wrap_is_released_once():
    # Found by the atheris fuzzer: a zero-stride view too large to describe was refused by the core,
    # which released the Python buffer and the extension released it again (a bus error).
    code = "sg.asarray(np.broadcast_to(np.ones((1, 1, 1)), (2**40, 1, 1))).shape"
    out = run(code)
    assert out.returncode == 0, f"{code}: {out.stderr[-2000:]}"
    assert out.stdout.startswith(("returned", "ValueError", "MemoryError")), out.stdout


def test_a_tensor_given_as_a_sequence_of_tensors_stays_alive_through_the_call():
    # Found by the atheris fuzzer: sg.stack(tensor, 0) iterates the tensor into temporary rows whose
    # handles were used after the temporary sequence holding them was freed (a segfault).
    for code in ("sg.stack(sg.asarray([1.0, 2.0]), 0).shape", "sg.concatenate(sg.ones((2, 3)), 0).shape",
                 "float(sg.stack(sg.asarray([[1.0], [2.0]]), 1).sum())"):
        out = run(code)
        assert out.returncode == 0, f"{code}: {out.stderr[-2000:]}"
        assert out.stdout.startswith("returned"), out.stdout
