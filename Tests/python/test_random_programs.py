"""Differential tests on small random programs (generator in random_programs.py).

For each program, in float64: the gradient against central differences, forward against reverse
mode (<v, J t> = <J^T v, t>), compiled against eager (values and gradients), and, when every op of
the program has second derivatives, the Hessian-vector product against central differences of
the gradient. Hypothesis draws programs over the whole claimed op table (derandomized, few
examples); a deterministic sweep runs every claimed op once, in every API kind in turn."""
import numpy as np
import pytest

import swiftgrad as sg
from numdiff import EPS, assert_close, central_gradient
from op_table import ALL
from swiftgrad import tree_util

import random_programs as rp

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is an optional test dependency")
st = hypothesis.strategies


def _inner(a, b):
    return sum(float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64))) for x, y in zip(a, b))


def _numpy_outputs(program, leaves):
    with sg.no_grad():
        return [np.asarray(o, np.float64) for o in program(program.with_leaves(leaves))]


def check_first_order(program, seed):
    """Gradient vs central differences and forward vs reverse; returns the eager gradient leaves."""
    leaves = program.leaves()
    value, grad = sg.value_and_grad(program.loss)(program.tree)
    assert_close(value.item(), _inner(_numpy_outputs(program, leaves), program.cotangents), f"value: {program}")
    assert tree_util.tree_structure(grad) == tree_util.tree_structure(program.tree), program
    got = [np.asarray(g) for g in tree_util.tree_leaves(grad)]
    want, errors = central_gradient(lambda ls: _inner(_numpy_outputs(program, ls), program.cotangents), leaves,
                                    error=True)
    scale = sum(float(np.sum(np.abs(o * c))) for o, c in zip(_numpy_outputs(program, leaves), program.cotangents))
    for k, (g, w, e) in enumerate(zip(got, want, errors)):
        assert_close(g, w, f"gradient of leaf {k} of {program}", scale, float(np.max(e, initial=0.0)))
    rng = np.random.default_rng(seed + 1)
    tangents = [rng.uniform(-1, 1, x.shape) for x in leaves]
    _, jt = sg.jvp(program, (program.tree,), (program.with_leaves(tangents),))
    _, pull = sg.vjp(program, program.tree)
    (jtv,) = pull(tuple(program.cotangents))
    forward = _inner(program.cotangents, jt)
    reverse = _inner(tree_util.tree_leaves(jtv), tangents)
    np.testing.assert_allclose(forward, reverse, rtol=1e-11, atol=1e-12, err_msg=f"<v, Jt> != <J^T v, t>: {program}")
    assert_close(reverse, _inner(want, tangents), f"<J^T v, t> vs central differences: {program}",
                 scale * sum(float(np.sum(np.abs(t))) for t in tangents),
                 _inner(errors, [np.abs(t) for t in tangents]))
    _, linear = sg.linearize(program, program.tree)
    for a, b in zip(tree_util.tree_leaves(linear(program.with_leaves(tangents))), jt):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-11, atol=1e-12,
                                   err_msg=f"linearize: {program}")
    if sum(np.size(c) for c in program.cotangents) <= 40:  # Jacobians both ways, on the smaller programs
        forward_jac = tree_util.tree_leaves(sg.jacfwd(program)(program.tree))
        reverse_jac = tree_util.tree_leaves(sg.jacrev(program)(program.tree))
        either_jac = tree_util.tree_leaves(sg.jacobian(program)(program.tree))
        assert len(forward_jac) == len(reverse_jac) == len(either_jac) == len(jt) * len(leaves)
        for a, b in zip(forward_jac + either_jac, reverse_jac + reverse_jac):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-11, atol=1e-12,
                                       err_msg=f"jacfwd vs jacrev: {program}")
    return got, tangents


def check_compiled(program, eager_grad):
    eager = [np.asarray(o) for o in program(program.tree)]
    compiled = sg.compile(lambda tree: program(tree))
    for e, c in zip(eager, compiled(program.tree)):
        np.testing.assert_allclose(np.asarray(c), e, rtol=1e-12, atol=1e-13, err_msg=f"compiled value: {program}")
    grad = sg.compile(sg.grad(program.loss))(program.tree)
    for e, c in zip(eager_grad, tree_util.tree_leaves(grad)):
        np.testing.assert_allclose(np.asarray(c), e, rtol=1e-11, atol=1e-13, err_msg=f"compiled grad: {program}")
    outside = sg.grad(sg.compile(program.loss))
    if program.has_custom_rule:  # the rule would be lost: refused (test_pytrees)
        with pytest.raises(RuntimeError, match="inlines the custom rule"):
            outside(program.tree)
    else:
        for e, c in zip(eager_grad, tree_util.tree_leaves(outside(program.tree))):
            np.testing.assert_allclose(np.asarray(c), e, rtol=1e-11, atol=1e-13, err_msg=f"grad(compile): {program}")


def check_second_order(program, tangents):
    _, hv = sg.hvp(program.loss, (program.tree,), (program.with_leaves(tangents),))
    leaves = program.leaves()
    if sum(x.size for x in leaves) <= 8:  # the full Hessian on the smaller inputs: H t = hvp
        hessian = sg.hessian(program.loss)(program.tree)  # blocks[i][j]: leaves i, j
        blocks = [tree_util.tree_leaves(row) for row in tree_util.tree_structure(program.tree).flatten_up_to(hessian)]
        for i, row in enumerate(blocks):
            h_t = sum(np.tensordot(np.asarray(b), t, axes=t.ndim) for b, t in zip(row, tangents))
            np.testing.assert_allclose(h_t, np.asarray(tree_util.tree_leaves(hv)[i]), rtol=1e-10, atol=1e-12,
                                       err_msg=f"hessian vs hvp, leaf {i}: {program}")

    def grad_at(h):
        moved = program.with_leaves([x + h * t for x, t in zip(leaves, tangents)])
        return [np.asarray(g) for g in tree_util.tree_leaves(sg.grad(program.loss)(moved))]

    plus, minus, plus2, minus2 = grad_at(EPS), grad_at(-EPS), grad_at(2 * EPS), grad_at(-2 * EPS)
    scale = sum(float(np.sum(np.abs(p))) for p in plus)  # the magnitude of the differenced gradient
    for k, (got, p, m, p2, m2) in enumerate(zip(tree_util.tree_leaves(hv), plus, minus, plus2, minus2)):
        fd, fd2 = (p - m) / (2 * EPS), (p2 - m2) / (4 * EPS)
        assert_close(np.asarray(got), fd, f"Hessian-vector product, leaf {k}: {program}", scale,
                     float(np.max(np.abs(fd - fd2), initial=0.0)))


def check(program, seed, compiled=True, second=True):
    grad, tangents = check_first_order(program, seed)
    if compiled:
        check_compiled(program, grad)
    if second and program.second_order:
        check_second_order(program, tangents)


@st.composite
def programs(draw):
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    n_steps = draw(st.integers(1, 4), label="n_steps")
    return rp.build(lambda name, options: draw(st.sampled_from(options), label=name), seed, n_steps), seed


@hypothesis.settings(derandomize=True, max_examples=200, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(programs())
def test_random_programs(program_and_seed):
    program, seed = program_and_seed
    check(program, seed)


# --- the deterministic sweep: every claimed op once, in every kind in turn --------------------------


def sweep_schedule():
    """(case, kind) for each claimed op, the kinds cycling so that each appears with many ops."""
    return [(case, rp.KINDS[i % len(rp.KINDS)]) for i, case in enumerate(rp.CLAIMED)]


def _sweep_program(i, case, kind):
    return rp.build(rp.rng_chooser(1000 + i), 1000 + i, 2 if i % 3 == 0 else 1, forced=[(case, kind)])


CHUNKS = 6


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_sweep_every_claimed_op(chunk):
    schedule = sweep_schedule()
    for i in range(chunk, len(schedule), CHUNKS):
        case, kind = schedule[i]
        check(_sweep_program(i, case, kind), 1000 + i)


def test_generator_coverage():
    """Every op of the table is claimed or excluded with a reason; the sweep runs every claimed op
    and, with the hypothesis generator, every API kind, container kind and argument feature."""
    names = [c.name for c in ALL]
    assert set(rp.EXCLUDED) <= set(names) and all(rp.EXCLUDED.values())
    assert {c.name for c in rp.CLAIMED} == set(names) - set(rp.EXCLUDED)
    schedule = sweep_schedule()
    assert [c.name for c, _ in schedule] == [c.name for c in rp.CLAIMED]
    assert {k for _, k in schedule} == set(rp.KINDS)
    swept = [_sweep_program(i, case, kind) for i, (case, kind) in enumerate(schedule)]
    assert set().union(*(p.features for p in swept)) == set(rp.FEATURES)
    assert set().union(*(p.containers for p in swept)) == set(rp.CONTAINERS)
    # the hypothesis generator reaches every kind, nesting and container (one search, no shrinking)
    seen = {"kinds": set(), "containers": set(), "second_order_chain": False}
    wanted = set(rp.KINDS)

    def covers(program_and_seed):
        program = program_and_seed[0]
        seen["kinds"] |= program.kinds
        seen["containers"] |= program.containers
        seen["second_order_chain"] |= program.second_order and len(program.steps) > 1
        return seen["kinds"] >= wanted and seen["containers"] >= set(rp.CONTAINERS) and seen["second_order_chain"]

    settings = hypothesis.settings(derandomize=True, max_examples=3000, database=None,
                                   phases=[hypothesis.Phase.generate],
                                   suppress_health_check=list(hypothesis.HealthCheck))
    hypothesis.find(programs(), covers, settings=settings)


def test_against_jax():
    jax = pytest.importorskip("jax", reason="jax is not installed: the JAX comparison is skipped")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    for name in ("exp", "sin", "tanh", "log1p", "sqrt"):
        x = np.linspace(0.2, 1.4, 5)
        jf, sf = getattr(jnp, name), getattr(sg, name)
        want = jax.grad(lambda v, f=jf: jnp.sum(jnp.sin(f(v))))(x)
        got = sg.grad(lambda v, f=sf: sg.sum(sg.sin(f(v))))(x)
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-13, err_msg=name)


def test_checks_use_every_transform(monkeypatch):
    """The checks call every transform of the pytree layer (and compile) on the programs."""
    names = ["grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev", "jacobian", "hessian", "hvp",
             "compile"]
    calls = dict.fromkeys(names, 0)
    for name in names:
        fn = getattr(sg, name)

        def counted(*args, _name=name, _fn=fn, **kwargs):
            calls[_name] += 1
            return _fn(*args, **kwargs)
        monkeypatch.setattr(sg, name, counted)
    forced = [(rp.BY_NAME["sin"], "custom_vjp"), (rp.BY_NAME["tanh"], "plain")]
    program = rp.build(lambda name, options: options[0], 7, 2, forced=forced)  # 2 scalar leaves: small
    check(program, 7)
    assert all(calls.values()), calls
