"""Optimizers with PyTorch's names and update formulas; the updates run in Swift, in place,
without recording graph nodes. See docs/NN_AND_OPTIM.md."""
from . import lr_scheduler, swa_utils
from .adagrad import Adagrad, SparseAdam
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LBFGS", "Adagrad", "SparseAdam", "lr_scheduler", "swa_utils"]
