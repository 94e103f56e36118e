"""Linear algebra (NumPy's `linalg` names), computed through LAPACK in the Swift core.
Derivatives of every order come from the primitives' rules; see docs/LINALG.md for the
degenerate cases."""
from ._C import cholesky, det, inv, norm, solve

__all__ = ["cholesky", "det", "inv", "norm", "solve"]

# --- Matrix trace (area: shapemath) ---------------------------------------------------------------
from ._C import trace as _trace  # noqa: E402


def trace(x, /, *, offset=0):
    """Sum along the `offset` diagonal of the last two axes (NumPy 2's `linalg.trace`)."""
    return _trace(x, offset, -2, -1)


__all__ += ["trace"]
