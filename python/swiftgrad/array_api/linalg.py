"""The standard's `linalg` extension, mapped onto `sg.linalg` and the core's operations
(argument spellings only: the computations are the core's)."""
import swiftgrad as _sg

cholesky_ = _sg.linalg.cholesky
det, eigh, eigvalsh, inv, matrix_power, slogdet, solve, svdvals = (
    _sg.linalg.det, _sg.linalg.eigh, _sg.linalg.eigvalsh, _sg.linalg.inv, _sg.linalg.matrix_power,
    _sg.linalg.slogdet, _sg.linalg.solve, _sg.linalg.svdvals)
cross, matmul, outer, tensordot, vecdot = _sg.linalg.cross, _sg.matmul, _sg.outer, _sg.tensordot, _sg.vecdot


def _matrix_transpose(x):
    return _sg.swapaxes(x, -1, -2)


def matrix_transpose(x, /):
    x = _sg.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {tuple(x.shape)}")
    return _matrix_transpose(x)


def cholesky(x, /, *, upper=False):
    lower = cholesky_(x)
    return _matrix_transpose(lower) if upper else lower


def diagonal(x, /, *, offset=0):
    return _sg.diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    out = _sg.linalg.trace(x, offset=offset)
    return out if dtype is None else _sg.astype(out, dtype)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002 - the standard's name
    return _sg.linalg.norm(x, ord, (-2, -1), keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002 - the standard's name
    x = _sg.asarray(x)
    if axis is None or isinstance(axis, tuple):
        axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
        rest = [a for a in range(x.ndim) if a not in axes]
        flat = _sg.reshape(_sg.transpose(x, rest + list(axes)), [x.shape[a] for a in rest] + [-1])
        out = _sg.linalg.norm(flat, ord, -1, False)
        if keepdims:
            out = _sg.reshape(out, [1 if a in axes else x.shape[a] for a in range(x.ndim)])
        return out
    return _sg.linalg.norm(x, ord, axis, keepdims)


def matrix_rank(x, /, *, rtol=None):
    return _sg.linalg.matrix_rank(x, rtol)


def pinv(x, /, *, rtol=None):
    return _sg.linalg.pinv(x) if rtol is None else _sg.linalg.pinv(x, rtol)


def qr(x, /, *, mode="reduced"):
    return _sg.linalg.qr(x, mode)


def svd(x, /, *, full_matrices=True):
    return _sg.linalg.svd(x, full_matrices)


__all__ = ["cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv", "qr", "slogdet", "solve", "svd",
           "svdvals", "tensordot", "trace", "vecdot", "vector_norm"]
