"""Which BLAS the core loads (Note [Loading BLAS at run time]) and what it reports."""
import os
import subprocess
import sys

import numpy as np
import pytest

import swiftgrad as sg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []))
    except OSError:
        return set()


def run(code, **env_changes):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_config_names_library_version_core_and_threads():
    info = sg.show_config("dicts")
    assert info["loaded"], info["error"]
    assert os.path.exists(info["library"])
    assert info["config"].startswith("OpenBLAS 0.3.")
    assert info["core"] and info["core"] in info["config"]
    assert info["threads"] >= 1


@pytest.mark.skipif(not {"avx2", "fma"} <= cpu_flags(), reason="this CPU has no AVX2/FMA, so a generic core is right")
def test_core_is_not_generic_on_an_avx2_cpu():
    info = sg.show_config("dicts")
    assert not info["generic_core"], info
    assert info["cpu_best_core"] in ("Haswell", "SkylakeX")


def test_python_prefers_the_scipy_openblas_wheel():
    pytest.importorskip("scipy_openblas32", reason="the scipy-openblas32 wheel is not installed")
    if os.environ.get("SWIFTGRAD_BLAS_LIBRARY"):
        pytest.skip("SWIFTGRAD_BLAS_LIBRARY chooses the library in this environment")
    assert "scipy_openblas" in sg.show_config("dicts")["library"]


def test_the_users_coretype_wins():
    core = os.environ.get("OPENBLAS_CORETYPE") or "Haswell"
    if not {"avx2", "fma"} <= cpu_flags():
        pytest.skip("this CPU has no AVX2/FMA for OpenBLAS's Haswell kernels")
    out = run("import swiftgrad as sg; i = sg.show_config('dicts'); print(i['core'], repr(i['preselected_core']))",
              OPENBLAS_CORETYPE=core)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [core, "''"]


def test_show_config_prints_and_rejects_bad_modes(capsys):
    sg.show_config()
    text = capsys.readouterr().out
    assert "BLAS library:" in text and "BLAS core:" in text and "BLAS threads:" in text
    with pytest.raises(ValueError, match="mode"):
        sg.show_config("yaml")


def test_python_m_swiftgrad_reports_the_blas():
    out = subprocess.run([sys.executable, "-m", "swiftgrad"], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    assert out.returncode == 0, out.stderr
    assert "OpenBLAS 0.3." in out.stdout and "core " in out.stdout


def test_set_num_threads_round_trips():
    before = sg.get_num_threads()
    try:
        sg.set_num_threads(1)
        assert sg.get_num_threads() == 1
        a = np.random.default_rng(0).standard_normal((64, 64))
        np.testing.assert_allclose((sg.tensor(a) @ sg.tensor(a)).numpy(), a @ a, rtol=1e-12, atol=1e-12)
    finally:
        sg.set_num_threads(before)
    with pytest.raises(ValueError, match="threads"):
        sg.set_num_threads(0)


def test_a_missing_library_raises_instead_of_crashing():
    code = ("import swiftgrad as sg\n"
            "print(sg.show_config('dicts')['loaded'])\n"
            "print((sg.ones(3) * 2).sum().item())\n"
            "for f in (lambda: sg.ones((2, 2)) @ sg.ones((2, 2)), lambda: sg.linalg.inv(sg.eye(2))):\n"
            "    try:\n"
            "        f()\n"
            "    except RuntimeError as e:\n"
            "        print('RuntimeError', 'SWIFTGRAD_BLAS_LIBRARY' in str(e))\n")
    out = run(code, SWIFTGRAD_BLAS_LIBRARY="/nonexistent/libblas.so")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == ["False", "6.0", "RuntimeError True", "RuntimeError True"]


@pytest.mark.skipif(not os.path.exists("/usr/lib/x86_64-linux-gnu/libopenblas.so.0"),
                    reason="the system OpenBLAS (Debian libopenblas0) is not installed")
def test_the_system_openblas_and_lapacke_work_too():
    code = ("import numpy as np, swiftgrad as sg\n"
            "a = np.random.default_rng(1).standard_normal((20, 20)) + 20 * np.eye(20)\n"
            "print(sg.show_config('dicts')['library'])\n"
            "print(np.abs(sg.linalg.inv(sg.tensor(a)).numpy() - np.linalg.inv(a)).max() < 1e-12)\n"
            "print(np.abs((sg.tensor(a, dtype=np.float32) @ sg.tensor(a, dtype=np.float32)).numpy() - (a @ a)).max()"
            " < 1e-3)\n")
    out = run(code, SWIFTGRAD_BLAS_LIBRARY="libopenblas.so.0")
    assert out.returncode == 0, out.stderr
    library, inverse_ok, product_ok = out.stdout.split()
    assert library.endswith("libopenblas.so.0") and (inverse_ok, product_ok) == ("True", "True")
