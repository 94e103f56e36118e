"""Linear algebra (NumPy's `linalg` names), computed through LAPACK in the Swift core.
Derivatives of every order come from the primitives' rules; see docs/LINALG.md for the
degenerate cases."""
from . import _C as _ext

# cholesky, det, inv, norm, solve: the core's table publishes them here (Note [One op table]).
__all__ = list(sorted(op.__name__ for op in _ext.operations if op.namespace == "linalg"))
globals().update({op.__name__: op for op in _ext.operations if op.namespace == "linalg"})

# --- Matrix trace ---------------------------------------------------------------
def trace(x, /, *, offset=0):
    """Sum along the `offset` diagonal of the last two axes (NumPy 2's `linalg.trace`)."""
    return _ext.trace(x, offset, -2, -1)


__all__ += ["trace"]

# --- Decompositions (python/csrc/linalg.c; Sources/SwiftGrad/Primitives/Decompositions.swift) -----
from collections import namedtuple as _namedtuple  # noqa: E402

EighResult = _namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = _namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = _namedtuple("QRResult", ["Q", "R"])
SlogdetResult = _namedtuple("SlogdetResult", ["sign", "logabsdet"])


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, batched.
    Gradients assume a loss that does not depend on the basis chosen inside a repeated
    eigenvalue's eigenspace (docs/LINALG.md)."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    if UPLO == "U":
        a = _ext.swapaxes(a, -1, -2)
    return EighResult(*_ext.eigh(a))


def eigvalsh(a, UPLO="L"):
    """The eigenvalues of `eigh`."""
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices=False, compute_uv=True):
    """SVD (U, S, Vh), reduced by default (NumPy's default is full_matrices=True; the array API's
    too). With full_matrices=True, U and Vh are completed with orthonormal bases of the
    complements; as in PyTorch, derivatives ignore those extra columns/rows (they are any such
    basis). `compute_uv=False` returns S only."""
    u, s, vh = _ext.svd(a, bool(full_matrices))
    return SVDResult(u, s, vh) if compute_uv else s


def svdvals(a):
    """The singular values, descending."""
    return svd(a, compute_uv=False)


def qr(a, mode="reduced"):
    """Reduced QR (Q, R). Gradients need m >= n (tall or square matrices)."""
    if mode != "reduced":
        raise ValueError(f"qr: only mode='reduced' is supported, got {mode!r}")
    return QRResult(*_ext.qr(a))


def slogdet(a):
    """(sign, log|det|): sign 0 and log|det| = -inf for a singular matrix."""
    return SlogdetResult(*_ext.slogdet(a))


def pinv(a, rcond=1e-15):
    """Moore-Penrose pseudo-inverse through the SVD; singular values below rcond * max(s) count
    as zero. `rcond` is one number or an array of one per matrix (broadcasting against
    a.shape[:-2])."""
    return _ext.pinv(a, rcond)


def lstsq(a, b, rcond=1e-15):
    """The least-squares (minimum-norm) solution x of a x = b. NumPy returns (x, residuals,
    rank, s); this returns x only (differentiable)."""
    return _ext.lstsq(a, b, float(1e-15 if rcond is None else rcond))


def matrix_power(a, n):
    """a to the integer power n (negative: of the inverse), by repeated squaring."""
    if int(n) != n:
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}")
    return _ext.matrix_power(a, int(n))


__all__ += ["eigh", "eigvalsh", "svd", "svdvals", "qr", "slogdet", "pinv", "lstsq", "matrix_power"]
