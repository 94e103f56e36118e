"""Neural-network building blocks with PyTorch's names: `Module`, `Parameter`, `Linear`,
`Sequential`, activations, `functional` and `init`. See docs/NN_AND_OPTIM.md."""
from . import functional, init
from .layers import Identity, Linear, MSELoss, ReLU, Sequential, Sigmoid, Tanh
from .module import IncompatibleKeys, Module, load, save
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "Sequential", "Identity", "Tanh", "ReLU", "Sigmoid", "MSELoss",
           "functional", "init", "save", "load", "IncompatibleKeys"]
