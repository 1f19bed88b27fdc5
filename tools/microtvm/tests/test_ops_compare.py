"""EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, LOGICAL_AND/OR/NOT, SELECT and SELECT_V2:
our generated C against LiteRT's reference kernels (BUILTIN_REF), byte for byte (the outputs are
bool, or copies of the inputs for SELECT_V2).

Each compiled model holds every comparison over several shape pairs (equal shapes, scalar,
row and column broadcasts, both operands broadcast, rank 5), so one C build serves a dtype; it
runs with 3 seeds. Inputs are drawn from small ranges so that equal values are frequent, and
the float inputs include NaN, infinities and signed zeros.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pytest
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE, compare
from microtvm_testing.host import build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

SEEDS = (0, 1, 2)
COMPARISONS = compare.COMPARISONS
SHAPE_PAIRS = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (5,)),
    ((4, 1), ()),
    ((2, 1, 3, 1, 2), (1, 4, 1, 5, 2)),
    ((1, 3, 1), (2, 1, 3, 4)),
]


def _spec(shape, dtype: str, q: Optional[tuple[float, int]] = None, data=None) -> TensorSpec:
    if q is not None:
        return TensorSpec(list(shape), dtype, scale=q[0], zero_point=q[1], data=data)
    return TensorSpec(list(shape), dtype, data=data)


def _values(dtype: str, shape, rng: np.random.Generator) -> np.ndarray:
    n = int(np.prod(shape))
    if dtype == "float32":
        pool = np.array([0.0, -0.0, 0.5, -0.5, 1.0, np.nan, np.inf, -np.inf, 2.0, -1.0], np.float32)
        return rng.choice(pool, n).reshape(shape).astype(np.float32)
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtype == "int8":
        return rng.integers(-128, 128, n).astype(np.int8).reshape(shape)
    info = np.iinfo(dtype)
    extremes = np.array([info.min, info.max, -1, 0, 1], dtype=dtype)
    return np.where(rng.random(n) < 0.2, rng.choice(extremes, n), rng.integers(-3, 4, n)).astype(dtype).reshape(shape)


def _pairs_model(opcodes: Sequence[str], dtype: str, q1=None, q2=None, shape_pairs=SHAPE_PAIRS) -> bytes:
    tensors, inputs, ops, outputs = [], [], [], []
    for s1, s2 in shape_pairs:
        tensors += [_spec(s1, dtype, q1), _spec(s2, dtype, q2)]
        a, b = len(tensors) - 2, len(tensors) - 1
        inputs += [a, b]
        out_shape = np.broadcast_shapes(s1, s2)
        for opcode in opcodes:
            tensors.append(_spec(out_shape, "bool"))
            ops.append(OpSpec(opcode, [a, b], [len(tensors) - 1]))
            outputs.append(len(tensors) - 1)
    return build_model(tensors, ops, inputs=inputs, outputs=outputs)


def _check_model(model: bytes, make_inputs, tmp_path) -> None:
    host = build(model, tmp_path)
    for seed in SEEDS:
        inputs = make_inputs(seed)
        expected = run_reference(model, inputs)
        for k, (ours, theirs) in enumerate(zip(host.run(inputs), expected)):
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, f"seed {seed}, output {k}"
            np.testing.assert_array_equal(ours, theirs, err_msg=f"seed {seed}, output {k}")


def _pair_inputs(dtype: str, shape_pairs=SHAPE_PAIRS):
    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [_values(dtype, shape, rng) for pair in shape_pairs for shape in pair]

    return make


# ---------------------------------------------------------------------------------------------
# Comparisons


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_comparisons(dtype, tmp_path):
    _check_model(_pairs_model(COMPARISONS, dtype), _pair_inputs(dtype), tmp_path)


def test_bool_equality(tmp_path):
    _check_model(_pairs_model(("EQUAL", "NOT_EQUAL"), "bool"), _pair_inputs("bool"), tmp_path)


@pytest.mark.parametrize(
    "q1,q2",
    [((0.05, 3), (0.05, 3)),  # the same parameters
     ((0.1, -128), (0.02, 5)),  # different scales: a real comparison
     ((0.0005, 100), (0.0007, -100)),  # small scales: rounding makes different bytes equal
     ((0.9, 127), (0.3, -128))],
)
def test_int8_comparisons_rescale_like_litert(q1, q2, tmp_path):
    _check_model(_pairs_model(COMPARISONS, "int8", q1, q2), _pair_inputs("int8"), tmp_path)


def test_int16_comparisons(tmp_path):
    """Quantized EQUAL rescales; GREATER and friends compare stored values; unquantized too."""
    pairs = SHAPE_PAIRS[:3]
    tensors, inputs, ops, outputs = [], [], [], []
    for q in ((0.001, 0), None):
        opcodes = COMPARISONS if q is not None else tuple(c for c in COMPARISONS if c != "NOT_EQUAL")
        for s1, s2 in pairs:
            tensors += [_spec(s1, "int16", q), _spec(s2, "int16", (0.0007, 0) if q else None)]
            a, b = len(tensors) - 2, len(tensors) - 1
            inputs += [a, b]
            for opcode in opcodes:
                tensors.append(_spec(np.broadcast_shapes(s1, s2), "bool"))
                ops.append(OpSpec(opcode, [a, b], [len(tensors) - 1]))
                outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)
    _check_model(model, _pair_inputs("int16", pairs + pairs), tmp_path)


# ---------------------------------------------------------------------------------------------
# Logical operators and SELECT_V2


def test_logical(tmp_path):
    tensors, inputs, ops, outputs = [], [], [], []
    for s1, s2 in SHAPE_PAIRS:
        tensors += [_spec(s1, "bool"), _spec(s2, "bool")]
        a, b = len(tensors) - 2, len(tensors) - 1
        inputs += [a, b]
        for opcode in ("LOGICAL_AND", "LOGICAL_OR"):
            tensors.append(_spec(np.broadcast_shapes(s1, s2), "bool"))
            ops.append(OpSpec(opcode, [a, b], [len(tensors) - 1]))
            outputs.append(len(tensors) - 1)
        tensors.append(_spec(s1, "bool"))
        ops.append(OpSpec("LOGICAL_NOT", [a], [len(tensors) - 1]))
        outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)
    _check_model(model, _pair_inputs("bool"), tmp_path)


SELECT_SHAPES = [
    ((2, 3, 4), (2, 3, 4), (2, 3, 4)),
    ((3, 1), (1, 4), ()),  # every operand broadcast
    ((), (2, 3), (2, 3)),  # scalar condition
    ((2, 1, 3, 1, 2), (1, 4, 1, 5, 2), (5, 1)),  # rank 5
]


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64", "bool"])
def test_select_v2(dtype, tmp_path):
    q = (0.1, 2) if dtype in ("int8", "int16") else None
    if dtype == "int16":
        q = (0.001, 0)
    tensors, inputs, ops, outputs = [], [], [], []
    for sc, sx, sy in SELECT_SHAPES:
        tensors += [_spec(sc, "bool"), _spec(sx, dtype, q), _spec(sy, dtype, q)]
        c = len(tensors) - 3
        inputs += [c, c + 1, c + 2]
        tensors.append(_spec(np.broadcast_shapes(sc, sx, sy), dtype, q))
        ops.append(OpSpec("SELECT_V2", [c, c + 1, c + 2], [len(tensors) - 1]))
        outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)

    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        types = ("bool", dtype, dtype)
        return [_values(dt, shape, rng) for shapes in SELECT_SHAPES for dt, shape in zip(types, shapes)]

    _check_model(model, make, tmp_path)


# SELECT (version 1): the condition has x's shape, is a scalar, or picks whole rows of x.
SELECT_V1_SHAPES = [
    ((2, 3, 4), (2, 3, 4)),
    ((), (2, 3)),
    ((3,), (3, 2, 2)),  # rank-one condition: one flag per row
    ((5,), (5,)),
    ((1,), (1, 4)),
    ((2,), (2, 1, 3, 1, 2)),  # rank 5
]


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64", "bool"])
def test_select_v1(dtype, tmp_path):
    q = {"int8": (0.1, 2), "int16": (0.001, 0)}.get(dtype)
    tensors, inputs, ops, outputs = [], [], [], []
    for sc, sx in SELECT_V1_SHAPES:
        tensors += [_spec(sc, "bool"), _spec(sx, dtype, q), _spec(sx, dtype, q), _spec(sx, dtype, q)]
        c = len(tensors) - 4
        inputs += [c, c + 1, c + 2]
        ops.append(OpSpec("SELECT", [c, c + 1, c + 2], [c + 3]))
        outputs.append(c + 3)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)

    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [_values(dt, shape, rng) for sc, sx in SELECT_V1_SHAPES for dt, shape in
                (("bool", sc), (dtype, sx), (dtype, sx))]

    _check_model(model, make, tmp_path)


def test_rejects_select_v1_broadcasts():
    with pytest.raises(UnsupportedError, match="SELECT.*condition of shape \\[1, 4\\].*first dimension"):
        _check(single_op_model("SELECT", [_spec([1, 4], "bool"), _spec([3, 4], "float32"), _spec([3, 4], "float32")],
                               [_spec([3, 4], "float32")]))
    with pytest.raises(UnsupportedError, match="SELECT does not broadcast"):
        _check(single_op_model("SELECT", [_spec([3], "bool"), _spec([3, 4], "float32"), _spec([1, 4], "float32")],
                               [_spec([3, 4], "float32")]))


def test_broadcast_plan_three_operands():
    assert compare.broadcast_plan_n([(3, 1), (1, 4), ()], (3, 4)) == ([3, 4], [[1, 0], [0, 1], [0, 0]])
    assert compare.broadcast_plan_n([(2, 3), (2, 3), (2, 3)], (2, 3)) == ([], [[], [], []])
    assert compare.broadcast_plan_n([(2, 3, 4), (2, 3, 4), ()], (2, 3, 4)) == ([24], [[1], [1], [0]])


# ---------------------------------------------------------------------------------------------
# Unsupported variants


def _check(model: bytes) -> None:
    graph = read_tflite(model, "test.tflite")
    op = graph.operators[0]
    LOWERINGS_BY_OPCODE[op.opcode].check(op, graph)


def test_rejects_bool_ordering():
    with pytest.raises(UnsupportedError, match="GREATER.*supported.*float32, int8, int16, int32, int64$"):
        _check(single_op_model("GREATER", [_spec([3], "bool"), _spec([3], "bool")], [_spec([3], "bool")]))


def test_rejects_mixed_types():
    with pytest.raises(UnsupportedError, match="comparing float32 with int32"):
        _check(single_op_model("LESS", [_spec([3], "float32"), _spec([3], "int32")], [_spec([3], "bool")]))


def test_rejects_large_int8_scale():
    q = (1.5, 0)
    with pytest.raises(UnsupportedError, match="scales between 0 and 1"):
        _check(single_op_model("EQUAL", [_spec([3], "int8", q), _spec([3], "int8", q)], [_spec([3], "bool")]))


def test_rejects_unquantized_int16_not_equal():
    with pytest.raises(UnsupportedError, match="NOT_EQUAL of unquantized int16"):
        _check(single_op_model("NOT_EQUAL", [_spec([3], "int16"), _spec([3], "int16")], [_spec([3], "bool")]))


def test_rejects_non_bool_logical():
    with pytest.raises(UnsupportedError, match="supported: bool"):
        _check(single_op_model("LOGICAL_AND", [_spec([3], "int8", (0.1, 0))] * 2, [_spec([3], "int8", (0.1, 0))]))


def test_rejects_select_type_mismatch():
    with pytest.raises(UnsupportedError, match="SELECT_V2.*float32 and int32"):
        _check(single_op_model("SELECT_V2", [_spec([3], "bool"), _spec([3], "float32"), _spec([3], "int32")],
                               [_spec([3], "float32")]))


def test_rejects_incompatible_shapes():
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        _check(single_op_model("EQUAL", [_spec([3], "float32"), _spec([4], "float32")], [_spec([4], "bool")]))
