"""Linear algebra (NumPy's `linalg` names), computed through LAPACK in the Swift core.
Derivatives of every order come from the primitives' rules; see docs/LINALG.md for the
degenerate cases."""
from ._C import cholesky, det, inv, norm, solve

__all__ = ["cholesky", "det", "inv", "norm", "solve"]
