"""Automatic differentiation at work: the Wengert list of the course notes' example with its
forward-mode tangents and reverse-mode adjoints, and the recorded graph as Graphviz DOT text
(drawn to SVG when Graphviz is installed)."""
import shutil
import sys
import tempfile
from pathlib import Path

import swiftgrad as sg


def f(x1, x2):
    # y = ln(x1) + x1 x2 - sin(x2), in the order of the notes' evaluation trace.
    v3 = sg.log(x1)
    v4 = x1 * x2
    v5 = sg.sin(x2)
    v6 = v3 + v4
    return v6 - v5


if __name__ == "__main__":
    sg.trace(f, 2.0, 5.0)
    print()
    sg.trace(f, 2.0, 5.0, tangents=(0.0, 1.0))  # seed x2 instead: v_dot_7 = dy/dx2

    x1 = sg.tensor(2.0, requires_grad=True)
    x2 = sg.tensor(5.0, requires_grad=True)
    y = f(x1, x2)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir())
    (out / "graph.dot").write_text(sg.graph.to_dot(y, names={"x1": x1, "x2": x2}))
    (g1,) = sg.autograd.grad(y, [x1], create_graph=True)  # the extended graph computing dy/dx1
    (out / "gradient_graph.dot").write_text(sg.graph.to_dot(g1, names={"x1": x1, "x2": x2}))
    print(f"\nwrote {out / 'graph.dot'} and {out / 'gradient_graph.dot'}")
    if shutil.which("dot"):
        print("rendered", sg.graph.render(y, out / "graph.svg", names={"x1": x1, "x2": x2}))
    else:
        print("(install Graphviz to render them: dot -Tsvg graph.dot -o graph.svg)")
