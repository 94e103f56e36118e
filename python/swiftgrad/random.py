"""Seeded random tensors (xoshiro256** in the Swift core). `get_state()`/`set_state()` save and
restore the generator's whole state (four 64-bit words), as `torch.get_rng_state` does."""
from . import _C
from ._dtypes import code_of, float_dtype


def _shape(size):
    if size is None:
        return ()
    return (size,) if isinstance(size, int) else tuple(size)


def seed(n):
    """Seeds the global generator."""
    _C.seed(int(n))


def _uniform(shape, low, high, dtype):
    return _C.uniform(shape, low, high, code_of(float_dtype(dtype)))


def _normal(shape, mean, std, dtype):
    return _C.normal(shape, mean, std, code_of(float_dtype(dtype)))


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
    """The generator's state: {"algorithm": "xoshiro256**", "state": four 64-bit ints}. Plain Python
    values, so it pickles and fits in JSON; `set_state` restores the stream exactly."""
    return {"algorithm": "xoshiro256**", "state": list(_C.random_get_state())}


def set_state(state):
    """Restores a state from `get_state()`."""
    if not isinstance(state, dict) or state.get("algorithm") != "xoshiro256**" or "state" not in state:
        raise ValueError(f"set_state: expected a state from sg.random.get_state(), got {state!r:.100}")
    _C.random_set_state(state["state"])


get_rng_state, set_rng_state = get_state, set_state  # PyTorch's names
