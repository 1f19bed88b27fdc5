"""SLICE, SPLIT, SPLIT_V, PACK, UNPACK, REVERSE_V2 and DYNAMIC_UPDATE_SLICE against LiteRT.

One model per element type holds every case of that type (ranks 1 to 5, size-1 dimensions,
negative axes, int64 operands, computed start indices out of range), built once and run for
three seeds; every output must equal LiteRT's reference kernels exactly (these operators only
move values, float32 included). int8 tensors carry quantization parameters, which LiteRT leaves
alone: the bytes are copied unchanged. Then the folding of constant operands, and the operands
we reject, each with a message saying what is supported.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microtvm.compiler import compile_model, read_model
from microtvm.errors import UnsupportedError
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.passes import run_all
from microtvm_testing.batch import Case, assert_batch_matches_reference, batched_model, const
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool")


def t(dtype: str, shape, data=None, scale: float = 0.05, zero_point: int = -3) -> TensorSpec:
    if dtype == "int8":
        return TensorSpec(list(shape), dtype, scale, zero_point, data=data)
    if dtype == "int16":
        return TensorSpec(list(shape), dtype, 0.001, 0, data=data)
    return TensorSpec(list(shape), dtype, data=data)


def _slice_cases(d: str) -> list[Case]:
    return [
        Case("SLICE", [t(d, [7]), const([2]), const([4])], [t(d, [4])]),
        Case("SLICE", [t(d, [3, 5]), const([1, 0]), const([-1, 3])], [t(d, [2, 3])]),
        Case("SLICE", [t(d, [2, 3, 4]), const([0, 1, 1], "int64"), const([2, 1, -1], "int64")], [t(d, [2, 1, 3])]),
        Case("SLICE", [t(d, [2, 1, 3, 4]), const([1, 0, 0, 2]), const([1, 1, 3, 2])], [t(d, [1, 1, 3, 2])]),
        Case("SLICE", [t(d, [2, 3, 2, 3, 2]), const([0, 1, 0, 1, 1]), const([2, 2, -1, 2, 1])], [t(d, [2, 2, 2, 2, 1])]),
        # int8: LiteRT copies the bytes whatever the output's parameters.
        Case("SLICE", [t(d, [4, 4]), const([1, 1]), const([2, 2])], [t(d, [2, 2], scale=0.5, zero_point=7)]),
    ]


def _split_cases(d: str) -> list[Case]:
    return [
        Case("SPLIT", [const(0), t(d, [6])], [t(d, [2])] * 3, {"num_splits": 3}),
        Case("SPLIT", [const(-1), t(d, [3, 4])], [t(d, [3, 2])] * 2, {"num_splits": 2}),
        Case("SPLIT", [const([1]), t(d, [2, 4, 3])], [t(d, [2, 1, 3])] * 4, {"num_splits": 4}),
        Case("SPLIT", [const(-2), t(d, [2, 1, 3, 4, 2])], [t(d, [2, 1, 3, 2, 2])] * 2, {"num_splits": 2}),
        Case("SPLIT", [const(0), t(d, [3, 2])], [t(d, [3, 2])], {"num_splits": 1}),
        Case("SPLIT_V", [t(d, [3, 5]), const([1, -1, 2]), const(-1)], [t(d, [3, 1]), t(d, [3, 2]), t(d, [3, 2])], {"num_splits": 3}),
        Case("SPLIT_V", [t(d, [4, 2, 3]), const([3, 0, 1], "int64"), const(0)], [t(d, [3, 2, 3]), t(d, [0, 2, 3]), t(d, [1, 2, 3])], {"num_splits": 3}),
        Case("SPLIT_V", [t(d, [2, 2, 1, 5]), const([2, 3]), const(3)], [t(d, [2, 2, 1, 2]), t(d, [2, 2, 1, 3])], {"num_splits": 2}),
    ]


def _pack_cases(d: str) -> list[Case]:
    return [
        Case("PACK", [t(d, [])] * 3, [t(d, [3])], {"values_count": 3, "axis": 0}),
        Case("PACK", [t(d, [3]), t(d, [3])], [t(d, [3, 2])], {"values_count": 2, "axis": -1}),
        Case("PACK", [t(d, [2, 3])] * 3, [t(d, [2, 3, 3])], {"values_count": 3, "axis": 2}),
        Case("PACK", [t(d, [2, 1, 3]), t(d, [2, 1, 3])], [t(d, [2, 2, 1, 3])], {"values_count": 2, "axis": -3}),
        Case("PACK", [t(d, [1, 2, 2, 3])] * 2, [t(d, [2, 1, 2, 2, 3])], {"values_count": 2, "axis": 0}),
    ]


def _unpack_cases(d: str) -> list[Case]:
    return [
        Case("UNPACK", [t(d, [3])], [t(d, [])] * 3, {"num": 3, "axis": 0}),
        Case("UNPACK", [t(d, [3, 2])], [t(d, [3])] * 2, {"num": 2, "axis": -1}),
        Case("UNPACK", [t(d, [2, 3, 4])], [t(d, [2, 4])] * 3, {"num": 3, "axis": 1}),
        Case("UNPACK", [t(d, [2, 1, 2, 3, 2])], [t(d, [2, 1, 3, 2])] * 2, {"num": 2, "axis": -3}),
    ]


def _reverse_cases(d: str) -> list[Case]:
    return [
        Case("REVERSE_V2", [t(d, [5]), const([0])], [t(d, [5])]),
        Case("REVERSE_V2", [t(d, [3, 4]), const([-1])], [t(d, [3, 4])]),
        Case("REVERSE_V2", [t(d, [2, 3, 4]), const([1, 0])], [t(d, [2, 3, 4])]),
        Case("REVERSE_V2", [t(d, [2, 3, 1, 4]), const([1, 2, 3])], [t(d, [2, 3, 1, 4])]),
        Case("REVERSE_V2", [t(d, [2, 2, 3, 2, 3]), const([-2])], [t(d, [2, 2, 3, 2, 3])]),
    ]


def _update_cases(d: str) -> list[Case]:
    # Computed start indices are drawn in [-1000, 1000] (random_inputs' int32/int64 range), far
    # outside the operand, so TFLite's clamping is exercised; constant ones as well.
    return [
        Case("DYNAMIC_UPDATE_SLICE", [t(d, [6]), t(d, [2]), TensorSpec([1], "int32")], [t(d, [6])]),
        Case("DYNAMIC_UPDATE_SLICE", [t(d, [3, 4]), t(d, [2, 2]), TensorSpec([2], "int64")], [t(d, [3, 4])]),
        Case("DYNAMIC_UPDATE_SLICE", [t(d, [3, 4, 2]), t(d, [1, 3, 2]), TensorSpec([3], "int32")], [t(d, [3, 4, 2])],
             indices={2: [3, 2, 1]}),
        Case("DYNAMIC_UPDATE_SLICE", [t(d, [2, 3, 2, 4]), t(d, [2, 1, 2, 3]), const([0, 2, 0, 1])], [t(d, [2, 3, 2, 4])]),
        Case("DYNAMIC_UPDATE_SLICE", [t(d, [2, 2, 2, 3, 2]), t(d, [1, 2, 2, 1, 2]), const([5, -1, 0, 2, 0], "int64")],
             [t(d, [2, 2, 2, 3, 2])]),
    ]


def cases_for(d: str) -> list[Case]:
    cases = _slice_cases(d) + _reverse_cases(d) + _update_cases(d)
    if d != "bool":
        cases += _split_cases(d) + _pack_cases(d)
    if d != "int64":
        cases += _unpack_cases(d)
    return cases


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_operator_of_the_family_matches_litert(dtype: str, tmp_path: Path):
    cases = cases_for(dtype)
    assert_batch_matches_reference(batched_model(cases), cases, workdir=tmp_path)


def test_declared_dtypes_are_the_tested_ones():
    expected = {
        "SLICE": DTYPES, "REVERSE_V2": DTYPES, "DYNAMIC_UPDATE_SLICE": DTYPES,
        "SPLIT": DTYPES[:5], "SPLIT_V": DTYPES[:5], "PACK": DTYPES[:5],
        "UNPACK": ("float32", "int8", "int16", "int32", "bool"),
    }
    for opcode, dtypes in expected.items():
        assert set(LOWERINGS_BY_OPCODE[opcode].dtypes) == set(dtypes), opcode


def test_constant_operands_are_folded_like_litert():
    """Every operator of the family, on constant inputs, becomes a constant equal to LiteRT's
    output (the operator is gone from the graph)."""
    rng = np.random.default_rng(3)
    data = rng.integers(-100, 100, (3, 4)).astype(np.int32)
    tensors = [
        TensorSpec([1], "int32", name="x"),  # 0: the model needs an input
        TensorSpec([3, 4], "int32", data=data, name="c"),  # 1
        const(1),  # 2: SPLIT axis
        t("int32", [3, 2]), t("int32", [3, 2]),  # 3, 4: SPLIT outputs
        const([1, 1]), const([2, -1]), t("int32", [2, 3]),  # 5, 6, 7: SLICE
        const([-1]), t("int32", [3, 4]),  # 8, 9: REVERSE_V2
        t("int32", [2, 3, 4]),  # 10: PACK
        t("int32", [4]), t("int32", [4]), t("int32", [4]),  # 11-13: UNPACK
    ]
    ops = [
        OpSpec("SPLIT", [2, 1], [3, 4], {"num_splits": 2}),
        OpSpec("SLICE", [1, 5, 6], [7]),
        OpSpec("REVERSE_V2", [1, 8], [9]),
        OpSpec("PACK", [1, 9], [10], {"values_count": 2, "axis": 0}),
        OpSpec("UNPACK", [9], [11, 12, 13], {"num": 3, "axis": 0}),
    ]
    outputs = [3, 4, 7, 9, 10, 11, 12, 13]
    model = build_model(tensors, ops, [0], outputs)
    graph = run_all(read_model(model, "fold.tflite"), LOWERINGS_BY_OPCODE)
    assert graph.operators == []
    expected = run_reference(model, [np.zeros(1, np.int32)])
    for index, value in zip(outputs, expected):
        np.testing.assert_array_equal(graph.tensor(index).data, value)


def _reject(model: bytes, pattern: str) -> None:
    with pytest.raises(UnsupportedError, match=pattern):
        compile_model(model, "bad.tflite")


@pytest.mark.parametrize(
    "case, pattern",
    [
        (Case("SLICE", [t("float32", [3, 4]), const([1, 1]), const([3, -1])], [t("float32", [3, 3])]),
         r"operator 0 \(SLICE\).*begin 1 and size 3 leave dimension 0"),
        (Case("SLICE", [t("float32", [3, 4]), TensorSpec([2], "int32"), const([1, 1])], [t("float32", [1, 1])]),
         r"begin indices are computed at run time.*dynamic shape"),
        (Case("SLICE", [t("float32", [3, 4]), const([0, 0]), const([1, 1], "int64")], [t("float32", [1, 1])]),
         r"both int32 or both int64"),
        (Case("SPLIT", [const(0), t("bool", [2])], [t("bool", [1])] * 2, {"num_splits": 2}),
         r"bool tensors are not supported.*supported: float32, int8, int16, int32, int64"),
        (Case("SPLIT", [const(1), t("float32", [2, 3])], [t("float32", [2, 1])] * 2, {"num_splits": 2}),
         r"size 3\) does not split into 2 equal parts"),
        (Case("SPLIT", [TensorSpec([], "int32"), t("float32", [2, 2])], [t("float32", [1, 2])] * 2, {"num_splits": 2}),
         r"axis are computed at run time"),
        (Case("SPLIT_V", [t("float32", [5]), const([-1, -1]), const(0)], [t("float32", [2]), t("float32", [3])], {"num_splits": 2}),
         r"at most one -1"),
        (Case("UNPACK", [t("int64", [2])], [t("int64", [])] * 2, {"num": 2}), r"int64 tensors are not supported"),
        (Case("PACK", [t("float32", [2]), t("float32", [2])], [t("float32", [2, 2])], {"values_count": 2, "axis": 3}),
         r"axis 3 is out of range for rank 2"),
        (Case("PACK", [t("int8", [2]), t("int8", [2], zero_point=4)], [t("int8", [2, 2])], {"values_count": 2}),
         r"int8 tensors with different quantization"),
        (Case("UNPACK", [t("int16", [2])], [TensorSpec([], "int16", 0.5, 0)] * 2, {"num": 2}),
         r"int16 tensors with different quantization"),
        (Case("REVERSE_V2", [t("float32", [2, 3, 4]), const([0, 2])], [t("float32", [2, 3, 4])]),
         r"not one contiguous run"),
        (Case("REVERSE_V2", [t("float32", [2, 3]), const([1], "int64")], [t("float32", [2, 3])]),
         r"int64 axes are not supported; use int32"),
        (Case("DYNAMIC_UPDATE_SLICE", [t("float32", [3, 4]), t("float32", [4, 2]), const([0, 0])], [t("float32", [3, 4])]),
         r"fit inside the operand"),
        (Case("DYNAMIC_UPDATE_SLICE", [t("float32", [3, 4]), t("float32", [2, 2]), const([0, 0], "int16")], [t("float32", [3, 4])]),
         r"int16 start indices are not supported; use int32 or int64"),
    ],
)
def test_unsupported_operands_are_rejected_with_what_is_supported(case: Case, pattern: str):
    _reject(single_op_model(case.opcode, case.inputs, case.outputs, case.options), pattern)
