"""Neural-network building blocks with PyTorch's names: `Module`, `Parameter`, `Linear`,
`Sequential`, activations, `functional` and `init`. See docs/NN_AND_OPTIM.md."""
from . import functional, init, utils
from .layers import (AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout, Embedding, Flatten, GELU, Identity,
                     LayerNorm, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .losses import CrossEntropyLoss, MSELoss
from .module import IncompatibleKeys, Module, load, save
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "Sequential", "Identity", "Tanh", "ReLU", "Sigmoid", "MSELoss",
           "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Embedding", "LayerNorm", "BatchNorm1d",
           "BatchNorm2d", "Dropout", "GELU", "Softmax", "CrossEntropyLoss",
           "functional", "init", "utils", "save", "load", "IncompatibleKeys"]
