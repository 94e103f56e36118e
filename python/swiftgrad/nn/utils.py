"""Training utilities with PyTorch's names (`torch.nn.utils`): gradient clipping by norm or by
value, and flattening parameters to one vector and back.

The arithmetic runs on swiftgrad tensors (`sg.sum`, `sg.abs`, `sg.max`, in-place `*=`) under
`no_grad`, so clipping never records graph nodes and the gradients are changed in place (an
optimizer holding the parameters sees the clipped values).
"""
import math

from .. import _C
from .._tensor import Tensor
from ..autograd import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters"]


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _grads(parameters):
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _tensor_norm(g, norm_type):
    """The `norm_type`-norm of one tensor's elements, as a 0-d tensor."""
    import swiftgrad as sg

    if g.size == 0:
        return sg.zeros((), g.dtype)
    a = sg.abs(g)
    if norm_type == math.inf:
        return sg.max(a)
    if norm_type == -math.inf:
        return sg.min(a)
    if norm_type == 2.0:
        return sg.sqrt(sg.sum(g * g))
    if norm_type == 1.0:
        return sg.sum(a)
    return sg.sum(a ** norm_type) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type`-norm of all elements of `tensors` together (as if concatenated into one
    vector), a 0-d tensor: the norm of the per-tensor norms, as PyTorch computes it. `norm_type`
    is a positive number, `inf` (largest magnitude) or `-inf` (smallest). `foreach` is accepted
    for PyTorch compatibility and has no effect. Raises RuntimeError for a nan/inf norm when
    `error_if_nonfinite`."""
    import swiftgrad as sg

    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not (norm_type > 0 or norm_type == -math.inf):
        raise ValueError(f"norm_type must be positive, inf or -inf, got {norm_type}")
    if not tensors:
        return sg.tensor(0.0)
    with no_grad():
        dtype = tensors[0].dtype
        norms = sg.stack([_tensor_norm(t, norm_type).astype(dtype) for t in tensors])
        total = _tensor_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return total


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients of `parameters` (a tensor or an iterable of them; those without
    `.grad` are skipped) in place so that their total `norm_type`-norm is at most `max_norm`.

    As in PyTorch: the total norm is that of all gradients concatenated (`inf` for the largest
    magnitude); every gradient is multiplied by `min(1, max_norm / (total_norm + 1e-6))`; the
    total norm *before* clipping is returned as a 0-d tensor (0 when no parameter has a
    gradient). A nan/inf norm raises RuntimeError when `error_if_nonfinite`, and otherwise
    propagates into the gradients. `foreach` has no effect (there is one code path)."""
    import swiftgrad as sg

    grads = _grads(parameters)
    max_norm = float(max_norm)
    if not grads:
        return sg.tensor(0.0)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    with no_grad():
        coef = sg.minimum(max_norm / (total + 1e-6), sg.ones((), total.dtype))
        for g in grads:
            g *= coef.astype(g.dtype)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient of `parameters` in place to `[-clip_value, clip_value]` (parameters
    without `.grad` are skipped). Returns None, as PyTorch does; `foreach` has no effect."""
    import swiftgrad as sg

    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            _C.copy_(g, sg.clip(g, -clip_value, clip_value))


def parameters_to_vector(parameters):
    """The parameters' elements concatenated into one 1-D tensor (each raveled in C order, in the
    iteration order of `parameters`). The result is differentiable with respect to them."""
    import swiftgrad as sg

    params = _as_list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected an iterable of Tensors, got {type(p).__name__}")
    if not params:
        return sg.zeros((0,))
    return sg.concatenate([sg.ravel(p) for p in params])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of the 1-D tensor `vec` into `parameters` in place (the inverse
    of `parameters_to_vector`), without recording graph nodes. `vec` must have exactly as many
    elements as the parameters together."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"expected a 1-D vector, got shape {vec.shape}")
    params = _as_list(parameters)
    total = sum(p.size for p in params)
    if total != vec.shape[0]:
        raise ValueError(f"vector has {vec.shape[0]} elements but the parameters have {total}")
    offset = 0
    with no_grad():
        for p in params:
            n = p.size
            _C.copy_(p, vec[offset:offset + n].reshape(p.shape).astype(p.dtype))
            offset += n
