"""The standard's data type functions and inspection API: `finfo`, `iinfo`, `isdtype`,
`result_type`, `can_cast` and `__array_namespace_info__`. Promotion is the core's: `result_type`
asks it by combining empty tensors, so this module holds no promotion table of its own."""
from dataclasses import dataclass

import numpy as _np

import swiftgrad as _sg

DTYPES = {"bool": _sg.bool_, "int8": _sg.int8, "int16": _sg.int16, "int32": _sg.int32, "int64": _sg.int64,
          "uint8": _sg.uint8, "uint16": _sg.uint16, "uint32": _sg.uint32, "uint64": _sg.uint64,
          "float32": _sg.float32, "float64": _sg.float64, "complex64": _sg.complex64, "complex128": _sg.complex128}
_KINDS = {
    "bool": "b", "signed integer": "i", "unsigned integer": "u", "integral": "iu",
    "real floating": "f", "complex floating": "c", "numeric": "iufc",
}


def _dtype_of(x):
    if isinstance(x, _sg.Tensor):
        return x.dtype
    try:
        dtype = _np.dtype(x)
    except TypeError:
        raise TypeError(f"expected a dtype or an array, got {x!r}") from None
    if dtype.name not in DTYPES:
        raise TypeError(f"swiftgrad has no dtype {dtype.name}")
    return dtype


@dataclass(frozen=True)
class finfo_object:  # noqa: N801 - the standard's name
    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: object


@dataclass(frozen=True)
class iinfo_object:  # noqa: N801 - the standard's name
    bits: int
    max: int
    min: int
    dtype: object


def finfo(type, /):  # noqa: A002 - the standard's name
    """Machine limits of a floating dtype (or of an array's dtype); a complex dtype gives those of
    its parts, with `dtype` the real one (the standard's rule)."""
    dtype = _dtype_of(type)
    if dtype.kind not in "fc":
        raise ValueError(f"finfo: {dtype.name} is not a floating-point dtype")
    f = _np.finfo(dtype)
    return finfo_object(f.bits, float(f.eps), float(f.max), float(f.min), float(f.smallest_normal), f.dtype)


def iinfo(type, /):  # noqa: A002 - the standard's name
    """Limits of an integer dtype (or of an array's dtype)."""
    dtype = _dtype_of(type)
    if dtype.kind not in "iu":
        raise ValueError(f"iinfo: {dtype.name} is not an integer dtype")
    i = _np.iinfo(dtype)
    return iinfo_object(i.bits, int(i.max), int(i.min), dtype)


def isdtype(dtype, kind):
    """Whether `dtype` is `kind`: a dtype, one of the standard's kind names, or a tuple of them."""
    dtype = _dtype_of(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; expected one of {sorted(_KINDS)}")
        return dtype.kind in _KINDS[kind]
    return dtype == _dtype_of(kind)


def result_type(*arrays_and_dtypes):
    """The dtype the core gives an operation on these arrays and dtypes; Python scalars are weak
    (they keep the arrays' dtype within its kind), as in binary operations."""
    weak = (bool, int, float, complex)
    scalars = [x for x in arrays_and_dtypes if isinstance(x, weak)]
    typed = [_sg.zeros((0,), _dtype_of(x)) for x in arrays_and_dtypes if not isinstance(x, weak)]
    if not typed:
        raise ValueError("result_type: at least one array or dtype is required")
    out = typed[0]
    for other in typed[1:] + scalars:
        both_bool = out.dtype == _sg.bool_ and (isinstance(other, bool) or getattr(other, "dtype", None) == _sg.bool_)
        out = out if both_bool else _sg.add(out, other)
    return out.dtype


def can_cast(from_, to, /):
    """Whether promotion keeps `to` when combining `from_` with it (the standard's rule)."""
    return result_type(_dtype_of(from_), _dtype_of(to)) == _dtype_of(to)


def _check_device(device):
    if device not in (None, "cpu"):
        raise ValueError(f"swiftgrad tensors live on the 'cpu' device only, got device={device!r}")


class Info:
    """What `__array_namespace_info__()` returns: this namespace's capabilities, devices and dtypes."""

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return "cpu"

    def devices(self):
        return ["cpu"]

    def default_dtypes(self, *, device=None):
        _check_device(device)
        real = _sg.get_default_dtype()
        return {"real floating": real, "complex floating": _sg.complex64 if real == _sg.float32 else _sg.complex128,
                "integral": _sg.int64, "indexing": _sg.int64}

    def dtypes(self, *, device=None, kind=None):
        _check_device(device)
        return {name: d for name, d in DTYPES.items() if kind is None or isdtype(d, kind)}


def __array_namespace_info__():
    return Info()
