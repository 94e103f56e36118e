"""The MPI world: lazy mpi4py import, `init`, `rank`, `world_size`, `barrier`, abort on error.

mpi4py is optional: importing `swiftgrad.distributed` never imports it; the first call that needs
MPI does, and raises an ImportError naming the extra (`pip install swiftgrad[distributed]`) when
it is missing."""
import sys
import time
import traceback

_state = {"MPI": None, "comm": None, "abort_hook": False}


def _mpi():
    """The `mpi4py.MPI` module (imported, and MPI initialised, on first use)."""
    if _state["MPI"] is None:
        try:
            from mpi4py import MPI
        except ImportError as e:  # pragma: no cover - exercised only without mpi4py
            raise ImportError("swiftgrad.distributed needs mpi4py and an MPI library: "
                              "pip install mpi4py mpich (or pip install swiftgrad[distributed])") from e
        _state["MPI"] = MPI
        _state["comm"] = MPI.COMM_WORLD
    return _state["MPI"]


def comm():
    """The communicator the collectives use (MPI.COMM_WORLD unless `init(comm=...)` set another)."""
    _mpi()
    return _state["comm"]


def _abort_excepthook(exc_type, exc, tb):
    """Prints the traceback (prefixed with the rank) and aborts the whole MPI job, so that the other
    ranks, possibly blocked in a collective, stop at once instead of waiting forever."""
    r = _state["comm"].Get_rank() if _state["comm"] is not None else "?"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"[swiftgrad.distributed rank {r}] uncaught exception, aborting the MPI job:\n{text}")
    sys.stderr.flush()
    # mpiexec relays each rank's output through its own process, and the abort tears the job down
    # at once: without a moment's grace the traceback was sometimes lost on the way (1 run in ~5).
    time.sleep(0.25)
    try:
        _state["MPI"].COMM_WORLD.Abort(1)
    finally:  # Abort does not return; this runs only if it failed
        sys.__excepthook__(exc_type, exc, tb)


def init(comm=None, abort_on_error=True):
    """Initialises MPI (through mpi4py) and returns the communicator. `comm` replaces
    MPI.COMM_WORLD for every collective. With `abort_on_error` (the default) an uncaught exception
    on any rank prints its traceback and calls `MPI.COMM_WORLD.Abort`, so the other ranks fail
    promptly instead of hanging in their next collective. Safe to call more than once."""
    MPI = _mpi()
    if comm is not None:
        _state["comm"] = comm
    if abort_on_error and not _state["abort_hook"] and MPI.COMM_WORLD.Get_size() > 1:
        sys.excepthook = _abort_excepthook
        _state["abort_hook"] = True
    return _state["comm"]


def is_initialized():
    """True once MPI has been initialised by `init` or any collective."""
    return _state["MPI"] is not None


def rank():
    """This process's rank in the communicator (0 ... world_size() - 1)."""
    return comm().Get_rank()


def world_size():
    """The number of processes in the communicator (1 when not started by mpiexec)."""
    return comm().Get_size()


def barrier():
    """Blocks until every rank has called `barrier()`."""
    comm().Barrier()


def abort(code=1):
    """Aborts every process of the MPI job with exit code `code`."""
    _mpi().COMM_WORLD.Abort(code)
