"""GATHER, GATHER_ND and EMBEDDING_LOOKUP against LiteRT.

One model per element type holds every case of that type: every axis (negative too),
batch_dims, ranks 1 to 5, int16/int32/int64 indices, constant and computed; computed indices are
drawn in range (LiteRT fails on others), and every output must equal LiteRT's exactly. Then our
documented behaviour for computed indices out of range (the row is zero-filled where LiteRT
fails), the folding of constant operands, and the operands we reject.
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
from microtvm_testing.host import build
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool")


def t(dtype: str, shape, data=None, scale: float = 0.05, zero_point: int = -3) -> TensorSpec:
    if dtype == "int8":
        return TensorSpec(list(shape), dtype, scale, zero_point, data=data)
    if dtype == "int16":
        return TensorSpec(list(shape), dtype, 0.001, 0, data=data)
    return TensorSpec(list(shape), dtype, data=data)


def idx(shape, dtype: str = "int32") -> TensorSpec:
    return TensorSpec(list(shape), dtype)


def cases_for(d: str) -> list[Case]:
    return [
        Case("GATHER", [t(d, [7]), const([6, 0, 3])], [t(d, [3])], {"axis": 0}),
        Case("GATHER", [t(d, [3, 5]), idx([2, 2])], [t(d, [3, 2, 2])], {"axis": -1}, indices={1: [5]}),
        Case("GATHER", [t(d, [2, 4, 3]), idx([3], "int64")], [t(d, [2, 3, 3])], {"axis": 1}, indices={1: [4]}),
        Case("GATHER", [t(d, [2, 1, 4, 3]), idx([2], "int16")], [t(d, [2, 1, 2, 3])], {"axis": 2}, indices={1: [4]}),
        Case("GATHER", [t(d, [2, 3, 4]), idx([2, 2])], [t(d, [2, 2, 4])], {"axis": 1, "batch_dims": 1}, indices={1: [3]}),
        Case("GATHER", [t(d, [2, 3, 4, 2]), const([[3, 0, 1, 1, 2], [0, 0, 3, 2, 1]])], [t(d, [2, 3, 5, 2])],
             {"axis": 2, "batch_dims": -1}),
        Case("GATHER", [t(d, [2, 1, 2, 3, 2]), const(2, "int64")], [t(d, [2, 1, 2, 2])], {"axis": -2}),
        Case("GATHER", [t(d, [3, 2]), const([1, 2], "int16")], [t(d, [2, 2])], {"axis": 0}),
        Case("GATHER_ND", [t(d, [5, 3]), idx([4, 1])], [t(d, [4, 3])], indices={1: [5]}),
        Case("GATHER_ND", [t(d, [2, 3, 4]), idx([2, 2, 2], "int64")], [t(d, [2, 2, 4])], indices={1: [2, 3]}),
        Case("GATHER_ND", [t(d, [2, 3, 4]), idx([5, 3], "int16")], [t(d, [5])], indices={1: [2, 3, 4]}),
        Case("GATHER_ND", [t(d, [3, 2, 2, 2, 3]), const([[2, 1], [0, 1]])], [t(d, [2, 2, 2, 3])]),
        Case("EMBEDDING_LOOKUP", [idx([3]), t(d, [5, 2, 3])], [t(d, [3, 2, 3])], indices={0: [5]}),
        Case("EMBEDDING_LOOKUP", [const([3, 0]), t(d, [4, 3])], [t(d, [2, 3])]),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_operator_of_the_family_matches_litert(dtype: str, tmp_path: Path):
    cases = cases_for(dtype)
    assert_batch_matches_reference(batched_model(cases), cases, workdir=tmp_path)


def test_declared_dtypes_are_the_tested_ones():
    for opcode in ("GATHER", "GATHER_ND", "EMBEDDING_LOOKUP"):
        extra = {"hybrid"} if opcode == "EMBEDDING_LOOKUP" else set()  # test_hybrid_embedding_lookup
        assert set(LOWERINGS_BY_OPCODE[opcode].dtypes) == set(DTYPES) | extra, opcode


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_computed_indices_out_of_range_give_zero_rows(dtype: str, tmp_path: Path):
    """Where LiteRT fails the inference, our kernels fill the selected row with zero bytes and
    copy every other row as LiteRT does (compared with LiteRT on the in-range indices)."""
    cases = [
        Case("GATHER", [t(dtype, [3, 4]), idx([4])], [t(dtype, [3, 4])], {"axis": 1}),
        Case("GATHER_ND", [t(dtype, [3, 2, 2]), idx([3, 2], "int64")], [t(dtype, [3, 2])]),
        Case("EMBEDDING_LOOKUP", [idx([3]), t(dtype, [4, 2])], [t(dtype, [3, 2])]),
    ]
    model = batched_model(cases)
    host = build(model, tmp_path)
    params = random_inputs(model, 0)
    gather_idx = np.array([2, -1, 4, 0], np.int32)
    nd_idx = np.array([[1, 1], [3, 0], [2, -5]], np.int64)
    lookup = np.array([4, 1, 2**31 - 1], np.int32)
    ours = host.run([params[0], gather_idx, params[2], nd_idx, lookup, params[5]])
    clipped = [params[0], np.array([2, 0, 0, 0], np.int32), params[2], np.array([[1, 1], [0, 0], [0, 0]], np.int64),
               np.array([0, 1, 0], np.int32), params[5]]
    expected = run_reference(model, clipped)
    expected[0][:, [1, 2]] = 0
    expected[1][1:] = 0
    expected[2][[0, 2]] = 0
    for k, (a, e) in enumerate(zip(ours, expected)):
        np.testing.assert_array_equal(a, e, err_msg=f"output {k}")


def test_hybrid_embedding_lookup(tmp_path: Path):
    """LiteRT's dequantizing lookup: int8 (and uint8, read as int8) tables with one scale or one
    per row, constant or computed lookups and table, ranks 2 and 3; then the constant case folded."""
    rng = np.random.default_rng(5)
    table = rng.integers(-128, 128, [6, 2, 3], dtype=np.int8)
    row_scales = [float(v) for v in rng.uniform(0.001, 0.3, 6)]
    tensors = [
        idx([4]),  # 0: lookups (computed)
        TensorSpec([6, 2, 3], "int8", 0.037, 0, data=table),  # 1: per-tensor table
        TensorSpec([4, 2, 3], "float32"),  # 2
        TensorSpec([6, 6], "int8", row_scales, [0] * 6, data=table.reshape(6, 6)),  # 3: per-row scales
        TensorSpec([4, 6], "float32"),  # 4
        TensorSpec([6, 6], "uint8", 0.5, 0, data=table.reshape(6, 6).view(np.uint8)),  # 5: uint8 table
        TensorSpec([4, 6], "float32"),  # 6
        TensorSpec([5, 3], "int8", 0.02, 0),  # 7: a computed table
        const([4, 0, 4]),  # 8
        TensorSpec([3, 3], "float32"),  # 9
    ]
    ops = [OpSpec("EMBEDDING_LOOKUP", [0, 1], [2]), OpSpec("EMBEDDING_LOOKUP", [0, 3], [4]),
           OpSpec("EMBEDDING_LOOKUP", [0, 5], [6]), OpSpec("EMBEDDING_LOOKUP", [8, 7], [9])]
    model = build_model(tensors, ops, [0, 7], [2, 4, 6, 9])
    host = build(model, tmp_path)
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        inputs = [rng.integers(0, 6, 4).astype(np.int32), rng.integers(-128, 128, [5, 3], dtype=np.int8)]
        for k, (ours, theirs) in enumerate(zip(host.run(inputs), run_reference(model, inputs))):
            np.testing.assert_array_equal(ours, theirs, err_msg=f"seed {seed}, output {k}")
    folded = build_model([const([5, 1]), tensors[3], TensorSpec([2, 6], "float32"), TensorSpec([1], "float32"),
                          TensorSpec([1], "float32")],
                         [OpSpec("EMBEDDING_LOOKUP", [0, 1], [2]), OpSpec("ABS", [3], [4])], [3], [2, 4])
    graph = run_all(read_model(folded, "fold.tflite"), LOWERINGS_BY_OPCODE)
    assert [op.opcode for op in graph.operators] == ["ABS"]
    np.testing.assert_array_equal(graph.tensor(2).data, run_reference(folded, [np.zeros(1, np.float32)])[0])


def test_constant_operands_are_folded_like_litert():
    data = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 7
    tensors = [
        TensorSpec([1], "int32", name="x"),
        TensorSpec([2, 3, 4], "int32", data=data, name="c"),
        const([[2, 0], [1, 1]]), t("int32", [2, 2, 2, 4]),  # 2, 3: GATHER axis 1
        const([[1, 2], [0, 0]], "int64"), t("int32", [2, 4]),  # 4, 5: GATHER_ND
        const([1, 0, 1]), t("int32", [3, 3, 4]),  # 6, 7: EMBEDDING_LOOKUP
    ]
    ops = [
        OpSpec("GATHER", [1, 2], [3], {"axis": 1}),
        OpSpec("GATHER_ND", [1, 4], [5]),
        OpSpec("EMBEDDING_LOOKUP", [6, 1], [7]),
    ]
    model = build_model(tensors, ops, [0], [3, 5, 7])
    graph = run_all(read_model(model, "fold.tflite"), LOWERINGS_BY_OPCODE)
    assert graph.operators == []
    for index, value in zip([3, 5, 7], run_reference(model, [np.zeros(1, np.int32)])):
        np.testing.assert_array_equal(graph.tensor(index).data, value)


@pytest.mark.parametrize(
    "case, pattern",
    [
        (Case("GATHER", [t("float32", [5, 2]), const([0, 5])], [t("float32", [2, 2])]),
         r"operator 0 \(GATHER\).*constant index 5 is out of range for a dimension of size 5"),
        (Case("GATHER", [t("float32", [5, 2]), const([-1])], [t("float32", [1, 2])]), r"constant index -1 is out of range"),
        (Case("GATHER", [t("float32", [5, 2]), t("float32", [1])], [t("float32", [1, 2])]),
         r"float32 indices are not supported; use int16 or int32 or int64"),
        (Case("GATHER", [t("float32", [2, 3]), const([[0], [1]])], [t("float32", [2, 1, 3])], {"axis": 0, "batch_dims": 1}),
         r"batch_dims 1 is not supported with axis 0"),
        (Case("GATHER_ND", [t("float32", [3, 2]), const([[0, 2]])], [t("float32", [1])]),
         r"constant index 2 is out of range for a dimension of size 2"),
        (Case("GATHER_ND", [t("float32", [3, 2]), const([[0, 1, 0]])], [t("float32", [1])]),
         r"index depth 3 is not supported for params of rank 2; use 1 to 2"),
        (Case("EMBEDDING_LOOKUP", [const([4]), t("float32", [4, 2])], [t("float32", [1, 2])]),
         r"constant index 4 is out of range"),
        (Case("EMBEDDING_LOOKUP", [idx([1]), t("int8", [4, 2])], [t("float32", [1, 2])]),
         r"hybrid table needs zero point 0"),
        (Case("EMBEDDING_LOOKUP", [idx([1]), t("int16", [4, 2])], [t("float32", [1, 2])]),
         r"int16 table with a float32 output is not supported"),
        (Case("EMBEDDING_LOOKUP", [idx([1], "int64"), t("float32", [4, 2])], [t("float32", [1, 2])]),
         r"int64 indices are not supported; use int32"),
    ],
)
def test_unsupported_operands_are_rejected_with_what_is_supported(case: Case, pattern: str):
    with pytest.raises(UnsupportedError, match=pattern):
        compile_model(single_op_model(case.opcode, case.inputs, case.outputs, case.options), "bad.tflite")
