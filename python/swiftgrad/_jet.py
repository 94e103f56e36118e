"""Taylor mode: `jet`, `taylor_derivatives`, `laplacian` (docs/TRANSFORMS.md, "Taylor mode").

Orchestration only: the series are rescaled and propagated in Swift (Note [Jet levels],
Sources/SwiftGrad/Autodiff/Jet.swift). `_C.jet_enter` hands the core a primal with its
derivative terms; `_C.jet_term` reads an output's terms back; a jet level is a forward level.
"""
import sys

from . import _C
from .tree_util import flatten as _flatten
from .transforms import _Level, _asarray, _matching_leaves

__all__ = ["jet", "taylor_derivatives", "laplacian"]

# The largest order `taylor_derivatives` builds a series for: a jet costs O(order^2) ops per
# primitive, so larger orders are a mistake (an order of 2**62 would first exhaust memory).
MAX_ORDER = 1024


def jet(f, primals, series):
    """`(f(*primals), series_out)`: Taylor mode, one pass for every order (JAX's `jet`).

    `series[i]` is a sequence of K terms for `primals[i]` (each with the primal's pytree
    structure), in JAX's scaling: term k is the k-th derivative x^(k)(0) of the input curve
    x(t), not divided by k!. `series_out` has the output's structure with each leaf replaced by
    its list of K terms (the derivatives of f(x(t)) at t = 0).
    """
    return _jet(f, primals, series, collapse=False)


def _jet(f, primals, series, collapse):
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError(f"jet: primals and series must be tuples (or lists), got "
                        f"{type(primals).__name__} and {type(series).__name__}")
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series")
    for k, s in enumerate(series):
        if not isinstance(s, (tuple, list)):
            raise TypeError(f"jet: series {k} must be a sequence of terms, got {type(s).__name__}")
    orders = sorted({len(s) for s in series})
    if len(orders) > 1:
        raise ValueError(f"jet: every primal needs a series of the same length, got lengths {orders}")
    order = orders[0] if orders else 0
    level = _C.forward_new_level()
    args = []
    for k, (p, terms) in enumerate(zip(primals, series)):
        p_leaves, rebuild = _flatten(p)
        per_term = [_matching_leaves(p, t, f"jet: series {k} term {j + 1}") for j, t in enumerate(terms)]
        args.append(rebuild(iter([_C.jet_enter(_asarray(leaf), [_asarray(t[i]) for t in per_term], level, collapse)
                                  for i, leaf in enumerate(p_leaves)])))
    with _Level(level):
        out = f(*args)
    leaves, rebuild = _flatten(out)
    leaves = [_asarray(o) for o in leaves]
    primal_out = rebuild(iter([_C.forward_strip(o, level) for o in leaves]))
    series_out = rebuild(iter([[_C.jet_term(o, k, level) for k in range(1, order + 1)] for o in leaves]))
    return primal_out, series_out


def taylor_derivatives(f, x, v, order):
    """`[f(x), f'(x)[v], f''(x)[v, v], ..., f^(order)(x)[v, ..., v]]` by one jet of the line x + t v."""
    if not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= MAX_ORDER:
        raise ValueError(f"taylor_derivatives: order must be an int in [1, {MAX_ORDER}], got {order!r}")
    from . import zeros_like

    v = _asarray(v)
    y, terms = jet(f, (x,), ([v] + [zeros_like(v)] * (order - 1),))
    return [y] + list(terms)


def laplacian(f, x, collapsed=True):
    """The Laplacian sum_i d^2 f / dx_i^2 of a scalar function at `x` (a tensor), by Taylor mode:
    second-order jets along the basis vectors, batched with vmap and summed. `collapsed` (the
    default) propagates only the sum of the second-order terms (Note [Collapsed Taylor mode],
    Dangel et al. 2025); False keeps one second-order term per basis vector."""
    sg = sys.modules[__package__]  # no import statement per call (they cost more than a small op)
    x = sg.asarray(x)
    if not x.dtype.kind == "f":
        raise TypeError(f"laplacian: x must be floating-point, got {x.dtype}")
    n = x.size
    basis = sg.eye(n, dtype=x.dtype)
    if x.ndim != 1:
        basis = basis.reshape((n,) + tuple(x.shape))
    # The second input term is zero for every direction: unbatched, so the first op's
    # second-order part runs once instead of once per direction.
    zero = sg.zeros_like(x)
    # vmap over the directions and a jet, entered directly (one tensor in, one out: the general
    # `vmap` and `jet` wrappers' pytree handling was a fifth of the time at d = 64).
    directions = _C.vmap_new_level()
    _C.vmap_push(directions, n, 0)  # randomness "error"
    try:
        level = _C.forward_new_level()
        jetted = _C.jet_enter(x, [_C.vmap_make_batched(basis, 0, directions), zero], level, collapsed)
        with _Level(level):
            out = _asarray(f(jetted))
        second = _C.jet_term(out, 2, level)  # collapsed: the mean over the directions, unbatched
    finally:
        _C.vmap_pop()
    if _C.vmap_level(second) != directions:  # the same for every direction (always when collapsed)
        return second * n
    return sg.sum(_C.vmap_exit(second, directions, n, 0), axis=0)
