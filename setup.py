"""Builds swiftgrad: the Swift core as libswiftgrad.so (Swift runtime linked in statically) and
the CPython extension swiftgrad._C linked against it with rpath $ORIGIN, so the installed
package needs neither the source tree nor a Swift toolchain at run time."""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
# SWIFTGRAD_SANITIZE=address|thread builds core and extension with that sanitizer (make test-asan,
# make test-tsan: scripts/sanitize.sh), in its own scratch folder.
SANITIZE = os.environ.get("SWIFTGRAD_SANITIZE", "")
SCRATCH = os.path.join(ROOT, ".build-python" + (f"-{SANITIZE}" if SANITIZE else ""))
LIBRARY = "libswiftgrad.so"


# SWIFTGRAD_BUILD_CONFIG=debug gives incremental builds while developing (slower kernels).
CONFIG = os.environ.get("SWIFTGRAD_BUILD_CONFIG", "release")


def target_cpu():
    """The widest x86 vector ISA this machine runs, since the library is built where it runs
    (like -march=native): AVX-512 or AVX2+FMA code runs the elementwise kernels 1.5-2x faster
    than the SSE2 baseline. SWIFTGRAD_TARGET_CPU overrides ('x86-64' is the portable choice)."""
    override = os.environ.get("SWIFTGRAD_TARGET_CPU")
    if override:
        return override
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return None
    if {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma", "bmi2"} <= set(flags):
        return "skylake-avx512"
    if {"avx2", "fma", "bmi2", "f16c", "movbe"} <= set(flags):
        return "haswell"
    return None


def build_swift_library():
    """`swift build -c <CONFIG>` of the C-ABI product; returns the built library's path."""
    if CONFIG not in ("release", "debug"):
        raise SystemExit(f"SWIFTGRAD_BUILD_CONFIG must be 'release' or 'debug', got {CONFIG!r}")
    cmd = ["swift", "build", "-c", CONFIG, "--product", "swiftgrad", "--scratch-path", SCRATCH,
           "-Xswiftc", "-static-stdlib",
           # Dynamic exclusivity checks cost ~5% per op; violations are programming errors that
           # the debug builds of `swift test` still check.
           "-Xswiftc", "-enforce-exclusivity=unchecked"]
    if SANITIZE:
        if SANITIZE not in ("address", "thread"):
            raise SystemExit(f"SWIFTGRAD_SANITIZE must be 'address' or 'thread', got {SANITIZE!r}")
        cmd += ["-Xswiftc", f"-sanitize={SANITIZE}"]
    cpu = target_cpu()
    if cpu:
        cmd += ["-Xswiftc", "-target-cpu", "-Xswiftc", cpu]
    print(" ".join(cmd), flush=True)
    subprocess.check_call(cmd, cwd=ROOT)
    return os.path.join(SCRATCH, CONFIG, LIBRARY)


class BuildWithSwift(build_ext):
    def run(self):
        library = build_swift_library()
        self.library_dirs.append(os.path.dirname(library))
        super().run()
        for target in {os.path.dirname(self.get_ext_fullpath(e.name)) for e in self.extensions}:
            os.makedirs(target, exist_ok=True)
            dest = os.path.join(target, LIBRARY)
            shutil.copyfile(library, dest)
            if shutil.which("strip"):
                subprocess.call(["strip", "--strip-unneeded", dest])


extension = Extension(
    "swiftgrad._C",
    sources=sorted(glob.glob(os.path.join("python", "csrc", "*.c"))),
    include_dirs=[os.path.join(ROOT, "include")],
    libraries=["swiftgrad"],
    extra_compile_args=["-O2", "-std=c11", "-Wno-missing-field-initializers"]
    + ([f"-fsanitize={SANITIZE}", "-fno-omit-frame-pointer"] if SANITIZE else []),
    extra_link_args=["-Wl,-rpath,$ORIGIN"] + ([f"-fsanitize={SANITIZE}", "-shared-libsan"] if SANITIZE else []),
)

setup(
    name="swiftgrad",
    version="0.1.0",
    description="Automatic differentiation with a Swift core and zero-copy NumPy interop",
    long_description=open(os.path.join(ROOT, "README.md")).read() if os.path.exists(os.path.join(ROOT, "README.md")) else "",
    long_description_content_type="text/markdown",
    package_dir={"": "python"},
    packages=["swiftgrad", "swiftgrad.nn", "swiftgrad.optim", "swiftgrad.testing", "swiftgrad.utils",
              "swiftgrad.utils.data", "swiftgrad.distributed"],
    package_data={"swiftgrad": ["py.typed", "*.pyi"]},
    ext_modules=[extension],
    cmdclass={"build_ext": BuildWithSwift},
    # The pytest plugin (tensor assertion explanations, sg_seed, --sg-gradcheck-eps): see docs/TESTING.md.
    entry_points={"pytest11": ["swiftgrad = swiftgrad.testing.pytest_plugin"]},
    python_requires=">=3.9",
    install_requires=["numpy>=1.22", "scipy-openblas32>=0.3.27"],
    # safetensors: sg.save / sg.load of ".safetensors" files (".npz" needs only NumPy).
    # distributed: sg.distributed (mpi4py, and the mpich wheel for mpiexec/libmpi; docs/DISTRIBUTED.md).
    extras_require={"safetensors": ["safetensors"], "distributed": ["mpi4py", "mpich"],
                    "test": ["pytest", "hypothesis", "scipy", "safetensors", "mpi4py", "mpich"],
                    "bench": ["torch", "jax", "autograd"]},
)
