"""Checkpoints of training runs: `save_training_state` / `load_training_state`.

A checkpoint holds what a run needs to continue as if it had never stopped: the model's
`state_dict`, the optimizer's and the LR scheduler's, the step counter, the state of `sg.random`
(see `sg.random.get_state`) and of NumPy's global generator, the state of a `DataLoader` (its
shuffling and position in the epoch) and any `extra` data (numbers, strings, arrays, tensors,
nested dicts/lists, e.g. `rng.bit_generator.state` of your own NumPy generators). It is written
with `sg.save` (`.safetensors` or `.npz` by suffix), atomically: a run killed while saving leaves
the previous checkpoint intact. Resuming a seeded run from its last checkpoint gives bitwise the
same parameters as the uninterrupted run (Tests/python/test_persistence_checkpoint.py kills one
with SIGKILL to check).
"""
import numpy as np

from .. import random
from ..serialization import load, save

FORMAT_VERSION = 1


def _numpy_state():
    return np.random.get_state(legacy=False)


def save_training_state(path, model=None, optimizer=None, scheduler=None, step=None, extra=None, loader=None,
                        rng=True):
    """Writes a checkpoint of a training run to `path` (atomically) and returns `path`.

    model / optimizer / scheduler: saved through their `state_dict()`; step: an int (or anything
    `sg.save` stores); extra: your own data; loader: a `DataLoader` whose position is saved; rng:
    also save the states of `sg.random` and of NumPy's global generator (default True)."""
    state = {"format_version": FORMAT_VERSION, "step": step, "extra": extra}
    if model is not None:
        state["model"] = model.state_dict()
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if loader is not None:
        state["loader"] = loader.state_dict()
    if rng:
        state["rng"] = {"swiftgrad": random.get_state(), "numpy": _numpy_state()}
    return save(state, path)


def load_training_state(path, model=None, optimizer=None, scheduler=None, loader=None, rng=True, strict=True):
    """Reads a checkpoint written by `save_training_state` and restores it into the objects given:
    `model.load_state_dict(..., strict)`, `optimizer.load_state_dict`, `scheduler.load_state_dict`,
    `loader.load_state_dict`, and (with `rng`) the states of `sg.random` and NumPy's global generator.
    Returns the whole checkpoint as a dict ("step", "extra", "model", ... as saved)."""
    state = load(path)
    if not isinstance(state, dict) or "format_version" not in state:
        raise ValueError(f"{path}: not a checkpoint written by save_training_state")
    if state["format_version"] > FORMAT_VERSION:
        raise ValueError(f"{path}: checkpoint format {state['format_version']} is newer than this swiftgrad's "
                         f"({FORMAT_VERSION})")
    for name, target in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if target is None:
            continue
        if name not in state:
            raise KeyError(f"{path}: the checkpoint has no {name} state")
        if name == "model":
            target.load_state_dict(state[name], strict=strict)
        else:
            target.load_state_dict(state[name])
    if rng and "rng" in state:
        random.set_state(state["rng"]["swiftgrad"])
        np.random.set_state(state["rng"]["numpy"])
    return state
