"""A minimal pytree for the transforms: tuples (named or not), lists and dicts are containers;
anything else is a leaf."""


def flatten(tree):
    """The leaves of `tree` and a function rebuilding the same structure from an iterator."""
    if isinstance(tree, (tuple, list)):
        parts = [flatten(x) for x in tree]
        kind = type(tree)

        def rebuild(it):
            items = [p[1](it) for p in parts]
            if kind in (tuple, list):
                return kind(items)
            return kind(*items) if hasattr(kind, "_fields") else kind(items)

        return [leaf for p in parts for leaf in p[0]], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten(tree[k]) for k in keys]
        return [leaf for p in parts for leaf in p[0]], lambda it: {k: p[1](it) for k, p in zip(keys, parts)}
    return [tree], lambda it: next(it)
