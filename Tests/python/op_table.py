"""The op table: one entry per operation, driving the parametrized tests (forward vs NumPy,
gradcheck, gradgradcheck, and, with forward mode, JVP checks). Add a line when you add an op.

Each case: a name, the swiftgrad function, the NumPy reference, and input makers (float64
arrays from a seeded generator). `positive` inputs keep log/sqrt in their domain; inputs avoid
kinks (abs/relu/max ties) by construction so finite differences are meaningful.
"""
import math
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
    # False when the result's size depends on the values (nonzero): graph mode refuses to record it.
    recordable: bool = True
    # True for cases drawing random numbers: vmap's default randomness='error' refuses them.
    random: bool = False
    # False when the result's size depends on the input's values (unique of the input): vmap refuses it.
    batchable: bool = True
    via_complex: bool = False  # True through a complex dtype (fft): 16-bit float inputs give complex64

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
    # The complex-part ops on real inputs (complex ones: Tests/python/test_complex.py).
    OpCase("real", sg.real, np.real, [(3, 4)]),
    OpCase("imag_plus_x", lambda x: sg.imag(x) + x, lambda x: np.imag(x) + x, [(3, 4)]),
    OpCase("conj", sg.conj, np.conj, [(3, 4)]),
    OpCase("angle_plus_x", lambda x: sg.angle(x) + x, lambda x: np.angle(x) + x, [(3, 4)], away_from_zero=True),
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
    OpCase("inv", lambda a: sg.linalg.inv(_well_conditioned(a)), lambda a: np.linalg.inv(_well_conditioned(a)),
           [(3, 3)]),
    OpCase("inv_batched", lambda a: sg.linalg.inv(_well_conditioned(a)), lambda a: np.linalg.inv(_well_conditioned(a)),
           [(2, 3, 3)]),
    OpCase("det", lambda a: sg.linalg.det(_well_conditioned(a)), lambda a: np.linalg.det(_well_conditioned(a)),
           [(2, 3, 3)]),
    OpCase("cholesky", lambda a: sg.linalg.cholesky(_spd(a)), lambda a: np.linalg.cholesky(_spd(a)), [(3, 3)]),
    OpCase("solve", lambda a, b: sg.linalg.solve(_well_conditioned(a), b),
           lambda a, b: np.linalg.solve(_well_conditioned(a), b), [(3, 3), (3, 2)]),
    OpCase("norm", sg.linalg.norm, np.linalg.norm, [(3, 4)]),
    OpCase("norm_axis_p3", lambda x: sg.linalg.norm(x, 3, axis=1), lambda x: np.linalg.norm(x, 3, axis=1), [(3, 4)],
           away_from_zero=True),
    OpCase("norm_matrix_1", lambda x: sg.linalg.norm(x, 1), lambda x: np.linalg.norm(x, 1), [(3, 4)],
           away_from_zero=True),
]

# --- Shape and math operators --------------------------------------------
# `x.T` inputs exercise non-contiguous (transposed) operands; shapes with a 0 exercise empty arrays.

def _with_zero_column(x):
    """x with an exact zero column inserted at index 2 (cumprod's zero handling)."""
    return np.concatenate([x[:, :2], np.zeros((x.shape[0], 1)), x[:, 2:]], axis=1)


def _sg_with_zero_column(x):
    return sg.concatenate([x[:, :2], sg.zeros((x.shape[0], 1)), x[:, 2:]], 1)


ARRANGING = [
    OpCase("flip_axis", lambda x: sg.flip(x, 1), lambda x: np.flip(x, 1), [(3, 4)]),
    OpCase("flip_all_transposed", lambda x: sg.flip(x.T), lambda x: np.flip(x.T), [(3, 4)]),
    OpCase("flip_negative_axes", lambda x: sg.flip(x, (-1, 0)), lambda x: np.flip(x, (-1, 0)), [(2, 3, 4)]),
    OpCase("flip_empty", lambda x: sg.flip(x, 0), lambda x: np.flip(x, 0), [(0, 3)]),
    OpCase("roll", lambda x: sg.roll(x, 2, 1), lambda x: np.roll(x, 2, 1), [(3, 4)]),
    OpCase("roll_flat", lambda x: sg.roll(x, -5), lambda x: np.roll(x, -5), [(3, 4)]),
    OpCase("roll_multi_transposed", lambda x: sg.roll(x.T, (1, -4), (0, -1)), lambda x: np.roll(x.T, (1, -4), (0, -1)),
           [(2, 3, 4)]),
    OpCase("moveaxis", lambda x: sg.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), [(2, 3, 4)]),
    OpCase("moveaxis_multi", lambda x: sg.moveaxis(x, (0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0)),
           [(2, 3, 4)]),
    OpCase("swapaxes", lambda x: sg.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), [(2, 3, 4)]),
    OpCase("flatten_transposed", lambda x: sg.flatten(x.T), lambda x: x.T.flatten(), [(3, 4)]),
    OpCase("ravel", sg.ravel, np.ravel, [(2, 3, 2)]),
    OpCase("ravel_0d", sg.ravel, np.ravel, [()]),
    OpCase("tile", lambda x: sg.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), [(2, 3)]),
    OpCase("tile_short_reps", lambda x: sg.tile(x.T, 2), lambda x: np.tile(x.T, 2), [(2, 3)]),
    OpCase("tile_0d", lambda x: sg.tile(x, (2, 2)), lambda x: np.tile(x, (2, 2)), [()]),
    OpCase("repeat", lambda x: sg.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1), [(3, 4)]),
    OpCase("repeat_per_element", lambda x: sg.repeat(x, [1, 0, 3], axis=-2), lambda x: np.repeat(x, [1, 0, 3], axis=-2),
           [(3, 4)]),
    OpCase("repeat_flat", lambda x: sg.repeat(x.T, 2), lambda x: np.repeat(x.T, 2), [(3, 2)]),
    OpCase("pad_constant", lambda x: sg.pad(x, ((1, 2), (0, 3)), constant_values=0.5),
           lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=0.5), [(3, 4)]),
    OpCase("pad_int_width", lambda x: sg.pad(x, 1), lambda x: np.pad(x, 1), [(2, 3, 2)]),
    OpCase("pad_empty", lambda x: sg.pad(x, (1, 2)), lambda x: np.pad(x, (1, 2)), [(0, 2)]),
    OpCase("pad_reflect", lambda x: sg.pad(x.T, ((2, 3), (1, 1)), mode="reflect"),
           lambda x: np.pad(x.T, ((2, 3), (1, 1)), mode="reflect"), [(3, 4)]),
    OpCase("pad_reflect_wide", lambda x: sg.pad(x, 5, mode="reflect"), lambda x: np.pad(x, 5, mode="reflect"), [(3,)]),
    OpCase("pad_symmetric", lambda x: sg.pad(x, ((4, 1),), mode="symmetric"),
           lambda x: np.pad(x, ((4, 1),), mode="symmetric"), [(3, 2)]),
    OpCase("pad_edge", lambda x: sg.pad(x, (2, 1), mode="edge"), lambda x: np.pad(x, (2, 1), mode="edge"), [(3, 2)]),
    OpCase("pad_wrap", lambda x: sg.pad(x, ((0, 0), (3, 5)), mode="wrap"),
           lambda x: np.pad(x, ((0, 0), (3, 5)), mode="wrap"), [(2, 3)]),
    OpCase("tril", sg.tril, np.tril, [(3, 4)]),
    OpCase("triu_k_batched", lambda x: sg.triu(x, 1), lambda x: np.triu(x, 1), [(2, 3, 4)]),
    OpCase("tril_negative_k_transposed", lambda x: sg.tril(x.T, -1), lambda x: np.tril(x.T, -1), [(3, 4)]),
    OpCase("tril_1d", sg.tril, np.tril, [(3,)]),
    OpCase("diag_vector", lambda x: sg.diag(x, 1), lambda x: np.diag(x, 1), [(3,)]),
    OpCase("diag_matrix", lambda x: sg.diag(x, -1), lambda x: np.diag(x, -1), [(3, 4)]),
    OpCase("diagonal", lambda x: sg.diagonal(x, 1, 0, 2), lambda x: np.diagonal(x, 1, 0, 2), [(3, 2, 4)]),
    OpCase("diagonal_transposed", lambda x: sg.diagonal(x.T, -1, -1, 0), lambda x: np.diagonal(x.T, -1, -1, 0),
           [(3, 4)]),
    OpCase("trace_linalg", sg.linalg.trace, np.linalg.trace, [(2, 3, 3)]),
    OpCase("trace_method_offset", lambda x: sg.asarray(x).trace(1), lambda x: np.trace(x, 1), [(3, 4)]),
    OpCase("meshgrid_xy", lambda a, b: sg.stack(sg.meshgrid(a, b)), lambda a, b: np.stack(np.meshgrid(a, b)),
           [(3,), (2,)]),
    OpCase("meshgrid_ij",
           lambda a, b, c: sg.meshgrid(a, b, c, indexing="ij")[2] * sg.meshgrid(a, b, c, indexing="ij")[0],
           lambda a, b, c: np.meshgrid(a, b, c, indexing="ij")[2] * np.meshgrid(a, b, c, indexing="ij")[0],
           [(2,), (3,), (2, 2)]),
]

MATH = [
    OpCase("floor", sg.floor, np.floor, [(3, 4)]),
    OpCase("ceil", sg.ceil, np.ceil, [(3, 4)]),
    OpCase("round", lambda x: sg.round(x * 3), lambda x: np.round(x * 3), [(3, 4)]),
    OpCase("round_decimals", lambda x: sg.round(x, 1), lambda x: np.round(x, 1), [(3, 4)]),
    OpCase("erf", sg.erf, lambda x: np.vectorize(math.erf)(x), [(3, 4)]),
    OpCase("sinh", sg.sinh, np.sinh, [(3, 4)]),
    OpCase("cosh", sg.cosh, np.cosh, [(3, 4)]),
    OpCase("arcsin", lambda x: sg.arcsin(x * 0.6), lambda x: np.arcsin(x * 0.6), [(3, 4)]),
    OpCase("arccos", lambda x: sg.arccos(x * 0.6), lambda x: np.arccos(x * 0.6), [(3, 4)]),
    OpCase("arctan", sg.arctan, np.arctan, [(3, 4)]),
    OpCase("arcsinh", sg.arcsinh, np.arcsinh, [(3, 4)]),
    OpCase("gelu", sg.gelu, lambda x: x * 0.5 * (1 + np.vectorize(math.erf)(x / np.sqrt(2))), [(3, 4)]),
    OpCase("gelu_tanh", lambda x: sg.gelu(x, approximate="tanh"),
           lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), [(3, 4)]),
    OpCase("log_sigmoid", sg.log_sigmoid, lambda x: -np.logaddexp(0, -x), [(3, 4)]),
    OpCase("log_sigmoid_large", lambda x: sg.log_sigmoid(x * 100), lambda x: -np.logaddexp(0, -x * 100), [(3, 4)],
           away_from_zero=True),
    OpCase("logaddexp", sg.logaddexp, np.logaddexp, [(3, 4), (4,)]),
    OpCase("logaddexp_large", lambda a, b: sg.logaddexp(a * 800, b * 800), lambda a, b: np.logaddexp(a * 800, b * 800),
           [(3, 1), (1, 4)]),
    OpCase("hypot", sg.hypot, np.hypot, [(3, 4), (3, 1)]),
    OpCase("arctan2", sg.arctan2, np.arctan2, [(3, 4), (4,)]),
    OpCase("cumsum", lambda x: sg.cumsum(x, 1), lambda x: np.cumsum(x, 1), [(3, 4)]),
    OpCase("cumsum_flat_transposed", lambda x: sg.cumsum(x.T), lambda x: np.cumsum(x.T), [(3, 4)]),
    OpCase("cumsum_negative_axis", lambda x: sg.cumsum(x, -2), lambda x: np.cumsum(x, -2), [(2, 3, 4)]),
    OpCase("cumprod", lambda x: sg.cumprod(x, 0), lambda x: np.cumprod(x, 0), [(3, 4)]),
    OpCase("cumprod_flat", sg.cumprod, np.cumprod, [(2, 3)]),
    OpCase("cumprod_with_zero", lambda x: sg.cumprod(_sg_with_zero_column(x), axis=1),
           lambda x: np.cumprod(_with_zero_column(x), axis=1), [(2, 4)]),
    OpCase("sort", sg.sort, np.sort, [(3, 4)]),
    OpCase("sort_axis0_transposed", lambda x: sg.sort(x.T, axis=0), lambda x: np.sort(x.T, axis=0), [(3, 4)]),
    OpCase("sort_flat", lambda x: sg.sort(x, axis=None), lambda x: np.sort(x, axis=None), [(3, 4)]),
    OpCase("sort_descending", lambda x: sg.sort(x, descending=True), lambda x: np.flip(np.sort(x), -1), [(3, 4)]),
    OpCase("argsort_gather", lambda x: sg.take_along_axis(x, sg.argsort(x, axis=0), axis=0),
           lambda x: np.take_along_axis(x, np.argsort(x, axis=0), axis=0), [(3, 4)]),
    OpCase("argmax_gather", lambda x: sg.take_along_axis(x, sg.argmax(x, axis=1, keepdims=True), axis=1),
           lambda x: np.take_along_axis(x, np.argmax(x, axis=1, keepdims=True), axis=1), [(3, 4)]),
    OpCase("argmin_flat_gather", lambda x: sg.take(x, sg.argmin(x)), lambda x: np.take(x, np.argmin(x)), [(3, 4)]),
    OpCase("topk", lambda x: sg.topk(x, 2)[0], lambda x: np.flip(np.sort(x), -1)[:, :2], [(3, 4)]),
    OpCase("topk_smallest_axis0", lambda x: sg.topk(x, 2, axis=0, largest=False)[0], lambda x: np.sort(x, 0)[:2],
           [(3, 4)]),
    OpCase("einsum_matmul", lambda a, b: sg.einsum("ij,jk->ik", a, b), lambda a, b: np.einsum("ij,jk->ik", a, b),
           [(2, 3), (3, 4)]),
    OpCase("einsum_batched_transposed", lambda a, b: sg.einsum("bij,bkj->bik", a, b.T),
           lambda a, b: np.einsum("bij,bkj->bik", a, b.T), [(2, 3, 4), (4, 3, 2)]),
    OpCase("einsum_implicit", lambda a, b: sg.einsum("ij,jk", a, b), lambda a, b: np.einsum("ij,jk", a, b),
           [(2, 3), (3, 4)]),
    OpCase("einsum_trace", lambda x: sg.einsum("ii", x), lambda x: np.einsum("ii", x), [(3, 3)]),
    OpCase("einsum_diagonal", lambda x: sg.einsum("ii->i", x), lambda x: np.einsum("ii->i", x), [(3, 3)]),
    OpCase("einsum_repeated_and_contract", lambda a, b: sg.einsum("iij,jk->ik", a, b),
           lambda a, b: np.einsum("iij,jk->ik", a, b), [(3, 3, 2), (2, 4)]),
    OpCase("einsum_outer", lambda a, b: sg.einsum("i,j->ij", a, b), lambda a, b: np.einsum("i,j->ij", a, b),
           [(3,), (2,)]),
    OpCase("einsum_chain", lambda a, b, c: sg.einsum("ij,jk,kl->il", a, b, c),
           lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), [(2, 3), (3, 4), (4, 2)]),
    OpCase("einsum_bilinear", lambda a, b, c: sg.einsum("i,ij,j->", a, b, c),
           lambda a, b, c: np.einsum("i,ij,j->", a, b, c), [(3,), (3, 4), (4,)]),
    OpCase("einsum_ellipsis", lambda a, b: sg.einsum("...ij,...jk->...ik", a, b),
           lambda a, b: np.einsum("...ij,...jk->...ik", a, b), [(2, 3, 4), (4, 2)]),
    OpCase("einsum_sum_out_and_permute", lambda a, b: sg.einsum("ijk,jl->li", a, b),
           lambda a, b: np.einsum("ijk,jl->li", a, b), [(2, 3, 4), (3, 2)]),
    OpCase("einsum_single_permute_sum", lambda x: sg.einsum("ijk->kj", x), lambda x: np.einsum("ijk->kj", x),
           [(2, 3, 4)]),
    OpCase("var_ddof_axes", lambda x: sg.var(x, axis=(0, 2), ddof=2), lambda x: np.var(x, axis=(0, 2), ddof=2),
           [(2, 3, 4)]),
]

_ROWS = np.array([2, 0, 2, -1])
_MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
_GATHER = np.array([[0, 3], [2, 2], [1, 0]])

INDEXING = [
    OpCase("fancy_rows", lambda x: x[_ROWS], lambda x: x[_ROWS], [(3, 4)]),
    OpCase("fancy_cols_repeated", lambda x: x[:, [1, 3, 1]], lambda x: x[:, [1, 3, 1]], [(3, 4)]),
    OpCase("fancy_pairs", lambda x: x[[0, 2, 1], [3, 3, 0]], lambda x: x[[0, 2, 1], [3, 3, 0]], [(3, 4)]),
    OpCase("fancy_broadcast", lambda x: x[[[0], [2]], [1, 3]], lambda x: x[[[0], [2]], [1, 3]], [(3, 4)]),
    OpCase("fancy_separated", lambda x: x[0, :, [1, 0]], lambda x: x[0, :, [1, 0]], [(2, 3, 4)]),
    OpCase("fancy_adjacent_middle", lambda x: x[:, [2, 0], 1:3], lambda x: x[:, [2, 0], 1:3], [(2, 3, 4)]),
    OpCase("fancy_ellipsis_newaxis", lambda x: x[..., None, [0, 3]], lambda x: x[..., None, [0, 3]], [(2, 3, 4)]),
    OpCase("fancy_transposed", lambda x: x.T[[3, 0]], lambda x: x.T[[3, 0]], [(3, 4)]),
    OpCase("fancy_empty", lambda x: x[[]], lambda x: x[np.array([], dtype=np.int64)], [(3, 4)]),
    OpCase("bool_mask", lambda x: x[_MASK], lambda x: x[_MASK], [(3, 4)]),
    OpCase("bool_mask_rows", lambda x: x[[True, False, True]], lambda x: x[[True, False, True]], [(3, 4)]),
    OpCase("setitem_fancy", lambda x, v: _set(x, (slice(None), [1, 3, 1]), v),
           lambda x, v: _np_set(x, (slice(None), [1, 3, 1]), v), [(3, 4), (3, 1)]),
    OpCase("setitem_mask", lambda x, v: _set(x, _MASK, v), lambda x, v: _np_set(x, _MASK, v), [(3, 4), ()]),
    OpCase("gather", lambda x: sg.gather(x, 1, _GATHER), lambda x: np.take_along_axis(x, _GATHER, 1), [(3, 4)]),
    OpCase("scatter_add", lambda x, s: sg.scatter_add(x, 1, _GATHER, s),
           lambda x, s: _np_scatter_add(x, 1, _GATHER, s), [(3, 4), (3, 2)]),
    OpCase("index_add", lambda x, s: sg.index_add(x, 0, np.array([2, 0, 2]), s),
           lambda x, s: _np_index_add(x, np.array([2, 0, 2]), s), [(3, 4), (3, 4)]),
]


def _set(x, idx, v):
    y = x * 1.0  # a non-leaf copy that may be written
    y[idx] = v
    return y


def _np_set(x, idx, v):
    y = x.copy()
    y[idx] = v
    return y


def _np_scatter_add(x, axis, index, src):
    out = x.copy()
    for i in range(index.shape[0]):
        for j in range(index.shape[1]):
            out[i, index[i, j]] += src[i, j]
    return out


def _np_index_add(x, index, source):
    out = x.copy()
    np.add.at(out, index, source)
    return out


def _np_max_pool2d(x, kernel, stride, padding):
    """Window maxima by a direct loop over the -inf padded input."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    padded = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=-np.inf)
    ho, wo = (padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1
    out = np.empty(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return out


_F = sg.nn.functional
_T01 = np.array([[0.2, 0.9, 0.5], [0.0, 1.0, 0.4]])
_CAUSAL_MASK = np.array([[True, False, False, True], [True, True, False, False], [True, True, True, False]])

NN_FUNCTIONAL = [
    OpCase("conv2d", lambda x, w, b: _F.conv2d(x, w, b), lambda x, w, b: _np_conv2d(x, w, b),
           [(2, 3, 5, 4), (4, 3, 2, 3), (4,)]),
    OpCase("conv2d_stride_pad_dilation", lambda x, w: _F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2)),
           lambda x, w: _np_conv2d(x, w, stride=(2, 2), padding=(1, 1), dilation=(1, 2)), [(1, 2, 5, 6), (3, 2, 3, 2)]),
    OpCase("conv2d_groups", lambda x, w: _F.conv2d(x, w, groups=2), lambda x, w: _np_conv2d(x, w, groups=2),
           [(1, 4, 4, 4), (6, 2, 2, 2)]),
    OpCase("conv1d", lambda x, w: _F.conv1d(x, w, padding=1),
           lambda x, w: _np_conv2d(x[:, :, None], w[:, :, None], padding=(0, 1))[:, :, 0], [(2, 3, 6), (2, 3, 3)]),
    OpCase("max_pool2d", lambda x: _F.max_pool2d(x, 2), lambda x: x.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5)),
           [(1, 2, 4, 4)]),
    # Overlapping windows (stride 1 in W) and -inf padding: maxima shared by two windows accumulate.
    OpCase("max_pool2d_stride_pad", lambda x: _F.max_pool2d(x, (3, 2), (2, 1), 1),
           lambda x: _np_max_pool2d(x, (3, 2), (2, 1), (1, 1)), [(2, 2, 5, 4)]),
    OpCase("avg_pool2d_pad", lambda x: _F.avg_pool2d(x, 3, 2, 1),
           lambda x: _np_conv2d(x.reshape(2, 1, 5, 5), np.full((1, 1, 3, 3), 1 / 9), stride=(2, 2),
                                padding=(1, 1)).reshape(1, 2, 3, 3),
           [(1, 2, 5, 5)]),
    OpCase("layer_norm", lambda x, w, b: _F.layer_norm(x, (4,), w, b),
           lambda x, w, b: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * w + b,
           [(3, 4), (4,), (4,)]),
    OpCase("batch_norm_train", lambda x: _F.batch_norm(x, None, None, training=True),
           lambda x: (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True) + 1e-5), [(4, 3, 2)]),
    OpCase("embedding", lambda w: _F.embedding(np.array([[1, 3], [3, 0]]), w), lambda w: w[[[1, 3], [3, 0]]], [(4, 3)]),
    OpCase("bce_with_logits", lambda x: _F.binary_cross_entropy_with_logits(x, _T01),
           lambda x: np.mean(np.maximum(x, 0) - x * _T01 + np.log1p(np.exp(-np.abs(x)))), [(2, 3)]),
    OpCase("huber", lambda x, t: _F.huber_loss(x, t, delta=0.8),
           lambda x, t: np.mean(np.where(np.abs(x - t) <= 0.8, 0.5 * (x - t) ** 2, 0.8 * (np.abs(x - t) - 0.4))),
           [(3, 4), (3, 4)], away_from_zero=True),
    OpCase("attention_masked", lambda q, k, v: _F.scaled_dot_product_attention(q, k, v, attn_mask=_CAUSAL_MASK),
           lambda q, k, v: _np_attention(q, k, v, _CAUSAL_MASK), [(2, 3, 5), (2, 4, 5), (2, 4, 2)]),
    OpCase("mse_loss", lambda x, t: _F.mse_loss(x, t), lambda x, t: np.mean((x - t) ** 2), [(3, 4), (3, 4)]),
    OpCase("nll_loss_ignore", lambda x: _F.nll_loss(x, _LABELS, ignore_index=1),
           lambda x: -np.mean(x[[0, 3], _LABELS[[0, 3]]]), [(4, 3)]),
    OpCase("cross_entropy_smoothing", lambda x: _F.cross_entropy(x, _LABELS, label_smoothing=0.2),
           lambda x: np.mean(0.8 * -_np_log_softmax(x)[np.arange(4), _LABELS] - 0.2 * _np_log_softmax(x).mean(1)),
           [(4, 3)]),
    OpCase("one_hot_weights", lambda x: _F.one_hot(_LABELS, 3) * x, lambda x: np.eye(3)[_LABELS] * x, [(4, 3)]),
    OpCase("dropout_eval", lambda x: _F.dropout(x, 0.5, training=False), lambda x: x, [(3, 4)]),
    OpCase("im2col", lambda x: sg._C.im2col(x, 2, 3, 1, 2),
           lambda x: np.lib.stride_tricks.sliding_window_view(x, (2, 3), axis=(2, 3))[:, :, :, ::2]
           .transpose(0, 1, 4, 5, 2, 3).reshape(1, 2 * 6, -1), [(1, 2, 4, 5)]),
]

_LABELS = np.array([2, 1, 1, 0])


def _np_log_softmax(x):
    return x - x.max(1, keepdims=True) - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))


def _np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        g = oc // (o // groups)
        for i in range(ho):
            for j in range(wo):
                patch = x[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dilation[0] * (kh - 1) + 1:dilation[0],
                          j * stride[1]:j * stride[1] + dilation[1] * (kw - 1) + 1:dilation[1]]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out if b is None else out + b[None, :, None, None]


def _np_attention(q, k, v, mask):
    s = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


_L = sg.linalg
_W = np.arange(12.0).reshape(4, 3) / 10 + 0.3


def _sym(a):
    return a + np.swapaxes(a, -1, -2) if isinstance(a, np.ndarray) else a + sg.swapaxes(a, -1, -2)


# Decompositions enter through gauge-invariant functions (signs of singular vectors and
# eigenvectors are arbitrary), on inputs with well-separated spectra.
LINALG = [
    OpCase("eigh_values", lambda a: _L.eigh(_sym(a)).eigenvalues, lambda a: np.linalg.eigh(_sym(a))[0], [(2, 4, 4)]),
    OpCase("eigh_vectors_squared", lambda a: _L.eigh(_sym(a)).eigenvectors ** 2,
           lambda a: np.linalg.eigh(_sym(a))[1] ** 2, [(3, 3)]),
    OpCase("svd_values", lambda a: _L.svd(a).S, lambda a: np.linalg.svd(a, compute_uv=False), [(2, 4, 3)]),
    OpCase("svd_u_squared_tall", lambda a: _L.svd(a).U ** 2, lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2,
           [(4, 3)]),
    OpCase("svd_vh_squared_wide", lambda a: _L.svd(a).Vh ** 2, lambda a: np.linalg.svd(a, full_matrices=False)[2] ** 2,
           [(3, 5)]),
    OpCase("qr_q_squared", lambda a: _L.qr(a).Q ** 2, lambda a: np.linalg.qr(a)[0] ** 2, [(4, 3)]),
    OpCase("qr_r_squared", lambda a: _L.qr(a).R ** 2, lambda a: np.linalg.qr(a)[1] ** 2, [(2, 3, 3)]),
    OpCase("slogdet", lambda a: _L.slogdet(a).logabsdet, lambda a: np.linalg.slogdet(a)[1], [(2, 3, 3)]),
    OpCase("pinv", _L.pinv, np.linalg.pinv, [(4, 3)]),
    OpCase("lstsq", lambda a, b: _L.lstsq(a, b), lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], [(5, 3), (5, 2)]),
    OpCase("norm_nuclear", lambda a: sg.linalg.norm(a, "nuc", axis=(1, 2)),
           lambda a: np.linalg.norm(a, "nuc", axis=(1, 2)), [(2, 3, 4)]),
    OpCase("norm_spectral", lambda a: sg.linalg.norm(a, 2), lambda a: np.linalg.norm(a, 2), [(4, 3)]),
    OpCase("det_3x3", lambda a: sg.linalg.det(a), np.linalg.det, [(3, 3)]),
    OpCase("matrix_power_3", lambda a: _L.matrix_power(a, 3), lambda a: np.linalg.matrix_power(a, 3), [(3, 3)]),
    OpCase("matrix_power_neg2", lambda a: _L.matrix_power(a + 3 * sg.eye(3), -2),
           lambda a: np.linalg.matrix_power(a + 3 * np.eye(3), -2), [(3, 3)]),
]

# Comparisons, casts and constructors have no derivative of their own: each enters a
# differentiable expression, so the table still runs (and the coverage test counts) every one.
SELECTION_AND_CREATION = [
    OpCase("sign_times_x", lambda x: sg.sign(x) * x, lambda x: np.sign(x) * x, [(3, 4)], away_from_zero=True),
    OpCase("where_less", lambda a, b: sg.where(sg.less(a, b), a, b), lambda a, b: np.where(a < b, a, b),
           [(3, 4), (3, 4)]),
    OpCase("where_less_equal", lambda a, b: sg.where(sg.less_equal(a, b), a, b),
           lambda a, b: np.where(a <= b, a, b), [(3, 4), (3, 4)]),
    OpCase("where_greater", lambda a, b: sg.where(sg.greater(a, b), a, b), lambda a, b: np.where(a > b, a, b),
           [(3, 4), (4,)]),
    OpCase("where_greater_equal", lambda a, b: sg.where(sg.greater_equal(a, b), a, b),
           lambda a, b: np.where(a >= b, a, b), [(3, 4), (3, 4)]),
    OpCase("where_equal", lambda a: sg.where(sg.equal(a, a), a, -a), lambda a: np.where(a == a, a, -a), [(3, 4)]),
    OpCase("where_not_equal", lambda a: sg.where(sg.not_equal(a, a), -a, a), lambda a: a, [(3, 4)]),
    OpCase("astype_same", lambda x: sg.astype(x, sg.float64) * x, lambda x: x * x, [(3, 4)]),
    OpCase("full_plus", lambda x: x + sg.full((3, 4), 2.5), lambda x: x + 2.5, [(3, 4)]),
    OpCase("arange_times", lambda x: x * sg.arange(4.0), lambda x: x * np.arange(4.0), [(3, 4)]),
    OpCase("linspace_times", lambda x: x * sg.linspace(0, 1, 4), lambda x: x * np.linspace(0, 1, 4), [(3, 4)]),
    OpCase("eye_matmul", lambda x: x @ sg.eye(4, k=1), lambda x: x @ np.eye(4, k=1), [(3, 4)]),
    OpCase("uniform_times_zero", lambda x: x + 0 * sg.random.uniform(size=(3, 4)), lambda x: x, [(3, 4)],
           random=True),
    OpCase("normal_times_zero", lambda x: x + 0 * sg.random.normal(size=(3, 4)), lambda x: x, [(3, 4)],
           random=True),
    OpCase("nonzero_rows", lambda x: x[sg.nonzero(np.array([1, 0, 1]))], lambda x: x[[0, 2]], [(3, 4)],
           recordable=False),
    OpCase("argwhere_rows", lambda x: sg.take(x, sg.argwhere(np.array([0, 1, 1]))[:, 0], axis=0),
           lambda x: x[[1, 2]], [(3, 4)], recordable=False),
    OpCase("where_logical_and", lambda a, b: sg.where(sg.logical_and(a > 0, b > 0), a, b),
           lambda a, b: np.where((a > 0) & (b > 0), a, b), [(3, 4), (3, 4)]),
    OpCase("where_logical_or", lambda a, b: sg.where(sg.logical_or(a > 0, b > 0), a, b),
           lambda a, b: np.where((a > 0) | (b > 0), a, b), [(3, 4), (3, 4)]),
    OpCase("where_logical_xor", lambda a, b: sg.where(sg.logical_xor(a > 0, b > 0), a, b),
           lambda a, b: np.where((a > 0) ^ (b > 0), a, b), [(3, 4), (3, 4)]),
    OpCase("where_logical_not", lambda a: sg.where(sg.logical_not(a > 0), a, -a), lambda a: np.where(a <= 0, a, -a),
           [(3, 4)]),
]

_I, _J = np.array([12, 5, 3, 6]), np.array([10, 3, 1, 7])


def _bitwise_mix(xp, i, j):
    """Every bitwise operator once, in swiftgrad or NumPy (same names)."""
    return (xp.bitwise_and(i, j) + xp.bitwise_or(i, j) + xp.bitwise_xor(i, j) + xp.bitwise_left_shift(i, 1)
            + xp.bitwise_right_shift(i, 1) + xp.bitwise_invert(j))


def _any_all_mix(xp, x):
    """any and all along axes, as masks (swiftgrad or NumPy)."""
    return xp.where(xp.any(x > 1, axis=0), x, -x) + xp.where(xp.all(x > -1, axis=1, keepdims=True), x, 0)


ARRAY_FUNCTIONS = [
    OpCase("log2", sg.log2, np.log2, [(3, 4)], positive=True),
    OpCase("log10", sg.log10, np.log10, [(3, 4)], positive=True),
    OpCase("arccosh", lambda x: sg.arccosh(x * x + 1.2), lambda x: np.arccosh(x * x + 1.2), [(3, 4)]),
    OpCase("arctanh", lambda x: sg.arctanh(x * 0.6), lambda x: np.arctanh(x * 0.6), [(3, 4)]),
    OpCase("trunc", lambda x: sg.trunc(x * 3), lambda x: np.trunc(x * 3), [(3, 4)]),
    OpCase("floor_divide", lambda a, b: sg.floor_divide(a * 4, b), lambda a, b: np.floor_divide(a * 4, b),
           [(3, 4), (4,)], away_from_zero=True),
    OpCase("remainder", lambda a, b: sg.remainder(a * 4, b), lambda a, b: np.remainder(a * 4, b), [(3, 4), (4,)],
           away_from_zero=True),
    OpCase("copysign", sg.copysign, np.copysign, [(3, 4), (3, 1)], away_from_zero=True),
    OpCase("where_isnan_isinf", lambda x: sg.where(sg.isnan(x), 0, x) + sg.where(sg.isinf(x), 0, x),
           lambda x: 2 * x, [(3, 4)]),
    OpCase("where_isfinite_signbit", lambda x: sg.where(sg.isfinite(x), x, 0) * sg.where(sg.signbit(x), -1.0, 2.0),
           lambda x: x * np.where(x < 0, -1.0, 2.0), [(3, 4)]),
    OpCase("times_bitwise", lambda x: x * _bitwise_mix(sg, _I, _J), lambda x: x * _bitwise_mix(np, _I, _J), [(3, 4)]),
    OpCase("where_any_all", lambda x: _any_all_mix(sg, x), lambda x: _any_all_mix(np, x), [(3, 4)]),
    OpCase("times_searchsorted", lambda x: x * sg.searchsorted(np.array([-1.0, 0.0, 1.0]), x, side="right"),
           lambda x: x * np.searchsorted([-1.0, 0.0, 1.0], x, side="right"), [(3, 4)]),
    OpCase("tensordot", lambda a, b: sg.tensordot(a, b, axes=([1, 0], [0, 2])),
           lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])), [(3, 2, 4), (2, 5, 3)]),
    OpCase("vecdot", lambda a, b: sg.vecdot(a, b, axis=0), lambda a, b: np.sum(np.conj(a) * b, axis=0),
           [(3, 4), (3, 1)]),
    OpCase("cumulative_sum", lambda x: sg.cumulative_sum(x, axis=1, include_initial=True),
           lambda x: np.concatenate([np.zeros((3, 1)), np.cumsum(x, axis=1)], axis=1), [(3, 4)]),
    OpCase("broadcast_arrays", lambda a, b: sg.broadcast_arrays(a, b)[0] * sg.broadcast_arrays(a, b)[1],
           lambda a, b: a * b, [(3, 1), (4,)]),
    OpCase("unstack", lambda x: sg.unstack(x, axis=1)[2] - sg.unstack(x)[1][:3], lambda x: x[:, 2] - x[1, :3],
           [(3, 4)]),
    OpCase("cross", lambda a, b: sg.linalg.cross(a, b, axis=0), lambda a, b: np.cross(a, b, axis=0),
           [(3, 4), (3, 1)]),
    OpCase("times_matrix_rank", lambda x: x * sg.linalg.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])),
           lambda x: x, [(3, 4)]),
    OpCase("unique_values", lambda x: x[:, sg.unique(np.array([3, 0, 3, 1]))],
           lambda x: x[:, [0, 1, 3]], [(3, 4)], recordable=False),
    OpCase("unique_of_input", lambda x: sg.unique(sg.concatenate([x, x]))[::2],
           lambda x: np.unique(x)[::2], [(3, 4)], recordable=False, batchable=False),
]



def _parts(m, z):  # a complex result as real numbers: its real and imaginary parts side by side
    return m.concatenate([m.real(z), m.imag(z)], axis=-1)


# sg.fft on real inputs, complex results seen through their parts (complex inputs: test_fft.py).
FOURIER = [
    OpCase("fft_of_complex_linspace", lambda x: _parts(sg, sg.fft.fft(x * sg.linspace(0, 1 + 2j, 4), axis=0)),
           lambda x: _parts(np, np.fft.fft(x * np.linspace(0, 1 + 2j, 4), axis=0)), [(3, 4)], via_complex=True),
    OpCase("ifft", lambda x: _parts(sg, sg.fft.ifft(x, n=6, norm="ortho")),
           lambda x: _parts(np, np.fft.ifft(x, n=6, norm="ortho")), [(3, 4)], via_complex=True),
    OpCase("rfft", lambda x: _parts(sg, sg.fft.rfft(x, n=5)), lambda x: _parts(np, np.fft.rfft(x, n=5)),
           [(3, 4)], via_complex=True),
    OpCase("irfft", sg.fft.irfft, np.fft.irfft, [(3, 4)], via_complex=True),
    OpCase("hfft", lambda x: sg.fft.hfft(x, n=5, axis=0), lambda x: np.fft.hfft(x, n=5, axis=0), [(3, 4)],
           via_complex=True),
    OpCase("ihfft", lambda x: _parts(sg, sg.fft.ihfft(x, norm="forward")),
           lambda x: _parts(np, np.fft.ihfft(x, norm="forward")), [(3, 4)], via_complex=True),
    OpCase("fftn", lambda x: _parts(sg, sg.fft.fftn(x, s=(4, 3), axes=(0, 1))),
           lambda x: _parts(np, np.fft.fftn(x, s=(4, 3), axes=(0, 1))), [(3, 4)], via_complex=True),
    OpCase("ifftn", lambda x: _parts(sg, sg.fft.ifftn(x, axes=(0,))),
           lambda x: _parts(np, np.fft.ifftn(x, axes=(0,))), [(3, 4)], via_complex=True),
    OpCase("rfftn", lambda x: _parts(sg, sg.fft.rfftn(x)), lambda x: _parts(np, np.fft.rfftn(x)), [(3, 4)],
           via_complex=True),
    OpCase("irfftn", lambda x: sg.fft.irfftn(x, s=(3, 6), axes=(0, 1)),
           lambda x: np.fft.irfftn(x, s=(3, 6), axes=(0, 1)), [(3, 4)], via_complex=True),
    OpCase("fftshift_fftfreq", lambda x: sg.fft.fftshift(x) * sg.fft.fftfreq(4),
           lambda x: np.fft.fftshift(x) * np.fft.fftfreq(4), [(3, 4)]),
    OpCase("ifftshift_rfftfreq", lambda x: sg.fft.ifftshift(x, axes=(1,)) * sg.fft.rfftfreq(6)[:4],
           lambda x: np.fft.ifftshift(x, axes=(1,)) * np.fft.rfftfreq(6)[:4], [(3, 4)]),
]

ALL = (UNARY + BINARY + REDUCTIONS + SHAPES + COMPOSITES + ARRANGING + MATH + INDEXING + NN_FUNCTIONAL + LINALG
       + SELECTION_AND_CREATION + ARRAY_FUNCTIONS + FOURIER)
