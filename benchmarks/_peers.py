"""Optional comparison libraries, each reported as absent when not installed."""
import importlib
import os


def load(name):
    try:
        return importlib.import_module(name)
    except Exception:  # an absent or broken optional peer is reported, never fatal
        return None


def peers():
    found = {}
    torch = load("torch")
    if torch is not None:
        torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", "1")))
        found["torch"] = torch
    jax = load("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        found["jax"] = jax
    hips = load("autograd")
    if hips is not None:
        found["autograd"] = hips
    return found
