"""Weight averaging with PyTorch's names (`torch.optim.swa_utils`): `AveragedModel` keeps a copy of
a model whose parameters are a running average of the model's, either the equal-weight average
of stochastic weight averaging (SWA, the default) or an exponential moving average (EMA, with
`get_ema_multi_avg_fn(decay)`, as in the course notes' G.2).

The averages are updated in place under `no_grad`: an update never records graph nodes, and the
averaged copy's parameters keep their identity (an optimizer or a state dict holding them sees
the new values).
"""
import copy

from .. import _C
from .._tensor import Tensor
from ..autograd import no_grad
from ..nn.module import Module

__all__ = ["AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn"]


def get_ema_multi_avg_fn(decay=0.999):
    """A `multi_avg_fn` for `AveragedModel`: `p_ema = decay * p_ema + (1 - decay) * p` for every
    pair of tensors, in place (PyTorch's `lerp_(p, 1 - decay)`)."""
    decay = float(decay)

    def ema_update(ema_param_list, current_param_list, num_averaged):
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            _C.copy_(p_ema, p_ema * decay + p_model * (1.0 - decay))

    return ema_update


def get_ema_avg_fn(decay=0.999):
    """An `avg_fn` for `AveragedModel`: returns `decay * ema + (1 - decay) * current`."""
    decay = float(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return ema_param * decay + current_param * (1.0 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """A `multi_avg_fn` for `AveragedModel`: the running equal-weight mean,
    `p_avg += (p - p_avg) / (n + 1)` in place, with n the number of models averaged so far."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = float(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            _C.copy_(p_avg, p_avg + (p_model - p_avg) / (n + 1.0))

    return swa_update


def get_swa_avg_fn():
    """An `avg_fn` for `AveragedModel`: returns `averaged + (current - averaged) / (n + 1)`."""

    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1.0)

    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` (as `self.module`) whose parameters are averaged over the models
    passed to `update_parameters`; calling it runs the copy.

    - The first `update_parameters(model)` copies the model's values; later ones apply the
      averaging rule: `multi_avg_fn(averaged_list, current_list, n_averaged)` (in place), or else
      `avg_fn(averaged, current, n_averaged)` (returning the new value) per tensor, or else the
      SWA equal-weight mean. For an EMA pass `multi_avg_fn=get_ema_multi_avg_fn(decay)` (or use
      `AveragedModel.ema(model, decay)`).
    - `n_averaged` is an int64 buffer counting the updates.
    - With `use_buffers=True` the buffers (e.g. BatchNorm's running statistics) are averaged too;
      otherwise they are copied from the model at each update.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel expects a swiftgrad.nn.Module, got {type(model).__name__}")
        if device is not None and str(device) != "cpu":
            raise ValueError(f"swiftgrad runs on the CPU only, got device={device!r}")
        import swiftgrad as sg

        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", sg.zeros((), sg.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    @classmethod
    def ema(cls, model, decay=0.999, use_buffers=False):
        """An `AveragedModel` keeping the exponential moving average of `model`'s parameters
        (`get_ema_multi_avg_fn(decay)`)."""
        return cls(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=use_buffers)

    def forward(self, *args, **kwargs):
        """Runs the averaged copy: `self.module(*args, **kwargs)`."""
        return self.module(*args, **kwargs)

    def _pairs(self, model):
        if self.use_buffers:
            own = list(self.module.parameters()) + list(self.module.buffers())
            other = list(model.parameters()) + list(model.buffers())
        else:
            own, other = list(self.module.parameters()), list(model.parameters())
        if len(own) != len(other):
            raise ValueError(f"update_parameters: the model has {len(other)} tensors to average, "
                             f"the averaged copy {len(own)}")
        for a, b in zip(own, other):
            if a.shape != b.shape:
                raise ValueError(f"update_parameters: shape {b.shape} does not match the averaged {a.shape}")
        return own, other

    def update_parameters(self, model):
        """Folds `model`'s current parameters (and buffers when `use_buffers`) into the average,
        in place and without recording graph nodes; increments `n_averaged`."""
        import swiftgrad as sg

        own, other = self._pairs(model)
        n = int(self.n_averaged.item())
        with no_grad():
            current = [p.detach() for p in other]
            if n == 0:
                for a, b in zip(own, current):
                    _C.copy_(a, b.astype(a.dtype))
            elif self.multi_avg_fn is not None or self.avg_fn is None:
                fn = self.multi_avg_fn if self.multi_avg_fn is not None else get_swa_multi_avg_fn()
                floating = [(a, b) for a, b in zip(own, current) if a.dtype in (sg.float32, sg.float64)]
                fn([a for a, _ in floating], [b for _, b in floating], self.n_averaged)
            else:
                for a, b in zip(own, current):
                    _C.copy_(a, self.avg_fn(a.detach(), b, self.n_averaged).astype(a.dtype))
            if not self.use_buffers:
                for a, b in zip(self.module.buffers(), model.buffers()):
                    _C.copy_(a, b.detach())
            self.n_averaged = sg.tensor(n + 1, dtype=sg.int64)
