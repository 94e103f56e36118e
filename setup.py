"""Builds swiftgrad: the Swift core as libswiftgrad.so (Swift runtime linked in statically) and
the CPython extension swiftgrad._C linked against it with rpath $ORIGIN, so the installed
package needs neither the source tree nor a Swift toolchain at run time.

Two layouts (Note [ISA dispatch] in docs/ARCHITECTURE.md):
- dispatched (wheels, `pip install .`): the core is built three times, for the x86-64 baseline,
  AVX2+FMA (haswell) and AVX-512 (skylake-avx512), into swiftgrad/lib/<level>/libswiftgrad.so;
  the package loads the widest one the CPU runs at import (python/swiftgrad/_isa.py).
- native (in-place builds, `make build`, or whenever SWIFTGRAD_TARGET_CPU is set): one build for
  the widest ISA of this machine, swiftgrad/libswiftgrad.so, so the development loop is one build.
SWIFTGRAD_DISPATCH=1 or 0 chooses the layout explicitly. Metadata is in pyproject.toml."""
import glob
import os
import platform
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def _load_stub_writer():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_stubs", os.path.join(ROOT, "scripts", "gen_stubs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stubs = _load_stub_writer()
# SWIFTGRAD_SANITIZE=address|thread builds core and extension with that sanitizer (make test-asan,
# make test-tsan: scripts/sanitize.sh), in its own scratch folder, always in the native layout.
SANITIZE = os.environ.get("SWIFTGRAD_SANITIZE", "")
SCRATCH = os.path.join(ROOT, ".build-python" + (f"-{SANITIZE}" if SANITIZE else ""))
LIBRARY = "libswiftgrad.so"
# Level name -> Swift -target-cpu. The levels' CPU-feature tests are in python/swiftgrad/_isa.py.
# The baseline is plain x86-64 (SSE2): swiftc rejects "x86-64-v2", and the lane kernels were written to
# need no SSE4.1 (Note [Vector transcendental kernels]), so nothing is lost and every x86-64 CPU runs it.
VARIANTS = (("baseline", "x86-64"), ("avx2", "haswell"), ("avx512", "skylake-avx512"))


# SWIFTGRAD_BUILD_CONFIG=debug gives incremental builds while developing (slower kernels).
CONFIG = os.environ.get("SWIFTGRAD_BUILD_CONFIG", "release")


def target_cpu():
    """The widest x86 vector ISA this machine runs, for the native layout (like -march=native):
    AVX-512 or AVX2+FMA code runs the elementwise kernels 1.5-2x faster than the SSE2 baseline.
    SWIFTGRAD_TARGET_CPU overrides ('x86-64' is the portable choice)."""
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


def dispatched(inplace):
    """Whether to build the three ISA variants (see the module docstring)."""
    if SANITIZE:
        return False
    choice = os.environ.get("SWIFTGRAD_DISPATCH")
    if choice in ("0", "1"):
        return choice == "1"
    if choice:
        raise SystemExit(f"SWIFTGRAD_DISPATCH must be '0' or '1', got {choice!r}")
    if os.environ.get("SWIFTGRAD_TARGET_CPU") or platform.machine() not in ("x86_64", "AMD64"):
        return False
    return not inplace


def build_swift_library(cpu, scratch):
    """`swift build -c <CONFIG>` of the C-ABI product for `cpu`; returns the built library's path."""
    if CONFIG not in ("release", "debug"):
        raise SystemExit(f"SWIFTGRAD_BUILD_CONFIG must be 'release' or 'debug', got {CONFIG!r}")
    cmd = ["swift", "build", "-c", CONFIG, "--product", "swiftgrad", "--scratch-path", scratch,
           "-Xswiftc", "-static-stdlib",
           # Dynamic exclusivity checks cost ~5% per op; violations are programming errors that
           # the debug builds of `swift test` still check.
           "-Xswiftc", "-enforce-exclusivity=unchecked",
           # The SONAME lets _C's DT_NEEDED entry match whichever variant the package loaded first.
           "-Xlinker", "-soname=" + LIBRARY]
    if SANITIZE:
        if SANITIZE not in ("address", "thread"):
            raise SystemExit(f"SWIFTGRAD_SANITIZE must be 'address' or 'thread', got {SANITIZE!r}")
        cmd += ["-Xswiftc", f"-sanitize={SANITIZE}"]
    if cpu:
        cmd += ["-Xswiftc", "-target-cpu", "-Xswiftc", cpu]
    print(" ".join(cmd), flush=True)
    subprocess.check_call(cmd, cwd=ROOT)
    return os.path.join(scratch, CONFIG, LIBRARY)


def install_library(library, dest):
    # Written beside and renamed over: a process still running the old library keeps its file
    # (an in-place copy would change the pages it has mapped under it).
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    staged = dest + ".new"
    shutil.copyfile(library, staged)
    if shutil.which("strip"):
        subprocess.call(["strip", "--strip-unneeded", staged])
    os.replace(staged, dest)


def write_build_info(target, cpus):
    with open(os.path.join(target, "_build_info.py"), "w") as f:
        f.write('"""Written by setup.py: the -target-cpu of each build of the core in this package."""\n')
        f.write(f"TARGET_CPUS = {cpus!r}\n")


class BuildWithSwift(build_ext):
    def run(self):
        if dispatched(self.inplace):
            built = {level: build_swift_library(cpu, os.path.join(ROOT, ".build-python-" + level))
                     for level, cpu in VARIANTS}
            cpus = dict(VARIANTS)
            link_dir = os.path.dirname(built["baseline"])
        else:
            cpu = target_cpu()
            built = {"native": build_swift_library(cpu, SCRATCH)}
            cpus = {"native": cpu or "default"}
            link_dir = os.path.dirname(built["native"])
        self.library_dirs.append(link_dir)
        super().run()
        for target in {os.path.dirname(self.get_ext_fullpath(e.name)) for e in self.extensions}:
            os.makedirs(target, exist_ok=True)
            # Leave no library of the other layout behind (an in-place tree switches between them).
            shutil.rmtree(os.path.join(target, "lib"), ignore_errors=True)
            if os.path.exists(os.path.join(target, LIBRARY)):
                os.remove(os.path.join(target, LIBRARY))
            for level, library in built.items():
                dest = os.path.join(target, LIBRARY) if level == "native" else \
                    os.path.join(target, "lib", level, LIBRARY)
                install_library(library, dest)
            write_build_info(target, cpus)
            # The operations' stubs come from the table of the core just built (Note [One op table]).
            try:
                stubs.write(target, next(iter(built.values())))
            except OSError as error:
                # A sanitizer build's core loads only under its runtime (scripts/sanitize.sh copies
                # the stubs of the ordinary build next to it).
                if not os.path.exists(os.path.join(target, "_C.pyi")):
                    raise
                print(f"setup.py: kept the existing _C.pyi ({error})")


extension = Extension(
    "swiftgrad._C",
    sources=sorted(glob.glob(os.path.join("python", "csrc", "*.c"))),
    include_dirs=[os.path.join(ROOT, "include")],
    libraries=["swiftgrad"],
    extra_compile_args=["-O2", "-std=c11", "-Wno-missing-field-initializers"]
    + ([f"-fsanitize={SANITIZE}", "-fno-omit-frame-pointer"] if SANITIZE else []),
    # $ORIGIN: the native layout. $ORIGIN/lib/baseline: the dispatched layout when _C is imported
    # without the package's loader (python/swiftgrad/_isa.py normally loads the library first).
    extra_link_args=["-Wl,-rpath,$ORIGIN:$ORIGIN/lib/baseline"]
    + ([f"-fsanitize={SANITIZE}", "-shared-libsan"] if SANITIZE else []),
)

setup(
    ext_modules=[extension],
    cmdclass={"build_ext": BuildWithSwift},
)
