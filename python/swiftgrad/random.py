"""Seeded random tensors (xoshiro256** in the Swift core).

The generator's state lives in Swift and the C ABI has no call to read or write it, only
`seed`. So this module keeps the state in Python as (seed, draws): the last seed and the number
of 64-bit values drawn since (uniform samples take one each, normal samples two per pair, as the
Swift core does). `get_state()` returns that pair and `set_state(state)` reseeds and draws `draws`
values to skip ahead, which restores the stream exactly, at a cost linear in `draws` (about 30 ns a
value). Values drawn by calling `_C.uniform` / `_C.normal` directly bypass the count; everything
in swiftgrad draws through this module. Before the first `seed()` the generator runs from its
built-in state, which can be restored only in the same process and only forwards.
"""
import threading

from . import _C
from ._dtypes import code_of, float_dtype

_lock = threading.Lock()
_state = {"seed": None, "draws": 0}
_SKIP_CHUNK = 1 << 20


def _shape(size):
    if size is None:
        return ()
    return (size,) if isinstance(size, int) else tuple(size)


def _count(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def seed(n):
    """Seeds the global generator (and resets the draw count of `get_state`)."""
    with _lock:
        _C.seed(int(n))
        _state["seed"], _state["draws"] = int(n), 0


def _uniform(shape, low, high, dtype):
    with _lock:
        out = _C.uniform(shape, low, high, code_of(float_dtype(dtype)))
        _state["draws"] += _count(shape)
    return out


def _normal(shape, mean, std, dtype):
    with _lock:
        out = _C.normal(shape, mean, std, code_of(float_dtype(dtype)))
        n = _count(shape)
        _state["draws"] += 2 * ((n + 1) // 2)
    return out


def rand(*shape, dtype=None):
    """Uniform samples in [0, 1) of the given shape (the default floating dtype unless `dtype`)."""
    return _uniform(_shape(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape, 0.0, 1.0,
                    dtype)


def randn(*shape, dtype=None):
    """Standard normal samples of the given shape (the default floating dtype unless `dtype`)."""
    return _normal(_shape(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape, 0.0, 1.0,
                   dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=None):
    """Uniform samples in [low, high) of shape `size` (an int, a tuple, or None for a 0-d tensor)."""
    return _uniform(_shape(size), float(low), float(high), dtype)


def normal(loc=0.0, scale=1.0, size=None, dtype=None):
    """Normal samples with mean `loc` and standard deviation `scale`, of shape `size`."""
    return _normal(_shape(size), float(loc), float(scale), dtype)


def get_state():
    """The generator's state as a dict {"seed": last seed or None, "draws": values drawn since};
    plain Python ints, so it pickles and fits in JSON. See the module docstring."""
    with _lock:
        return {"seed": _state["seed"], "draws": _state["draws"]}


def set_state(state):
    """Restores a state from `get_state()`: reseeds with its seed and skips `draws` values. A state
    taken before any `seed()` (seed None) can only be reached forwards in the same process."""
    target_seed, draws = state["seed"], int(state["draws"])
    if draws < 0:
        raise ValueError(f"set_state: draws must be non-negative, got {draws}")
    with _lock:
        if target_seed is None:
            if _state["seed"] is not None or _state["draws"] > draws:
                raise RuntimeError("set_state: this state was taken before sg.random.seed() was ever called; "
                                   "the generator cannot go back to its unseeded stream (seed your runs)")
            remaining = draws - _state["draws"]
        else:
            _C.seed(int(target_seed))
            _state["seed"], _state["draws"] = int(target_seed), 0
            remaining = draws
        while remaining > 0:
            chunk = min(remaining, _SKIP_CHUNK)
            _C.uniform((chunk,), 0.0, 1.0, code_of("float32"))
            remaining -= chunk
        _state["draws"] = draws


get_rng_state, set_rng_state = get_state, set_state  # PyTorch's names
