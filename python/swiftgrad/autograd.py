"""PyTorch-style autograd entry points: `grad`, grad-mode context managers."""
import functools
import threading

from . import _C


def _as_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of `outputs` with respect to `inputs` (a tuple, one entry per input).

    Does not touch `.grad`. With `create_graph=True` the result is itself differentiable.
    `retain_graph` defaults to `create_graph`. Unused inputs raise unless `allow_unused`,
    in which case their entry is None.
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    gouts = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    retain = -1 if retain_graph is None else int(bool(retain_graph))
    return _C.autograd_grad(outs, ins, gouts, retain, bool(create_graph), bool(allow_unused))


def _closed_over(out, inputs):
    """Leaf tensors requiring grad that `out`'s graph reads without going through `inputs`."""
    stop = {_C.graph_tensor_id(t) for t in inputs}
    found, seen, stack = [], set(), [out]
    while stack:
        t = stack.pop()
        tid = _C.graph_tensor_id(t)
        if tid in seen or tid in stop or not t.requires_grad:
            continue
        seen.add(tid)
        if t.is_leaf:
            found.append(t)
        else:
            stack.extend(_C.graph_node_inputs(t))
    return found


class _GradMode:
    """Context manager and decorator setting grad mode for the current thread."""

    _enabled = True

    def __init__(self):
        self._previous = threading.local()

    def __enter__(self):
        self._previous.value = _C.set_grad_enabled(self._enabled)
        return self

    def __exit__(self, *exc):
        _C.set_grad_enabled(self._previous.value)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Operations inside are not recorded (thread-local), as `torch.no_grad`."""

    _enabled = False


class enable_grad(_GradMode):
    """Re-enables recording inside a `no_grad` block."""

    _enabled = True


class set_grad_enabled(_GradMode):
    """Turns recording on (`mode=True`) or off for this thread, from the call on; used as a context
    manager, the previous mode comes back on exit (PyTorch's `set_grad_enabled`)."""

    def __init__(self, mode):
        super().__init__()
        self._enabled = bool(mode)
        self._previous.value = _C.set_grad_enabled(self._enabled)

    def __enter__(self):
        return self


is_grad_enabled = _C.is_grad_enabled


class detect_anomaly:
    """Within this context (thread-local), backward raises at the first operation whose
    gradient contains NaN or inf, naming the operation and the Python line that created it.
    Recording where each op was created costs time: use it for debugging only."""

    def __init__(self, check_nan=True):
        self._check = bool(check_nan)

    def __enter__(self):
        self._previous = _C.set_anomaly_enabled(self._check)
        return self

    def __exit__(self, *exc):
        _C.set_anomaly_enabled(self._previous)
        return False
