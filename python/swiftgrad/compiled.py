"""Graph mode: `sg.compile` records a function once per input signature into a Swift-side graph,
optimises it, and replays it in one call; `sg.Graph` builds such a graph explicitly in the
course notes' terms (placeholders, variables, gradients, run). See docs/GRAPH_MODE.md."""
import functools
import threading

import numpy as np

from . import _C
from . import _tree
from ._tensor import Tensor

_local = threading.local()


def _recording_depth():
    return getattr(_local, "depth", 0)


class _Recording:
    """Activates a Swift recorder on this thread for the duration of a `with` block."""

    def __init__(self, recorder):
        self.recorder = recorder

    def __enter__(self):
        _C.recorder_activate(self.recorder, True)
        _local.depth = _recording_depth() + 1
        return self

    def __exit__(self, *exc):
        _local.depth = _recording_depth() - 1
        _C.recorder_activate(self.recorder, False)
        return False


def _asarray(x):
    from . import asarray

    return asarray(x)


def _is_array(leaf):
    return isinstance(leaf, (Tensor, np.ndarray))


def _structure(tree):
    """A hashable description of a pytree's containers (leaves are marked, not described)."""
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(_structure(x) for x in tree))
    if isinstance(tree, dict):
        return ("dict", tuple((k, _structure(v)) for k, v in tree.items()))
    return "*"


def _static_key(value, where):
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"sg.compile: {where} is not an array and not hashable ({type(value).__name__}); "
                        "pass arrays as Tensors/ndarrays, other arguments must be hashable") from None
    return (type(value).__name__, value)


class CompiledFunction:
    """What `sg.compile(f)` returns: call it like `f`. Each new signature (pytree structure, array
    shapes and dtypes, values of static and non-array arguments) is recorded once."""

    def __init__(self, fn, static_argnums=(), optimize=True):
        self.fn = fn
        self.static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        self.optimize = optimize
        self._cache = {}
        self.trace_count = 0
        functools.update_wrapper(self, fn)

    def _split(self, args):
        n = len(args)
        static = {i % n if n else i for i in self.static_argnums}
        for i in self.static_argnums:
            if not -n <= i < n:
                raise ValueError(f"sg.compile: static_argnums {self.static_argnums} out of range for {n} arguments")
        dynamic = [a for i, a in enumerate(args) if i not in static]
        static_values = tuple(_static_key(args[i], f"static argument {i}") for i in sorted(static))
        return static, dynamic, static_values

    def __call__(self, *args, **kwargs):
        static, dynamic, static_values = self._split(args)
        leaves, rebuild = _tree.flatten(dynamic)
        arrays = [_asarray(leaf) if isinstance(leaf, np.ndarray) else leaf for leaf in leaves if _is_array(leaf)]
        key = (
            _structure(dynamic),
            tuple((tuple(a.shape), str(a.dtype)) for a in arrays),
            tuple(_static_key(leaf, "a non-array argument") for leaf in leaves if not _is_array(leaf)),
            static_values,
            tuple(sorted((k, _static_key(v, f"keyword argument {k!r}")) for k, v in kwargs.items())),
        )
        entry = self._cache.get(key)
        if entry is None:
            entry = self._record(args, static, leaves, rebuild, arrays, kwargs)
            self._cache[key] = entry
        graph, out_rebuild, constants = entry
        results = iter(_C.compiled_run(graph, arrays))
        return out_rebuild(iter([next(results) if c is None else c for c in constants]))

    def _record(self, args, static, leaves, rebuild, arrays, kwargs):
        recorder = _C.recorder_new()
        inputs = []
        for a in arrays:
            placeholder = a.detach()  # shares memory, carries no history
            _C.recorder_add_input(recorder, placeholder)
            inputs.append(placeholder)
        it = iter(inputs)
        call_leaves = [next(it) if _is_array(leaf) else leaf for leaf in leaves]
        dynamic = rebuild(iter(call_leaves))
        d = iter(dynamic)
        call_args = [args[i] if i in static else next(d) for i in range(len(args))]
        with _Recording(recorder):
            out = self.fn(*call_args, **kwargs)
        self.trace_count += 1
        out_leaves, out_rebuild = _tree.flatten(out)
        fetches = [_asarray(x) for x in out_leaves if _is_array(x)]
        constants = [None if _is_array(x) else x for x in out_leaves]
        graph = _C.recorder_compile(recorder, fetches, self.optimize)
        return graph, out_rebuild, constants

    def graphs(self):
        """The compiled graphs, one per recorded signature."""
        return [entry[0] for entry in self._cache.values()]

    def report(self):
        """What the graph passes did on each recorded signature (text)."""
        return "\n\n".join(_C.compiled_text(g, 0) for g in self.graphs())

    def to_dot(self):
        """Graphviz DOT of the most recently recorded graph."""
        graphs = self.graphs()
        if not graphs:
            raise RuntimeError("sg.compile: nothing recorded yet; call the function first")
        return _C.compiled_text(graphs[-1], 1)


def compile(fn=None, *, static_argnums=(), optimize=True):  # noqa: A001 - the public name
    """Records `fn` into a Swift graph on its first call per signature and replays it in one call.

    Usable as `@sg.compile` or `sg.compile(fn, static_argnums=(1,))`. Array arguments (Tensors,
    ndarrays, in tuples/lists/dicts) are the graph's inputs; other arguments and those in
    `static_argnums` are part of the signature (a new value records again). Python side effects
    and control flow run only while recording. The compiled function composes with the transforms
    (`sg.grad(sg.compile(f))`, `sg.compile(sg.grad(f))`).
    """
    if fn is None:
        return lambda f: CompiledFunction(f, static_argnums, optimize)
    return CompiledFunction(fn, static_argnums, optimize)
