"""detect_anomaly names the op whose gradient became NaN/inf and where it was created."""
import pytest

import swiftgrad as sg


def test_anomaly_names_op_and_python_line():
    x = sg.tensor([0.0, 1.0], requires_grad=True)
    with sg.detect_anomaly():
        y = sg.sqrt(x)
        with pytest.raises(RuntimeError, match=r"Function 'sqrt' returned nan or inf.*test_anomaly.py:\d+"):
            sg.sum(y).backward()


def test_without_anomaly_mode_inf_propagates_silently_like_numpy():
    x = sg.tensor([0.0, 1.0], requires_grad=True)
    sg.sum(sg.sqrt(x)).backward()
    assert x.grad.tolist() == [float("inf"), 0.5]


def test_anomaly_mode_is_restored_and_finite_graphs_pass():
    x = sg.tensor([1.0, 4.0], requires_grad=True)
    with sg.detect_anomaly():
        sg.sum(sg.sqrt(x)).backward()
    assert x.grad.tolist() == [0.5, 0.25]
    y = sg.sqrt(sg.tensor([0.0], requires_grad=True))
    sg.sum(y).backward()  # outside the context: no error
