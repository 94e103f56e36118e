"""ISA dispatch (python/swiftgrad/_isa.py, Note [ISA dispatch]): which level a CPU gets, and what
SWIFTGRAD_ISA may force. The wheel's three builds themselves are tested by test_wheel.py."""
import subprocess
import sys

import pytest

import swiftgrad as sg
from swiftgrad import _isa

AVX2_CPU = _isa.REQUIRED["avx2"] | {"sse2"}
AVX512_CPU = _isa.REQUIRED["avx512"]


def test_widest_supported_shipped_level_wins():
    assert _isa.choose(list(_isa.LEVELS), AVX512_CPU) == "avx512"
    assert _isa.choose(list(_isa.LEVELS), AVX2_CPU) == "avx2"
    assert _isa.choose(list(_isa.LEVELS), frozenset({"sse2"})) == "baseline"
    assert _isa.choose(["baseline", "avx2"], AVX512_CPU) == "avx2"


def test_avx2_needs_fma_and_the_v3_set():
    assert _isa.supported_levels(AVX2_CPU - {"fma"}) == ["baseline"]
    assert _isa.supported_levels(AVX512_CPU - {"avx512vl"}) == ["baseline", "avx2"]


def test_forced_levels():
    assert _isa.choose(list(_isa.LEVELS), AVX512_CPU, forced="baseline") == "baseline"
    with pytest.raises(ImportError, match="this CPU lacks avx512bw"):
        _isa.choose(list(_isa.LEVELS), AVX512_CPU - {"avx512bw"}, forced="avx512")
    with pytest.raises(ImportError, match="must be one of"):
        _isa.choose(list(_isa.LEVELS), AVX512_CPU, forced="sse9")
    with pytest.raises(ImportError, match="has no avx512 library"):
        _isa.choose(["baseline"], AVX512_CPU, forced="avx512")


def test_show_config_reports_the_level():
    info = sg.show_config("dicts")
    assert info["isa"] in ("native",) + _isa.LEVELS
    assert info["isa_library"].endswith("libswiftgrad.so")
    assert info["cpu_supports"][0] == "baseline"
    out = subprocess.run([sys.executable, "-m", "swiftgrad"], capture_output=True, text=True, check=True).stdout
    assert f"ISA {info['isa']}" in out


def test_version_comes_from_one_place():
    from swiftgrad import _version

    assert sg.__version__ == _version.__version__
