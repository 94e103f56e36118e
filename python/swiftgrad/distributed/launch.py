"""`python -m swiftgrad.distributed.launch -n N [options] script.py [args ...]`: runs `script.py` on N
MPI processes with this Python interpreter, through `mpiexec`.

The mpiexec used is `--mpiexec PATH`, else `$SWIFTGRAD_MPIEXEC`, else the one installed next to
this Python (the `mpich` wheel puts it there, matching the libmpi mpi4py loads), else the first on
PATH. Open MPI refuses to run as root unless told: when running as root the launcher adds
`--allow-run-as-root` (and the matching environment variables) for Open MPI; MPICH's hydra needs
nothing. `--hostfile FILE` runs on several machines (see docs/DISTRIBUTED.md). `--threads T` sets
OPENBLAS_NUM_THREADS and SWIFTGRAD_NUM_THREADS for every process (default 1 per process when
N > 1, so N processes do not fight over the cores), `-m module` runs a module instead of a script.
"""
import argparse
import os
import shutil
import subprocess
import sys
import sysconfig


def find_mpiexec(explicit=None):
    """The path of the mpiexec to use (see the module docstring); None when there is none."""
    for candidate in (explicit, os.environ.get("SWIFTGRAD_MPIEXEC")):
        if candidate:
            return shutil.which(candidate) or candidate
    beside = os.path.join(sysconfig.get_path("scripts"), "mpiexec")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec") or shutil.which("mpirun")


def flavour(mpiexec):
    """"openmpi", "mpich" or "unknown", from `mpiexec --version`."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
        text = (out.stdout + out.stderr).lower()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if "open mpi" in text or "open-mpi" in text or "openrte" in text:
        return "openmpi"
    if "hydra" in text or "mpich" in text or "intel" in text:
        return "mpich"
    return "unknown"


def command(nprocs, target, args=(), module=False, hostfile=None, mpiexec=None, extra=()):
    """(argv, environment additions) running `target` (a script path, or a module with `module`)
    on `nprocs` processes."""
    exe = find_mpiexec(mpiexec)
    if exe is None:
        raise FileNotFoundError("no mpiexec found: pip install mpich (or install Open MPI / MPICH), "
                                "or pass --mpiexec PATH")
    kind = flavour(exe)
    argv, env = [exe, "-n", str(nprocs)], {}
    if kind == "openmpi":
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv.append("--allow-run-as-root")
            env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        if hostfile is None:
            argv.append("--oversubscribe")  # more processes than cores is fine on one machine
        if hostfile:
            argv += ["--hostfile", hostfile]
    elif hostfile:
        argv += ["-f", hostfile]
    argv += list(extra)
    argv += [sys.executable] + (["-m", target] if module else [target]) + list(args)
    return argv, env


def main(argv=None):
    """Parses the command line, runs mpiexec, returns its exit code."""
    parser = argparse.ArgumentParser(prog="python -m swiftgrad.distributed.launch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--nprocs", type=int, default=2, help="number of processes (default 2)")
    parser.add_argument("--hostfile", help="hosts to run on (MPICH: -f FILE, Open MPI: --hostfile FILE)")
    parser.add_argument("--mpiexec", help="the mpiexec to use")
    parser.add_argument("--threads", type=int, help="BLAS and elementwise threads per process")
    parser.add_argument("--mpiexec-arg", action="append", default=[], help="extra argument for mpiexec")
    parser.add_argument("-m", dest="module", action="store_true", help="the target is a module name")
    parser.add_argument("target", help="script.py (or a module name with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the script")
    ns = parser.parse_args(argv)
    if ns.nprocs < 1:
        parser.error("-n must be at least 1")
    cmd, env = command(ns.nprocs, ns.target, ns.args, ns.module, ns.hostfile, ns.mpiexec, ns.mpiexec_arg)
    env = dict(os.environ, **env)
    for var in ("OPENBLAS_NUM_THREADS", "SWIFTGRAD_NUM_THREADS"):
        if ns.threads is not None:
            env[var] = str(ns.threads)
        elif ns.nprocs > 1:
            env.setdefault(var, "1")
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
