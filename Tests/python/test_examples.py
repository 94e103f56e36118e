"""Every example runs to completion (each checks its own success criterion and exits non-zero
when it is not met) in a few seconds."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_mds_recovers_distances():
    out = run_example("mds.py")
    assert "recovered the configuration" in out


def test_mlp_classification():
    out = run_example("mlp_classification.py")
    accuracy = float(out.strip().rsplit("test accuracy", 1)[1])
    assert accuracy >= 0.95


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                    reason="scikit-learn (optional; scripts/install-deps.sh installs it) provides the digits")
@pytest.mark.parametrize("example", ["digits_mlp.py", "digits_cnn.py"])
def test_digits_examples_reach_95_percent(example, tmp_path):
    # The examples print their wall time (a few seconds here); speed is not asserted in tests.
    plot = tmp_path / "loss.png"
    out = run_example(example, "--plot", str(plot))
    accuracy = float(out.split("test accuracy", 1)[1].split()[0])
    assert accuracy >= 0.95
    if importlib.util.find_spec("matplotlib") is not None:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quickstart():
    run_example("quickstart.py")


def test_trace_and_graph(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "trace_and_graph.py"), str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "y = v_7 = 11.6521" in result.stdout
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert "div" in (tmp_path / "gradient_graph.dot").read_text()  # d ln(x1) / dx1 = 1 / x1


# --- Examples -------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None,
                    reason="scipy (a test dependency, scripts/install-deps.sh) runs Newton-CG")
def test_newton_cg_rosenbrock_converges_to_ones():
    out = run_example("newton_cg_rosenbrock.py")  # checks jac/hessp against SciPy's closed forms too
    assert "converged to (1, ..., 1)" in out
    assert float(out.split("max |x* - 1| = ")[1].split()[0]) < 1e-6


def test_maml_meta_gradient_is_second_order_and_meta_loss_decreases():
    out = run_example("maml_sine.py")
    assert float(out.split("max relative error ")[1].split()[0]) < 1e-6
    assert float(out.split("first-order MAML| = ")[1].split()[0]) > 1e-3  # the Hessian term is there
    before, after = out.split("before meta-training ")[1].split(", after ")
    assert float(after.split()[0]) < 0.25 * float(before)
    assert "meta-loss decreased" in out


def test_hessian_spectrum_matches_exact_hessian():
    out = run_example("hessian_spectrum.py")
    estimate, rest = out.split("Hutchinson (2000 samples) ")[1].split(" +- ")
    stderr, exact = rest.split(", exact ", 1)
    assert abs(float(estimate) - float(exact.split()[0])) <= 4 * float(stderr)
    power, exact_top = out.split("HVPs) ")[1].split(", exact ")
    exact_top = float(exact_top.split()[0])
    assert abs(float(power) - exact_top) <= 1e-6 * abs(exact_top)
    assert "both estimates agree with the exact Hessian" in out


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib (optional; scripts/install-deps.sh installs it) draws the plot")
def test_jacobian_crossover_mode_choice(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    png = tmp_path / "crossover.png"
    script = ROOT / "examples" / "jacobian_crossover.py"
    result = subprocess.run([sys.executable, str(script), str(png), "--quick"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "(n, m) = (1, 300): forward mode needs fewer passes and sg.jacobian chose it" in result.stdout
    assert "(n, m) = (300, 1): reverse mode needs fewer passes and sg.jacobian chose it" in result.stdout


# --- Data-parallel example (python/swiftgrad/distributed/) ---------------------------------

def _mpi_missing():
    if importlib.util.find_spec("sklearn") is None:
        return "scikit-learn provides the digits"
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install mpi4py mpich)"
    from swiftgrad.distributed.launch import find_mpiexec

    return "no mpiexec found (pip install mpich)" if find_mpiexec() is None else None


@pytest.mark.skipif(_mpi_missing() is not None, reason=str(_mpi_missing()))
def test_digits_ddp_on_two_processes():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, "-m", "swiftgrad.distributed.launch", "-n", "2",
                             str(ROOT / "examples" / "digits_ddp.py")], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "parameters identical on every rank: True" in result.stdout
    assert float(result.stdout.split("test accuracy", 1)[1].split()[0]) >= 0.95


# --- Training patterns (course notes C.2, D.1-D.3, G.1, G.2) -------------------------


def _number(out, before, after=None):
    text = out.split(before, 1)[1]
    return float((text.split(after, 1)[0] if after else text.split()[0]).strip(" ,;()"))


def test_lora_trains_only_the_low_rank_factors():
    out = run_example("lora_finetune.py")
    assert _number(out, "max |autodiff - closed form| over A and B:") < 1e-10
    autodiff = _number(out, "dL/dA[0,0]: autodiff", ", central")
    assert abs(autodiff - _number(out, "central difference")) < 1e-6
    before, after = _number(out, "loss before", ", after"), _number(out, ", after")
    assert after < 1e-3 * before
    assert "parameters with .grad: ['A', 'B']; frozen weight.grad is None" in out
    assert "gradient storage: 80 elements = r(d+k) = 80; full fine-tuning d*k = 384" in out


def test_reparameterisation_and_reinforce_are_unbiased_and_reinforce_is_noisier():
    out = run_example("reparam_vs_reinforce.py")
    rows = [line for line in out.splitlines() if "standard errors" in line]
    assert len(rows) == 4
    for row in rows:
        mean, rest = row.split("dJ/d", 1)[1].split(None, 1)[1].split(" +- ")
        se = float(rest.split()[0])
        exact = float(rest.split("analytic ", 1)[1].split(",")[0])
        assert abs(float(mean) - exact) < 4 * se
        assert se < 0.1
    assert _number(out, "max |autodiff score - closed form| =") < 1e-12
    assert _number(out, "reparameterisation: mu", ",") > 3
    assert _number(out, ", sigma") > 3


def test_straight_through_estimator_trains_a_quantised_layer():
    out = run_example("straight_through.py")
    assert _number(out, "plain rounding: max |dL/dw| =") == 0.0
    assert _number(out, "max error") < 1e-6
    before, after = _number(out, "loss before", ", after"), _number(out, ", after")
    assert before > 1.0 and after < 1e-3 * before
    assert "100% of the quantised weights equal the target's" in out


def test_gradient_accumulation_equals_the_big_batch():
    out = run_example("grad_accumulation.py")
    assert _number(out, "max |big-batch - accumulated| =") < 1e-12
    assert _number(out, "max |params big - params accumulated| =") < 1e-12
    assert _number(out, "(the step moved them by", ")") > 1e-3
    assert abs(_number(out, "the gradient is", "times") - 4.0) < 1e-9
    clipping = out.split("before clipping: ", 1)[1].splitlines()[0]  # "big batch X, accumulated Y"
    norm_big, norm_accumulated = _number(clipping, "big batch", ","), _number(clipping, "accumulated")
    assert norm_big == norm_accumulated > 0.2  # max_norm is 0.2: clipping acted


def test_ema_weights_follow_the_recurrence():
    out = run_example("ema_weights.py")
    assert "200 EMA updates (decay 0.9)" in out
    assert _number(out, "hand-computed recurrence| =") < 1e-12
    assert "EMA parameters are leaves without gradients: True" in out
    last, ema = _number(out, "last iterate", ", EMA"), _number(out, ", EMA")
    assert ema < last


def test_neural_ode_fits_with_the_adjoint():
    out = run_example("neural_ode.py")
    assert float(out.split("max relative error ")[1].split()[0]) < 1e-3
    first, final = out.split("training mse ")[-1].split(";")[0].split(" -> ")
    assert float(final) < 0.02 * float(first)
    assert float(out.split("(extrapolating past t = 3) ")[1].split()[0]) < 0.02
    assert "neural ODE fitted" in out


def test_sparse_embedding_lm_step_memory_is_flat_in_the_vocabulary():
    out = run_example("sparse_embedding_lm.py")
    sparse = [line for line in out.splitlines() if "sparse gradients" in line]
    assert len(sparse) == 3
    memory = [float(line.split("memory of the steps")[1].split("MiB")[0]) for line in sparse]
    assert max(memory) - min(memory) < 8 and max(memory) < 24
    for line in sparse:
        first, last = line.split("loss ")[1].split(",")[0].split(" -> ")
        assert float(last) < 0.5 * float(first)
        assert float(line.split("ranking accuracy ")[1]) > 0.9
    dense = out.split("dense gradients at 10^6: ")[1].split()[0]
    assert float(dense) > 100
    assert "step memory stays flat" in out
