"""swiftgrad: automatic differentiation with a Swift core, OpenBLAS kernels and zero-copy NumPy
interop. See README.md and docs/ for the tour; the API follows NumPy, PyTorch and JAX names."""

import builtins as _builtins
import os as _os

import numpy as _np

from . import _isa

# Opens the build of the core for this CPU's ISA before _C needs it (Note [ISA dispatch]).
_isa.load(_os.path.dirname(_os.path.abspath(__file__)))
from . import _C, _blas  # noqa: E402

_blas.load()
from ._dtypes import bool_, float32, float64, int64, code_of as _code_of, supported_array as _supported_array
from ._dtypes import int8, int16, int32, uint8, uint16, uint32, uint64
from ._dtypes import as_dtype as _as_dtype, bfloat16_dtype as _bfloat16_dtype, float16
from ._dtypes import from_array as _from_array, array_for_c as _array_for_c
from ._dtypes import complex64, complex128, complex_default as _complex_default
from ._dtypes import warn_if_discarding_imaginary as _warn_if_discarding_imaginary
from ._dtypes import float_dtype as _float_dtype, get_default_dtype, is_python_data as _is_python_data
from ._dtypes import set_default_dtype
from ._tensor import Tensor
from . import autograd, random
from .autograd import detect_anomaly, enable_grad, no_grad, set_grad_enabled, is_grad_enabled

bool = bool_  # noqa: A001  (sg.bool, as the API contract names it)

_C._set_array_converter(_array_for_c)

# --- Creating tensors ---------------------------------------------------------------------


def from_numpy(a):
    """A tensor sharing `a`'s memory (no copy); `a` stays alive as long as the tensor does."""
    if not isinstance(a, _np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(a).__name__}")
    _code_of(a.dtype)  # raises TypeError for dtypes swiftgrad does not have
    return _from_array(a)


def from_dlpack(x):
    """A tensor sharing the memory of any DLPack exporter on the CPU (PyTorch, JAX, NumPy, ...)."""
    from ._tensor import array_from_dlpack

    return from_numpy(array_from_dlpack(x))


class default_dtype:
    """Context manager: `with sg.default_dtype(sg.float32): ...` sets the default floating dtype
    inside the block and restores the previous one on exit (also usable as a decorator)."""

    def __init__(self, dtype):
        self.dtype = dtype
        self._saved = []

    def __enter__(self):
        self._saved.append(get_default_dtype())
        set_default_dtype(self.dtype)
        return get_default_dtype()

    def __exit__(self, *exc):
        set_default_dtype(self._saved.pop())

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with default_dtype(self.dtype):
                return fn(*args, **kwargs)

        return wrapper


def _python_floats(data, a, dtype):
    """The default floating dtype for arrays made from Python floats (lists, scalars) when no dtype
    is given; NumPy float64 arrays keep float64."""
    if dtype is None and _is_python_data(data):
        if a.dtype == float64:
            return get_default_dtype()
        if a.dtype == complex128:
            return _complex_default()
    return dtype


def _typed_python_data(data, dtype):
    """Python data given an integer dtype, converted by NumPy straight to it: exact for every width
    (uint64 above 2^63 included) and OverflowError for a Python int out of the dtype's range
    (NumPy 2's rule), rather than a wrapped value."""
    if dtype is not None and _is_python_data(data):
        d = _as_dtype(dtype)
        if d.kind in "iu":
            return _np.asarray(data, dtype=d)
    return data


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays or tensors). Python
    floats become the default dtype (`sg.get_default_dtype()`); arrays and tensors keep theirs. The
    copy has no history: copying a tensor that requires grad warns (no gradient flows back through
    it, as with PyTorch's `torch.tensor`); use `asarray(x)` to keep it, `x.detach()` to say so."""
    if isinstance(data, Tensor):
        if data.requires_grad and _C.is_grad_enabled():
            import warnings

            warnings.warn("sg.tensor(x) copies a tensor that requires grad without its history: no gradient flows "
                          "back to x through the copy. Use sg.asarray(x) to keep the history, or x.detach() to "
                          "drop it explicitly", UserWarning, stacklevel=2)
        data = data.numpy()
    a = _supported_array(_typed_python_data(data, dtype))
    dtype = _python_floats(data, a, dtype)
    if dtype is not None:
        _code_of(dtype)
        a = a.astype(dtype)
    t = _from_array(_np.array(a, copy=True, order="C"))
    if requires_grad:
        t.requires_grad = True
    return t


def asarray(x, dtype=None):
    """`x` as a tensor: tensors pass through, arrays are viewed without copying when possible.
    Python floats become the default dtype (`sg.get_default_dtype()`)."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == _as_dtype(dtype) else x.astype(dtype)
    a = _supported_array(_typed_python_data(x, dtype))
    dtype = _python_floats(x, a, dtype)
    if dtype is not None:
        _code_of(dtype)
        a = a.astype(dtype, copy=False)
    return _from_array(a)


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value`; the dtype follows the value (int64, bool or
    the default floating dtype) unless `dtype` is given."""
    if dtype is None:
        dtype = _np.asarray(fill_value).dtype
        dtype = int64 if dtype.kind in "iu" else (bool_ if dtype.kind == "b" else
                                                  _complex_default() if dtype.kind == "c" else get_default_dtype())
    if isinstance(fill_value, complex) or _np.iscomplexobj(fill_value):
        # The C constructor takes a double: a complex value is filled by NumPy and copied once.
        value = _np.asarray(fill_value)
        _warn_if_discarding_imaginary(value.dtype, dtype)
        return tensor(_np.full(_shape(shape), value.real if _as_dtype(dtype).kind != "c" else value, dtype=dtype))
    if _as_dtype(dtype).kind in "iu" and type(fill_value) is int:
        exact = _np.array(fill_value, dtype=dtype)  # OverflowError out of the dtype's range, as NumPy 2
        if not -2**53 <= fill_value <= 2**53:  # a double would round it: broadcast the exact value
            return asarray(_np.broadcast_to(exact, _shape(shape)).copy())
    return _C.full(_shape(shape), float(fill_value), _code_of(dtype))


def zeros(shape, dtype=None):
    """A tensor of `shape` filled with zeros (the default floating dtype unless `dtype` is given)."""
    return _C.full(_shape(shape), 0.0, _code_of(_float_dtype(dtype)))


def ones(shape, dtype=None):
    """A tensor of `shape` filled with ones (the default floating dtype unless `dtype` is given)."""
    return _C.full(_shape(shape), 1.0, _code_of(_float_dtype(dtype)))


def empty(shape, dtype=None):
    """Like `zeros` (swiftgrad never hands out uninitialised memory)."""
    return zeros(shape, dtype)


def zeros_like(x, dtype=None):
    """Zeros with the shape of `x` and its dtype (or `dtype`)."""
    x = asarray(x)
    return zeros(x.shape, dtype or x.dtype)


def ones_like(x, dtype=None):
    """Ones with the shape of `x` and its dtype (or `dtype`)."""
    x = asarray(x)
    return ones(x.shape, dtype or x.dtype)


def full_like(x, fill_value, dtype=None):
    """`fill_value` with the shape of `x` and its dtype (or `dtype`)."""
    x = asarray(x)
    return full(x.shape, fill_value, dtype or x.dtype)


def empty_like(x, dtype=None):
    """Like `zeros_like` (swiftgrad never hands out uninitialised memory)."""
    return zeros_like(x, dtype)


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop) with `step`, as NumPy's `arange`: int64 when all
    arguments are ints, the default floating dtype otherwise (unless `dtype` is given)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = _builtins.all(isinstance(v, int) for v in (start, stop, step))  # sg.all is the table's
        dtype = int64 if ints else get_default_dtype()
    return _C.arange(float(start), float(stop), float(step), _code_of(dtype))


def linspace(start, stop, num=50, dtype=None):
    """`num` evenly spaced values from `start` to `stop`, both included (NumPy's `linspace`), in the
    default floating dtype unless `dtype` is given."""
    if isinstance(start, complex) or isinstance(stop, complex) or (dtype is not None and _as_dtype(dtype).kind == "c"):
        start, stop = complex(start), complex(stop)
        return _C.complex_linspace(start.real, start.imag, stop.real, stop.imag, int(num),
                                   _code_of(_complex_default() if dtype is None else dtype))
    return _C.linspace(float(start), float(stop), int(num), _code_of(_float_dtype(dtype)))


def eye(N, M=None, k=0, dtype=None):
    """An N x M (default N x N) matrix with ones on diagonal `k` (0: main, > 0: above) and zeros
    elsewhere, in the default floating dtype unless `dtype` is given."""
    n, m = int(N), int(N if M is None else M)
    k = _builtins.min(_builtins.max(int(k), -n - 1), m + 1)  # beyond the corners: all zeros (any int k)
    return _C.eye(n, m, k, _code_of(_float_dtype(dtype)))


# --- Operations: every public function of the core's table (Note [One op table]) -----------------
def _publish(namespace, names):
    """Adds the table's operations of `namespace` ('' here, 'linalg' for sg.linalg) to `names`."""
    for op in _C.operations:
        if op.namespace == namespace:
            names[op.__name__] = op


_publish("", globals())
neg = negative  # noqa: F821  (`negative` is defined by _publish above, from the op table)


def astype(x, dtype):
    """`x` converted to `dtype` (differentiable between floating and complex dtypes). Complex to real
    keeps the real part with NumPy's ComplexWarning."""
    x = asarray(x)
    _warn_if_discarding_imaginary(x.dtype, dtype)
    return _C.cast(x, _code_of(dtype))


def detach(x):
    """`x` as a tensor sharing its memory but with no history (it does not require grad)."""
    return asarray(x).detach()


def stop_gradient(x):
    """The value of `x` with no gradient flowing back through it (JAX's `stop_gradient`)."""
    return asarray(x).detach()

from ._gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

# --- nn / optim / graph --------------------------------------------------------
from . import graph, nn, optim  # noqa: E402
from .graph import trace  # noqa: E402
# --- Function transforms (python/swiftgrad/transforms.py) -----------------
from . import transforms  # noqa: E402
from .transforms import (  # noqa: E402
    grad, value_and_grad, vjp, jvp, jacfwd, jacrev, jacobian, hessian, hvp, linearize,
)
from .transforms import vmap  # noqa: E402
from ._jet import jet, taylor_derivatives, laplacian  # noqa: E402

from . import linalg  # noqa: E402
from . import fft  # noqa: E402

# --- Mixed precision (python/swiftgrad/amp.py; docs/MIXED_PRECISION.md) ---------------------------
from . import amp  # noqa: E402
from .amp import autocast  # noqa: E402

# --- Pytrees (python/swiftgrad/tree_util.py): the containers every API below flattens ------------
from . import tree_util  # noqa: E402

# --- Custom rules and checkpointing (python/swiftgrad/custom.py, checkpoint.py) ------------------
from .custom import Function, FunctionCtx, custom_jvp, custom_vjp  # noqa: E402
from .checkpoint import checkpoint, checkpoint_sequential  # noqa: E402
from .odeint import odeint  # noqa: E402

# --- Graph mode (python/swiftgrad/compiled.py) -------------------------------------------------------
from .compiled import CompiledFunction, Graph, compile  # noqa: E402,A004
from ._numpy_api import tensordot, unique  # noqa: E402
from . import array_api  # noqa: E402  (x.__array_namespace__())


# --- Build and BLAS configuration (python/swiftgrad/_blas.py) ---------------------------------------
def show_config(mode="stdout"):
    """The core's ISA level (`isa`: baseline, avx2, avx512 or native; Note [ISA dispatch]) and the
    BLAS library swiftgrad computes with, its version, kernel core and thread counts, as NumPy's
    `show_config`: printed (`mode="stdout"`) or returned as a dict (`mode="dicts"`). Warns
    when the BLAS runs generic kernels on a CPU with AVX2 or AVX-512."""
    import os
    import warnings

    info = _blas.config()
    info["elementwise_threads"] = os.environ.get("SWIFTGRAD_NUM_THREADS", "one per core")
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    core = _isa.info()
    info["isa"], info["isa_library"], info["isa_target_cpu"] = core["level"], core["library"], core["target_cpu"]
    info["isa_forced"], info["cpu_supports"] = core["forced"], core["cpu_supports"]
    if info["generic_core"] and info["cpu_best_core"]:
        warnings.warn(_blas._generic_warning(info), RuntimeWarning, stacklevel=2)
    if mode == "dicts":
        return info
    if mode != "stdout":
        raise ValueError(f"show_config: mode must be 'stdout' or 'dicts', got {mode!r}")
    forced = " (forced by SWIFTGRAD_ISA)" if info["isa_forced"] else ""
    print(f"Core ISA:       {info['isa']}{forced}, -target-cpu {info['isa_target_cpu']}; "
          f"CPU supports {', '.join(info['cpu_supports'])}")
    print(f"Core library:   {info['isa_library']}")
    if not info["loaded"]:
        print(f"BLAS: none loaded ({info['error']})")
        return None
    chosen = " (chosen by swiftgrad from the CPU's features)" if info["preselected_core"] else ""
    print(f"BLAS library:   {info['library']}")
    print(f"BLAS config:    {info['config']}")
    print(f"BLAS core:      {info['core']}{chosen}; best this CPU allows: {info['cpu_best_core'] or 'none'}")
    print(f"BLAS threads:   {info['threads']}; OPENBLAS_CORETYPE: {info['OPENBLAS_CORETYPE'] or 'unset'}")
    print(f"Elementwise threads: {info['elementwise_threads']} (SWIFTGRAD_NUM_THREADS)")
    print(f"bfloat16 GEMM:  {info['bf16_gemm']} (SWIFTGRAD_BF16_GEMM; CPU has AVX512-BF16: "
          f"{'yes' if info['cpu_avx512_bf16'] else 'no'})")
    return None


set_num_threads = _blas.set_num_threads
get_num_threads = _blas.get_num_threads


# --- Testing helpers (python/swiftgrad/testing/; docs/TESTING.md) -------------------------------------
from . import testing  # noqa: E402


# --- Saving, loading and data (python/swiftgrad/serialization.py, utils/) ---------------------
from .serialization import load, save  # noqa: E402
from . import utils  # noqa: E402


# --- Data-parallel training over MPI (python/swiftgrad/distributed/; docs/DISTRIBUTED.md) ----------
# Imported on first use of `sg.distributed`; it imports mpi4py (optional) only when MPI is needed.
def __getattr__(name):
    if name == "bfloat16":  # imports ml_dtypes on first use (see _dtypes.py)
        globals()["bfloat16"] = dtype = _bfloat16_dtype()
        return dtype
    if name == "distributed":
        import importlib

        return importlib.import_module(".distributed", __name__)
    # `__version__` is looked up on first use: importlib.metadata costs milliseconds at import.
    if name == "__version__":
        from ._version import installed_version

        globals()["__version__"] = version = installed_version(__file__)
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
