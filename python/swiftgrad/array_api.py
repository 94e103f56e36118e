"""The Python array API standard namespace, as far as swiftgrad's operators reach.

`x.__array_namespace__()` returns this module, so library code written against the standard
(`xp = x.__array_namespace__(); xp.sum(xp.exp(x))`) runs on swiftgrad tensors and stays
differentiable. Names the standard spells differently map onto swiftgrad's NumPy names
(`concat` -> `concatenate`, `permute_dims` -> `transpose`, `acos` -> `arccos`, ...); every other
name is looked up on `swiftgrad` itself, so new operators appear here as they are added.
`SUPPORTED` and `MISSING` list which of the standard's functions exist (see docs/SEMANTICS.md);
calling a missing one raises AttributeError naming it. Not covered: complex dtypes, integer
widths other than int64, devices other than "cpu", in-place `__setitem__` type rules.
"""
import math as _math

import swiftgrad as _sg

__array_api_version__ = "2023.12"

e, pi, inf, nan, newaxis = _math.e, _math.pi, _math.inf, _math.nan, None
float32, float64, int64 = _sg.float32, _sg.float64, _sg.int64
bool = _sg.bool_  # noqa: A001 - the standard's name

_ALIASES = {
    "concat": "concatenate", "permute_dims": "transpose", "pow": "power", "acos": "arccos",
    "asin": "arcsin", "atan": "arctan", "atan2": "arctan2", "acosh": "arccosh", "asinh": "arcsinh",
    "atanh": "arctanh", "astype": "astype", "isdtype": None,
}

# The standard's function names (2023.12, main namespace, without the bitwise/complex ones).
STANDARD_FUNCTIONS = (
    "abs acos acosh add all any arange argmax argmin argsort asarray asin asinh astype atan atan2 atanh "
    "broadcast_arrays broadcast_to ceil clip concat cos cosh cumulative_sum divide empty empty_like equal exp "
    "expand_dims expm1 eye flip floor floor_divide full full_like greater greater_equal hypot isfinite isinf "
    "isnan less less_equal linspace log log10 log1p log2 logaddexp logical_and logical_not logical_or logical_xor "
    "matmul matrix_transpose max maximum mean meshgrid min minimum moveaxis multiply negative nonzero "
    "not_equal ones ones_like permute_dims positive pow prod remainder repeat reshape result_type roll round "
    "searchsorted sign sin sinh sort sqrt square squeeze stack std subtract sum take take_along_axis tan tanh "
    "tile tril triu trunc unstack var vecdot where zeros zeros_like"
).split()


def matrix_transpose(x):
    """Swaps the last two axes."""
    x = _sg.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {tuple(x.shape)}")
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return _sg.transpose(x, axes)


def log2(x):
    return _sg.divide(_sg.log(x), _math.log(2.0))


def log10(x):
    return _sg.divide(_sg.log(x), _math.log(10.0))


def positive(x):
    """+x (a copy)."""
    return _sg.copy(_sg.asarray(x))


def _bool(x):
    return _sg.astype(_sg.asarray(x), _sg.bool_)


logical_not, logical_and, logical_or, logical_xor = (_sg.logical_not, _sg.logical_and, _sg.logical_or,
                                                    _sg.logical_xor)


def isnan(x):
    x = _sg.asarray(x)
    return _sg.not_equal(x, x)


def isinf(x):
    return _sg.equal(_sg.abs(_sg.asarray(x)), math_inf)


def isfinite(x):
    x = _sg.asarray(x)
    return logical_not(logical_or(isnan(x), isinf(x)))


def all(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the standard's name
    return _sg.equal(_sg.sum(_sg.astype(logical_not(x), _sg.int64), axis=axis, keepdims=keepdims), 0)


def any(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the standard's name
    return _sg.greater(_sg.sum(_sg.astype(_bool(x), _sg.int64), axis=axis, keepdims=keepdims), 0)


math_inf = _math.inf


def _resolve(name):
    target = _ALIASES.get(name, name)
    if target is not None and hasattr(_sg, target):
        return getattr(_sg, target)
    return None


def __getattr__(name):
    found = _resolve(name)
    if found is None:
        raise AttributeError(f"swiftgrad's array API namespace has no {name!r} yet")
    return found


def __dir__():
    return sorted(set(globals()) | {n for n in STANDARD_FUNCTIONS if n in SUPPORTED})


SUPPORTED = tuple(n for n in STANDARD_FUNCTIONS if n in globals() or _resolve(n) is not None)
MISSING = tuple(n for n in STANDARD_FUNCTIONS if n not in SUPPORTED)
