"""Losses as modules (PyTorch's `nn.MSELoss`, `nn.CrossEntropyLoss`): each holds its options and
calls the `functional` loss of the same name."""
from . import functional as F
from .module import Module


class MSELoss(Module):
    """Mean squared error as a module: `MSELoss(reduction)(input, target)` is
    `functional.mse_loss(input, target, reduction)`."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(Module):
    def __init__(self, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        self.ignore_index, self.reduction, self.label_smoothing = ignore_index, reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.ignore_index, self.reduction, self.label_smoothing)
