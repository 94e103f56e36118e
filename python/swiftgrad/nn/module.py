"""`Module`: the base class of layers and models (PyTorch's `nn.Module`)."""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import _C
from .._tensor import Tensor
from ..autograd import no_grad
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class: assigning a `Parameter` or a `Module` to an attribute registers it.

    Subclasses call `super().__init__()` first and define `forward`; calling the module calls
    `forward`.
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation; subclasses define it and callers use `module(...)`."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- Registration ---------------------------------------------------------------------

    def _registries(self):
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError("cannot assign to a Module before Module.__init__() is called")
        return params, self.__dict__["_buffers"], self.__dict__["_modules"]

    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Module)):
            params, buffers, modules = self._registries()
            for registry in (params, buffers, modules):
                registry.pop(name, None)
            self.__dict__.pop(name, None)
            (params if isinstance(value, Parameter) else modules)[name] = value
            return
        params = self.__dict__.get("_parameters")
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' "
                                "(a swiftgrad.nn.Parameter or None is required)")
            params[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}'")
            self._buffers[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}'")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                del self.__dict__[registry][name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Registers `param` (a Parameter, or None for an absent one) under `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}'")
        if param is None:
            self._registries()[0][name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is part of the module's state but not a parameter (saved in
        `state_dict` unless `persistent=False`)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer '{name}'")
        params, buffers, modules = self._registries()
        params.pop(name, None)
        modules.pop(name, None)
        self.__dict__.pop(name, None)
        buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Registers the submodule `module` (or None) under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if module is None:
            self._registries()[2][name] = None
        else:
            setattr(self, name, module)

    # --- Traversal ------------------------------------------------------------------------

    def named_modules(self, prefix="", memo=None):
        """(dotted name, module) pairs for this module and every descendant, each module once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(prefix + ("." if prefix else "") + name, memo)

    def modules(self):
        """This module and every descendant, each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(name, module) pairs of the direct submodules."""
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        """The direct submodules."""
        for _, child in self.named_children():
            yield child

    def _named(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True):
        """(name, parameter) pairs, each shared parameter once, submodules' names dotted."""
        yield from self._named("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """The parameters (of submodules too unless `recurse=False`), each shared one once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        """(dotted name, buffer) pairs of the registered buffers."""
        yield from self._named("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        """The registered buffers (of submodules too unless `recurse=False`)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Calls `fn(module)` on every submodule and then on this one; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- Modes and gradients ------------------------------------------------------------------

    def train(self, mode=True):
        """Sets `.training` to `mode` here and in every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """`train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Sets `requires_grad` on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none=True):
        """Clears the gradients of all parameters (to None, or to zeros in place)."""
        for p in self.parameters():
            _zero_grad(p, set_to_none)

    # --- Saving and loading -------------------------------------------------------------------

    def state_dict(self, prefix="", keep_vars=False):
        """An ordered mapping from dotted names to parameters and persistent buffers (detached
        views sharing memory unless `keep_vars`)."""
        out = OrderedDict()
        for module_prefix, module in self.named_modules(prefix):
            dot = "." if module_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[module_prefix + dot + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[module_prefix + dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copies values into the existing parameters and buffers (in place, so optimizers
        holding them see the new values). Returns (missing_keys, unexpected_keys); with `strict`
        any mismatch raises RuntimeError."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            shape = tuple(np.shape(value))
            if shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {shape}, "
                              f"the shape in the current model is {target.shape}")
        if strict and (missing or unexpected):
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    _C.copy_(target, value if isinstance(value, Tensor) else np.asarray(value))
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Writes `state_dict()` to `path` atomically (`.safetensors` for that suffix, else `.npz`)."""
        save(self.state_dict(), path)

    def load(self, path, strict=True):
        """Loads parameters saved by `save` (a `.npz` or `.safetensors` file) into this module."""
        return self.load_state_dict(load(path), strict=strict)

    # --- Printing -------------------------------------------------------------------------------

    def extra_repr(self):
        """Extra text for this module's line in `repr` (subclasses add their settings)."""
        return ""

    def __repr__(self):
        lines = []
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _zero_grad(p, set_to_none):
    g = p.grad
    if g is None:
        return
    if set_to_none:
        p.grad = None
    elif g.grad_fn is not None:
        # A gradient from create_graph=True belongs to a graph: replace it rather than write
        # into it.
        from .. import zeros

        p.grad = zeros(g.shape, g.dtype)
    elif g.is_sparse:  # a row-sparse zero: no rows
        p.grad = _C.sparse_rows(_C.sparse_indices(g)[:0], _C.sparse_values(g)[:0], g.shape[0])
    else:
        _C.fill_(g, 0.0)


def _format_for(path):
    suffix = str(path).lower().rsplit(".", 1)[-1] if "." in str(path) else ""
    return "safetensors" if suffix == "safetensors" else "npz"


def save(state_dict, path):
    """Writes a mapping of names to tensors/arrays to `path` atomically: a `.safetensors` file for
    that suffix, else NumPy's `.npz` format (whatever the suffix). See `sg.save` for nesting."""
    from .. import serialization

    return serialization.save(OrderedDict((name, value if isinstance(value, Tensor) else np.asarray(value))
                                          for name, value in state_dict.items()), path, format=_format_for(path))


def load(path):
    """Reads a file written by `save` (or any flat `.npz` / `.safetensors` file) into an ordered
    mapping of names to tensors."""
    from .. import serialization, tensor

    loaded = serialization.load(path, format=_format_for(path))
    return OrderedDict((name, value if isinstance(value, Tensor) else tensor(value)) for name, value in loaded.items())
