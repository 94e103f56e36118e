"""Array-API-aware library code on swiftgrad tensors (issue 23, item 4; docs/SEMANTICS.md, "The array
API namespace"): scipy.special with SCIPY_ARRAY_API=1 and scikit-learn with array_api_dispatch take
tensors through `__array_namespace__`, return tensors and stay differentiable. Each runs in a fresh
interpreter, as SciPy reads SCIPY_ARRAY_API when it is first imported."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code):
    env = dict(os.environ, SCIPY_ARRAY_API="1", PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok"), result.stdout


def test_scipy_special_logsumexp_is_differentiable():
    pytest.importorskip("scipy", reason="SciPy (an optional peer) is not installed")
    pytest.importorskip("array_api_compat", reason="array-api-compat (scikit-learn's array API layer) is absent")
    _run("""
        import numpy as np, scipy.special as sp, swiftgrad as sg
        a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
        x = sg.tensor(a, requires_grad=True)
        y = sp.logsumexp(x, axis=1)
        assert isinstance(y, sg.Tensor)
        np.testing.assert_allclose(np.asarray(y.detach()), sp.logsumexp(a, axis=1), rtol=1e-14)
        sg.sum(y).backward()
        np.testing.assert_allclose(np.asarray(x.grad), sp.softmax(a, axis=1), rtol=1e-14)
        print("ok")
    """)


def test_scikit_learn_scaler_and_distances_on_tensors():
    pytest.importorskip("sklearn", reason="scikit-learn (an optional peer) is not installed")
    pytest.importorskip("array_api_compat", reason="array-api-compat (scikit-learn's array API layer) is absent")
    _run("""
        import numpy as np, sklearn, swiftgrad as sg
        from sklearn.metrics.pairwise import euclidean_distances
        from sklearn.preprocessing import StandardScaler
        sklearn.set_config(array_api_dispatch=True)
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal((6, 3)), rng.standard_normal((4, 3))
        scaled = StandardScaler().fit_transform(sg.tensor(a))
        assert isinstance(scaled, sg.Tensor)
        with sklearn.config_context(array_api_dispatch=False):
            np.testing.assert_allclose(np.asarray(scaled), StandardScaler().fit_transform(a), rtol=1e-12)
        y = sg.tensor(b, requires_grad=True)
        d = euclidean_distances(sg.tensor(a), y)
        assert isinstance(d, sg.Tensor)
        exact = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
        np.testing.assert_allclose(np.asarray(d.detach()), exact, rtol=1e-10)
        sg.sum(d).backward()  # d d_ij / d y_j = (y_j - x_i) / d_ij
        want = np.sum((b[None, :, :] - a[:, None, :]) / exact[:, :, None], axis=0)
        np.testing.assert_allclose(np.asarray(y.grad), want, rtol=1e-8)
        print("ok")
    """)
