"""Draws the course notes' example y = ln(x1) + x1 x2 - sin(x2) at (2, 5) as swiftgrad records
it, into docs/img/course_example_graph.{dot,svg,png} (the picture in README.md).

    PYTHONPATH=python python3 scripts/render_course_graph.py [output_dir]

The .dot file is always written; the SVG and PNG need Graphviz's `dot` (apt-get install graphviz).
Tests/python/test_docs.py checks that the committed .dot file is what this script writes.
"""
import shutil
import sys
from pathlib import Path

import swiftgrad as sg

ROOT = Path(__file__).resolve().parents[1]


def course_example():
    """The recorded graph of the notes' example, with the notes' names for every value."""
    x1 = sg.tensor(2.0, requires_grad=True)
    x2 = sg.tensor(5.0, requires_grad=True)
    v3 = sg.log(x1)
    v4 = x1 * x2
    v5 = sg.sin(x2)
    v6 = v3 + v4
    y = v6 - v5
    names = {"x1": x1, "x2": x2, "v3": v3, "v4": v4, "v5": v5, "v6": v6, "y = v7": y}
    return y, names


def main(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    y, names = course_example()
    written = [out_dir / "course_example_graph.dot"]
    written[0].write_text(sg.graph.to_dot(y, names=names))
    if shutil.which("dot"):
        for ext in ("svg", "png"):
            written.append(sg.graph.render(y, out_dir / f"course_example_graph.{ext}", names=names))
    else:
        print("Graphviz's `dot` is not installed: wrote the DOT text only")
    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img")
