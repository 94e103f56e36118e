"""The `Optimizer` base class: parameter groups, per-parameter state, zero_grad, state_dict.
The update arithmetic of each optimizer runs in Swift (Sources/SwiftGrad/Optim)."""
from .. import _C
from .._tensor import Tensor
from ..nn.module import _zero_grad


class Optimizer:
    """Base class of the optimizers: `param_groups` (lists of parameters with their own
    hyperparameters), per-parameter `state`, `zero_grad()`, `step()` and state dicts."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            "dicts, but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Adds a dict `{"params": ..., hyperparameter: value, ...}`; missing hyperparameters take
        the optimizer's defaults. A parameter may belong to one group only."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if id(p) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            seen.add(id(p))
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Validates a group's hyperparameters (subclasses)."""

    def zero_grad(self, set_to_none=True):
        """Clears every parameter's gradient (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                _zero_grad(p, set_to_none)

    def step(self, closure=None):
        """One update of every parameter whose `.grad` is not None. `closure`, when given,
        re-evaluates the loss (with gradients) first; its value is returned."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        for gi, group in enumerate(self.param_groups):
            for pi, p in enumerate(group["params"]):
                g = p.grad
                if g is not None:
                    if not self._accepts_sparse and g.is_sparse:
                        raise RuntimeError(
                            f"{type(self).__name__} does not support sparse gradients: parameter {pi} of "
                            f"parameter group {gi} (shape {tuple(p.shape)}, {p.dtype}) has a row-sparse "
                            "gradient (Embedding(sparse=True)); use optim.SparseAdam, optim.SGD or "
                            "optim.Adagrad for it, or sparse=False")
                    self._update(p, g, self.state.setdefault(p, {}), group)
        return loss

    #: Whether `_update` takes row-sparse gradients (SGD, Adagrad, SparseAdam).
    _accepts_sparse = False

    def _update(self, p, grad, state, group):
        raise NotImplementedError

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [...]} with parameters named by index, as
        PyTorch does; state tensors are copies."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (_C.copy(v) if isinstance(v, Tensor) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores the state and hyperparameters saved by `state_dict()`."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict has a different number of parameter groups or parameters")
        params = {}
        for saved, own in zip(groups, self.param_groups):
            for i, p in zip(saved["params"], own["params"]):
                params[i] = p
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, entries in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {k: (_C.copy(v) if isinstance(v, Tensor) else v) for k, v in entries.items()}

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"
