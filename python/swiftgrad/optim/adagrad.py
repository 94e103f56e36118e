"""Adagrad and SparseAdam: the optimizers that take row-sparse gradients (PyTorch's formulas;
the updates run in Swift, Sources/SwiftGrad/Optim/SparseOptimizers.swift)."""
from .. import full, zeros
from .. import _C
from .adam import check_adam_group
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """sum += g^2; p -= clr * g / (sqrt(sum) + eps) with clr = lr / (1 + (step - 1) * lr_decay).
    Dense gradients may add weight_decay * p to g; row-sparse ones update only their rows (and
    refuse weight_decay, as PyTorch does)."""

    _accepts_sparse = True

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            if group[key] < 0.0:
                raise ValueError(f"Invalid {key} value: {group[key]}")

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = full(p.shape, float(group["initial_accumulator_value"]), dtype=p.dtype)
        state["step"] += 1
        _C.optim_adagrad_step(p, grad, state["sum"], state["step"], float(group["lr"]), float(group["lr_decay"]),
                              float(group["weight_decay"]), float(group["eps"]), bool(group["maximize"]))


class SparseAdam(Optimizer):
    """Adam for row-sparse gradients (PyTorch's SparseAdam): the moments and the parameter change
    only in the rows the gradient touches. Dense gradients raise (use Adam)."""

    _accepts_sparse = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def _check_group(self, group):
        check_adam_group(group)

    def _update(self, p, grad, state, group):
        if not grad.is_sparse:
            raise RuntimeError(f"SparseAdam does not support dense gradients (parameter of shape {tuple(p.shape)}), "
                               "please consider Adam instead")
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros(p.shape, p.dtype)
            state["exp_avg_sq"] = zeros(p.shape, p.dtype)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        _C.optim_sparse_adam_step(p, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], float(group["lr"]),
                                  float(beta1), float(beta2), float(group["eps"]), bool(group["maximize"]))
