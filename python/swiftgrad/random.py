"""Seeded random tensors (xoshiro256** in the Swift core)."""
from . import _C
from ._dtypes import code_of, float64


def _shape(size):
    if size is None:
        return ()
    return (size,) if isinstance(size, int) else tuple(size)


def seed(n):
    """Seeds the global generator."""
    _C.seed(int(n))


def rand(*shape, dtype=float64):
    """Uniform samples in [0, 1) of the given shape."""
    return _C.uniform(shape, 0.0, 1.0, code_of(dtype))


def randn(*shape, dtype=float64):
    """Standard normal samples of the given shape."""
    return _C.normal(shape, 0.0, 1.0, code_of(dtype))


def uniform(low=0.0, high=1.0, size=None, dtype=float64):
    """Uniform samples in [low, high) of shape `size` (an int, a tuple, or None for a 0-d tensor)."""
    return _C.uniform(_shape(size), float(low), float(high), code_of(dtype))


def normal(loc=0.0, scale=1.0, size=None, dtype=float64):
    """Normal samples with mean `loc` and standard deviation `scale`, of shape `size`."""
    return _C.normal(_shape(size), float(loc), float(scale), code_of(dtype))
