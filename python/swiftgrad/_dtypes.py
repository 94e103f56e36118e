"""dtypes are NumPy dtype objects, so `t.dtype == np.float32` works as NumPy users expect."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

# Codes of the C ABI (include/swiftgrad.h).
_BY_CODE = {0: bool_, 1: int64, 2: float32, 3: float64}
_CODES = {d: c for c, d in _BY_CODE.items()}


def dtype_of_code(code):
    return _BY_CODE[code]


def code_of(dtype):
    """The C ABI code of a dtype-like (np.float32, "float64", float, sg.int64, ...)."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"data type {dtype!r} not understood") from None
    if d not in _CODES:
        raise TypeError(f"swiftgrad supports bool, int64, float32 and float64; got {d}")
    return _CODES[d]


def supported_array(obj):
    """A NumPy array of a dtype swiftgrad has, viewing `obj` without copying when possible."""
    a = np.asarray(obj)
    kind = a.dtype.kind
    if kind == "f":
        target = float32 if a.dtype.itemsize <= 4 else float64
    elif kind in "iu":
        target = int64
    elif kind == "b":
        target = bool_
    else:
        raise TypeError(f"cannot make a tensor from an array of dtype {a.dtype}")
    if a.dtype != target:
        a = a.astype(target)
    if any(s % a.itemsize for s in a.strides) or not a.flags.aligned:
        a = np.ascontiguousarray(a)
    return a
