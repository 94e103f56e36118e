"""Small random programs over the op table, for the differential tests of test_random_programs.py.

A program takes one pytree of float64 arrays (dicts, lists, tuples, namedtuples, a registered
node, None) and runs a few steps. A step applies one op of Tests/python/op_table.py, in one of the
API "kinds" below (plain, custom_vjp with a tensor or a pytree output, custom_jvp, Function,
checkpoint of a function returning a tensor or a pytree, checkpoint_sequential, compile, and
nestings of two of them), to arguments made from earlier values: each op input is the op's own
valid input `base` (from `OpCase.inputs`) times `exp(0.05 (tanh(z) - 1))`, where `z` comes from
an earlier value by a scalar reduction, broadcasting, integer-array indexing or slicing. Factors
in [0.90, 1] keep every input inside the box the op table draws from (so in its op's domain:
positive, away from zero, |x| < 1 for arcsin, |x| <= 1.5 < pi/2 for tan) and keep signs, so the
op table's care about kinks carries over. The program returns the tuple of its
step outputs.

Choices go through a `chooser(name, options)` callable, so the same builder serves hypothesis
(`data.draw`) and the deterministic sweep (a seeded NumPy generator with forced choices).
"""
import collections
from dataclasses import dataclass, field

import numpy as np

import swiftgrad as sg
from op_table import ALL
from swiftgrad import tree_util

KINDS = ("plain", "custom_vjp", "custom_vjp_tree", "custom_jvp", "function", "checkpoint", "checkpoint_tree",
         "checkpoint_sequential", "compile",
         # nested: the outer kind wraps the inner one
         "checkpoint/custom_vjp", "custom_vjp/checkpoint", "function/custom_jvp", "custom_jvp/function",
         "checkpoint/compile", "custom_vjp/custom_jvp")
RULE_KINDS = ("custom_vjp", "custom_jvp", "function")
FEATURES = ("scalar", "broadcast", "index", "slice")
CONTAINERS = ("dict", "list", "tuple", "namedtuple", "registered", "none")
LEAF_SHAPES = ((), (2,), (3,), (2, 2), (1, 3))

# Ops of the table left out, with the reason. Everything else is claimed (test_generator_coverage).
# Cases whose result size depends on the values cannot be recorded by the compile kinds.
EXCLUDED = {c.name: "graph mode cannot record a value-dependent result size" for c in ALL if not c.recordable}
CLAIMED = [c for c in ALL if c.name not in EXCLUDED]
BY_NAME = {c.name: c for c in CLAIMED}

Pair = collections.namedtuple("Pair", "left right")


class Bag:
    """A user container registered as a pytree node (children: the items; aux: a label)."""

    def __init__(self, items, label="bag"):
        self.items, self.label = list(items), label

    def __repr__(self):
        return f"Bag({self.items!r})"


tree_util.register_pytree_node(Bag, lambda b: (b.items, b.label), lambda label, c: Bag(c, label))


@dataclass
class Step:
    case: object
    kind: str
    sources: list  # per op input: (feature, env index, extra)
    wrapped: object = None


@dataclass
class Program:
    tree: object  # the argument: a pytree of NumPy arrays
    steps: list
    cotangents: list = field(default_factory=list)  # one fixed array per step output, for losses
    containers: set = field(default_factory=set)

    @property
    def kinds(self):
        return {s.kind for s in self.steps}

    @property
    def apis(self):
        """The single API kinds used, nested ones split."""
        return {k.replace("_tree", "") for s in self.steps for k in s.kind.split("/")}

    @property
    def features(self):
        return {src[0] for s in self.steps for src in s.sources}

    @property
    def second_order(self):
        return all(s.case.second_order for s in self.steps)

    @property
    def has_custom_rule(self):
        return bool(self.apis & set(RULE_KINDS))

    def __repr__(self):
        steps = ", ".join(f"{s.kind}({s.case.name}; {[src[:2] for src in s.sources]})" for s in self.steps)
        return f"Program(tree={tree_util.tree_map(np.shape, self.tree)}, steps=[{steps}])"

    # --- running ------------------------------------------------------------------------------

    def __call__(self, tree):
        """The tuple of step outputs for `tree` (arrays or tensors, in this program's structure)."""
        env = list(tree_util.tree_leaves(tree))
        outs = []
        for step in self.steps:
            args = [_argument(base, src, env) for base, src in zip(step.case.inputs(), step.sources)]
            out = step.wrapped(args)
            env.append(out)
            outs.append(out)
        return tuple(outs)

    def loss(self, tree):
        """<cotangents, outputs>: a scalar whose gradient is J^T cotangents."""
        total = None
        for out, c in zip(self(tree), self.cotangents):
            term = sg.sum(out * c)
            total = term if total is None else total + term
        return total

    def leaves(self):
        return [np.asarray(x, np.float64) for x in tree_util.tree_leaves(self.tree)]

    def with_leaves(self, leaves):
        return tree_util.tree_unflatten(tree_util.tree_structure(self.tree), leaves)


def _argument(base, src, env):
    feature, k, extra = src
    v = env[k]
    if feature == "scalar" or v.size == 0:
        z = sg.mean(sg.sin(v)) if v.size else 0.0
    elif feature == "broadcast":
        z = sg.sin(v)  # v.shape broadcasts to base.shape (checked when built)
    elif feature == "index":
        z = sg.reshape(sg.ravel(v)[extra], base.shape)
    else:  # slice
        z = sg.reshape(sg.ravel(v)[extra:extra + base.size], base.shape)
    return base * sg.exp(0.05 * (sg.tanh(z) - 1))


# --- the wrappers: one per API kind ---------------------------------------------------------------


def _wrap(kind, fn, n, name):
    if "/" in kind:
        outer, inner = kind.split("/")
        wrapped = _wrap(inner, fn, n, name)
        return _wrap(outer, lambda *args: wrapped(list(args)), n, name)
    keys = [f"x{i:02d}" for i in range(n)]
    if kind == "plain":
        return lambda args: fn(*args)
    if kind == "custom_vjp":
        f = sg.custom_vjp(lambda xs: fn(*xs))

        def fwd(xs):
            return f(xs), xs  # calls f inside its own fwd, as JAX's documentation does

        def bwd(xs, g):
            _, pull = sg.vjp(fn, *xs)
            return (list(pull(g)),)

        f.defvjp(fwd, bwd)
        return lambda args: f(list(args))
    if kind == "custom_vjp_tree":  # a pytree output: the cotangent has its structure
        def tree_fn(*xs):
            y = fn(*xs)
            return y, {"s": sg.sum(y), "n": sg.argmax(sg.ravel(y)) if y.size else sg.zeros((), sg.int64)}

        f = sg.custom_vjp(lambda xs: tree_fn(*xs))

        def fwd_tree(xs):
            return f(xs), xs

        def bwd_tree(xs, g):
            _, pull = sg.vjp(tree_fn, *xs)
            return (list(pull((g[0], {"s": g[1]["s"], "n": sg.zeros((), sg.int64)}))),)

        f.defvjp(fwd_tree, bwd_tree)

        def run_tree(args):
            y, d = f(list(args))
            return y * 0.5 + d["s"] * 0.25
        return run_tree
    if kind == "custom_jvp":
        f = sg.custom_jvp(lambda xs: fn(*xs))

        @f.defjvp
        def rule(primals, tangents):
            (xs,), (ts,) = primals, tangents
            return sg.jvp(fn, tuple(xs), tuple(ts))

        return lambda args: f(tuple(args))
    if kind == "function":
        class Wrapped(sg.Function):
            @staticmethod
            def forward(ctx, d):
                ctx.save_for_backward(*[d[k] for k in keys])
                return fn(*[d[k] for k in keys])

            @staticmethod
            def backward(ctx, g):
                with sg.enable_grad():
                    _, pull = sg.vjp(fn, *ctx.saved_tensors)
                    grads = pull(g)
                return {k: gk for k, gk in zip(keys, grads)}

        Wrapped.__name__ = f"Function_{name}"
        return lambda args: Wrapped.apply(dict(zip(keys, args)))
    if kind == "checkpoint":
        return lambda args: sg.checkpoint(lambda d: fn(*d["xs"]), {"xs": list(args), "none": None})
    if kind == "checkpoint_tree":  # a checkpointed function returning a pytree
        def run_tree(args):
            out = sg.checkpoint(lambda xs: {"y": fn(*xs), "pair": (fn(*xs) * 0.5, sg.sum(xs[0]))}, list(args))
            return out["y"] * 0.5 + out["pair"][0] + 0 * out["pair"][1]
        return run_tree
    if kind == "checkpoint_sequential":
        def run(args):
            rest = args[1:]  # closed over by the first segment: checkpoint finds them
            return sg.checkpoint_sequential([lambda h: fn(h, *rest), lambda y: y * 1.0], 2, args[0])
        return run
    if kind == "compile":
        cf = sg.compile(lambda xs: fn(*xs))
        return lambda args: cf(tuple(args))
    raise ValueError(kind)


# --- building -------------------------------------------------------------------------------------


def _make_tree(choose, rng, program):
    n = choose("n_leaves", [2, 3, 4])
    leaves = [rng.uniform(-1.0, 1.0, choose(f"shape{i}", LEAF_SHAPES)) for i in range(n)]
    outer = choose("outer", ["dict", "list", "tuple", "registered"])
    inner = choose("inner", ["namedtuple", "list", "tuple", "dict"])
    program.containers |= {outer, inner, "none"}
    first = leaves[:2]
    if inner == "namedtuple":
        group = Pair(*first)
    elif inner == "dict":
        group = {"right": first[1], "left": first[0]}
    else:
        group = first if inner == "list" else tuple(first)
    items = [group, None] + leaves[2:]
    if outer == "dict":
        return {f"k{i}": item for i, item in enumerate(items)}
    if outer == "registered":
        return Bag(items)
    return items if outer == "list" else tuple(items)


def _source(choose, rng, base_shape, env_shapes, i):
    k = choose(f"src{i}", list(range(len(env_shapes))))
    feature = choose(f"feature{i}", list(FEATURES))
    shape, size = env_shapes[k], int(np.prod(env_shapes[k]))
    n = int(np.prod(base_shape))
    if feature == "broadcast" and not _broadcasts(shape, base_shape):
        feature = "index"
    if feature == "slice" and size < n:
        feature = "index"
    if size == 0:
        feature = "scalar"
    extra = None
    if feature == "index":
        extra = rng.integers(0, size, n) if n else np.zeros(0, np.int64)
    elif feature == "slice":
        extra = int(rng.integers(0, size - n + 1))
    return (feature, k, extra)


def _broadcasts(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def build(choose, seed, n_steps, forced=()):
    """A program from `choose(name, options)`; `forced` gives (case, kind) for the first steps."""
    rng = np.random.default_rng(seed)
    program = Program(tree=None, steps=[])
    program.tree = _make_tree(choose, rng, program)
    env_shapes = [np.shape(x) for x in tree_util.tree_leaves(program.tree)]
    for j in range(n_steps):
        if j < len(forced):
            case, kind = forced[j]
        else:
            case = BY_NAME[choose(f"op{j}", sorted(BY_NAME))]
            kind = choose(f"kind{j}", list(KINDS))
        bases = case.inputs()
        sources = [_source(choose, rng, b.shape, env_shapes, f"{j}_{i}") for i, b in enumerate(bases)]
        step = Step(case, kind, sources)
        step.wrapped = _wrap(kind, case.fn, len(bases), case.name)
        program.steps.append(step)
        out_shape = np.shape(case.reference(*bases))
        env_shapes.append(out_shape)
        program.cotangents.append(rng.uniform(-1.0, 1.0, out_shape))
    return program


def rng_chooser(seed):
    """A chooser drawing uniformly with a seeded NumPy generator."""
    rng = np.random.default_rng(seed)
    return lambda name, options: options[int(rng.integers(0, len(options)))]
