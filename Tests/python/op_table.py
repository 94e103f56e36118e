"""The op table: one entry per operation, driving the parametrized tests (forward vs NumPy,
gradcheck, gradgradcheck, and, with forward mode, JVP checks). Add a line when you add an op.

Each case: a name, the swiftgrad function, the NumPy reference, and input makers (float64
arrays from a seeded generator). `positive` inputs keep log/sqrt in their domain; inputs avoid
kinks (abs/relu/max ties) by construction so finite differences are meaningful.
"""
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

import swiftgrad as sg


@dataclass
class OpCase:
    name: str
    fn: Callable
    reference: Callable
    shapes: Sequence[tuple]
    positive: bool = False
    away_from_zero: bool = False
    second_order: bool = True
    kwargs: dict = field(default_factory=dict)

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        arrays = []
        for shape in self.shapes:
            a = rng.uniform(0.5, 2.0, shape) if self.positive else rng.uniform(-1.5, 1.5, shape)
            if self.away_from_zero:
                a = np.where(np.abs(a) < 0.2, a + np.sign(a + 1e-9) * 0.3, a)
            arrays.append(a)
        return arrays

    def __repr__(self):
        return self.name


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


UNARY = [
    OpCase("negative", sg.negative, np.negative, [(3, 4)]),
    OpCase("exp", sg.exp, np.exp, [(3, 4)]),
    OpCase("log", sg.log, np.log, [(3, 4)], positive=True),
    OpCase("sin", sg.sin, np.sin, [(3, 4)]),
    OpCase("cos", sg.cos, np.cos, [(3, 4)]),
    OpCase("tan", sg.tan, np.tan, [(3, 4)]),
    OpCase("tanh", sg.tanh, np.tanh, [(3, 4)]),
    OpCase("sigmoid", sg.sigmoid, _sigmoid, [(3, 4)]),
    OpCase("relu", sg.relu, lambda x: np.maximum(x, 0), [(3, 4)], away_from_zero=True),
    OpCase("sqrt", sg.sqrt, np.sqrt, [(3, 4)], positive=True),
    OpCase("abs", sg.abs, np.abs, [(3, 4)], away_from_zero=True),
    OpCase("log1p", sg.log1p, np.log1p, [(3, 4)], positive=True),
    OpCase("expm1", sg.expm1, np.expm1, [(3, 4)]),
    OpCase("square", sg.square, np.square, [(3, 4)]),
    OpCase("copy", sg.copy, np.copy, [(3, 4)]),
]

BINARY = [
    OpCase("add", sg.add, np.add, [(3, 4), (4,)]),
    OpCase("subtract", sg.subtract, np.subtract, [(3, 1), (1, 4)]),
    OpCase("multiply", sg.multiply, np.multiply, [(2, 3, 4), (3, 1)]),
    OpCase("divide", sg.divide, np.divide, [(3, 4), (3, 4)], away_from_zero=True),
    OpCase("power", sg.power, np.power, [(3, 4), (3, 4)], positive=True),
    OpCase("maximum", sg.maximum, np.maximum, [(3, 4), (4,)]),
    OpCase("minimum", sg.minimum, np.minimum, [(3, 4), (3, 4)]),
    OpCase("matmul_2d", sg.matmul, np.matmul, [(3, 4), (4, 2)]),
    OpCase("matmul_batched", sg.matmul, np.matmul, [(2, 3, 4), (4, 2)]),
    OpCase("matmul_vec", sg.matmul, np.matmul, [(4,), (4, 3)]),
    OpCase("matmul_vecvec", sg.matmul, np.matmul, [(4,), (4,)]),
    OpCase("where", lambda a, b: sg.where(np.arange(4) % 2 == 0, a, b),
           lambda a, b: np.where(np.arange(4) % 2 == 0, a, b), [(3, 4), (3, 1)]),
]

REDUCTIONS = [
    OpCase("sum_all", sg.sum, np.sum, [(3, 4)]),
    OpCase("sum_axis0", lambda x: sg.sum(x, axis=0), lambda x: np.sum(x, axis=0), [(3, 4)]),
    OpCase("sum_axes_keep", lambda x: sg.sum(x, axis=(0, 2), keepdims=True),
           lambda x: np.sum(x, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    OpCase("mean_axis", lambda x: sg.mean(x, axis=-1), lambda x: np.mean(x, axis=-1), [(3, 4)]),
    OpCase("max_axis", lambda x: sg.max(x, axis=1), lambda x: np.max(x, axis=1), [(3, 4)]),
    OpCase("min_all", sg.min, np.min, [(3, 4)]),
    OpCase("prod_axis", lambda x: sg.prod(x, axis=0), lambda x: np.prod(x, axis=0), [(3, 4)]),
]

SHAPES = [
    OpCase("reshape", lambda x: sg.reshape(x, (4, 3)), lambda x: np.reshape(x, (4, 3)), [(3, 4)]),
    OpCase("reshape_infer", lambda x: sg.reshape(x, (2, -1)), lambda x: np.reshape(x, (2, -1)), [(3, 4)]),
    OpCase("transpose", sg.transpose, np.transpose, [(2, 3, 4)]),
    OpCase("transpose_axes", lambda x: sg.transpose(x, (1, 0, 2)), lambda x: np.transpose(x, (1, 0, 2)), [(2, 3, 4)]),
    OpCase("broadcast_to", lambda x: sg.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    OpCase("expand_dims", lambda x: sg.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [(3, 4)]),
    OpCase("squeeze", lambda x: sg.squeeze(x), np.squeeze, [(3, 1, 4)]),
    OpCase("concatenate", lambda a, b: sg.concatenate([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
           [(3, 2), (3, 4)]),
    OpCase("stack", lambda a, b: sg.stack([a, b], -1), lambda a, b: np.stack([a, b], -1), [(3, 2), (3, 2)]),
    OpCase("index_basic", lambda x: x[1:, ::-2, None, 0], lambda x: x[1:, ::-2, None, 0], [(3, 4, 2)]),
    OpCase("index_int", lambda x: x[-1], lambda x: x[-1], [(3, 4)]),
    OpCase("index_ellipsis", lambda x: x[..., 1:3], lambda x: x[..., 1:3], [(2, 3, 4)]),
    OpCase("transpose_then_matmul", lambda x: x.T @ x, lambda x: x.T @ x, [(3, 4)]),
]

def _spd(a):
    """A well-conditioned symmetric positive definite matrix made from a (for cholesky)."""
    return a @ a.T + 3 * np.eye(a.shape[-1])


def _well_conditioned(a):
    return a + 3 * np.eye(a.shape[-1])


_IDX = np.array([2, 0, 2, -1])

COMPOSITES = [
    OpCase("softplus", sg.softplus, lambda x: np.logaddexp(x, 0), [(3, 4)]),
    OpCase("clip", lambda x: sg.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), [(3, 4)]),
    OpCase("clip_tensor_bounds", lambda x, lo: sg.clip(x, lo - 2.0, None), lambda x, lo: np.clip(x, lo - 2.0, None),
           [(3, 4), (4,)]),
    OpCase("var", lambda x: sg.var(x, axis=0), lambda x: np.var(x, axis=0), [(3, 4)]),
    OpCase("std_ddof", lambda x: sg.std(x, axis=1, ddof=1, keepdims=True),
           lambda x: np.std(x, axis=1, ddof=1, keepdims=True), [(3, 4)]),
    OpCase("logsumexp", lambda x: sg.logsumexp(x, axis=1), lambda x: np.log(np.exp(x).sum(axis=1)), [(3, 4)]),
    OpCase("softmax", lambda x: sg.softmax(x, axis=0), lambda x: np.exp(x) / np.exp(x).sum(axis=0), [(3, 4)]),
    OpCase("log_softmax", sg.log_softmax, lambda x: x - np.log(np.exp(x).sum(axis=-1, keepdims=True)), [(3, 4)]),
    OpCase("dot_nd", sg.dot, np.dot, [(2, 3), (2, 3, 4)]),
    OpCase("dot_vec", sg.dot, np.dot, [(3,), (3,)]),
    OpCase("outer", sg.outer, np.outer, [(3,), (2, 2)]),
    OpCase("split", lambda x: sg.split(x, [1, 3], axis=1)[1], lambda x: np.split(x, [1, 3], axis=1)[1], [(3, 4)]),
    OpCase("take_axis", lambda x: sg.take(x, _IDX, axis=1), lambda x: np.take(x, _IDX, axis=1), [(2, 3, 2)]),
    OpCase("take_flat", lambda x: sg.take(x, [[0, 5], [5, 1]]), lambda x: np.take(x, [[0, 5], [5, 1]]), [(2, 3)]),
    OpCase("take_along_axis", lambda x: sg.take_along_axis(x, np.array([[1, 0], [2, 2], [0, 1]]), axis=1),
           lambda x: np.take_along_axis(x, np.array([[1, 0], [2, 2], [0, 1]]), axis=1), [(3, 4)]),
    OpCase("inv", lambda a: sg.linalg.inv(_well_conditioned(a)), lambda a: np.linalg.inv(_well_conditioned(a)), [(3, 3)]),
    OpCase("inv_batched", lambda a: sg.linalg.inv(_well_conditioned(a)), lambda a: np.linalg.inv(_well_conditioned(a)),
           [(2, 3, 3)]),
    OpCase("det", lambda a: sg.linalg.det(_well_conditioned(a)), lambda a: np.linalg.det(_well_conditioned(a)), [(2, 3, 3)]),
    OpCase("cholesky", lambda a: sg.linalg.cholesky(_spd(a)), lambda a: np.linalg.cholesky(_spd(a)), [(3, 3)]),
    OpCase("solve", lambda a, b: sg.linalg.solve(_well_conditioned(a), b),
           lambda a, b: np.linalg.solve(_well_conditioned(a), b), [(3, 3), (3, 2)]),
    OpCase("norm", sg.linalg.norm, np.linalg.norm, [(3, 4)]),
    OpCase("norm_axis_p3", lambda x: sg.linalg.norm(x, 3, axis=1), lambda x: np.linalg.norm(x, 3, axis=1), [(3, 4)],
           away_from_zero=True),
    OpCase("norm_matrix_1", lambda x: sg.linalg.norm(x, 1), lambda x: np.linalg.norm(x, 1), [(3, 4)],
           away_from_zero=True),
]

ALL = UNARY + BINARY + REDUCTIONS + SHAPES + COMPOSITES
