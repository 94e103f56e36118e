"""The swiftgrad pytest plugin (entry point `pytest11: swiftgrad`, or `-p swiftgrad.testing.pytest_plugin`).

- Failing `assert a == b` comparisons that involve swiftgrad tensors (one-element tensors, or
  dicts/lists/tuples holding tensors) are explained with the `sg.testing.assert_close` message
  (exact comparison, as `==` is exact; dtypes not compared). `assert sg.testing.close(a, b)`
  shows a one-line summary. A multi-element `a == b` has no truth value: use `assert_close`.
  `pytest.approx(tensor)` works through the tensors' array protocol and keeps pytest's message.
- The `sg_seed` fixture seeds `sg.random.seed` and NumPy's global generator for one test (the
  seed is `--sg-seed`, default 0) and restores NumPy's state afterwards.
- `--sg-gradcheck-eps=EPS` sets the default finite-difference step of `sg.testing.check_grads`.

The plugin imports swiftgrad only when a test does, so registering it costs nothing elsewhere.
"""
import sys

import pytest


def pytest_addoption(parser):
    """Adds --sg-seed and --sg-gradcheck-eps."""
    group = parser.getgroup("swiftgrad")
    group.addoption("--sg-seed", type=int, default=0, help="seed used by the sg_seed fixture (default 0)")
    group.addoption("--sg-gradcheck-eps", type=float, default=None,
                    help="default finite-difference step of sg.testing.check_grads")


def pytest_configure(config):
    """Passes --sg-gradcheck-eps to check_grads."""
    eps = config.getoption("--sg-gradcheck-eps", default=None)
    if eps is not None:
        from ._check_grads import OPTIONS

        OPTIONS["eps"] = eps


def pytest_unconfigure(config):
    """Restores check_grads's own default step."""
    module = sys.modules.get("swiftgrad.testing._check_grads")
    if module is not None:
        module.OPTIONS["eps"] = None


def _holds_tensor(value, depth=0):
    tensor_type = getattr(sys.modules.get("swiftgrad._tensor"), "Tensor", None)
    if tensor_type is None or depth > 20:
        return False
    if isinstance(value, tensor_type):
        return True
    if isinstance(value, dict):
        return any(_holds_tensor(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_tensor(v, depth + 1) for v in value)
    return False


def pytest_assertrepr_compare(config, op, left, right):
    """The assert_close explanation for failed `==` comparisons involving tensors."""
    if op != "==" or not (_holds_tensor(left) or _holds_tensor(right)):
        return None
    if type(right).__module__.startswith("_pytest") or type(left).__module__.startswith("_pytest"):
        return None  # pytest.approx explains itself
    from ._compare import explain_equality

    try:
        lines = explain_equality(left, right)
    except Exception:  # noqa: BLE001  (never break pytest's own report)
        return None
    if lines is None:
        return None
    # pytest shows 8 lines unless -vv: the summary, where, and the differences come first.
    from _pytest._io.saferepr import saferepr

    body = [ln for ln in lines if ln and not ln.startswith("Tensor-likes are")]
    where = [ln for ln in body if ln.startswith("The failure occurred")]
    body = where + [ln for ln in body if ln not in where]
    return [f"{saferepr(left, maxsize=60)} == {saferepr(right, maxsize=60)} (swiftgrad: not equal)"] + body


@pytest.fixture
def sg_seed(request):
    """Seeds `sg.random` and NumPy's global generator with --sg-seed (default 0); yields the seed."""
    import numpy as np

    import swiftgrad as sg

    seed = request.config.getoption("--sg-seed")
    state = np.random.get_state()
    sg.random.seed(seed)
    np.random.seed(seed)
    yield seed
    np.random.set_state(state)
