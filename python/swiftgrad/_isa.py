"""Which build of the Swift core this process runs (Note [ISA dispatch] in docs/ARCHITECTURE.md).

A wheel ships the core three times, python/swiftgrad/lib/<level>/libswiftgrad.so, compiled for the
x86-64 baseline, AVX2+FMA (haswell) and AVX-512 (skylake-avx512), all with the SONAME
libswiftgrad.so. `load()` runs before `from . import _C`: it opens the widest variant the CPU
supports, so the dynamic loader satisfies _C's DT_NEEDED libswiftgrad.so with that object (glibc
matches a needed name against the SONAMEs of loaded objects) instead of searching the rpath.
SWIFTGRAD_ISA=baseline|avx2|avx512 forces a level. A native build (in-place development builds,
SWIFTGRAD_TARGET_CPU) has one python/swiftgrad/libswiftgrad.so, found through _C's rpath."""
import ctypes
import os

LEVELS = ("baseline", "avx2", "avx512")
LIBRARY = "libswiftgrad.so"

# The /proc/cpuinfo flags each level's code may use: x86-64-v2 for the SSE4.2-era instructions that
# -target-cpu haswell also enables, x86-64-v3 (psABI) for avx2, x86-64-v4 for avx512. "abm" is
# how Linux names LZCNT; the kernel clears the AVX flags when the OS does not save the registers.
_V2 = {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}
_V3 = _V2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
_V4 = _V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
REQUIRED = {"baseline": frozenset(), "avx2": frozenset(_V3), "avx512": frozenset(_V4)}

_state = {"level": None, "library": None, "target_cpu": None, "forced": False}
_handle = None  # keeps the preloaded library referenced for the life of the process


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo (an empty set where it is unreadable)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def supported_levels(flags=None):
    """The levels this CPU runs, narrowest first."""
    flags = cpu_flags() if flags is None else flags
    return [level for level in LEVELS if REQUIRED[level] <= flags]


def _build_cpus():
    try:
        from ._build_info import TARGET_CPUS
    except ImportError:
        return {}
    return TARGET_CPUS


def choose(available, flags, forced=None):
    """The level to load among `available` (those shipped), for a CPU with `flags`; `forced` is
    SWIFTGRAD_ISA. Raises ImportError for an unknown, unsupported or unshipped forced level."""
    if forced:
        if forced not in LEVELS:
            raise ImportError(f"SWIFTGRAD_ISA must be one of {', '.join(LEVELS)}, got {forced!r}")
        missing = sorted(REQUIRED[forced] - flags)
        if missing:
            raise ImportError(f"SWIFTGRAD_ISA={forced}: this CPU lacks {' '.join(missing)}; "
                              f"it supports {', '.join(supported_levels(flags))}")
        if forced not in available:
            raise ImportError(f"SWIFTGRAD_ISA={forced}: this build of swiftgrad has no {forced} library "
                              f"(it has {', '.join(available) or 'one native build'})")
        return forced
    usable = [level for level in supported_levels(flags) if level in available]
    if not usable:
        raise ImportError(f"swiftgrad: no build of the core runs on this CPU (shipped: {', '.join(available)})")
    return usable[-1]


def load(package_dir):
    """Opens the core before _C is imported; returns the state that `info()` reports."""
    global _handle
    libdir = os.path.join(package_dir, "lib")
    available = [level for level in LEVELS if os.path.exists(os.path.join(libdir, level, LIBRARY))]
    cpus = _build_cpus()
    forced = os.environ.get("SWIFTGRAD_ISA", "").strip()
    if not available:
        if forced:
            raise ImportError(f"SWIFTGRAD_ISA={forced}: this is a native build of swiftgrad (one library, "
                              f"-target-cpu {cpus.get('native', 'unknown')}); build a wheel or set "
                              "SWIFTGRAD_DISPATCH=1 to get the dispatched variants")
        _state.update(level="native", library=os.path.join(package_dir, LIBRARY),
                      target_cpu=cpus.get("native", "unknown"))
        return _state
    level = choose(available, cpu_flags(), forced)
    path = os.path.join(libdir, level, LIBRARY)
    # RTLD_LOCAL: the symbols are needed only by _C, which finds the object through its SONAME;
    # a global Swift runtime could interpose on another Swift-built extension's.
    try:
        _handle = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    except OSError as e:
        raise ImportError(f"swiftgrad: cannot load the {level} core {path}: {e}") from e
    _state.update(level=level, library=path, target_cpu=cpus.get(level, "unknown"), forced=bool(forced))
    return _state


def info():
    """The core in use: level (baseline/avx2/avx512, or native), library path, -target-cpu, whether
    SWIFTGRAD_ISA forced it, and the levels this CPU supports."""
    return dict(_state, cpu_supports=supported_levels())
