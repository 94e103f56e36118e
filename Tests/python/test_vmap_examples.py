"""The vmap examples run to completion; each checks its batched results against per-example
loops (or separate steps) itself and exits non-zero when a check fails."""
import importlib.util

import pytest

from test_examples import run_example


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                    reason="scikit-learn (optional; scripts/install-deps.sh installs it) provides the digits")
def test_dp_sgd_per_sample_gradients():
    out = run_example("per_sample_gradients.py")
    assert "equal a loop of grad" in out
    assert float(out.rsplit("test accuracy", 1)[1]) >= 0.9


def test_neural_tangent_kernel_from_vmap_over_jvp():
    out = run_example("neural_tangent_kernel.py")
    assert "equals J Jᵀ from jacrev and the loop" in out


def test_ensemble_trained_at_once():
    out = run_example("ensemble_vmap.py")
    assert "equals 8 separate steps" in out
