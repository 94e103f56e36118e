"""Stateless building blocks (PyTorch's `torch.nn.functional`): compositions of core ops, so
every one of them is differentiable to any order."""
from .. import _C
from .._tensor import Tensor

relu = _C.relu
tanh = _C.tanh
sigmoid = _C.sigmoid


def linear(input, weight, bias=None):
    """`input @ weight.T + bias`, with `weight` of shape (out_features, in_features); an input with
    batch dimensions is multiplied as one matrix of stacked rows (sg.matmul does so for a batch
    times a matrix)."""
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


softmax = _C.softmax
log_softmax = _C.log_softmax
softplus = _C.softplus


def _labels(target, log_probs, what):
    """The integer labels as a tensor, checked (shape and dtype; the range is checked when the
    labels are used, also in compiled replays)."""
    from .. import asarray

    labels = asarray(target)
    log_probs = asarray(log_probs)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{what}: target must hold integer class labels, got dtype {labels.dtype}")
    if log_probs.ndim != 2 or tuple(labels.shape) != (log_probs.shape[0],):
        raise ValueError(f"{what}: expected log_probs (N, C) and target (N,), got {tuple(log_probs.shape)} and "
                         f"{tuple(labels.shape)}")
    return labels


def nll_loss(log_probs, target, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of integer class labels, from log-probabilities of shape (N, C).

    Written with swiftgrad operations only (labels included), so a compiled function
    (`sg.compile`) recomputes it for new labels; out-of-range labels raise IndexError."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"nll_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    labels = _labels(target, log_probs, "nll_loss")
    keep = _C.not_equal(labels, ignore_index)
    safe = _C.where(keep, labels, 0)
    picked = _C.take_along_axis(log_probs, _C.expand_dims(safe, 1), 1)[:, 0]
    weights = _C.cast(keep, _code(log_probs))
    losses = _C.multiply(_C.negative(picked), weights)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return _C.sum(losses)
    return _C.divide(_C.sum(losses), _C.maximum(_C.sum(weights), 1.0))


def _code(t):
    from .._dtypes import code_of

    return code_of(t.dtype)


def cross_entropy(logits, target, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on logits (N, C) with integer labels (N,), as PyTorch's: mean over
    the samples not equal to `ignore_index`; `label_smoothing` mixes in the uniform target."""
    logp = _C.log_softmax(logits, 1)
    loss = nll_loss(logp, target, ignore_index=ignore_index, reduction="none" if label_smoothing else reduction)
    if not label_smoothing:
        return loss
    keep = _C.cast(_C.not_equal(_labels(target, logp, "cross_entropy"), ignore_index), _code(logp))
    uniform = _C.multiply(_C.negative(_C.mean(logp, 1)), keep)
    mixed = _C.add(_C.multiply(loss, 1.0 - label_smoothing), _C.multiply(uniform, label_smoothing))
    if reduction == "none":
        return mixed
    return _C.sum(mixed) if reduction == "sum" else _C.divide(_C.sum(mixed), _C.maximum(_C.sum(keep), 1.0))


def one_hot(labels, num_classes=-1, dtype=None):
    """`labels` (integers) as one-hot rows: shape labels.shape + (num_classes,). Like PyTorch, a
    negative `num_classes` means max(labels) + 1; unlike PyTorch the result is floating, in the
    default dtype (float64 unless `sg.set_default_dtype` changed it; it is usually multiplied with
    float tensors; pass dtype=sg.int64 for integers).
    Built from a comparison, so it is recorded by graph mode."""
    from .. import asarray, get_default_dtype, int64

    t = asarray(labels)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {t.dtype}")
    if num_classes < 0:
        num_classes = int(t.numpy().max()) + 1 if t.size else 0
    if t.size and (int(t.numpy().min()) < 0 or int(t.numpy().max()) >= num_classes):
        raise ValueError(f"one_hot: labels must be in [0, {num_classes}), got values from "
                         f"{int(t.numpy().min())} to {int(t.numpy().max())}")
    classes = _C.arange(0, num_classes, 1, _code_of(int64))
    hot = _C.equal(_C.expand_dims(t, -1), classes)
    return _C.cast(hot, _code_of(get_default_dtype() if dtype is None else dtype))


def _code_of(dtype):
    from .._dtypes import code_of

    return code_of(dtype)


# Convolution, pooling, normalisation, dropout, embedding, more losses, attention.
from ._layers_functional import (  # noqa: E402, F401  (re-exported as F.conv2d, ...)
    avg_pool2d, batch_norm, binary_cross_entropy_with_logits, conv1d, conv2d, dropout, embedding, huber_loss,
    layer_norm, max_pool2d, scaled_dot_product_attention,
)
from .._C import gelu  # noqa: E402, F401  (re-exported as F.gelu)
