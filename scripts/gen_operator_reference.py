"""Generates docs/OPERATORS.md from the op test table (Tests/python/op_table.py).

    PYTHONPATH=python python3 scripts/gen_operator_reference.py           # rewrite the page
    PYTHONPATH=python python3 scripts/gen_operator_reference.py --check   # exit 1 if out of date

The page lists every case of the table (the expression tested, arity, input shapes and domain)
and which derivative checks it runs. Those follow from how the table is consumed:
- VJP: `sg.gradcheck` (reverse mode vs float64 central differences), Tests/python/test_op_table.py;
- JVP: `sg.jvp` vs central differences in a random direction and vs the VJP by
  <v, J t> = <J^T v, t>, Tests/python/test_op_table_jvp.py;
- second order (cases with `second_order=True`): `sg.gradgradcheck`, plus forward over reverse
  and reverse over forward checks of the same JVP/VJP identities.
Tests/python/test_docs.py fails when the committed page differs from this script's output.
"""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "Tests" / "python" / "op_table.py"
PAGE = ROOT / "docs" / "OPERATORS.md"
TITLES = {"UNARY": "Elementwise unary", "BINARY": "Binary (broadcasting)", "REDUCTIONS": "Reductions",
          "SHAPES": "Shapes, indexing and views", "COMPOSITES": "Composites and linear algebra",
          "ARRANGING": "Arranging: flips, rolls, tiling, padding, triangles, diagonals",
          "MATH": "Math: rounding, special functions, scans, sorting, einsum",
          "SELECTION_AND_CREATION": "Comparisons, casts and constructors inside differentiable expressions"}
PARAMS = {1: ["x"], 2: ["a", "b"], 3: ["a", "b", "c"]}


def _literal(node, default):
    return ast.literal_eval(node) if node is not None else default


def _expression(source, fn_node, arity):
    """The tested call as source: `sg.add(a, b)` for a bare function, a lambda's body otherwise."""
    if isinstance(fn_node, ast.Lambda):
        params = ", ".join(a.arg for a in fn_node.args.args)
        return ast.get_source_segment(source, fn_node.body), params
    name = ast.get_source_segment(source, fn_node)
    params = ", ".join(PARAMS.get(arity, [f"x{i}" for i in range(arity)]))
    return f"{name}({params})", params


def _dotted(node):
    """`sg.linalg.inv` for an attribute chain rooted at the name `sg`, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "sg" and parts:
        return ".".join(reversed(parts))
    return None


def _functions(node):
    """The `sg.` functions a case calls, as dotted names below `sg` (`x.T @ x` names none)."""
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = _dotted(sub.func)
            if name and name not in names:
                names.append(name)
        elif isinstance(sub, ast.Attribute):
            name = _dotted(sub)  # a function passed bare, e.g. OpCase("exp", sg.exp, ...)
            if name and name not in names and callable(_lookup(name)):
                names.append(name)
    return names


def _lookup(dotted):
    import swiftgrad as sg

    obj = sg
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
    return obj


def read_table():
    """{group: [case dict]} for every list of OpCases in the table's source, in table order."""
    source = TABLE.read_text()
    tree = ast.parse(source)
    groups = {}
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.List)):
            continue
        group = getattr(stmt.targets[0], "id", None)
        cases = []
        for call in stmt.value.elts:
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "OpCase"):
                continue
            kw = {k.arg: k.value for k in call.keywords}
            name = ast.literal_eval(call.args[0])
            shapes = [tuple(s) for s in ast.literal_eval(call.args[3])]
            expression, params = _expression(source, call.args[1], len(shapes))
            cases.append({
                "name": name, "expression": expression, "params": params, "shapes": shapes,
                "positive": _literal(kw.get("positive"), False),
                "away_from_zero": _literal(kw.get("away_from_zero"), False),
                "second_order": _literal(kw.get("second_order"), True),
                "functions": _functions(call.args[1]),
            })
        if cases:
            groups[group] = cases
    return groups


def _doc(name):
    return _summary(_lookup(name))


def _summary(f):
    """The first line of the description (an operation's docstring starts with its signature)."""
    doc = (getattr(f, "__doc__", None) or "").strip()
    if hasattr(f, "parameters"):
        doc = doc.split("\n\n", 1)[-1]
    lines = doc.splitlines()
    return lines[0].replace("|", "\\|") if lines else ""


def _operations_section():
    """Every operation of the core's table (Note [One op table]), where it is published and its signature."""
    from swiftgrad import _C

    where = {"": "sg.", "linalg": "sg.linalg.", "fft": "sg.fft.", "nn.functional": "F.", "_": "sg._C."}
    lines = ["## Every operation of the core", "",
             f"The core's operation table (`Operation.all` in Swift, {len(_C.operations)} operations) in table order:",
             "the Python name (`sg._C.` ones are wrapped by Python code of the same name), the signature, the",
             "Tensor method of the same signature, and whether it has derivatives (comparisons, integer results",
             "and creation have none).", "",
             "| operation | signature | method | derivatives | description |", "|---|---|---|---|---|"]
    for op in _C.operations:
        method = f"`Tensor.{op.method}`" if op.method else ""
        lines.append(f"| `{where[op.namespace]}{op.__name__}` | `{op.__text_signature__}` | {method} | "
                     f"{'yes' if op.differentiable else 'no'} | {_summary(op)} |")
    return lines + [""]


def _domain(case):
    if case["positive"]:
        return "positive: U(0.5, 2)"
    if case["away_from_zero"]:
        return "U(-1.5, 1.5), away from 0"
    return "U(-1.5, 1.5)"


def render():
    groups = read_table()
    total = sum(len(c) for c in groups.values())
    yes = "yes"
    lines = [
        "# Operator reference",
        "",
        "<!-- Generated by scripts/gen_operator_reference.py from Tests/python/op_table.py; do not edit. -->",
        "",
        f"Every operation below is a row of the op test table ({total} cases). Each case runs",
        "",
        "- the forward pass against the NumPy reference (`rtol = atol = 1e-12`);",
        "- **VJP**: `sg.gradcheck`, reverse mode against float64 central differences",
        "  (`Tests/python/test_op_table.py`);",
        "- **JVP**: `sg.jvp` against central differences in a random direction, and against the VJP",
        "  through `<v, J t> = <J^T v, t>` (`Tests/python/test_op_table_jvp.py`);",
        "- **2nd order** (where marked): `sg.gradgradcheck`, and the same two JVP checks on the VJP",
        "  function (forward over reverse) and on `<v, J t>` (reverse over forward).",
        "",
        "Inputs are float64 arrays from a seeded generator, drawn from the domain shown.",
        "",
    ]
    for key, cases in groups.items():
        lines += [f"## {TITLES.get(key, key.replace('_', ' ').capitalize())}", "",
                  "| case | expression tested | arity | input shapes | inputs | VJP | JVP | 2nd order |",
                  "|---|---|---|---|---|---|---|---|"]
        for c in cases:
            shapes = ", ".join(str(s) for s in c["shapes"])
            expression = c["expression"].replace("|", "\\|")
            lines.append(f"| `{c['name']}` | `{expression}` | {len(c['shapes'])} | {shapes} | {_domain(c)} | "
                         f"{yes} | {yes} | {yes if c['second_order'] else 'no'} |")
        lines.append("")
    functions = {}
    for cases in groups.values():
        for c in cases:
            for f in c["functions"]:
                functions.setdefault(f, []).append(c["name"])
    lines += ["## Functions covered", "",
              "Each `sg` function the table calls, its docstring's first line, and the cases using it.", "",
              "| function | description | cases |", "|---|---|---|"]
    for f in sorted(functions):
        cases = ", ".join(f"`{n}`" for n in functions[f])
        lines.append(f"| `sg.{f}` | {_doc(f)} | {cases} |")
    lines.append("")
    lines += _operations_section()
    return "\n".join(lines)


def main(argv):
    text = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text() != text:
            print(f"{PAGE} is out of date: run scripts/gen_operator_reference.py", file=sys.stderr)
            return 1
        print(f"{PAGE} is up to date")
        return 0
    PAGE.write_text(text)
    print("wrote", PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
