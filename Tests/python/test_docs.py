"""The documentation is kept true by tests: the tutorial's code runs, generated pages are
current, the Swift guide's example is the one the Swift test compiles, every public function has
a docstring, and the type stubs cover the extension."""
import ast
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import swiftgrad as sg
import swiftgrad.nn.functional
import swiftgrad.nn.init
import swiftgrad.optim.lr_scheduler
import swiftgrad.testing.pytest_plugin
from swiftgrad import _C

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "python"))


def _blocks(path, language):
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.S)


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Tutorial ----------------------------------------------------------------------------------


def test_tutorial_code_blocks_run_in_order(tmp_path):
    blocks = _blocks(DOCS / "TUTORIAL.md", "python")
    assert len(blocks) >= 10
    program = tmp_path / "tutorial.py"
    program.write_text("\n".join(blocks))
    result = subprocess.run([sys.executable, str(program)], env=ENV, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ValueError:" in result.stdout  # the block showing an error message ran


# --- Generated pages ---------------------------------------------------------------------------


def test_operator_reference_is_current():
    gen = _load_script("gen_operator_reference")
    committed = (DOCS / "OPERATORS.md").read_text()
    assert committed == gen.render(), "run: PYTHONPATH=python python3 scripts/gen_operator_reference.py"


def test_operator_reference_lists_every_case():
    sys.path.insert(0, str(ROOT / "Tests" / "python"))
    try:
        from op_table import ALL
    finally:
        sys.path.pop(0)
    page = (DOCS / "OPERATORS.md").read_text()
    for case in ALL:
        assert f"| `{case.name}` |" in page
        row = next(line for line in page.splitlines() if line.startswith(f"| `{case.name}` |"))
        assert row.rstrip().endswith("| yes | yes | yes |" if case.second_order else "| yes | yes | no |")


def test_course_graph_dot_is_current(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_course_graph.py"), str(tmp_path)],
                            env=ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    dot = (tmp_path / "course_example_graph.dot").read_text()
    assert dot == (DOCS / "img" / "course_example_graph.dot").read_text(), \
        "run: PYTHONPATH=python python3 scripts/render_course_graph.py"
    for label in ("x1", "x2", "log #1 (v3)", "mul #2 (v4)", "sin #3 (v5)", "add #4 (v6)", "sub #5 (y = v7)"):
        assert label in dot
    assert dot.count("->") == 8


def test_course_graph_pictures_are_committed_and_shown():
    svg = (DOCS / "img" / "course_example_graph.svg").read_text()
    assert "<svg" in svg and "sub #5 (y = v7)" in svg
    assert (DOCS / "img" / "course_example_graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](docs/img/course_example_graph.png)" in (ROOT / "README.md").read_text()


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's `dot` is not installed (optional: apt-get install graphviz)")
def test_course_graph_renders(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "render_course_graph.py"), str(tmp_path)],
                   env=ENV, check=True, capture_output=True, timeout=60)
    assert "sub #5 (y = v7)" in (tmp_path / "course_example_graph.svg").read_text()
    assert (tmp_path / "course_example_graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_doc_links_resolve():
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


# --- Swift guide -------------------------------------------------------------------------------


def test_swift_guide_examples_are_the_compiled_ones():
    text = (DOCS / "SWIFT_GUIDE.md").read_text()
    swift = (ROOT / "Tests" / "SwiftGradTests" / "SwiftGuideTests.swift").read_text()
    names = re.findall(r"<!-- swift-guide-example (\w+) -->\n```swift\n", text)
    assert "main" in names and len(names) == text.count("<!-- swift-guide-example")
    for name in names:
        block = re.search(rf"<!-- swift-guide-example {name} -->\n```swift\n(.*?)```", text, re.S).group(1)
        guide = [line.strip() for line in block.splitlines()
                 if line.strip() and line.strip() != "import SwiftGrad"]
        body = swift.split(f"// BEGIN GUIDE EXAMPLE {name}\n", 1)[1]
        body = body.split(f"// END GUIDE EXAMPLE {name}\n", 1)[0]
        compiled = [line.strip() for line in body.splitlines() if line.strip()]
        assert guide == compiled, f"docs/SWIFT_GUIDE.md's {name} example and SwiftGuideTests.swift differ"


# --- Docstrings and stubs ----------------------------------------------------------------------

MODULES = [sg, sg.autograd, sg.random, sg.graph, sg.transforms, sg.nn, sg.nn.functional, sg.nn.init, sg.optim,
           sg.optim.lr_scheduler, sg.optim.swa_utils, sg.nn.utils, sg.testing, sg.testing.pytest_plugin,
           sg.distributed, sg.utils.data,
           sg.tree_util, sg.amp]


def _public_callables():
    seen = set()
    for module in MODULES:
        names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or not callable(obj) or id(obj) in seen:
                continue
            if not str(getattr(obj, "__module__", "swiftgrad") or "swiftgrad").startswith("swiftgrad"):
                continue  # re-exported from elsewhere (e.g. OrderedDict)
            seen.add(id(obj))
            yield f"{module.__name__}.{name}", obj
            if isinstance(obj, type):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and (callable(member) or isinstance(member, property)):
                        yield f"{module.__name__}.{name}.{attr}", getattr(obj, attr)


def test_every_public_callable_has_a_docstring():
    missing = [name for name, obj in _public_callables() if not (inspect.getdoc(obj) or "").strip()]
    assert not missing, f"no docstring: {missing}"


def test_stubs_cover_the_extension_and_are_packaged():
    stub = ast.parse((ROOT / "python" / "swiftgrad" / "_C.pyi").read_text())
    declared = {node.name for node in stub.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    declared |= {node.target.id for node in stub.body if isinstance(node, ast.AnnAssign)}
    actual = {name for name in dir(_C) if not name.startswith("__")}
    assert actual - declared == set(), f"missing from _C.pyi: {sorted(actual - declared)}"
    assert declared - actual == set(), f"_C.pyi declares what _C lacks: {sorted(declared - actual)}"
    tensor_stub = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == "TensorBase")
    members = {n.name for n in tensor_stub.body if isinstance(n, ast.FunctionDef)}
    members |= {n.target.id for n in tensor_stub.body if isinstance(n, ast.AnnAssign)}
    for name in vars(_C.TensorBase):
        if not name.startswith("__") or name in ("__add__", "__getitem__", "__matmul__"):
            assert name in members, f"TensorBase.{name} is missing from _C.pyi"
    assert (ROOT / "python" / "swiftgrad" / "py.typed").exists()
    pyproject = (ROOT / "pyproject.toml").read_text()  # the packaging metadata (setup.py drives the build)
    assert 'swiftgrad = ["py.typed", "*.pyi"]' in pyproject


def test_architecture_names_every_source_file():
    """docs/ARCHITECTURE.md's file map names every source file of Sources/ and python/ (by its name
    in its folder's table), so the map stays true as files come and go."""
    page = (DOCS / "ARCHITECTURE.md").read_text()
    built = {"_C.pyi", "_build_info.py"}  # written by setup.py
    missing = []
    for folder in (ROOT / "Sources", ROOT / "python"):
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(ROOT)
            if (not path.is_file() or path.suffix in (".so", ".pyc") or path.name in built
                    or "__pycache__" in relative.parts or "lib" in relative.parts
                    or any(p.endswith(".egg-info") for p in relative.parts)):
                continue
            parts = relative.parts
            name = "/".join(parts[2:]) if parts[:2] == ("python", "swiftgrad") else parts[-1]
            if f"`{name}`" not in page and f"`{relative.as_posix()}`" not in page:
                missing.append(relative.as_posix())
    assert not missing, f"files docs/ARCHITECTURE.md's file map does not name: {missing}"
