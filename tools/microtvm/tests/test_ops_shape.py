"""SHAPE, BROADCAST_ARGS, BROADCAST_TO and EXPAND_DIMS against LiteRT, and the folding of shape
arithmetic.

One model per element type holds BROADCAST_TO (ranks 1 to 5, new leading dimensions, size-1
dimensions), EXPAND_DIMS (every axis, negative too: an alias, no code) and SHAPE (int32 and
int64) of its inputs, built once and run for three seeds; every output must equal LiteRT's
exactly. Then the shape computations exported models contain (SHAPE -> STRIDED_SLICE -> PACK ->
RESHAPE, SHAPE -> GATHER -> CONCATENATION -> BROADCAST_TO, BROADCAST_ARGS), which must fold to
constants, and the operands we reject: shapes that depend on run-time data among them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microtvm.compiler import compile_graph, compile_model, read_model
from microtvm.errors import UnsupportedError
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.passes import run_all
from microtvm_testing.batch import Case, assert_batch_matches_reference, batched_model, const
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool")


def t(dtype: str, shape, data=None, scale: float = 0.05, zero_point: int = -3, name: str = "") -> TensorSpec:
    if dtype == "int8":
        return TensorSpec(list(shape), dtype, scale, zero_point, data=data, name=name)
    if dtype == "int16":
        return TensorSpec(list(shape), dtype, 0.001, 0, data=data, name=name)
    return TensorSpec(list(shape), dtype, data=data, name=name)


def cases_for(d: str) -> list[Case]:
    return [
        Case("BROADCAST_TO", [t(d, [1]), const([5])], [t(d, [5])]),
        Case("BROADCAST_TO", [t(d, [3]), const([2, 3], "int64")], [t(d, [2, 3])]),
        Case("BROADCAST_TO", [t(d, [3, 1, 2]), const([2, 3, 4, 2])], [t(d, [2, 3, 4, 2])]),
        Case("BROADCAST_TO", [t(d, [2, 1, 3, 1, 2]), const([2, 4, 3, 2, 2])], [t(d, [2, 4, 3, 2, 2])]),
        Case("BROADCAST_TO", [t(d, [2, 3]), const([2, 3])], [t(d, [2, 3])]),
        Case("EXPAND_DIMS", [t(d, [3, 4]), const([0])], [t(d, [1, 3, 4])]),
        Case("EXPAND_DIMS", [t(d, [3, 4]), const(-1, "int64")], [t(d, [3, 4, 1])]),
        Case("EXPAND_DIMS", [t(d, [2, 1, 3, 2]), const([-3])], [t(d, [2, 1, 1, 3, 2])]),
        Case("EXPAND_DIMS", [t(d, []), const(0)], [t(d, [1])]),
        Case("SHAPE", [t(d, [2, 1, 3, 1, 2])], [TensorSpec([5], "int32")], {"out_type": "INT32"}),
        Case("SHAPE", [t(d, [4])], [TensorSpec([1], "int64")], {"out_type": "INT64"}),
        Case("TILE", [t(d, [3]), const([4])], [t(d, [12])]),
        Case("TILE", [t(d, [2, 3]), const([2, 1], "int64")], [t(d, [4, 3])]),
        Case("TILE", [t(d, [1, 2, 1, 3]), const([1, 3, 2, 2])], [t(d, [1, 6, 2, 6])]),
        Case("TILE", [t(d, [2, 1, 3, 1, 2]), const([2, 2, 1, 3, 1])], [t(d, [4, 2, 3, 3, 2])]),
        Case("TILE", [t(d, [2, 3]), const([1, 1])], [t(d, [2, 3])]),
        Case("TILE", [t(d, [2, 3]), const([0, 2])], [t(d, [0, 6])]),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_operator_of_the_family_matches_litert(dtype: str, tmp_path: Path):
    cases = cases_for(dtype)
    model = batched_model(cases)
    graph = run_all(read_model(model, "shape.tflite"), LOWERINGS_BY_OPCODE)
    assert {op.opcode for op in graph.operators} == {"BROADCAST_TO", "EXPAND_DIMS", "TILE"}  # SHAPE folded
    assert_batch_matches_reference(model, cases, workdir=tmp_path)


def test_declared_dtypes_are_the_tested_ones():
    for opcode in ("SHAPE", "BROADCAST_TO", "EXPAND_DIMS", "TILE"):
        assert set(LOWERINGS_BY_OPCODE[opcode].dtypes) == set(DTYPES), opcode
    assert set(LOWERINGS_BY_OPCODE["BROADCAST_ARGS"].dtypes) == {"int32", "int64"}
    assert LOWERINGS_BY_OPCODE["EXPAND_DIMS"].alias_input


def _flatten_by_shape_model(dtype: str) -> bytes:
    """y = RELU(RESHAPE(x, PACK(STRIDED_SLICE(SHAPE(x))[0], 12))): Keras' Flatten as exported."""
    tensors = [
        t(dtype, [2, 3, 4], name="x"),
        TensorSpec([3], "int32", name="shape"),
        const([0]), const([1]), const([1]),
        TensorSpec([], "int32", name="batch"),
        const(12),
        TensorSpec([2], "int32", name="new_shape"),
        t(dtype, [2, 12], name="flat"),
        t(dtype, [2, 12], name="y"),
    ]
    ops = [
        OpSpec("SHAPE", [0], [1], {"out_type": "INT32"}),
        OpSpec("STRIDED_SLICE", [1, 2, 3, 4], [5], {"shrink_axis_mask": 1}),
        OpSpec("PACK", [5, 6], [7], {"values_count": 2, "axis": 0}),
        OpSpec("RESHAPE", [0, 7], [8]),
        OpSpec("RELU", [8], [9]),
    ]
    return build_model(tensors, ops, [0], [9])


def _broadcast_by_shape_model() -> bytes:
    """z = BROADCAST_TO(b, CONCATENATION(GATHER(SHAPE(x), [0, 1]), BROADCAST_ARGS(SHAPE(b), [1])))
    + a second output BROADCAST_TO(b, BROADCAST_ARGS(SHAPE(x), SHAPE(b))) and EXPAND_DIMS of a
    constant: everything but the two BROADCAST_TOs folds."""
    tensors = [
        t("float32", [2, 3, 4], name="x"),  # 0
        t("float32", [4], name="b"),  # 1
        TensorSpec([3], "int64", name="shape_x"),  # 2
        const([0, 1]), TensorSpec([2], "int64", name="lead"),  # 3, 4: GATHER
        TensorSpec([1], "int64", name="shape_b"),  # 5
        const([1], "int64"), TensorSpec([1], "int64", name="last"),  # 6, 7: BROADCAST_ARGS
        TensorSpec([3], "int64", name="target"),  # 8: CONCATENATION
        t("float32", [2, 3, 4], name="z"),  # 9
        TensorSpec([3], "int64", name="both"),  # 10
        t("float32", [2, 3, 4], name="w"),  # 11
        t("float32", [2], data=np.array([1.5, -2.0], np.float32)), const(1), t("float32", [2, 1], name="e"),  # 12-14
    ]
    ops = [
        OpSpec("SHAPE", [0], [2], {"out_type": "INT64"}),
        OpSpec("GATHER", [2, 3], [4], {"axis": 0}),
        OpSpec("SHAPE", [1], [5], {"out_type": "INT64"}),
        OpSpec("BROADCAST_ARGS", [5, 6], [7]),
        OpSpec("CONCATENATION", [4, 7], [8], {"axis": 0}),
        OpSpec("BROADCAST_TO", [1, 8], [9]),
        OpSpec("BROADCAST_ARGS", [2, 5], [10]),
        OpSpec("BROADCAST_TO", [1, 10], [11]),
        OpSpec("EXPAND_DIMS", [12, 13], [14]),
    ]
    return build_model(tensors, ops, [0, 1], [9, 11, 14])


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_flatten_through_a_computed_shape_folds_and_matches_litert(dtype: str, tmp_path: Path):
    model = _flatten_by_shape_model(dtype)
    graph = compile_graph(read_model(model, "flatten.tflite"), model).graph
    assert [op.opcode for op in graph.operators] == ["RESHAPE", "RELU"]
    assert_matches_reference(model, workdir=tmp_path)


def test_broadcast_through_computed_shapes_folds_and_matches_litert(tmp_path: Path):
    model = _broadcast_by_shape_model()
    graph = compile_graph(read_model(model, "broadcast.tflite"), model).graph
    assert [op.opcode for op in graph.operators] == ["BROADCAST_TO", "BROADCAST_TO"]
    assert_matches_reference(model, workdir=tmp_path)


def test_folded_shape_values_equal_litert():
    """SHAPE, BROADCAST_ARGS, BROADCAST_TO and TILE of constants, compared value by value."""
    tensors = [
        TensorSpec([2, 1, 5], "int8", scale=0.1, zero_point=0, name="x"),
        TensorSpec([3], "int32", name="s"),
        const([4, 1, 1, 1]), TensorSpec([4], "int32", name="args"),
        t("int16", [1, 3], data=np.array([[7, -8, 9]], np.int16)), const([2, 3]), t("int16", [2, 3], name="bt"),
        const([3, 2], "int64"), t("int16", [3, 6], name="tiled"),
    ]
    ops = [
        OpSpec("SHAPE", [0], [1], {"out_type": "INT32"}),
        OpSpec("BROADCAST_ARGS", [1, 2], [3]),
        OpSpec("BROADCAST_TO", [4, 5], [6]),
        OpSpec("TILE", [4, 7], [8]),
    ]
    model = build_model(tensors, ops, [0], [1, 3, 6, 8])
    graph = run_all(read_model(model, "fold.tflite"), LOWERINGS_BY_OPCODE)
    assert graph.operators == []
    expected = run_reference(model, [np.zeros([2, 1, 5], np.int8)])
    for index, value in zip([1, 3, 6, 8], expected):
        np.testing.assert_array_equal(graph.tensor(index).data, value)
        assert graph.tensor(index).data.dtype == value.dtype


@pytest.mark.parametrize(
    "case, pattern",
    [
        (Case("BROADCAST_TO", [t("float32", [3]), TensorSpec([2], "int32")], [t("float32", [2, 3])]),
         r"operator 0 \(BROADCAST_TO\).*shape are computed at run time, so the output shape depends on run-time data"),
        (Case("BROADCAST_TO", [t("float32", [3]), const([2, 4])], [t("float32", [2, 4])]), r"\[3\] does not broadcast to \[2, 4\]"),
        (Case("BROADCAST_TO", [t("float32", [2, 3]), const([3])], [t("float32", [3])]), r"target rank must be at least"),
        (Case("EXPAND_DIMS", [t("float32", [3]), TensorSpec([1], "int32")], [t("float32", [1, 3])]),
         r"axis are computed at run time"),
        (Case("EXPAND_DIMS", [t("float32", [3]), const([2])], [t("float32", [3, 1])]), r"axis 2 is out of range for rank 1"),
        (Case("EXPAND_DIMS", [t("int8", [3]), const([0])], [t("int8", [1, 3], scale=0.5)]),
         r"int8 tensors with different quantization"),
        (Case("SHAPE", [t("float32", [3])], [TensorSpec([1], "float32")], {"out_type": "FLOAT32"}),
         r"out_type FLOAT32 with a float32 output is not supported; TFLite's kernel takes out_type INT32 or INT64"),
        (Case("BROADCAST_ARGS", [const([3, 2]), const([5, 3])], [TensorSpec([2], "int32")]), r"do not broadcast"),
        (Case("BROADCAST_ARGS", [TensorSpec([2], "int32"), const([5, 1])], [TensorSpec([2], "int32")]),
         r"shapes are computed at run time"),
        (Case("TILE", [t("float32", [3]), TensorSpec([1], "int32")], [t("float32", [6])]),
         r"operator 0 \(TILE\).*multiples are computed at run time"),
        (Case("TILE", [t("float32", [2, 3]), const([2])], [t("float32", [4, 3])]),
         r"1 multiples for an input of rank 2; TILE needs one per dimension"),
        (Case("TILE", [t("float32", [2, 3]), const([2, 2])], [t("float32", [4, 3])]),
         r"declares output shape \[4, 3\] but the operands give \[4, 6\]"),
        (Case("TILE", [t("float32", [2] * 5), const([2] * 5)], [t("float32", [4] * 5)]),
         r"a copy needs 9 nested loops; at most 8 are supported"),
    ],
)
def test_unsupported_operands_are_rejected_with_what_is_supported(case: Case, pattern: str):
    model = single_op_model(case.opcode, case.inputs, case.outputs, case.options)
    with pytest.raises(UnsupportedError, match=pattern):
        compile_model(model, "bad.tflite")
