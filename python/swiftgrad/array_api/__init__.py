"""The Python array API standard (2023.12) namespace over swiftgrad's operations.

`x.__array_namespace__()` returns this module, so library code written against the standard
(`xp = x.__array_namespace__(); xp.sum(xp.exp(x))`) runs on swiftgrad tensors and stays
differentiable. The functions here only map the standard's spellings (`concat`, `permute_dims`,
`acos`, `correction=`, `device=`, ...) onto swiftgrad's NumPy-style operations, which do the work
in the core; every other name is looked up on `swiftgrad` itself. `SUPPORTED` and `MISSING` list
which of the standard's functions exist (docs/SEMANTICS.md, "The array API namespace").
"""
import math as _math
from collections import namedtuple as _namedtuple

import swiftgrad as _sg

from . import fft, linalg
from ._info import __array_namespace_info__, can_cast, finfo, iinfo, isdtype, result_type
from ._info import _check_device, finfo_object, iinfo_object  # noqa: F401 - the standard's types

__array_api_version__ = "2023.12"

e, pi, inf, nan, newaxis = _math.e, _math.pi, _math.inf, _math.nan, None
float32, float64, int64 = _sg.float32, _sg.float64, _sg.int64
complex64, complex128 = _sg.complex64, _sg.complex128
int8, int16, int32 = _sg.int8, _sg.int16, _sg.int32
uint8, uint16, uint32, uint64 = _sg.uint8, _sg.uint16, _sg.uint32, _sg.uint64
bool = _sg.bool_  # noqa: A001 - the standard's name

_ALIASES = {
    "pow": "power", "acos": "arccos", "acosh": "arccosh",
    "asin": "arcsin", "asinh": "arcsinh", "atan": "arctan", "atan2": "arctan2", "atanh": "arctanh",
    "bitwise_invert": "bitwise_invert",
}

# The standard's function names (2023.12, main namespace).
STANDARD_FUNCTIONS = (
    "abs acos acosh add all any arange argmax argmin argsort asarray asin asinh astype atan atan2 atanh "
    "bitwise_and bitwise_invert bitwise_left_shift bitwise_or bitwise_right_shift bitwise_xor broadcast_arrays "
    "broadcast_to can_cast ceil clip concat conj copysign cos cosh cumulative_sum divide empty empty_like equal "
    "exp expand_dims expm1 eye finfo flip floor floor_divide from_dlpack full full_like greater greater_equal "
    "hypot iinfo imag isdtype isfinite isinf isnan less less_equal linspace log log10 log1p log2 logaddexp "
    "logical_and logical_not logical_or logical_xor matmul matrix_transpose max maximum mean meshgrid min "
    "minimum moveaxis multiply negative nonzero not_equal ones ones_like permute_dims positive pow prod real "
    "remainder repeat reshape result_type roll round searchsorted sign signbit sin sinh sort sqrt square "
    "squeeze stack std subtract sum take take_along_axis tan tanh tensordot tile tril triu trunc unique_all "
    "unique_counts unique_inverse unique_values unstack var vecdot where zeros zeros_like"
).split()


# Creation: the standard's device= and copy= keywords.
def asarray(obj, /, *, dtype=None, device=None, copy=None):
    _check_device(device)
    if copy is False and not isinstance(obj, _sg.Tensor):
        raise ValueError("asarray: copy=False cannot be honoured for Python data (a copy is needed)")
    x = _sg.asarray(obj, dtype)
    return _sg.copy(x) if copy else x


def _created(make, device, *args):
    _check_device(device)
    return make(*args)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    return _created(_sg.arange, device, start, stop, step, dtype)


def empty(shape, *, dtype=None, device=None):
    return _created(_sg.empty, device, shape, dtype)


def empty_like(x, /, *, dtype=None, device=None):
    return _created(_sg.empty_like, device, x, dtype)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    return _created(_sg.eye, device, n_rows, n_cols, k, dtype)


def full(shape, fill_value, *, dtype=None, device=None):
    return _created(_sg.full, device, shape, fill_value, dtype)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    return _created(_sg.full_like, device, x, fill_value, dtype)


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    _check_device(device)
    if endpoint or num == 0:
        return _sg.linspace(start, stop, num, dtype)
    return _sg.linspace(start, stop, num + 1, dtype)[:-1]


def meshgrid(*arrays, indexing="xy"):
    """A list of grids (the 2023.12 standard's type; NumPy 2 returns a tuple)."""
    return list(_sg.meshgrid(*arrays, indexing=indexing))


def ones(shape, *, dtype=None, device=None):
    return _created(_sg.ones, device, shape, dtype)


def ones_like(x, /, *, dtype=None, device=None):
    return _created(_sg.ones_like, device, x, dtype)


def zeros(shape, *, dtype=None, device=None):
    return _created(_sg.zeros, device, shape, dtype)


def zeros_like(x, /, *, dtype=None, device=None):
    return _created(_sg.zeros_like, device, x, dtype)


def from_dlpack(x, /, *, device=None, copy=None):
    _check_device(device)
    out = _sg.from_dlpack(x)
    return _sg.copy(out) if copy else out


def astype(x, dtype, /, *, copy=True, device=None):
    _check_device(device)
    if not copy and x.dtype == dtype:
        return x
    return _sg.copy(x) if x.dtype == dtype else _sg.astype(x, dtype)


# Elementwise functions the standard names differently or defines for real inputs.
def positive(x, /):
    """+x (a copy)."""
    return _sg.copy(_sg.asarray(x))


def conj(x, /):
    """The complex conjugate (the input for real dtypes)."""
    return _sg.conj(_sg.asarray(x))


def real(x, /):
    return _sg.real(_sg.asarray(x))


def imag(x, /):
    return _sg.imag(_sg.asarray(x))


def round(x, /):  # noqa: A001 - the standard's name
    return _sg.round(x)


def clip(x, /, min=None, max=None):  # noqa: A002 - the standard's names
    x = _sg.asarray(x)
    if min is None and max is None:
        return _sg.copy(x)
    return _sg.clip(x, min, max)


# Statistics: correction= for ddof, dtype= for the accumulation.
def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    return _sg.std(x, axis, correction, keepdims)


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    return _sg.var(x, axis, correction, keepdims)


def _accumulating(reduce, x, axis, dtype, keepdims):
    """With dtype=None an integer sum accumulates in int64 (uint64 if unsigned), the core's rule; an
    explicit integer dtype takes that sum wrapped to its width (the same as summing in it)."""
    x = _sg.asarray(x)
    if dtype is not None and dtype != x.dtype:
        x = _sg.astype(x, dtype)
    out = reduce(x, axis, keepdims)
    return out if dtype is None or out.dtype == dtype else _sg.astype(out, dtype)


def sum(x, /, *, axis=None, dtype=None, keepdims=False):  # noqa: A001 - the standard's name
    return _accumulating(_sg.sum, x, axis, dtype, keepdims)


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    return _accumulating(_sg.prod, x, axis, dtype, keepdims)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    x = _sg.asarray(x)
    if dtype is not None and dtype != x.dtype:
        x = _sg.astype(x, dtype)
    out = _sg.cumulative_sum(x, axis=axis, include_initial=include_initial)
    return out if dtype is None or out.dtype == dtype else _sg.astype(out, dtype)


def all(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the standard's name
    return _sg.all(x, axis, keepdims)


def any(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the standard's name
    return _sg.any(x, axis, keepdims)


# Manipulation, searching and sorting.
def concat(arrays, /, *, axis=0):
    if axis is None:
        return _sg.concatenate([_sg.reshape(a, (-1,)) for a in arrays], 0)
    return _sg.concatenate(arrays, axis)


def broadcast_to(x, /, shape):
    return _sg.broadcast_to(x, shape)


def permute_dims(x, /, axes):
    return _sg.transpose(x, axes)


def reshape(x, /, shape, *, copy=None):
    out = _sg.reshape(x, tuple(shape))
    return _sg.copy(out) if copy else out


def sort(x, /, *, axis=-1, descending=False, stable=True):
    return _sg.sort(x, axis, descending=descending)


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    return _sg.argsort(x, axis, descending=descending)


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    if sorter is not None:
        x1 = _sg.take(x1, sorter)
    return _sg.searchsorted(x1, x2, side=side)


def take(x, indices, /, *, axis=None):
    x = _sg.asarray(x)
    if axis is None and x.ndim != 1:
        raise ValueError(f"take: axis is required for a {x.ndim}-D array of shape {tuple(x.shape)}")
    return _sg.take(x, indices, axis)


def take_along_axis(x, indices, /, *, axis=-1):
    return _sg.take_along_axis(x, indices, axis)


def matrix_transpose(x, /):
    return linalg.matrix_transpose(x)


def tensordot(x1, x2, /, *, axes=2):
    return _sg.tensordot(x1, x2, axes)


def vecdot(x1, x2, /, *, axis=-1):
    return _sg.vecdot(x1, x2, axis=axis)


UniqueAllResult = _namedtuple("UniqueAllResult", "values indices inverse_indices counts")
UniqueCountsResult = _namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = _namedtuple("UniqueInverseResult", "values inverse_indices")


def unique_all(x, /):
    return UniqueAllResult(*_sg._C._unique_all(x))


def unique_counts(x, /):
    values, _, _, counts = _sg._C._unique_all(x)
    return UniqueCountsResult(values, counts)


def unique_inverse(x, /):
    values, _, inverse, _ = _sg._C._unique_all(x)
    return UniqueInverseResult(values, inverse)


def unique_values(x, /):
    return _sg._C._unique_all(x)[0]


def _resolve(name):
    target = _ALIASES.get(name, name)
    return getattr(_sg, target, None)


def __getattr__(name):
    found = _resolve(name)
    if found is None:
        raise AttributeError(f"swiftgrad's array API namespace has no {name!r} yet")
    return found


def __dir__():
    return sorted(set(globals()) | {n for n in STANDARD_FUNCTIONS if n in SUPPORTED})


SUPPORTED = tuple(n for n in STANDARD_FUNCTIONS if n in globals() or _resolve(n) is not None)
MISSING = tuple(n for n in STANDARD_FUNCTIONS if n not in SUPPORTED)
