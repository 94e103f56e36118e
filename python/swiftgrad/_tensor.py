"""The Python face of the Tensor type. The type itself (storage, operators, autograd state,
buffer protocol) is implemented in C (`_C.TensorBase`); this subclass adds conveniences."""
import numpy as np

from . import _C, _copying
from ._dtypes import BFLOAT16_CODE, as_dtype, bfloat16_dtype, code_of, dtype_of_code, warn_if_discarding_imaginary

_DL_UINT, _DL_BFLOAT = 1, 4  # DLPack's dtype codes (dlpack.h: kDLUInt, kDLBfloat)


class Tensor(_C.TensorBase):
    """An n-dimensional array backed by Swift storage, recording operations for autodiff."""

    __slots__ = ()
    __array_priority__ = 1000

    @property
    def dtype(self):
        """The element type as a NumPy dtype (float32, float64, bfloat16 (ml_dtypes), float16, an integer or bool)."""
        return dtype_of_code(self._dtype_code)

    @property
    def T(self):
        """The transpose (all axes reversed), a view sharing memory."""
        return _C.transpose(self)

    @property
    def mT(self):  # noqa: N802 - the array API's name
        """The last two axes swapped (a batch of matrices transposed), a view."""
        if self.ndim < 2:
            raise ValueError(f"mT needs at least 2 dimensions, got shape {tuple(self.shape)}")
        return _C.swapaxes(self, -1, -2)

    @property
    def device(self):
        """Where the tensor lives: always "cpu" (the array API's device attribute)."""
        return "cpu"

    def to_device(self, device, /, *, stream=None):
        """This tensor, on `device` ("cpu" is the only one)."""
        if device != "cpu":
            raise ValueError(f"swiftgrad tensors live on the 'cpu' device only, got {device!r}")
        return self

    # Row-sparse gradients (docs/NN_AND_OPTIM.md, "Sparse gradients"): `Embedding(sparse=True)`
    # produces them; dense operations on one see its dense value.
    @property
    def is_sparse(self):
        """Whether this is a row-sparse gradient (row indices + values, dense shape and dtype)."""
        return _C.is_sparse(self)

    def indices(self):
        """Row indices (int64, (nnz,)) of a row-sparse tensor; repeats until `coalesce()`."""
        return _C.sparse_indices(self)

    def values(self):
        """The rows (nnz,) + shape[1:] of a row-sparse tensor, one per entry of `indices()`."""
        return _C.sparse_values(self)

    def to_dense(self):
        """The dense tensor (duplicate rows summed); a dense tensor is returned unchanged."""
        return _C.sparse_to_dense(self)

    def coalesce(self):
        """A row-sparse tensor with sorted unique indices, duplicate rows summed."""
        return _C.sparse_coalesce(self)

    def is_coalesced(self):
        """Whether a row-sparse tensor's indices are sorted and unique (as `coalesce()` leaves them)."""
        return _C.sparse_is_coalesced(self)

    def numpy(self):
        """A NumPy array sharing this tensor's memory (no copy); a bfloat16 tensor gives an
        `ml_dtypes.bfloat16` array."""
        if self._dtype_code == BFLOAT16_CODE:
            return np.asarray(self._bits()).view(bfloat16_dtype())
        return np.asarray(memoryview(self))

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and as_dtype(dtype) != a.dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_namespace__(self, *, api_version=None):
        """The Python array API namespace (`swiftgrad.array_api`)."""
        if api_version not in (None, "2021.12", "2022.12", "2023.12"):
            raise ValueError(f"unsupported array API version {api_version!r}; swiftgrad implements 2023.12")
        from . import array_api

        return array_api

    # DLPack (zero-copy exchange with PyTorch, JAX, NumPy, ...): NumPy's exporter over this
    # tensor's buffer keeps the tensor alive for as long as the consumer holds the capsule.
    # NumPy has no bfloat16 capsules: a bfloat16 tensor goes as its uint16 bits, relabelled.
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        kwargs = {} if max_version is None else {"max_version": max_version}
        bfloat = self._dtype_code == BFLOAT16_CODE
        array = np.asarray(self._bits()) if bfloat else self.numpy()
        capsule = (array.copy() if copy else array).__dlpack__(**kwargs)
        if bfloat:
            _C.dlpack_retype(capsule, _DL_BFLOAT, 16)
        return capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU, device 0

    # PyTorch's in-place methods: the same recorded in-place operations as `+=` and `x[...] = v`.
    def add_(self, other):
        """In place `self += other`; returns self."""
        self += other
        return self

    def sub_(self, other):
        """In place `self -= other`; returns self."""
        self -= other
        return self

    def mul_(self, other):
        """In place `self *= other`; returns self."""
        self *= other
        return self

    def div_(self, other):
        """In place `self /= other`; returns self."""
        self /= other
        return self

    def fill_(self, value):
        """Sets every element to `value` in place; returns self."""
        self[...] = value
        return self

    def zero_(self):
        """Sets every element to 0 in place; returns self."""
        return self.fill_(0)

    def copy_(self, src):
        """Writes `src` (broadcast, converted to this dtype) into self in place; returns self."""
        self[...] = src
        return self

    def register_hook(self, hook):
        """Runs `hook(grad)` when this tensor's gradient is computed; a returned tensor
        replaces the gradient, None leaves it unchanged (PyTorch semantics)."""
        _C.register_hook(self, hook)

    def item(self):
        """The single element as a Python scalar; ValueError unless the tensor has one element."""
        if self.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted, shape is {self.shape}")
        return self.numpy().item()

    def tolist(self):
        """The elements as (nested) Python lists of Python scalars."""
        return self.numpy().tolist()

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self):
        if self.is_sparse:
            return (f"tensor(indices={np.asarray(self.indices()).tolist()}, values={self.values()!r}, "
                    f"size={self.shape}, dtype={self.dtype}, layout=row_sparse)")
        if _C.vmap_level(self) >= 0:  # one value per example: only the description is known
            return f"BatchedTensor(shape={self.shape}, dtype={self.dtype}, level={_C.vmap_level(self)})"
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = []
        if self.dtype not in (np.float64, np.int64, np.bool_) or self.size == 0:
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def _repr_html_(self):
        """Jupyter's rich display: a header line (shape, dtype, grad state) over the values in a
        <pre> block (NumPy's summarised printing for large tensors)."""
        import html

        if self.is_sparse:
            return None  # Jupyter falls back to repr (indices and values)

        state = f"grad_fn={self.grad_fn}" if self.grad_fn is not None else (
            "requires_grad=True" if self.requires_grad else "")
        head = f"{type(self).__name__} shape={self.shape} dtype={self.dtype}" + (f" {state}" if state else "")
        body = np.array2string(self.numpy(), separator=", ", threshold=200, edgeitems=3)
        return (f'<div class="swiftgrad-tensor"><div style="font-family:monospace;color:#555">'
                f"{html.escape(head)}</div><pre>{html.escape(body)}</pre></div>")

    # Pickling and copying (python/swiftgrad/_copying.py): values, dtype, shape, requires_grad and
    # the class are kept, never the autograd graph; deepcopy keeps views sharing.
    # A row-sparse tensor is rebuilt from copies of its indices and values.
    def __reduce_ex__(self, protocol):
        if self.is_sparse:
            return (_C.sparse_rows, (self.indices(), self.values(), self.shape[0]))
        return _copying.reduce_ex(self, protocol)

    def __copy__(self):
        if self.is_sparse:
            return _C.sparse_rows(_C.copy(self.indices()), _C.copy(self.values()), self.shape[0])
        return _copying.shallow_copy(self)

    def __deepcopy__(self, memo):
        if self.is_sparse:
            import copy

            memo[id(self)] = out = _C.sparse_rows(copy.deepcopy(self.indices(), memo),
                                                  copy.deepcopy(self.values(), memo), self.shape[0])
            return out
        return _copying.deep_copy(self, memo)

    # NumPy-style methods.
    def astype(self, dtype):
        """A copy converted to `dtype` (same as `sg.astype`; complex to real warns, as NumPy)."""
        warn_if_discarding_imaginary(self.dtype, dtype)
        return _C.cast(self, code_of(dtype))

    @property
    def real(self):
        """The real part (a view of a complex tensor's memory; the tensor itself when real)."""
        return _C.real(self)

    @property
    def imag(self):
        """The imaginary part (a view of a complex tensor's memory; zeros when real)."""
        return _C.imag(self)

    def __complex__(self):
        return complex(self.item())

    def conj(self):
        """The complex conjugate (`sg.conj`)."""
        return _C.conj(self)

    conjugate = conj

    def to(self, dtype):
        """`astype(dtype)` under PyTorch's name (the CPU is the only device): a converted copy, or
        self when the dtype already matches."""
        return self if as_dtype(dtype) == self.dtype else self.astype(dtype)

    def clip(self, min=None, max=None):  # noqa: A002  (NumPy's parameter names)
        """Values limited to [min, max] (as `sg.clip`)."""
        return _C.clip(self, min, max)

    # The other NumPy-style methods (sum, reshape, exp, argmax, ...) are the core's operations
    # themselves, added to the type by the extension from the operation table.


_C._set_tensor_class(Tensor)


class _Capsule:
    """An already exported DLPack capsule as a producer NumPy's `from_dlpack` takes."""

    def __init__(self, capsule, device):
        self._capsule, self._device = capsule, device

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return self._device


def array_from_dlpack(x):
    """A NumPy array over the memory of DLPack producer `x`; bfloat16 (which NumPy's importer
    refuses) comes as an `ml_dtypes.bfloat16` view of the same memory."""
    if not hasattr(x, "__dlpack__"):
        return np.from_dlpack(x)  # raises NumPy's TypeError for a non-producer
    device = x.__dlpack_device__()
    capsule = x.__dlpack__()
    code, bits, _ = _C.dlpack_retype(capsule, -1, 0)
    if code == _DL_BFLOAT and bits == 16:
        _C.dlpack_retype(capsule, _DL_UINT, 16)
        return np.from_dlpack(_Capsule(capsule, device)).view(bfloat16_dtype())
    return np.from_dlpack(_Capsule(capsule, device))

