"""Optimizers with PyTorch's names and update formulas; the updates run in Swift, in place,
without recording graph nodes. See docs/NN_AND_OPTIM.md."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
