"""Convolution, pooling, normalisation, dropout, embedding, more losses and attention: the rest of
`sg.nn.functional`, composed from swiftgrad operations (windows from `_C.im2col`, products
through BLAS), so each is differentiable to any order and recorded by graph mode."""
import math

from .. import _C
from .._tensor import Tensor


def _pair(value, name):
    if isinstance(value, int):
        return (value, value)
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def _padding(padding, kernel, dilation):
    if padding == "valid":
        return [(0, 0), (0, 0)]
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return [(ph, ph), (pw, pw)]


def _pad_spatial(x, pads, value=0.0):
    if not any(a or b for a, b in pads):
        return x
    return _C.pad(x, [(0, 0), (0, 0)] + [list(p) for p in pads], constant_values=value)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) with weights
    (O, C // groups, kh, kw): im2col and one batched matmul (Note [Convolution by im2col])."""
    x, w = _as_tensor(input), _as_tensor(weight)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"conv2d: expected input (N, C, H, W) and weight (O, C/groups, kh, kw), got "
                         f"{tuple(x.shape)} and {tuple(w.shape)}")
    n, c = x.shape[0], x.shape[1]
    o, cg, kh, kw = w.shape
    if groups < 1 or c % groups or o % groups or cg != c // groups:
        raise ValueError(f"conv2d: input with {c} channels and weight {tuple(w.shape)} do not fit groups={groups} "
                         f"(weight must be (O, C/groups, kh, kw) with O and C divisible by groups)")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    xp = _pad_spatial(x, _padding(padding, (kh, kw), dilation))
    cols = _C.im2col(xp, kh, kw, stride[0], stride[1], dilation[0], dilation[1])
    ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    k = cg * kh * kw
    cols = _C.reshape(cols, (n, groups, k, ho * wo))
    out = _C.matmul(_C.reshape(w, (groups, o // groups, k)), cols)  # (N, groups, O/groups, L)
    out = _C.reshape(out, (n, o, ho, wo))
    if bias is not None:
        out = _C.add(out, _C.reshape(bias, (1, o, 1, 1)))
    return out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C, L) with weights (O, C // groups, k): conv2d with height 1."""
    x, w = _as_tensor(input), _as_tensor(weight)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"conv1d: expected input (N, C, L) and weight (O, C/groups, k), got "
                         f"{tuple(x.shape)} and {tuple(w.shape)}")
    pad = padding if isinstance(padding, str) else (0, int(padding))
    out = conv2d(_C.expand_dims(x, 2), _C.expand_dims(w, 2), bias, stride=(1, int(stride)), padding=pad,
                 dilation=(1, int(dilation)), groups=groups)
    return _C.squeeze(out, 2)


def _windows(x, kernel_size, stride, padding, fill, what):
    x = _as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{what}: expected an (N, C, H, W) input, got shape {tuple(x.shape)}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"{what}: padding ({ph}, {pw}) must be at most half the kernel {kernel}")
    xp = _pad_spatial(x, [(ph, ph), (pw, pw)], fill)
    n, c = x.shape[0], x.shape[1]
    cols = _C.im2col(xp, kernel[0], kernel[1], stride[0], stride[1])
    ho = (xp.shape[2] - kernel[0]) // stride[0] + 1
    wo = (xp.shape[3] - kernel[1]) // stride[1] + 1
    return _C.reshape(cols, (n, c, kernel[0] * kernel[1], ho, wo))


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Maximum over each window (padding with -inf). The gradient goes to the window's maximum;
    ties split it evenly (as `max` does)."""
    return _C.max(_windows(input, kernel_size, stride, padding, -math.inf, "max_pool2d"), axis=2)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Mean over each window (zero padding counted, as PyTorch's default count_include_pad)."""
    return _C.mean(_windows(input, kernel_size, stride, padding, 0.0, "avg_pool2d"), axis=2)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing `normalized_shape` dimensions (biased variance, as PyTorch)."""
    x = _as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing dimensions of "
                         f"{tuple(x.shape)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = _C.mean(x, axis=axes, keepdims=True)
    centered = _C.subtract(x, mean)
    var = _C.mean(_C.square(centered), axis=axes, keepdims=True)
    out = _C.divide(centered, _C.sqrt(_C.add(var, eps)))
    if weight is not None:
        out = _C.multiply(out, weight)
    if bias is not None:
        out = _C.add(out, bias)
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalises each channel (axis 1) over the batch (and spatial) axes. In training it uses
    the batch statistics and updates `running_mean`/`running_var` in place, without recording
    (unbiased variance for the running estimate, as PyTorch); in evaluation it uses them."""
    from ..autograd import no_grad

    x = _as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected (N, C, ...) input, got shape {tuple(x.shape)}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mean = _C.mean(x, axis=axes, keepdims=True)
        var = _C.mean(_C.square(_C.subtract(x, mean)), axis=axes, keepdims=True)
        if running_mean is not None:
            count = x.size // x.shape[1]
            with no_grad():
                running_mean *= 1 - momentum
                running_mean += _C.multiply(_C.reshape(mean, (x.shape[1],)), momentum)
                running_var *= 1 - momentum
                running_var += _C.multiply(_C.reshape(var, (x.shape[1],)), momentum * count / max(count - 1, 1))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        mean, var = _C.reshape(running_mean, shape), _C.reshape(running_var, shape)
    out = _C.divide(_C.subtract(x, mean), _C.sqrt(_C.add(var, eps)))
    if weight is not None:
        out = _C.multiply(out, _C.reshape(weight, shape))
    if bias is not None:
        out = _C.add(out, _C.reshape(bias, shape))
    return out


def dropout(input, p=0.5, training=True):
    """Zeroes each element with probability `p` and scales the rest by 1/(1-p) (training only).
    The mask comes from `sg.random` (seed it with `sg.random.seed`)."""
    from .. import random

    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    x = _as_tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return _C.multiply(x, 0.0)
    keep = _C.less(random.uniform(0.0, 1.0, tuple(x.shape), dtype=x.dtype), 1.0 - p)
    return _C.multiply(x, _C.multiply(_C.cast(keep, _code(x)), 1.0 / (1.0 - p)))


def embedding(input, weight, sparse=False):
    """Rows of `weight` (num_embeddings, dim) picked by integer `input`; the gradient of a row is
    the sum over its uses (a scatter-add). With `sparse=True` the weight's gradient is row-sparse
    (only the rows used; see Tensor.is_sparse), unless backward records its graph (create_graph)."""
    return _C.embedding(input, weight, bool(sparse))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """Sigmoid + binary cross-entropy in the stable form max(x, 0) - x t + log(1 + e^-|x|)
    (with `pos_weight` p: (1 - t) x + (1 + (p - 1) t) softplus(-x))."""
    x, t = _as_tensor(input), _as_tensor(target)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(f"binary_cross_entropy_with_logits: input {tuple(x.shape)} and target {tuple(t.shape)} differ")
    if pos_weight is None:
        loss = _C.add(_C.subtract(_C.maximum(x, 0.0), _C.multiply(x, t)), _C.log1p(_C.exp(_C.negative(_C.abs(x)))))
    else:
        scale = _C.add(_C.multiply(_C.subtract(pos_weight, 1.0), t), 1.0)
        loss = _C.add(_C.multiply(_C.subtract(1.0, t), x), _C.multiply(scale, _C.softplus(_C.negative(x))))
    if weight is not None:
        loss = _C.multiply(loss, weight)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 r^2 where |r| <= delta, delta (|r| - delta/2) beyond (r = input - target)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, t = _as_tensor(input), _as_tensor(target)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(f"huber_loss: input {tuple(x.shape)} and target {tuple(t.shape)} differ")
    r = _C.subtract(x, t)
    a = _C.abs(r)
    loss = _C.where(_C.less_equal(a, delta), _C.multiply(_C.square(r), 0.5), _C.multiply(_C.subtract(a, 0.5 * delta), delta))
    return _reduce(loss, reduction, "huber_loss")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """PyTorch's attention: softmax(q k^T * scale + mask) v over the last two axes (scale 1/sqrt(E)
    by default; batch axes broadcast), then dropout of the probabilities with `dropout_p` (core
    generator, `sg.random.seed`). A boolean mask keeps its True positions, a float mask is added to
    the scores; `is_causal` keeps key j <= query i. Computed in key blocks with O(L + S) memory and
    a recomputing backward (docs/NN_AND_OPTIM.md, "Attention")."""
    return _C.scaled_dot_product_attention(query, key, value, attn_mask, float(dropout_p), bool(is_causal),
                                           None if scale is None else float(scale))


def _reduce(loss, reduction, what):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _C.sum(loss)
    if reduction == "mean":
        return _C.mean(loss)
    raise ValueError(f"{what}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from .. import asarray

    return asarray(x)


def _code(t):
    from .._dtypes import code_of

    return code_of(t.dtype)
