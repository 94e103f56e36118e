"""`Parameter`: a tensor that requires grad and that a `Module` registers when assigned."""
from .. import _C
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor marked as a module parameter (PyTorch's `nn.Parameter`).

    `Parameter(data)` views `data`'s memory (no copy, no history) and requires grad. Operations on
    a parameter return ordinary tensors.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        from .. import asarray, zeros

        data = zeros((0,)) if data is None else asarray(data)
        param = _C._alias_as(cls, data)
        if requires_grad:
            param.requires_grad = True
        return param

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
