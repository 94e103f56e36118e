"""Absorbed into `sg.tree_util` (JAX's pytree semantics): this name stays for modules written
against the former minimal pytree. `flatten(tree) -> (leaves, rebuild)`, `rebuild(iterator)`."""
from .tree_util import flatten

__all__ = ["flatten"]
