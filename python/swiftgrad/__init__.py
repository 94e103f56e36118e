"""swiftgrad: automatic differentiation with a Swift core, OpenBLAS kernels and zero-copy NumPy
interop. See README.md and docs/ for the tour; the API follows NumPy, PyTorch and JAX names."""

import numpy as _np

from . import _C
from ._dtypes import bool_, float32, float64, int64, code_of as _code_of, supported_array as _supported_array
from ._tensor import Tensor
from . import autograd, random
from .autograd import detect_anomaly, enable_grad, no_grad, set_grad_enabled, is_grad_enabled

bool = bool_  # noqa: A001  (sg.bool, as the API contract names it)

__version__ = "0.1.0"

_C._set_array_converter(_supported_array)

# --- Creating tensors ---------------------------------------------------------------------


def from_numpy(a):
    """A tensor sharing `a`'s memory (no copy); `a` stays alive as long as the tensor does."""
    if not isinstance(a, _np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(a).__name__}")
    _code_of(a.dtype)  # raises TypeError for dtypes swiftgrad does not have
    return _C.from_buffer(a)


def from_dlpack(x):
    """A tensor sharing the memory of any DLPack exporter on the CPU (PyTorch, JAX, NumPy, ...)."""
    return from_numpy(_np.from_dlpack(x))


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays or tensors). The copy has
    no history: copying a tensor that requires grad warns (no gradient flows back through it, as
    with PyTorch's `torch.tensor`); use `asarray(x)` to keep it, `x.detach()` to say so."""
    if isinstance(data, Tensor):
        if data.requires_grad and _C.is_grad_enabled():
            import warnings

            warnings.warn("sg.tensor(x) copies a tensor that requires grad without its history: no gradient flows "
                          "back to x through the copy. Use sg.asarray(x) to keep the history, or x.detach() to "
                          "drop it explicitly", UserWarning, stacklevel=2)
        data = data.numpy()
    a = _supported_array(data)
    if dtype is not None:
        _code_of(dtype)
        a = a.astype(dtype)
    t = _C.from_buffer(_np.array(a, copy=True, order="C"))
    if requires_grad:
        t.requires_grad = True
    return t


def asarray(x, dtype=None):
    """`x` as a tensor: tensors pass through, arrays are viewed without copying when possible."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == _np.dtype(dtype) else x.astype(dtype)
    a = _supported_array(x)
    if dtype is not None:
        _code_of(dtype)
        a = a.astype(dtype, copy=False)
    return _C.from_buffer(a)


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value`; the dtype follows the value (int64, bool or
    float64) unless `dtype` is given."""
    if dtype is None:
        dtype = _np.asarray(fill_value).dtype
        dtype = int64 if dtype.kind in "iu" else (bool_ if dtype.kind == "b" else float64)
    return _C.full(_shape(shape), float(fill_value), _code_of(dtype))


def zeros(shape, dtype=float64):
    """A tensor of `shape` filled with zeros (float64 unless `dtype` is given)."""
    return _C.full(_shape(shape), 0.0, _code_of(dtype))


def ones(shape, dtype=float64):
    """A tensor of `shape` filled with ones (float64 unless `dtype` is given)."""
    return _C.full(_shape(shape), 1.0, _code_of(dtype))


def empty(shape, dtype=float64):
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


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop) with `step`, as NumPy's `arange`: int64 when all
    arguments are ints, float64 otherwise (unless `dtype` is given)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, stop, step))
        dtype = int64 if ints else float64
    return _C.arange(float(start), float(stop), float(step), _code_of(dtype))


def linspace(start, stop, num=50, dtype=float64):
    """`num` evenly spaced values from `start` to `stop`, both included (NumPy's `linspace`)."""
    return _C.linspace(float(start), float(stop), int(num), _code_of(dtype))


def eye(N, M=None, k=0, dtype=float64):
    """An N x M (default N x N) matrix with ones on diagonal `k` (0: main, > 0: above) and zeros
    elsewhere."""
    return _C.eye(int(N), int(N if M is None else M), int(k), _code_of(dtype))


# --- Operations (implemented in Swift; bound in python/csrc/ops.c) --------------------------

from ._C import (  # noqa: E402
    negative, exp, log, sin, cos, tan, tanh, sigmoid, relu, sqrt, abs, sign, log1p, expm1, square, copy,
    add, subtract, multiply, divide, power, maximum, minimum, matmul,
    equal, not_equal, less, less_equal, greater, greater_equal,
    sum, mean, max, min, prod,
    reshape, broadcast_to, transpose, squeeze, expand_dims, concatenate, stack, where,
)

neg = negative


def astype(x, dtype):
    """`x` converted to `dtype` (differentiable between floating dtypes)."""
    return _C.cast(x, _code_of(dtype))


def detach(x):
    """`x` as a tensor sharing its memory but with no history (it does not require grad)."""
    return asarray(x).detach()


def stop_gradient(x):
    """The value of `x` with no gradient flowing back through it (JAX's `stop_gradient`)."""
    return asarray(x).detach()

from ._gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

# --- nn / optim / graph (branch nnopt) --------------------------------------------------------
from . import graph, nn, optim  # noqa: E402
from .graph import trace  # noqa: E402
# --- Function transforms (area: transforms; python/swiftgrad/transforms.py) -----------------
from . import transforms  # noqa: E402
from .transforms import (  # noqa: E402
    grad, value_and_grad, vjp, jvp, jacfwd, jacrev, jacobian, hessian, hvp, linearize,
)

# --- Composites, selection, linear algebra (Sources/SwiftGrad/Composite, Primitives/Gather, Linalg)
from ._C import (  # noqa: E402
    softplus, clip, var, std, logsumexp, softmax, log_softmax, dot, outer, split, take, take_along_axis,
)
from . import linalg  # noqa: E402

# --- Pytrees (python/swiftgrad/tree_util.py): the containers every API below flattens ------------
from . import tree_util  # noqa: E402

# --- Custom rules and checkpointing (python/swiftgrad/custom.py, checkpoint.py) ------------------
from .custom import Function, FunctionCtx, custom_jvp, custom_vjp  # noqa: E402
from .checkpoint import checkpoint, checkpoint_sequential  # noqa: E402

# --- Shape and math operators, issue 5 (python/csrc/shapemath.c; area: shapemath) ------------------
# `_C.trace` (NumPy's matrix trace) is exposed as `sg.linalg.trace` and `Tensor.trace()`: `sg.trace`
# stays the Wengert-table tracer of the API contract.
from ._C import (  # noqa: E402
    floor, ceil, round, erf, sinh, cosh, arcsin, arccos, arctan, log_sigmoid, gelu, logaddexp, hypot, arctan2,
    cumsum, cumprod, argmax, argmin, sort, argsort, topk, einsum,
    flip, roll, moveaxis, swapaxes, ravel, flatten, tile, repeat, pad, tril, triu, diag, diagonal, meshgrid,
)

# --- Gathers and scatters, PyTorch style (python/csrc/composites.c) --------------------------------
from ._C import gather, index_add, scatter_add  # noqa: E402


def _refuse_while_recording(what):
    from .compiled import _recording_depth

    if _recording_depth():
        raise RuntimeError(f"{what}: the result's size depends on the values, so it cannot be part of a "
                           "recorded graph (sg.compile / sg.Graph); call it outside the compiled function")


def nonzero(a):
    """Indices of the non-zero elements, one int64 tensor per dimension (NumPy's `nonzero`).
    Read from the tensor's memory without copying; no gradient (the result is integer). Not
    recordable by graph mode (its size depends on the values)."""
    _refuse_while_recording("nonzero")
    return tuple(tensor(i) for i in _np.nonzero(_np.asarray(a)))


def argwhere(a):
    """The indices of the non-zero elements as an (N, ndim) int64 tensor (NumPy's `argwhere`)."""
    _refuse_while_recording("argwhere")
    return tensor(_np.argwhere(_np.asarray(a)))


# --- Graph mode (python/swiftgrad/compiled.py) -------------------------------------------------------
from .compiled import CompiledFunction, Graph, compile  # noqa: E402,A004
from . import array_api  # noqa: E402  (x.__array_namespace__())
