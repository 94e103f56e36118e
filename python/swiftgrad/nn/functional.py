"""Stateless building blocks (PyTorch's `torch.nn.functional`): compositions of core ops, so
every one of them is differentiable to any order."""
from .. import _C
from .._tensor import Tensor

relu = _C.relu
tanh = _C.tanh
sigmoid = _C.sigmoid


def linear(input, weight, bias=None):
    """`input @ weight.T + bias`, with `weight` of shape (out_features, in_features)."""
    out = _C.matmul(input, _C.transpose(weight))
    return out if bias is None else _C.add(out, bias)


def mse_loss(input, target, reduction="mean"):
    """Mean (or sum, or elementwise with reduction='none') squared error.

    The shapes must agree: broadcasting (N, 1) against (N,) would silently compare every
    prediction with every target, so it is refused.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    in_shape = input.shape if isinstance(input, Tensor) else _shape(input)
    target_shape = target.shape if isinstance(target, Tensor) else _shape(target)
    if in_shape != target_shape:
        raise ValueError(
            f"mse_loss: input shape {in_shape} differs from target shape {target_shape}; "
            "reshape one of them so they match")
    squared = _C.square(_C.subtract(input, target))
    if reduction == "none":
        return squared
    return _C.mean(squared) if reduction == "mean" else _C.sum(squared)


def _shape(x):
    import numpy as np

    return tuple(np.shape(x))
