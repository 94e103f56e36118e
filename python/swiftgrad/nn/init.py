"""Parameter initialisers (PyTorch's `torch.nn.init`). Each fills its tensor in place from
`swiftgrad.random` (so `sg.random.seed` makes them reproducible) and returns it. The writes are
not recorded and bump the tensor's version counter."""
import math

from .. import _C, random
from ..autograd import no_grad


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation, as in PyTorch."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fans(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for d in tensor.shape[2:]:
        receptive *= d
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _write(tensor, values):
    with no_grad():
        return _C.copy_(tensor, values)


def uniform_(tensor, a=0.0, b=1.0):
    """Fills with samples of U(a, b)."""
    return _write(tensor, random.uniform(a, b, tensor.shape, dtype=tensor.dtype))


def normal_(tensor, mean=0.0, std=1.0):
    """Fills with samples of N(mean, std**2)."""
    return _write(tensor, random.normal(mean, std, tensor.shape, dtype=tensor.dtype))


def constant_(tensor, val):
    """Fills with `val` in place (no graph is recorded); returns the tensor."""
    with no_grad():
        return _C.fill_(tensor, float(val))


def zeros_(tensor):
    """Fills with zeros in place; returns the tensor."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fills with ones in place; returns the tensor."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std**2) with std = gain / sqrt(fan)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)
