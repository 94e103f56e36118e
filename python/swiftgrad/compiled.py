"""Graph mode: `sg.compile` records a function once per input signature into a Swift-side graph,
optimises it, and replays it in one call; `sg.Graph` builds such a graph explicitly in the
course notes' terms (placeholders, variables, gradients, run). See docs/GRAPH_MODE.md."""
import functools
import threading

import numpy as np

from . import _C
from ._dtypes import is_inexact as _is_inexact
from . import tree_util
from ._tensor import Tensor
from .autograd import _closed_over

_local = threading.local()


def _recording_depth():
    return getattr(_local, "depth", 0)


def _differentiated(arrays):
    """Whether an input requires grad or carries a tangent of an open `jvp`/`jacfwd` level."""
    from .transforms import _active_levels

    levels = _active_levels()
    return any(a.requires_grad or any(_C.forward_has_tangent(a, lv) for lv in levels) for a in arrays)


def _note_custom_rule(name):
    """Called by custom_vjp/custom_jvp/Function: while recording, the rule named `name` is inlined
    (its forward operations are recorded), so the compiled graph must not be differentiated from
    outside (`CompiledFunction._run` raises then)."""
    if _recording_depth():
        _local.inlined_rule = name


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


def _static_key(value, where):
    for leaf in tree_util.tree_leaves(value):
        if isinstance(leaf, Tensor) and leaf.requires_grad:
            raise TypeError(f"sg.compile: {where} contains a tensor that requires grad (shape {leaf.shape}); "
                            "a static value is baked into the graph and would get no gradient: pass it as an "
                            "array argument instead")
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
        self._fast = {}  # Tensor-only calls: (shape, dtype) per argument -> an entry of _cache
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
        if not kwargs and not self.static_argnums and all(type(a) is Tensor for a in args):
            if any(_C.vmap_level(a) >= 0 for a in args):
                return self.fn(*args)  # see below
            # Fast path for the common call with Tensors only: a cheaper key, same entries.
            fast_key = tuple((a.shape, a._dtype_code) for a in args)
            entry = self._fast.get(fast_key)
            if entry is None:
                entry = self._fast[fast_key] = self._lookup(args, kwargs)[0]
            return self._run(entry, args)
        if any(_C.vmap_level(leaf) >= 0 for leaf in tree_util.tree_leaves((args, kwargs))):
            # Inside vmap the arguments are batched: the body runs under vmap, uncompiled
            # (docs/TRANSFORMS.md, "vmap"); compile the vmapped function to compile the batch.
            return self.fn(*args, **kwargs)
        entry, arrays = self._lookup(args, kwargs)
        return self._run(entry, arrays)

    @staticmethod
    def _run(entry, arrays):
        graph, out_rebuild, constants, rule, captured = entry
        if rule is not None:
            _note_custom_rule(rule)  # an enclosing recording inlines it as well
        if rule is not None and _differentiated(arrays):
            raise RuntimeError(f"sg.compile: the compiled function inlines the custom rule {rule!r}; differentiating "
                               "it from outside would differentiate the recorded forward operations instead of the "
                               "rule. Compile the derivative instead (sg.compile(sg.grad(f))), or call f uncompiled")
        # A captured tensor that requires grad must get its gradient: replay through autograd.
        results = _C.compiled_run(graph, arrays, 1) if captured and _C.is_grad_enabled() else \
            _C.compiled_run(graph, arrays)
        if len(constants) == 1 and constants[0] is None:
            return out_rebuild(iter(results))
        it = iter(results)
        return out_rebuild(iter([next(it) if c is None else c for c in constants]))

    def _lookup(self, args, kwargs):
        """The entry (graph, output rebuild, constant outputs) for this call's signature,
        recorded if new, and the call's array arguments."""
        static, dynamic, static_values = self._split(args)
        leaves, treedef = tree_util.tree_flatten(dynamic)
        rebuild = treedef._build
        arrays = [_asarray(leaf) if isinstance(leaf, np.ndarray) else leaf for leaf in leaves if _is_array(leaf)]
        key = (
            treedef,
            tuple((tuple(a.shape), str(a.dtype)) for a in arrays),
            tuple(_static_key(leaf, "a non-array argument") for leaf in leaves if not _is_array(leaf)),
            static_values,
            tuple(sorted((k, _static_key(v, f"keyword argument {k!r}")) for k, v in kwargs.items())),
        )
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._record(args, static, leaves, rebuild, arrays, kwargs)
        return entry, arrays

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
        outer_rule = getattr(_local, "inlined_rule", None)
        _local.inlined_rule = None
        try:
            with _Recording(recorder):
                out = self.fn(*call_args, **kwargs)
            rule = _local.inlined_rule
        finally:
            _local.inlined_rule = outer_rule or getattr(_local, "inlined_rule", None)
        self.trace_count += 1
        out_leaves, out_rebuild = tree_util.flatten(out)
        fetches = [_asarray(x) for x in out_leaves if _is_array(x)]
        constants = [None if _is_array(x) else x for x in out_leaves]
        graph = _C.recorder_compile(recorder, fetches, self.optimize)
        captured = any(_closed_over(f, inputs) for f in fetches if f.requires_grad)
        return graph, out_rebuild, constants, rule, captured

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

    def _repr_svg_(self):
        """Jupyter's display of the most recently recorded graph (None before the first call or
        without Graphviz, when Jupyter shows the text repr)."""
        from .graph import dot_to_svg

        return dot_to_svg(self.to_dot()) if self.graphs() else None


def compile(fn=None, *, static_argnums=(), optimize=True):  # noqa: A001 - the public name
    """Records `fn` into a Swift graph on its first call per signature and replays it in one call.

    Usable as `@sg.compile` or `sg.compile(fn, static_argnums=(1,))`. Array arguments (Tensors,
    ndarrays, in pytrees: see `sg.tree_util`) are the graph's inputs; other arguments and those in
    `static_argnums` are part of the signature (a new value records again). Python side effects
    and control flow run only while recording. The compiled function composes with the transforms
    (`sg.grad(sg.compile(f))`, `sg.compile(sg.grad(f))`).
    """
    if fn is None:
        return lambda f: CompiledFunction(f, static_argnums, optimize)
    return CompiledFunction(fn, static_argnums, optimize)


class Graph:
    """A static dataflow graph built explicitly, in the course notes' terms (TensorFlow 1 style).

        g = sg.Graph()
        with g.as_default():                     # operations inside are recorded into g
            x = g.placeholder((3,), name="x")    # fed at run time
            w = g.variable(np.ones(3), name="w") # persists across runs
            loss = sg.sum(sg.tanh(w * x))
            dw, = g.gradients(loss, [w])         # extends the graph with adjoint nodes
        g.run([loss, dw], {x: np.arange(3.0)})   # one call into Swift
        g.assign(w, w_value - 0.1 * dw_value)    # update a variable between runs

    Values used inside `as_default()` blocks that are neither placeholders, variables nor results
    of recorded operations are constants. `run` compiles the graph for each new set of fetches
    (constant folding, CSE, DCE, fusion; see `report`) and caches it.
    """

    def __init__(self):
        self._recorder = _C.recorder_new()
        self._inputs = []  # placeholders and variables, in feeding order
        self._names = {}
        self._values = {}  # variable -> its current value
        self._compiled = {}

    def as_default(self):
        """A context in which swiftgrad operations are recorded into this graph."""
        return _Recording(self._recorder)

    def _add_input(self, t, name, kind):
        t = t.detach()
        if _is_inexact(t.dtype):
            t.requires_grad_()  # so that `gradients` can differentiate with respect to it
        _C.recorder_add_input(self._recorder, t)
        self._inputs.append(t)
        self._names[id(t)] = name or f"{kind}{len(self._inputs) - 1}"
        return t

    def placeholder(self, shape, dtype=None, name=None, example=None):
        """An input fed at run time. Recording runs on `example` (zeros by default), so an
        operation that rejects zeros (cholesky, log of a probability...) needs a valid example."""
        from . import asarray, get_default_dtype, zeros

        dtype = get_default_dtype() if dtype is None else dtype
        value = zeros(tuple(shape), dtype=dtype) if example is None else asarray(example, dtype=dtype)
        if tuple(value.shape) != tuple(shape):
            raise ValueError(f"placeholder {name!r}: example has shape {tuple(value.shape)}, expected {tuple(shape)}")
        return self._add_input(value, name, "placeholder")

    def variable(self, value, name=None):
        """A stateful input: its current value is fed by every `run`; change it with `assign`."""
        from . import tensor

        v = self._add_input(tensor(value), name, "variable")
        self._values[id(v)] = tensor(value, dtype=v.dtype)
        return v

    def constant(self, value):
        """A constant of the graph (any array used in `as_default()` is one; this names it)."""
        from . import tensor

        return tensor(value)

    def assign(self, variable, value):
        """Sets the value a variable has in later runs (shape and dtype must not change)."""
        from . import tensor

        if id(variable) not in self._values:
            raise ValueError("assign: not a variable of this graph")
        new = tensor(value, dtype=variable.dtype)
        if tuple(new.shape) != tuple(variable.shape):
            raise ValueError(f"assign: variable {self._names[id(variable)]!r} has shape {tuple(variable.shape)}, "
                             f"got {tuple(new.shape)}")
        self._values[id(variable)] = new

    def value(self, variable):
        """A variable's current value."""
        return self._values[id(variable)]

    def gradients(self, output, wrt):
        """d output / d wrt as new nodes of the graph (reverse mode by graph extension)."""
        from .autograd import grad
        from . import zeros_like

        with self.as_default():
            grads = grad(output, list(wrt), create_graph=True, allow_unused=True)
            return [zeros_like(w) if g is None else g for g, w in zip(grads, wrt)]

    def _graph_for(self, fetches):
        key = tuple(id(f) for f in fetches)
        entry = self._compiled.get(key)
        if entry is None:
            entry = (_C.recorder_compile(self._recorder, list(fetches), True), list(fetches))
            self._compiled[key] = entry
        return entry[0]

    def run(self, fetches, feed_dict=None):
        """Evaluates `fetches` (a tensor or a list of them) with placeholders fed from `feed_dict`
        ({placeholder or its name: value}) and variables at their current values."""
        from . import tensor

        single = isinstance(fetches, Tensor)
        fetch_list = [fetches] if single else list(fetches)
        feeds = {}
        for key, value in (feed_dict or {}).items():
            target = next((t for t in self._inputs if t is key or self._names[id(t)] == key), None)
            if target is None or id(target) in self._values:
                raise ValueError(f"run: {key!r} is not a placeholder of this graph")
            feeds[id(target)] = tensor(value, dtype=target.dtype)
        inputs = []
        for t in self._inputs:
            value = self._values.get(id(t)) if id(t) in self._values else feeds.get(id(t))
            if value is None:
                raise ValueError(f"run: placeholder {self._names[id(t)]!r} (shape {tuple(t.shape)}) was not fed")
            inputs.append(value)
        results = _C.compiled_run(self._graph_for(fetch_list), inputs, 0)
        return results[0] if single else list(results)

    def report(self, fetches):
        """What the graph passes did for these fetches."""
        return _C.compiled_text(self._graph_for([fetches] if isinstance(fetches, Tensor) else list(fetches)), 0)

    def to_dot(self, fetches):
        """Graphviz DOT of the optimised graph for these fetches."""
        return _C.compiled_text(self._graph_for([fetches] if isinstance(fetches, Tensor) else list(fetches)), 1)
