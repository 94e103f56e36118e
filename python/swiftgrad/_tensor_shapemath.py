"""Tensor methods for the shape and math operators. A mixin of
`swiftgrad.Tensor`: each method is the `sg` function of the same name, following NumPy's
`ndarray` signatures (PyTorch's where NumPy has no such method: `topk`, `tril`, `triu`)."""
from . import _C


class ShapeMathMethods:
    __slots__ = ()

    def flatten(self):
        """The elements as a new 1-D tensor, always a copy (as `sg.flatten`)."""
        return _C.flatten(self)

    def ravel(self):
        """The elements as a 1-D tensor, a view when the layout allows (as `sg.ravel`)."""
        return _C.ravel(self)

    def swapaxes(self, axis1, axis2):
        """Two axes exchanged; a view (as `sg.swapaxes`)."""
        return _C.swapaxes(self, axis1, axis2)

    def repeat(self, repeats, axis=None):
        """Each element repeated (NumPy's `ndarray.repeat`, not PyTorch's tiling `repeat`)."""
        return _C.repeat(self, repeats, axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        """The `offset` diagonal of the (axis1, axis2) planes as the last axis; a view."""
        return _C.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        """Sum along the diagonal (NumPy's `ndarray.trace`; `sg.linalg.trace` uses the last two axes)."""
        return _C.trace(self, offset, axis1, axis2)

    def cumsum(self, axis=None):
        """Running sum along `axis` (None: of the flattened array), as `sg.cumsum`."""
        return _C.cumsum(self, axis)

    def cumprod(self, axis=None):
        """Running product along `axis` (None: of the flattened array), as `sg.cumprod`."""
        return _C.cumprod(self, axis)

    def argmax(self, axis=None, *, keepdims=False):
        """int64 index of the first maximum (as `sg.argmax`)."""
        return _C.argmax(self, axis, keepdims=keepdims)

    def argmin(self, axis=None, *, keepdims=False):
        """int64 index of the first minimum (as `sg.argmin`)."""
        return _C.argmin(self, axis, keepdims=keepdims)

    def argsort(self, axis=-1, *, descending=False):
        """int64 indices that sort along `axis`, stable (as `sg.argsort`)."""
        return _C.argsort(self, axis, descending=descending)

    def topk(self, k, axis=-1, largest=True):
        """(values, indices) of the k largest (or smallest) along `axis` (as `sg.topk`)."""
        return _C.topk(self, k, axis, largest)

    def round(self, decimals=0):
        """Rounded half to even to `decimals` places (as `sg.round`)."""
        return _C.round(self, decimals)

    def floor(self):
        """Elementwise floor (as `sg.floor`)."""
        return _C.floor(self)

    def ceil(self):
        """Elementwise ceiling (as `sg.ceil`)."""
        return _C.ceil(self)

    def tril(self, k=0):
        """Lower triangle of the last two axes (as `sg.tril`)."""
        return _C.tril(self, k)

    def triu(self, k=0):
        """Upper triangle of the last two axes (as `sg.triu`)."""
        return _C.triu(self, k)

    def clip(self, min=None, max=None):  # noqa: A002  (NumPy's parameter names)
        """Values limited to [min, max] (as `sg.clip`)."""
        return _C.clip(self, min, max)

    def var(self, axis=None, ddof=0, keepdims=False):
        """Variance with NumPy's `ddof` (as `sg.var`)."""
        return _C.var(self, axis, ddof, keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        """Standard deviation with NumPy's `ddof` (as `sg.std`)."""
        return _C.std(self, axis, ddof, keepdims)
