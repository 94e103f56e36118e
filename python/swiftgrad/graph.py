"""Looking at automatic differentiation at work.

`topological_order(t)` and `to_dot(t)` show the graph recorded while computing `t` (including
the extended graph that `create_graph=True` records for a gradient); `render(t, path)` draws it
with Graphviz. `trace(f, *args)` prints the Wengert list of `f` at `args` as the course notes
lay it out: every intermediate v_i with its operation, value, forward-mode tangent and
reverse-mode adjoint. The graph itself is read from the Swift core through the C ABI.
"""
import shutil
import subprocess
import sys

import numpy as np

from . import _C
from ._tensor import Tensor


class Node:
    """One tensor of a recorded graph.

    kind: "op" (produced by a recorded operation), "input" (a leaf that requires grad) or
    "constant" (a leaf that does not). `op` is the primitive's name for "op" nodes; `node_id`
    increases in recording order; `released` is True once backward freed the node's inputs.
    """

    __slots__ = ("tensor", "kind", "op", "node_id", "inputs", "released", "key")

    def __init__(self, tensor, key):
        self.tensor = tensor
        self.key = key
        self.op = tensor.grad_fn
        self.node_id = _C.graph_node_id(tensor)
        self.kind = "op" if self.op is not None else ("input" if tensor.requires_grad else "constant")
        self.released = self.kind == "op" and _C.graph_node_released(tensor)
        self.inputs = []

    def __repr__(self):
        what = self.op if self.kind == "op" else self.kind
        return f"Node({what}, shape={self.tensor.shape}, dtype={self.tensor.dtype})"


def topological_order(t):
    """The nodes of the graph that produced `t`, each after all of its inputs (leaves included;
    `t`'s own node last)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"topological_order expects a Tensor, got {type(t).__name__}")
    tensors = _C.graph_topological_order(t)
    nodes = {}
    order = []
    for tensor in tensors:
        node = Node(tensor, _C.graph_tensor_id(tensor))
        nodes[node.key] = node
        order.append(node)
    for node in order:
        if node.kind == "op":
            node.inputs = [nodes[_C.graph_tensor_id(i)] for i in _C.graph_node_inputs(node.tensor)]
    return order


def _short_value(t, limit=4):
    a = np.asarray(t)
    if a.size == 1:
        return f"{a.reshape(()).item():.6g}"
    if a.size <= limit:
        return np.array2string(a, precision=4, separator=", ")
    return f"{a.dtype}{list(a.shape)}"


def _dot_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(t, names=None):
    """DOT text of the graph that produced `t`.

    Operations are boxes (primitive name, shape, dtype), inputs that require grad are blue
    ellipses, constants grey ellipses; edges go from inputs to the operation using them.
    `names` maps labels to tensors, e.g. `to_dot(loss, names={"x": x, "W": W})`.
    """
    order = topological_order(t)
    labels = {_C.graph_tensor_id(v): k for k, v in (names or {}).items() if isinstance(v, Tensor)}
    lines = ["digraph swiftgrad {", '  node [fontname="Helvetica", fontsize=11];', "  rankdir=BT;"]
    ids = {}
    for i, node in enumerate(order):
        ids[node.key] = f"v{i}"
        shape = str(node.tensor.shape) if node.tensor.ndim else "scalar"
        name = labels.get(node.key)
        if node.kind == "op":
            text = f"{node.op} #{node.node_id}" + (f" ({name})" if name else "")
            text += f"\\n{shape} {node.tensor.dtype}" + ("\\n(freed by backward)" if node.released else "")
            style = 'shape=box, style="rounded,filled", fillcolor="#fff2cc"'
        elif node.kind == "input":
            text = (name or "input") + f"\\n{shape} {node.tensor.dtype}"
            style = 'shape=ellipse, style=filled, fillcolor="#cfe2f3"'
        else:
            text = (name or "const") + f"\\n{_dot_escape(_short_value(node.tensor))}"
            style = 'shape=ellipse, style=filled, fillcolor="#eeeeee"'
        lines.append(f'  {ids[node.key]} [label="{text}", {style}];')
    for node in order:
        for position, parent in enumerate(node.inputs):
            label = f' [label="{position}"]' if len(node.inputs) > 1 else ""
            lines.append(f"  {ids[parent.key]} -> {ids[node.key]}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(t, path, names=None, format=None):
    """Draws the graph of `t` into `path` (format from the extension: svg, png, pdf, ...) with
    Graphviz's `dot`; raises RuntimeError when Graphviz is not installed. Returns `path`."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("render() needs Graphviz's `dot` program on PATH (e.g. `apt-get install "
                           "graphviz`); to_dot(t) gives the DOT text without it")
    fmt = format or (str(path).rsplit(".", 1)[-1] if "." in str(path) else "svg")
    result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=to_dot(t, names).encode(),
                            capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
    return path


def dot_to_svg(dot_text):
    """DOT text drawn as SVG by Graphviz's `dot`, or None when Graphviz is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    result = subprocess.run([dot, "-Tsvg"], input=dot_text.encode(), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode()


def to_svg(t, names=None):
    """The graph of `t` as SVG text drawn by Graphviz's `dot`, or None when Graphviz is not installed."""
    return dot_to_svg(to_dot(t, names))


class GraphView:
    """The recorded graph of a tensor for Jupyter: `sg.graph.view(loss)` as the last expression of a
    cell shows it as SVG (`_repr_svg_`, drawn by Graphviz's `dot`). Without Graphviz `_repr_svg_`
    returns None and Jupyter shows the text form (`repr`: the node count and the DOT source)."""

    def __init__(self, tensor, names=None):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"view expects a Tensor, got {type(tensor).__name__}")
        self.tensor, self.names = tensor, names

    def to_dot(self):
        """The DOT text (`to_dot(tensor, names)`)."""
        return to_dot(self.tensor, self.names)

    def _repr_svg_(self):
        return to_svg(self.tensor, self.names)

    def __repr__(self):
        n = len(topological_order(self.tensor))
        return f"GraphView({n} nodes)\n" + self.to_dot()


def view(t, names=None):
    """A `GraphView` of the graph that produced `t`, displayed as SVG in Jupyter."""
    return GraphView(t, names)


# --- The Wengert list ----------------------------------------------------------------------------

_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}


class TraceRow:
    """One line of a Wengert list: `name = expression`, with value, tangent and adjoint."""

    __slots__ = ("name", "op", "inputs", "expression", "value", "tangent", "adjoint")

    def __init__(self, name, op, inputs, expression, value, tangent, adjoint):
        self.name, self.op, self.inputs, self.expression = name, op, inputs, expression
        self.value, self.tangent, self.adjoint = value, tangent, adjoint

    def __repr__(self):
        return f"TraceRow({self.name} = {self.expression})"


class Trace(str):
    """The printed table (a `str`), with the rows behind it in `.rows` (NumPy values),
    the output in `.output` and its row name in `.output_name`."""

    rows = ()
    output = None
    output_name = None

    def _repr_html_(self):
        """Jupyter's display: the Wengert list as an HTML table (operation, value, tangent, adjoint)."""
        import html

        cells = "".join(f"<th>{h}</th>" for h in ("v", "operation", "value", "tangent v&#775;", "adjoint v&#772;"))
        rows = [f"<tr>{cells}</tr>"]
        for r in self.rows:
            values = (r.name, r.expression, _short_value(r.value), _short_value(r.tangent), _short_value(r.adjoint))
            rows.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in values) + "</tr>")
        out = "" if self.output is None else _short_value(self.output)
        caption = f"y = {self.output_name + ' = ' if self.output_name else ''}{out}"
        return (f'<table class="swiftgrad-trace" style="font-family:monospace"><caption>{html.escape(caption)}'
                f"</caption>{''.join(rows)}</table>")

    def row(self, name):
        """The row named `name` (e.g. "v_3"); KeyError when there is none."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)


def _as_input(a):
    if isinstance(a, Tensor):
        a = a.numpy()
    a = np.asarray(a)
    if a.dtype.kind not in "f":
        a = a.astype(np.float64)
    from . import tensor

    return tensor(a, requires_grad=True)


def _zeros_like(t):
    from . import zeros

    return zeros(t.shape, t.dtype)


def _tangent(v, inputs, directions):
    """J_v(inputs) @ directions, exactly, from two reverse sweeps: g(u) = J^T u is linear in u,
    so the gradient of <g(u), direction> with respect to u is J @ direction."""
    from . import autograd, sum as total

    u = _zeros_like(v)
    u.requires_grad = True
    grads = autograd.grad(v, inputs, grad_outputs=u, create_graph=True, allow_unused=True)
    terms = [total(g * d) for g, d in zip(grads, directions) if g is not None]
    if not terms:
        return np.zeros(v.shape)
    s = terms[0]
    for term in terms[1:]:
        s = s + term
    if not s.requires_grad:
        return np.zeros(v.shape)
    (jd,) = autograd.grad(s, [u], allow_unused=True)
    return np.zeros(v.shape) if jd is None else np.array(jd)


def trace(f, *args, tangents=None, cotangent=None, quiet=False, file=None):
    """Runs `f(*args)` and returns (and prints, unless `quiet`) its Wengert list.

    The inputs are v_1..v_n; each recorded operation gets the next v_i in the order it ran.
    Columns: the operation and its inputs, the value, the forward-mode tangent v_dot_i
    (derivative along `tangents`, by default d/dx_1: ones for the first input, zeros for the
    rest) and the reverse-mode adjoint v_bar_i = dy/dv_i (seeded with `cotangent`, required
    when y is not a scalar). Both derivative columns are exact (computed by reverse mode).
    The result is a `Trace` (a str) whose `.rows` hold the numbers.
    """
    from . import autograd, enable_grad, ones

    inputs = [_as_input(a) for a in args]
    if not inputs:
        raise ValueError("trace needs at least one input")
    with enable_grad():
        y = f(*inputs)
    if not isinstance(y, Tensor):
        raise TypeError(f"trace: f must return a Tensor, got {type(y).__name__}")
    if tangents is None:
        directions = [ones(inputs[0].shape, inputs[0].dtype)] + [_zeros_like(x) for x in inputs[1:]]
    else:
        if len(tangents) != len(inputs):
            raise ValueError(f"trace: {len(tangents)} tangents for {len(inputs)} inputs")
        directions = []
        for x, d in zip(inputs, tangents):
            d = _as_input(d).detach()
            if d.shape != x.shape:
                raise ValueError(f"trace: tangent of shape {d.shape} for an input of shape {x.shape}")
            directions.append(d)
    if cotangent is None and y.size != 1:
        raise ValueError(f"trace: the output has shape {y.shape}; pass cotangent= to seed the adjoints")

    order = topological_order(y) if y.requires_grad else []
    names = {}
    for i, x in enumerate(inputs):
        names[_C.graph_tensor_id(x)] = f"v_{i + 1}"
    ops = sorted((n for n in order if n.kind == "op"), key=lambda n: n.node_id)
    for k, node in enumerate(ops):
        names[node.key] = f"v_{len(inputs) + k + 1}"

    def ref(node):
        return names.get(node.key) or _short_value(node.tensor)

    def expression(node):
        refs = [ref(i) for i in node.inputs]
        if node.op in _INFIX and len(refs) == 2:
            return f"{refs[0]} {_INFIX[node.op]} {refs[1]}"
        if node.op == "neg" and len(refs) == 1:
            return f"-{refs[0]}"
        return f"{node.op}({', '.join(refs)})"

    tracked = inputs + [n.tensor for n in ops]
    if y.requires_grad:
        seed = None if cotangent is None else [_as_input(cotangent).detach()]
        adjoints = autograd.grad([y], tracked, grad_outputs=seed, retain_graph=True, allow_unused=True)
    else:
        adjoints = [None] * len(tracked)

    rows = []
    for i, x in enumerate(inputs):
        adj = adjoints[i]
        rows.append(TraceRow(f"v_{i + 1}", None, [], f"x_{i + 1}", np.array(x),
                             np.array(directions[i]), np.zeros(x.shape) if adj is None else np.array(adj)))
    for k, node in enumerate(ops):
        adj = adjoints[len(inputs) + k]
        rows.append(TraceRow(names[node.key], node.op, [ref(i) for i in node.inputs], expression(node),
                             np.array(node.tensor), _tangent(node.tensor, inputs, directions),
                             np.zeros(node.tensor.shape) if adj is None else np.array(adj)))

    output_name = names.get(_C.graph_tensor_id(y))
    text = _format(rows, output_name, y)
    result = Trace(text)
    result.rows = tuple(rows)
    result.output = np.array(y)
    result.output_name = output_name
    if not quiet:
        print(text, file=file or sys.stdout)
    return result


def _format(rows, output_name, y):
    header = ("v", "operation", "value", "tangent v_dot", "adjoint v_bar")
    table = [header] + [(r.name, r.expression, _short_value(r.value), _short_value(r.tangent),
                         _short_value(r.adjoint)) for r in rows]
    widths = [max(len(line[c]) for line in table) for c in range(len(header))]
    out = ["Wengert list (v_dot = dv/dx . tangent, forward mode; v_bar = dy/dv, reverse mode)"]
    for j, line in enumerate(table):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append(f"y = {output_name + ' = ' if output_name else ''}{_short_value(y)}")
    return "\n".join(out)
