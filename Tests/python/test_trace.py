"""sg.trace reproduces the course notes' worked example; sg.graph lists and draws graphs."""
import os
import stat

import numpy as np
import pytest

import swiftgrad as sg


def notes_example(x1, x2):
    # y = ln(x1) + x1*x2 - sin(x2), written in the order of the notes' evaluation trace.
    v3 = sg.log(x1)
    v4 = x1 * x2
    v5 = sg.sin(x2)
    v6 = v3 + v4
    return v6 - v5


# The numbers the notes give (Data 188 lecture 04, "Forward evaluation trace", "Forward AD
# trace" with v_dot = dv/dx1, "Reverse AD evaluation trace"), to the notes' 3 decimals.
NOTES = {
    "v_1": ("x_1", 2, 1, 5.5),
    "v_2": ("x_2", 5, 0, 1.716),
    "v_3": ("log(v_1)", 0.693, 0.5, 1),
    "v_4": ("v_1 * v_2", 10, 5, 1),
    "v_5": ("sin(v_2)", -0.959, 0, -1),
    "v_6": ("v_3 + v_4", 10.693, 5.5, 1),
    "v_7": ("v_6 - v_5", 11.652, 5.5, 1),
}


def test_trace_reproduces_the_notes_table(capsys):
    t = sg.trace(notes_example, 2.0, 5.0)
    printed = capsys.readouterr().out
    assert isinstance(t, str) and printed.strip() == t.strip()
    assert [r.name for r in t.rows] == list(NOTES)
    for row in t.rows:
        expression, value, tangent, adjoint = NOTES[row.name]
        assert row.expression == expression
        np.testing.assert_allclose(row.value, value, atol=5e-4)
        np.testing.assert_allclose(row.tangent, tangent, atol=5e-4)
        np.testing.assert_allclose(row.adjoint, adjoint, atol=5e-4)
    assert t.output_name == "v_7"
    np.testing.assert_allclose(t.output, np.log(2) + 10 - np.sin(5), rtol=1e-15)
    assert "y = v_7 = 11.6521" in t
    # Exact values, not just the notes' rounding.
    np.testing.assert_allclose(t.row("v_2").adjoint, np.cos(5) * -1 + 2, rtol=1e-14)


def test_trace_other_direction_and_consistency():
    # Seeding x2 instead gives dy/dx2 at the output, which equals the adjoint of x2.
    t = sg.trace(notes_example, 2.0, 5.0, tangents=(0.0, 1.0), quiet=True)
    np.testing.assert_allclose(t.row("v_7").tangent, t.row("v_2").adjoint, rtol=1e-14)
    np.testing.assert_allclose(t.row("v_5").tangent, np.cos(5), rtol=1e-14)


def test_trace_with_tensors_and_constants():
    def f(x, w):
        return sg.sum(sg.tanh(x @ w) * 2.0)

    x = np.array([[1.0, 2.0]])
    w = np.array([[0.5], [-0.25]])
    t = sg.trace(f, x, w, quiet=True)
    ops = [r.op for r in t.rows if r.op]
    assert ops == ["matmul", "tanh", "mul", "sum"]
    assert t.row("v_5").expression == "v_4 * 2"  # constants are shown by value
    # Tangent along ones for x, zeros for w: d/dx tanh(x w) . 1 = (1 - tanh^2) * sum(w).
    z = (x @ w)[0, 0]
    np.testing.assert_allclose(t.row("v_4").tangent, [[(1 - np.tanh(z) ** 2) * w.sum()]], rtol=1e-14)
    np.testing.assert_allclose(t.row("v_1").adjoint, 2 * (1 - np.tanh(z) ** 2) * w.T, rtol=1e-14)
    with pytest.raises(ValueError, match="cotangent"):
        sg.trace(lambda x: x * 2, np.ones(3), quiet=True)
    t = sg.trace(lambda x: x * 2, np.ones(3), cotangent=np.array([1.0, 2.0, 3.0]), quiet=True)
    np.testing.assert_allclose(t.row("v_1").adjoint, [2.0, 4.0, 6.0])


def test_topological_order_lists_inputs_first():
    x1 = sg.tensor(2.0, requires_grad=True)
    x2 = sg.tensor(5.0, requires_grad=True)
    y = notes_example(x1, x2)
    order = sg.graph.topological_order(y)
    position = {id(n): i for i, n in enumerate(order)}
    for n in order:
        for parent in n.inputs:
            assert position[id(parent)] < position[id(n)]
    assert order[-1].op == "sub" and len(order) == 7
    assert sorted(n.op for n in order if n.kind == "op") == ["add", "log", "mul", "sin", "sub"]
    assert sum(n.kind == "input" for n in order) == 2
    ids = [n.node_id for n in order if n.kind == "op"]
    assert len(set(ids)) == len(ids)


def test_to_dot_and_extended_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = sg.sum(sg.sin(x) * x)
    dot = sg.graph.to_dot(y, names={"x": x})
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert "sin" in dot and "mul" in dot and "sum" in dot and 'label="x\\n(2,) float64"' in dot
    assert dot.count("->") == 4
    (g,) = sg.autograd.grad(y, [x], create_graph=True)
    extended = sg.graph.to_dot(g)
    assert "cos" in extended  # the gradient's own graph: d/dx sin(x) * x uses cos(x)
    y.backward()
    assert "freed by backward" in sg.graph.to_dot(y)


def test_render_requires_graphviz(monkeypatch, tmp_path):
    x = sg.tensor(1.0, requires_grad=True)
    y = sg.exp(x)
    original_path = os.environ.get("PATH", "")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="Graphviz"):
        sg.graph.render(y, tmp_path / "g.svg")
    # A stand-in `dot` that copies its input shows what render hands to Graphviz.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "dot"
    fake.write_text('#!/bin/sh\n# args: -Tfmt -o path\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + original_path)
    out = tmp_path / "g.svg"
    assert sg.graph.render(y, out) == out
    assert out.read_text() == sg.graph.to_dot(y)
