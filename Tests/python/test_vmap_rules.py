"""Every primitive type of the core states a batching rule, or belongs to a family whose
protocol extension states one (Note [Batching levels]). Reads the Swift sources, so a new
primitive without a rule fails here by name, before any op-table case reaches it."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "SwiftGrad"
# Protocols whose extensions state `batch` for every conforming type.
FAMILIES_WITH_RULES = {"ElementwiseUnary", "ElementwiseBinary", "Selecting", "BinaryPartials", "PiecewiseConstant"}
PRIMITIVE_PROTOCOLS = FAMILIES_WITH_RULES | {"Primitive", "LinearPrimitive"}


def _struct_bodies(text):
    """(name, conformances, body) of every struct declared in `text`."""
    for m in re.finditer(r"\bstruct (\w+)\s*:\s*([\w\s,&]+?)\s*\{", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield m.group(1), {c.strip() for c in m.group(2).split(",")}, text[m.end():i]


def _primitives():
    found = {}
    for path in sorted(ROOT.rglob("*.swift")):
        for name, conformances, body in _struct_bodies(path.read_text()):
            if conformances & PRIMITIVE_PROTOCOLS:
                found[name] = (path.name, conformances, body)
    return found


def test_the_scan_finds_the_primitives():
    prims = _primitives()
    # A sample of every family, so a broken scan cannot pass the check below vacuously.
    for name in ["Exp", "Add", "Maximum", "Hypot", "Floor", "Sum", "Reshape", "MatMul", "CustomFunction", "Identity",
                 "DynamicTake", "Eigh", "Im2Col", "IndexSet"]:
        assert name in prims
    assert len(prims) >= 65


def test_every_primitive_has_a_batching_rule():
    missing = sorted(f"{name} ({file})" for name, (file, conformances, body) in _primitives().items()
                     if not conformances & FAMILIES_WITH_RULES and "func batch(" not in body)
    assert missing == [], f"primitives without a batching rule: {missing}"


def test_family_extensions_state_the_rule():
    text = "\n".join(p.read_text() for p in (ROOT / "Primitives").glob("*.swift"))
    for family in ["ElementwiseUnary", "ElementwiseBinary"]:
        m = re.search(r"extension " + family + r" \{(.*?)\n\}", text, re.S)
        assert m and "func batch(" in m.group(1), family
    # The other families refine these two.
    for family, parent in [("Selecting", "BinaryPartials"), ("BinaryPartials", "ElementwiseBinary"),
                           ("PiecewiseConstant", "ElementwiseUnary")]:
        assert re.search(r"protocol " + family + r"\s*:\s*" + parent, text), family
