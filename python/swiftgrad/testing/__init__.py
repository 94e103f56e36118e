"""Testing helpers for code built on swiftgrad (see docs/TESTING.md).

- `assert_close`, `close`, `assert_allclose`, `assert_equal`: value comparisons of tensors,
  arrays, scalars and pytrees of them, with torch.testing tolerances by dtype and a detailed
  failure message.
- `check_grads`: derivatives (forward and reverse mode, up to any order) against central finite
  differences in random directions, as jax.test_util.check_grads.
- `strategies` (needs hypothesis; imported on first use): hypothesis strategies producing tensors.
- `pytest_plugin`: assertion explanations for tensors, the `sg_seed` fixture and the
  `--sg-gradcheck-eps` option (registered as the `pytest11` entry point `swiftgrad`).
"""
from ._compare import DEFAULT_TOLERANCES, Comparison, assert_allclose, assert_close, assert_equal, close, \
    default_tolerances
from ._check_grads import CheckGradsError, check_grads

__all__ = ["DEFAULT_TOLERANCES", "CheckGradsError", "Comparison", "assert_allclose", "assert_close", "assert_equal",
           "check_grads", "close", "default_tolerances", "strategies"]


def __getattr__(name):
    if name == "strategies":  # lazily: sg.testing works without hypothesis installed
        import importlib

        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
