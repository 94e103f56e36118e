"""dtypes are NumPy dtype objects, so `t.dtype == np.float32` works as NumPy users expect."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int8, int16, int32 = np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32)
uint8, uint16, uint32, uint64 = np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64)
bool_ = np.dtype(np.bool_)
# The 16-bit floats: NumPy's float16, and ml_dtypes' bfloat16 (NumPy has none). ml_dtypes is
# imported on first use of bfloat16 (`bfloat16_dtype()`, `sg.bfloat16`): its extension takes
# ~0.4 s to import (NumPy's PyUFunc_AddLoop searches the loop list linearly for each of its
# loops), four times the rest of `import swiftgrad`.
float16 = np.dtype(np.float16)
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

# Codes of the C ABI (include/swiftgrad.h; Note [The dtype layer] in Sources/SwiftGrad/Core/DType.swift).
_BY_CODE = {0: bool_, 1: int64, 2: float32, 3: float64, 5: float16,
            6: int8, 7: int16, 8: int32, 9: uint8, 10: uint16, 11: uint32, 12: uint64,
            13: complex64, 14: complex128}
_CODES = {d: c for c, d in _BY_CODE.items()}
BFLOAT16_CODE = 4


def bfloat16_dtype():
    """ml_dtypes' bfloat16 as a NumPy dtype (importing ml_dtypes the first time)."""
    d = _BY_CODE.get(BFLOAT16_CODE)
    if d is None:
        import ml_dtypes

        d = _BY_CODE[BFLOAT16_CODE] = np.dtype(ml_dtypes.bfloat16)
        _CODES[d] = BFLOAT16_CODE
    return d


def as_dtype(dtype):
    """np.dtype(dtype), with the name "bfloat16" understood before ml_dtypes is imported."""
    return bfloat16_dtype() if isinstance(dtype, str) and dtype == "bfloat16" else np.dtype(dtype)


def is_bfloat16(dtype):
    """Whether a NumPy dtype is bfloat16, without importing ml_dtypes (an array or dtype of it
    exists only once something imported ml_dtypes)."""
    return dtype.kind == "V" and dtype.name == "bfloat16"


def is_floating(dtype):
    """Whether `dtype` is one of swiftgrad's floating dtypes (bfloat16's NumPy kind is "V", not "f")."""
    d = as_dtype(dtype)
    return d.kind == "f" or is_bfloat16(d)


def is_inexact(dtype):
    """Floating or complex: the dtypes that carry gradients and tangents."""
    return is_floating(dtype) or as_dtype(dtype).kind == "c"


def is_complex(dtype):
    return as_dtype(dtype).kind == "c"


def warn_if_discarding_imaginary(source, target):
    """NumPy's ComplexWarning for a complex -> real cast, which keeps the real part."""
    if is_complex(source) and not is_complex(target):
        import warnings

        warnings.warn(f"Casting complex values to real discards the imaginary part ({np.dtype(source)} -> "
                      f"{np.dtype(target)}); use sg.real(x) to say so", np.exceptions.ComplexWarning, stacklevel=3)


def dtype_of_code(code):
    return bfloat16_dtype() if code == BFLOAT16_CODE else _BY_CODE[code]


def code_of(dtype):
    """The C ABI code of a dtype-like (np.float32, "float64", float, sg.int64, ...)."""
    try:
        d = as_dtype(dtype)
    except TypeError:
        raise TypeError(f"data type {dtype!r} not understood") from None
    if is_bfloat16(d):
        return BFLOAT16_CODE
    if d not in _CODES:
        raise TypeError("swiftgrad supports bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, "
                        f"float16, float32, float64, complex64 and complex128; got {d}")
    return _CODES[d]


def supported_array(obj):
    """A NumPy array of a dtype swiftgrad has, viewing `obj` without copying when possible."""
    a = np.asarray(obj)
    kind = a.dtype.kind
    if is_bfloat16(a.dtype):
        target = a.dtype
    elif kind == "f" and a.dtype == float16:
        target = float16
    elif kind == "f":
        target = float32 if a.dtype.itemsize <= 4 else float64
    elif kind == "V" and a.dtype.itemsize <= 2 and np.can_cast(a.dtype, float32):
        target = float32  # other ml_dtypes floats (float8_*): widened
    elif kind in "iu":
        target = np.dtype(f"{kind}{a.dtype.itemsize}")  # every integer width is a swiftgrad dtype
    elif kind == "b":
        target = bool_
    elif kind == "c":
        target = complex64 if a.dtype.itemsize <= 8 else complex128  # clongdouble: complex128
    else:
        raise TypeError(f"cannot make a tensor from an array of dtype {a.dtype}")
    if a.dtype != target:
        a = a.astype(target)
    if any(s % a.itemsize for s in a.strides) or not a.flags.aligned:
        a = np.ascontiguousarray(a)
    return a


def array_for_c(obj):
    """The extension's converter: `supported_array`, with a bfloat16 array (which has no
    buffer-protocol format) given as `(uint16 view, code)`; the extension wraps its memory as bfloat16."""
    a = supported_array(obj)
    return (a.view(np.uint16), BFLOAT16_CODE) if is_bfloat16(a.dtype) else a


def from_array(a):
    """A tensor over the memory of the NumPy array `a` (of a supported dtype), without copying."""
    from . import _C

    if is_bfloat16(a.dtype):
        if a.ndim == 0:
            a = a.reshape(())  # a 0-d view of its own, so that .view below keeps the strides valid
        return _C.from_buffer(a.view(np.uint16), BFLOAT16_CODE)
    return _C.from_buffer(a)


# --- The default floating dtype (sg.set_default_dtype) -------------------------------------------
# One process-wide setting, as in PyTorch: creation functions given Python floats or no dtype, the
# samplers of sg.random and the nn layers use it. float64 unless changed (the API contract's default).
_default = [float64]


def get_default_dtype():
    """The floating dtype that creation functions, `sg.random` and `sg.nn` layers use when no dtype
    is given (float64 unless `set_default_dtype` changed it)."""
    return _default[0]


def set_default_dtype(dtype):
    """Sets the default floating dtype: `sg.float32` or `sg.float64` (anything else: ValueError).
    Affects tensors created afterwards from Python floats or without a dtype; existing tensors and
    NumPy arrays (which carry their own dtype) are unchanged."""
    try:
        d = as_dtype(dtype)
    except TypeError:
        raise ValueError(f"set_default_dtype: {dtype!r} is not a dtype; use sg.float32 or sg.float64") from None
    if d not in (float32, float64):
        raise ValueError(f"set_default_dtype: only float32 and float64 can be the default, got {d}")
    _default[0] = d


def complex_default():
    """The complex dtype matching the default floating dtype (Python complex data takes it)."""
    return complex64 if _default[0] == float32 else complex128


def float_dtype(dtype):
    """`dtype`, or the default floating dtype when it is None."""
    return _default[0] if dtype is None else dtype


def is_python_data(obj):
    """True for Python scalars and (nested) lists/tuples, whose floats take the default dtype; NumPy
    arrays and scalars keep their own dtype."""
    return not isinstance(obj, (np.ndarray, np.generic)) and not hasattr(obj, "__array_interface__") \
        and not hasattr(obj, "__array__")
