"""Adam and AdamW (PyTorch's formulas, including AMSGrad and maximize)."""
from .. import zeros
from .. import _C
from .optimizer import Optimizer


def check_adam_group(group):
    """PyTorch's checks of an Adam-family group's lr, eps and betas (Adam, AdamW, SparseAdam)."""
    beta1, beta2 = group["betas"]
    if group["lr"] < 0.0:
        raise ValueError(f"Invalid learning rate: {group['lr']}")
    if group["eps"] < 0.0:
        raise ValueError(f"Invalid epsilon value: {group['eps']}")
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {beta2}")


class Adam(Optimizer):
    """m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2,
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    Adam's weight_decay adds weight_decay * p to g; AdamW's multiplies p by 1 - lr * weight_decay."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_adam_group(group)
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros(p.shape, p.dtype)
            state["exp_avg_sq"] = zeros(p.shape, p.dtype)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros(p.shape, p.dtype)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        _C.optim_adam_step(p, grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq"),
                           state["step"], float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                           float(group["weight_decay"]), self._decoupled, bool(group["maximize"]))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); weight_decay defaults to 0.01."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
