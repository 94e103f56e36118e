"""Which BLAS the core uses (Note [Loading BLAS at run time] in Sources/CBLAS/sg_blas.c).

At import the package hands the core the OpenBLAS of the `scipy-openblas32` wheel (a current
OpenBLAS, the build NumPy and SciPy ship), unless SWIFTGRAD_BLAS_LIBRARY names another library;
without that wheel the core falls back to the system OpenBLAS and LAPACKE."""
import os
import warnings

from . import _C


def _wheel_library():
    """The wheel's library, found without importing the package (its import costs ~15 ms, a
    sixth of swiftgrad's import time, for two path lookups)."""
    import importlib.util

    spec = importlib.util.find_spec("scipy_openblas32")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "lib", "libscipy_openblas.so")
    return path if os.path.exists(path) else None


def load():
    """Loads the BLAS at import; warns when its kernels are generic on a CPU with AVX2/AVX-512."""
    path = None if os.environ.get("SWIFTGRAD_BLAS_LIBRARY") else _wheel_library()
    _C.blas_load(path)
    info = _C.blas_info()
    if info["loaded"] and info["generic_core"] and info["cpu_best_core"]:
        warnings.warn(_generic_warning(info), RuntimeWarning, stacklevel=3)


def _generic_warning(info):
    return (f"swiftgrad: the BLAS runs its generic {info['core']!r} kernels although this CPU supports "
            f"{info['cpu_best_core']!r} ones (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r}); "
            "matrix products are several times slower. Unset OPENBLAS_CORETYPE or install scipy-openblas32.")


def config():
    """The BLAS in use as a dict: library, config (version and build), core, threads, ..."""
    return dict(_C.blas_info())


def set_num_threads(n):
    """Sets the number of threads BLAS calls use (OpenBLAS's openblas_set_num_threads)."""
    _C.blas_set_num_threads(int(n))


def get_num_threads():
    """The number of threads BLAS calls use."""
    return _C.blas_info()["threads"]
