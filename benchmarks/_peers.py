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


def machine():
    """One line naming the CPU model, swiftgrad's BLAS (library, version, core, threads), NumPy's
    BLAS and the thread settings: every benchmark result must say where it was taken."""
    import platform

    import numpy as np

    import swiftgrad as sg

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    blas = sg.show_config("dicts")
    try:
        numpy_blas = np.show_config("dicts")["Build Dependencies"]["blas"]
        numpy_blas = f"{numpy_blas.get('name')} {numpy_blas.get('version')}"
    except Exception:
        numpy_blas = "unknown"
    settings = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "SWIFTGRAD_NUM_THREADS",
                                           "OMP_NUM_THREADS") if k in os.environ}
    return (f"CPU: {cpu}, {os.cpu_count()} cores; swiftgrad core: {blas['isa']} "
            f"(-target-cpu {blas['isa_target_cpu']}); swiftgrad BLAS: {blas['config'] or blas['error']} "
            f"(core {blas['core']}, {blas['threads']} threads); NumPy BLAS: {numpy_blas}; "
            f"settings: {settings or 'none'}")
