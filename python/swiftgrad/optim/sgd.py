"""Stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and weight decay."""
from .. import zeros
from .. import _C
from .optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's update: with g = grad (+ weight_decay * p),
    buf = g on the first step, then buf = momentum * buf + (1 - dampening) * g;
    d = g + momentum * buf (Nesterov) or buf; p -= lr * d."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        if group["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    _accepts_sparse = True

    def _update(self, p, grad, state, group):
        if grad.is_sparse:
            # PyTorch's sparse momentum: the buffer is row-sparse too, covering every row seen.
            buf = _C.optim_sgd_sparse_step(p, grad, state.get("momentum_buffer"), float(group["lr"]),
                                           float(group["momentum"]), float(group["dampening"]),
                                           float(group["weight_decay"]), bool(group["nesterov"]),
                                           bool(group["maximize"]))
            if buf is not None:
                state["momentum_buffer"] = buf
            return
        buf = None
        first = False
        if group["momentum"] != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = zeros(p.shape, p.dtype)
                first = True
        _C.optim_sgd_step(p, grad, buf, float(group["lr"]), float(group["momentum"]),
                          float(group["dampening"]), float(group["weight_decay"]), bool(group["nesterov"]),
                          bool(group["maximize"]), first)
