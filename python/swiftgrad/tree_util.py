"""Pytrees, with JAX's semantics (`jax.tree_util`): nested containers whose leaves are arrays.

Containers ("nodes") are tuples, lists, dicts (children in sorted key order, as JAX), namedtuples,
`collections.OrderedDict` (insertion order) and `collections.defaultdict`, `None` (a node with no
children, so it is never a leaf), and any type registered with `register_pytree_node`. Everything
else, tensors and NumPy arrays included, is a leaf.

Every swiftgrad API that takes user functions or arguments flattens them with this module: the
transforms (`grad`, `jvp`, `vjp`, `jacrev`, ...), `custom_vjp`, `custom_jvp`, `Function.apply`,
`checkpoint`, `checkpoint_sequential` and `compile`. See docs/SEMANTICS.md, "Pytrees".
"""
import collections

__all__ = ["PyTreeDef", "register_pytree_node", "register_pytree_node_class", "tree_flatten", "tree_unflatten",
           "tree_leaves", "tree_structure", "tree_map", "treedef_is_leaf", "all_leaves"]


class _Node:
    """How one container type flattens: `flatten(x) -> (children, aux)`, `unflatten(aux, children)`."""

    __slots__ = ("flatten", "unflatten", "name")

    def __init__(self, flatten, unflatten, name):
        self.flatten, self.unflatten, self.name = flatten, unflatten, name


def _dict_flatten(d):
    keys = sorted(d)
    return [d[k] for k in keys], tuple(keys)


def _ordered_flatten(d):
    keys = tuple(d)
    return [d[k] for k in keys], keys


def _defaultdict_flatten(d):
    keys = sorted(d)
    return [d[k] for k in keys], (d.default_factory, tuple(keys))


_REGISTRY = {
    tuple: _Node(lambda t: (list(t), None), lambda _, c: tuple(c), "tuple"),
    list: _Node(lambda t: (list(t), None), lambda _, c: list(c), "list"),
    dict: _Node(_dict_flatten, lambda keys, c: dict(zip(keys, c)), "dict"),
    collections.OrderedDict: _Node(_ordered_flatten, lambda keys, c: collections.OrderedDict(zip(keys, c)),
                                   "OrderedDict"),
    collections.defaultdict: _Node(_defaultdict_flatten,
                                   lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)), "defaultdict"),
    type(None): _Node(lambda _: ([], None), lambda _, c: None, "None"),
}


def _is_namedtuple(cls):
    return issubclass(cls, tuple) and hasattr(cls, "_fields") and cls not in _REGISTRY


_BY_TYPE = {}  # type -> its node, or None for a leaf type (cleared by register_pytree_node)


def _node_of(x):
    """The registered node for `x`'s type (exact type, as JAX), a namedtuple node, or None."""
    cls = type(x)
    try:
        return _BY_TYPE[cls]
    except KeyError:
        pass
    node = _REGISTRY.get(cls)
    if node is None and _is_namedtuple(cls):
        node = _Node(lambda t: (list(t), None), lambda _, c: cls(*c), cls.__name__)
    _BY_TYPE[cls] = node
    return node


def register_pytree_node(nodetype, flatten_func, unflatten_func):
    """Makes `nodetype` a container: `flatten_func(x) -> (children, aux_data)` with `children` an
    iterable and `aux_data` hashable, `unflatten_func(aux_data, children) -> x`. As in JAX the
    type must match exactly (subclasses are not included) and a type can be registered once."""
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node: expected a type, got {nodetype!r}")
    if nodetype in _REGISTRY:
        raise ValueError(f"register_pytree_node: {nodetype.__name__} is already registered as a pytree node")
    _REGISTRY[nodetype] = _Node(lambda x: _checked(flatten_func(x), nodetype), unflatten_func, nodetype.__name__)
    _BY_TYPE.pop(nodetype, None)
    return nodetype


def _checked(result, nodetype):
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"the flatten function registered for {nodetype.__name__} must return "
                        f"(children, aux_data), got {type(result).__name__}")
    return list(result[0]), result[1]


def register_pytree_node_class(cls):
    """Class decorator: registers `cls` with its `tree_flatten()` method and `tree_unflatten`
    classmethod, as `jax.tree_util.register_pytree_node_class`."""
    return register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)


class PyTreeDef:
    """The structure of a pytree (its containers and where the leaves go), without the leaves.

    Hashable and comparable: two trees have equal treedefs when their containers, keys and
    auxiliary data match. `num_leaves`, `num_nodes`, `unflatten(leaves)`, `children()`."""

    __slots__ = ("node", "aux", "kids", "num_leaves", "num_nodes", "_hash")

    def __init__(self, node, aux, kids):
        self.node, self.aux, self.kids = node, aux, tuple(kids)
        self.num_leaves = 1 if node is None else sum(k.num_leaves for k in self.kids)
        self.num_nodes = 1 + sum(k.num_nodes for k in self.kids)
        self._hash = None

    def _key(self):
        return (None if self.node is None else self.node.name, self.aux, self.kids)

    def __eq__(self, other):
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if self is other:
            return True
        if self.node is not other.node:
            return False
        return self.aux == other.aux and self.kids == other.kids

    def __hash__(self):
        if self._hash is None:
            try:
                self._hash = hash(self._key())
            except TypeError:
                raise TypeError(f"pytree node {self.node.name} has unhashable auxiliary data {self.aux!r}") from None
        return self._hash

    def __repr__(self):
        return f"PyTreeDef({self._text()})"

    def _text(self):
        if self.node is None:
            return "*"
        kids = [k._text() for k in self.kids]
        name = self.node.name
        if name == "None":
            return "None"
        if name == "tuple":
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if name == "list":
            return "[" + ", ".join(kids) + "]"
        if name == "dict":
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.aux, kids)) + "}"
        return f"{name}[{self.aux!r}](" + ", ".join(kids) + ")"

    def children(self):
        """The treedefs of this node's children (empty for a leaf)."""
        return list(self.kids)

    def unflatten(self, leaves):
        """A tree of this structure holding `leaves` (an iterable, in flattening order)."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"tree_unflatten: {self!r} has {self.num_leaves} leaves, got {len(leaves)}")
        return self._build(iter(leaves))

    def _build(self, it):
        if self.node is None:
            return next(it)
        return self.node.unflatten(self.aux, [k._build(it) for k in self.kids])

    def flatten_up_to(self, tree, none_is_zero=False):
        """The subtrees of `tree` at this structure's leaves (this structure must be a prefix of
        `tree`'s); raises ValueError naming the first place where the containers differ. With
        `none_is_zero`, a None in `tree` where this structure has a subtree stands for that whole
        subtree (one None per leaf), as JAX reads the cotangents a `custom_vjp` bwd returns."""
        out = []
        self._up_to(tree, out, "", none_is_zero)
        return out

    def _up_to(self, tree, out, path, none_is_zero=False):
        if self.node is None:
            out.append(tree)
            return
        if tree is None and none_is_zero:
            out.extend([None] * self.num_leaves)
            return
        node = _node_of(tree)
        if node is not self.node:
            raise ValueError(f"pytree structure mismatch at {path or 'the root'}: expected a {self.node.name}, "
                             f"got {type(tree).__name__}")
        kids, aux = node.flatten(tree)
        if aux != self.aux or len(kids) != len(self.kids):
            raise ValueError(f"pytree structure mismatch at {path or 'the root'}: expected {self!r}, got "
                             f"{tree_structure(tree)!r}")
        for i, (k, sub) in enumerate(zip(self.kids, kids)):
            k._up_to(sub, out, path + self._step(i), none_is_zero)

    def _step(self, i):
        if self.node.name in ("dict", "OrderedDict"):
            return f"[{self.aux[i]!r}]"
        if self.node.name == "defaultdict":
            return f"[{self.aux[1][i]!r}]"
        return f"[{i}]"

    def paths(self, prefix=""):
        """One string per leaf saying where it sits, such as `[1]['w']` (for error messages)."""
        if self.node is None:
            return [prefix]
        return [p for i, k in enumerate(self.kids) for p in k.paths(prefix + self._step(i))]


_LEAF = PyTreeDef(None, None, ())


def _flatten(tree, leaves, is_leaf):
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return _LEAF
    node = _node_of(tree)
    if node is None:
        leaves.append(tree)
        return _LEAF
    kids, aux = node.flatten(tree)
    return PyTreeDef(node, aux, [_flatten(k, leaves, is_leaf) for k in kids])


def tree_flatten(tree, is_leaf=None):
    """`(leaves, treedef)`: the leaves of `tree` in order (dict children by sorted key) and its
    structure. `is_leaf(x) -> bool` can stop the recursion at chosen subtrees."""
    if is_leaf is None and _node_of(tree) is None:  # one array: the common case of the transforms
        return [tree], _LEAF
    leaves = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef, leaves):
    """The tree of structure `treedef` with `leaves` in place of its leaves."""
    return treedef.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
    """The leaves of `tree`, in flattening order."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    """The `PyTreeDef` of `tree`."""
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f, tree, *rest, is_leaf=None):
    """A tree of `tree`'s structure holding `f(leaf, *corresponding leaves of rest)`; each tree of
    `rest` must have `tree`'s structure or have it as a prefix (then `f` gets its subtrees)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others))


def treedef_is_leaf(treedef):
    """Whether `treedef` describes a single leaf."""
    return treedef.node is None


def all_leaves(iterable, is_leaf=None):
    """Whether every element of `iterable` is a leaf."""
    return all(treedef_is_leaf(tree_structure(x, is_leaf)) for x in iterable)


def flatten(tree):
    """Internal shorthand: `(leaves, rebuild)` where `rebuild(iterator)` consumes leaves in order."""
    leaves, treedef = tree_flatten(tree)
    return leaves, lambda it: treedef._build(it)
