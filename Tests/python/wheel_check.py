"""Installs a swiftgrad wheel into a fresh venv and runs it under every ISA level the CPU supports;
prints one JSON report. Run by Tests/python/test_wheel.py inside a mount namespace that hides the
Swift toolchain and the system BLAS/LAPACK (see `isolated_command`), or standalone:

    python Tests/python/wheel_check.py WHEEL WORKDIR            # as the current process sees things
    python Tests/python/wheel_check.py --workload OUT.npz       # (internal) one run in the venv
"""
import json
import os
import subprocess
import sys

LEVELS = ("baseline", "avx2", "avx512")

# The run of each level: elementwise lane kernels (Note [Vector transcendental kernels]), a reduction,
# a gradient through them and a matmul with its backward, on odd sizes so the lane tails run too.
def workload(out_path):
    import numpy as np

    import swiftgrad as sg

    rng = np.random.default_rng(0)
    results = {}
    for dt in (np.float32, np.float64):
        name = np.dtype(dt).name
        x = sg.tensor(rng.uniform(-30.0, 30.0, 4099).astype(dt))
        for op in ("exp", "tanh", "sigmoid", "sin", "cos"):
            results[f"{op}_{name}"] = getattr(sg, op)(x).numpy()
        results[f"sum_{name}"] = (x * x).sum(axis=0).numpy()
        w = sg.tensor(rng.uniform(-1.0, 1.0, 4099).astype(dt), requires_grad=True)
        (sg.tanh(w) * sg.exp(w) + sg.sigmoid(w * 3.0)).sum().backward()
        results[f"grad_{name}"] = w.grad.numpy()
        a = sg.tensor(rng.standard_normal((67, 45)).astype(dt), requires_grad=True)
        b = sg.tensor(rng.standard_normal((45, 33)).astype(dt), requires_grad=True)
        y = a @ b
        (y * y).sum().backward()
        results[f"matmul_{name}"] = y.numpy()
        results[f"matmul_grad_a_{name}"] = a.grad.numpy()
    np.savez(out_path, **results)
    config = sg.show_config("dicts")
    with open("/proc/self/maps") as f:
        maps = sorted({line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line})
    json.dump({"isa": config["isa"], "isa_library": config["isa_library"], "cpu_supports": config["cpu_supports"],
               "blas_library": config["library"], "version": sg.__version__, "maps": maps,
               "swiftgrad_file": sg.__file__}, sys.stdout)


def ulp_distance(a, b):
    """Elementwise distance in units in the last place between two float arrays of one dtype (for
    values of one sign or near zero: the differences compared here are a few ulp)."""
    import numpy as np

    itype = np.int32 if a.dtype == np.float32 else np.int64

    def ordered(x):
        i = x.view(itype).astype(np.int64)
        return np.where(i < 0, np.int64(np.iinfo(itype).min) - i, i)

    return np.abs(ordered(a) - ordered(b))


def run_level(venv_python, workdir, level, env):
    out = os.path.join(workdir, f"{level or 'default'}.npz")
    run_env = dict(env)
    if level:
        run_env["SWIFTGRAD_ISA"] = level
    proc = subprocess.run([venv_python, os.path.abspath(__file__), "--workload", out], cwd=workdir,
                          env=run_env, capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr[-3000:]}, None
    return json.loads(proc.stdout), out


# The fast subset of the suite run against the installed wheel at every ISA level: the op table
# (forward vs NumPy, gradcheck, gradgradcheck) and the kernels' own tests.
FAST_SUBSET = ["op_table.py", "test_op_table.py", "test_kernels.py"]


def run_fast_subset(venv_python, workdir, levels, env):
    """pytest in the venv on a copy of FAST_SUBSET (outside the source tree, so only the installed
    package can be imported), once per level; {level: (returncode, last line)}."""
    import shutil

    tests = os.path.join(workdir, "fast_subset")
    os.makedirs(tests, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    for name in FAST_SUBSET:
        shutil.copy(os.path.join(here, name), tests)
    pip = subprocess.run([venv_python, "-m", "pip", "install", "-q", "pytest"], env=env, capture_output=True,
                         text=True)
    if pip.returncode:
        return {"pip": pip.stderr[-2000:]}
    results = {}
    for level in levels:
        proc = subprocess.run([venv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tests,
                               *[n for n in FAST_SUBSET if n.startswith("test_")]], cwd=tests,
                              env=dict(env, SWIFTGRAD_ISA=level), capture_output=True, text=True)
        lines = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
        results[level] = [proc.returncode, lines[-1] if lines else ""]
    return results


def check(wheel, workdir):
    import numpy as np

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LD_LIBRARY_PATH", "LD_PRELOAD", "SWIFTGRAD_ISA", "SWIFTGRAD_BLAS_LIBRARY")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if "swift" not in p)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    report = {"swift_on_path": any(os.path.exists(os.path.join(p, "swift")) for p in env["PATH"].split(os.pathsep)),
              "opt_swift_visible": os.path.exists("/opt/swift/usr/bin/swift")}
    try:
        import ctypes

        ctypes.CDLL("libopenblas.so.0")
        report["system_openblas_loadable"] = True
    except OSError:
        report["system_openblas_loadable"] = False
    venv = os.path.join(workdir, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, env=env)
    python = os.path.join(venv, "bin", "python")
    pip = subprocess.run([python, "-m", "pip", "install", "-q", wheel], env=env, capture_output=True, text=True)
    report["pip_install"] = {"returncode": pip.returncode, "stderr": pip.stderr[-3000:]}
    if pip.returncode:
        return report
    info = subprocess.run([python, "-m", "swiftgrad"], env=env, cwd=workdir, capture_output=True, text=True)
    report["python_m_swiftgrad"] = info.stdout + info.stderr[-2000:]
    default, default_npz = run_level(python, workdir, None, env)
    report["runs"] = {"default": default}
    if default_npz is None:
        return report
    reference = dict(np.load(default_npz))
    report["max_ulp"] = {}
    for level in default.get("cpu_supports", []):
        run, npz = run_level(python, workdir, level, env)
        report["runs"][level] = run
        if npz is None:
            continue
        got = dict(np.load(npz))
        report["max_ulp"][level] = {k: int(ulp_distance(reference[k], got[k]).max()) for k in sorted(reference)}
    report["suite"] = run_fast_subset(python, workdir, default.get("cpu_supports", []), env)
    bad = subprocess.run([python, "-c", "import swiftgrad"], env=dict(env, SWIFTGRAD_ISA="avx1024"),
                         cwd=workdir, capture_output=True, text=True)
    report["bad_isa"] = {"returncode": bad.returncode, "stderr": bad.stderr[-600:]}
    return report


if __name__ == "__main__":
    if sys.argv[1] == "--workload":
        workload(sys.argv[2])
    else:
        json.dump(check(sys.argv[1], sys.argv[2]), sys.stdout, indent=1)
