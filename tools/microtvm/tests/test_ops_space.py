"""DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and MIRROR_PAD against
LiteRT.

One model per element type holds every case of that type (block sizes 1 to 3, crops and
paddings on every side, rank 3 and 4 batch/space transforms, REFLECT and SYMMETRIC padding up
to their limits on ranks 1 to 5), built once and run for three seeds; every output must equal
LiteRT's exactly. int8 SPACE_TO_BATCH_ND pads with the zero point. Then the folding of constant
operands, and the operands we reject.
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
DEPTH_DTYPES = ("float32", "int8", "int32", "int64")


def t(dtype: str, shape, data=None, scale: float = 0.05, zero_point: int = -3) -> TensorSpec:
    if dtype == "int8":
        return TensorSpec(list(shape), dtype, scale, zero_point, data=data)
    if dtype == "int16":
        return TensorSpec(list(shape), dtype, 0.001, 0, data=data)
    return TensorSpec(list(shape), dtype, data=data)


def _depth_cases(d: str) -> list[Case]:
    return [
        Case("DEPTH_TO_SPACE", [t(d, [2, 2, 3, 8])], [t(d, [2, 4, 6, 2])], {"block_size": 2}),
        Case("DEPTH_TO_SPACE", [t(d, [1, 1, 2, 9])], [t(d, [1, 3, 6, 1])], {"block_size": 3}),
        Case("DEPTH_TO_SPACE", [t(d, [1, 2, 2, 3])], [t(d, [1, 2, 2, 3])], {"block_size": 1}),
        Case("SPACE_TO_DEPTH", [t(d, [2, 6, 3, 2])], [t(d, [2, 2, 1, 18])], {"block_size": 3}),
        Case("SPACE_TO_DEPTH", [t(d, [1, 4, 2, 1])], [t(d, [1, 2, 1, 4])], {"block_size": 2}),
    ]


def _batch_cases(d: str) -> list[Case]:
    pads = [[1, 0], [0, 1]]
    return [
        Case("BATCH_TO_SPACE_ND", [t(d, [8, 2, 3, 2]), const([2, 2]), const([[1, 0], [0, 2]])], [t(d, [2, 3, 4, 2])]),
        Case("BATCH_TO_SPACE_ND", [t(d, [6, 2, 2, 1]), const([3, 2]), const([[0, 0], [0, 0]])], [t(d, [1, 6, 4, 1])]),
        Case("BATCH_TO_SPACE_ND", [t(d, [4, 1, 1, 3]), const([2, 2]), const([[1, 1], [1, 0]])], [t(d, [1, 0, 1, 3])]),
        Case("BATCH_TO_SPACE_ND", [t(d, [6, 2, 2]), const([3]), const([[1, 2]])], [t(d, [2, 3, 2])]),
        Case("SPACE_TO_BATCH_ND", [t(d, [2, 3, 3, 2]), const([2, 2]), const(pads)], [t(d, [8, 2, 2, 2])]),
        Case("SPACE_TO_BATCH_ND", [t(d, [1, 4, 2, 3]), const([2, 1]), const([[0, 0], [0, 0]])], [t(d, [2, 2, 2, 3])]),
        Case("SPACE_TO_BATCH_ND", [t(d, [1, 2, 1, 1]), const([3, 3]), const([[2, 2], [1, 1]])], [t(d, [9, 2, 1, 1])]),
        Case("SPACE_TO_BATCH_ND", [t(d, [2, 4, 3]), const([3]), const([[1, 1]])], [t(d, [6, 2, 3])]),
    ]


def _mirror_cases(d: str) -> list[Case]:
    reflect, symmetric = {"mode": "REFLECT"}, {"mode": "SYMMETRIC"}
    return [
        Case("MIRROR_PAD", [t(d, [5]), const([[4, 2]])], [t(d, [11])], reflect),
        Case("MIRROR_PAD", [t(d, [3]), const([[3, 1]], "int64")], [t(d, [7])], symmetric),
        Case("MIRROR_PAD", [t(d, [3, 4]), const([[2, 1], [0, 3]])], [t(d, [6, 7])], reflect),
        Case("MIRROR_PAD", [t(d, [3, 4, 2]), const([[3, 1], [0, 4], [1, 2]], "int64")], [t(d, [7, 8, 5])], symmetric),
        Case("MIRROR_PAD", [t(d, [1, 3, 3, 2]), const([[0, 0], [1, 1], [2, 2], [0, 0]])], [t(d, [1, 5, 7, 2])], reflect),
        Case("MIRROR_PAD", [t(d, [2, 1, 2, 3, 2]), const([[1, 2], [1, 0], [0, 0], [3, 3], [0, 0]])],
             [t(d, [5, 2, 2, 9, 2])], symmetric),
        Case("MIRROR_PAD", [t(d, [2, 3]), const([[0, 0], [0, 0]])], [t(d, [2, 3])], reflect),
    ]


def cases_for(d: str) -> list[Case]:
    return (_depth_cases(d) if d in DEPTH_DTYPES else []) + _batch_cases(d) + _mirror_cases(d)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_operator_of_the_family_matches_litert(dtype: str, tmp_path: Path):
    cases = cases_for(dtype)
    assert_batch_matches_reference(batched_model(cases), cases, workdir=tmp_path)


def test_declared_dtypes_are_the_tested_ones():
    for opcode in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
        assert set(LOWERINGS_BY_OPCODE[opcode].dtypes) == set(DEPTH_DTYPES), opcode
    for opcode in ("BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "MIRROR_PAD"):
        assert set(LOWERINGS_BY_OPCODE[opcode].dtypes) == set(DTYPES), opcode


def test_int8_space_to_batch_pads_with_the_zero_point(tmp_path: Path):
    """Inputs of one value: the padding positions hold the zero point, the rest the input."""
    from microtvm_testing.host import build

    model = single_op_model(
        "SPACE_TO_BATCH_ND", [t("int8", [1, 3, 3, 1], zero_point=-77), const([2, 2]), const([[1, 0], [0, 1]])],
        [t("int8", [4, 2, 2, 1], zero_point=-77)],
    )
    ones = np.full([1, 3, 3, 1], 5, np.int8)
    (ours,) = build(model, tmp_path).run([ones])
    (theirs,) = run_reference(model, [ones])
    np.testing.assert_array_equal(ours, theirs)
    assert set(np.unique(ours)) == {-77, 5}


def test_constant_operands_are_folded_like_litert():
    data = (np.arange(32, dtype=np.int32) - 9).reshape(2, 2, 2, 4)
    tensors = [
        TensorSpec([1], "int32", name="x"),
        TensorSpec([2, 2, 2, 4], "int32", data=data, name="c"),
        t("int32", [2, 4, 4, 1]),  # 2: DEPTH_TO_SPACE
        const([2, 1]), const([[0, 0], [0, 0]]), t("int32", [1, 4, 2, 4]),  # 3-5: BATCH_TO_SPACE_ND
        const([[1, 0], [0, 1], [1, 1], [0, 0]]), t("int32", [3, 3, 4, 4]),  # 6, 7: MIRROR_PAD
    ]
    ops = [
        OpSpec("DEPTH_TO_SPACE", [1], [2], {"block_size": 2}),
        OpSpec("BATCH_TO_SPACE_ND", [1, 3, 4], [5]),
        OpSpec("MIRROR_PAD", [1, 6], [7], {"mode": "SYMMETRIC"}),
    ]
    model = build_model(tensors, ops, [0], [2, 5, 7])
    graph = run_all(read_model(model, "fold.tflite"), LOWERINGS_BY_OPCODE)
    assert graph.operators == []
    for index, value in zip([2, 5, 7], run_reference(model, [np.zeros(1, np.int32)])):
        np.testing.assert_array_equal(graph.tensor(index).data, value)


@pytest.mark.parametrize(
    "case, pattern",
    [
        (Case("DEPTH_TO_SPACE", [t("int16", [1, 1, 1, 4])], [t("int16", [1, 2, 2, 1])], {"block_size": 2}),
         r"operator 0 \(DEPTH_TO_SPACE\).*int16 tensors are not supported.*supported: float32, int8, int32, int64"),
        (Case("DEPTH_TO_SPACE", [t("float32", [1, 1, 6])], [t("float32", [1, 2, 3])], {"block_size": 2}),
         r"rank 3; TFLite's kernel takes rank 4"),
        (Case("SPACE_TO_DEPTH", [t("float32", [1, 3, 2, 1])], [t("float32", [1, 1, 1, 4])], {"block_size": 2}),
         r"multiples of block_size 2"),
        (Case("SPACE_TO_BATCH_ND", [t("int8", [1, 2, 2, 1], zero_point=1), const([2, 2]), const([[0, 0], [0, 0]])],
              [t("int8", [4, 1, 1, 1], zero_point=2)]), r"int8 tensors with different quantization .* zero point \[1\] vs"),
        (Case("BATCH_TO_SPACE_ND", [t("int16", [2, 1, 1, 1]), const([2, 1]), const([[0, 0], [0, 0]])],
              [TensorSpec([1, 2, 1, 1], "int16", 0.5, 0)]), r"TFLite's kernel does not requantize"),
        (Case("MIRROR_PAD", [t("int8", [3]), const([[1, 0]])], [t("int8", [4], scale=0.1)], {"mode": "REFLECT"}),
         r"int8 tensors with different quantization"),
        (Case("SPACE_TO_BATCH_ND", [t("float32", [1, 3, 2, 1]), const([2, 2]), const([[0, 0], [0, 0]])],
              [t("float32", [4, 1, 1, 1])]), r"not a multiple of the block 2x2"),
        (Case("SPACE_TO_BATCH_ND", [t("float32", [1, 2, 2, 1, 1]), const([2, 2, 1]), const([[0, 0]] * 3)],
              [t("float32", [4, 1, 1, 1, 1])]), r"rank 5; TFLite's kernel takes rank 3 or 4"),
        (Case("BATCH_TO_SPACE_ND", [t("float32", [3, 1, 1, 1]), const([2, 1]), const([[0, 0], [0, 0]])],
              [t("float32", [1, 2, 1, 1])]), r"batch 3 is not a multiple of the block size 2"),
        (Case("BATCH_TO_SPACE_ND", [t("float32", [4, 1, 1, 1]), TensorSpec([2], "int32"), const([[0, 0], [0, 0]])],
              [t("float32", [1, 2, 2, 1])]), r"block shape are computed at run time"),
        (Case("MIRROR_PAD", [t("float32", [3]), const([[3, 0]])], [t("float32", [6])], {"mode": "REFLECT"}),
         r"REFLECT allows 0 to 2"),
        (Case("MIRROR_PAD", [t("float32", [3]), const([[4, 0]])], [t("float32", [7])], {"mode": "SYMMETRIC"}),
         r"SYMMETRIC allows 0 to 3"),
    ],
)
def test_unsupported_operands_are_rejected_with_what_is_supported(case: Case, pattern: str):
    with pytest.raises(UnsupportedError, match=pattern):
        compile_model(single_op_model(case.opcode, case.inputs, case.outputs, case.options), "bad.tflite")
