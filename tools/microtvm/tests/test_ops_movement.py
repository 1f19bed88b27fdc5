"""CONCATENATION, PAD, STRIDED_SLICE, TRANSPOSE, QUANTIZE and DEQUANTIZE against LiteRT.

Three layers, cheapest first:
- the generation-time arithmetic alone (slice index resolution, copy plans, the requantization
  table) over wide grids, compared with LiteRT's reference kernels without compiling any C;
- single-operator models compiled to C (sanitizers on) and run, over a smaller grid that still
  touches every axis, mask, padding and quantization case: int8 equal byte for byte, float32
  within tolerance;
- the operands we reject, each with a message saying what is supported.

Rounding used by the kernels (TFLite's reference arithmetic): QUANTIZE float32 -> int8 rounds
x / scale (a float32 division) half away from zero; int8 -> int8 requantization rounds twice
(MultiplyByQuantizedMultiplier); DEQUANTIZE rounds the exact product once to float32.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend.reader import read_tflite
from microtvm.ir import Graph, Operator
from microtvm.ops import movement
from microtvm.testing.host import assert_matches_reference, run_compiled
from microtvm.testing.reference import run_reference
from microtvm.testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

LOWERING = {lowering.opcode: lowering for lowering in movement.LOWERINGS}


def i8(
    shape: Sequence[int], scale: Any = 0.05, zero_point: Any = -3, data: Optional[np.ndarray] = None
) -> TensorSpec:
    return TensorSpec(list(shape), "int8", scale, zero_point, data=data)


def f32(shape: Sequence[int], data: Optional[np.ndarray] = None) -> TensorSpec:
    return TensorSpec(list(shape), "float32", data=data)


def tensor(dtype: str, shape: Sequence[int]) -> TensorSpec:
    return i8(shape) if dtype == "int8" else f32(shape)


def int32_const(values: Any, dtype: str = "int32") -> TensorSpec:
    array = np.asarray(values, dtype=dtype)
    return TensorSpec(list(array.shape), dtype, data=array)


def graph_and_op(model: bytes) -> tuple[Graph, Operator]:
    graph = read_tflite(model, "test.tflite")
    return graph, graph.operators[0]


def emulate(copy: movement.StridedCopy, source: np.ndarray, out_nbytes: int) -> bytes:
    """What mtvm_strided_copy does, in Python, with bounds checks on every run."""
    src = np.ascontiguousarray(source).tobytes()
    dst = bytearray(out_nbytes)
    for index in itertools.product(*(range(n) for n in copy.shape)):
        s = copy.src_offset + sum(i * st for i, st in zip(index, copy.src_strides))
        d = copy.dst_offset + sum(i * st for i, st in zip(index, copy.dst_strides))
        assert 0 <= s <= len(src) - copy.run_bytes and 0 <= d <= len(dst) - copy.run_bytes
        dst[d : d + copy.run_bytes] = src[s : s + copy.run_bytes]
    return bytes(dst)


# ============================================================================================
# Generation-time arithmetic, no C.


def test_plan_copy_merges_contiguous_dimensions_into_one_memcpy():
    # An identity transpose of [2, 3, 4] is one run of 24 floats.
    copy = movement.plan_copy([2, 3, 4], [12, 4, 1], [12, 4, 1], 0, 0, 4)
    assert copy.shape == () and copy.run_bytes == 96
    # Concatenating [2, 3] into [2, 5] at column 2: two rows of 3 contiguous bytes.
    copy = movement.plan_copy([2, 3], [3, 1], [5, 1], 0, 2, 1)
    assert (copy.shape, copy.src_strides, copy.dst_strides) == ((2,), (3,), (5,))
    assert (copy.dst_offset, copy.run_bytes) == (2, 3)
    # A reversed axis keeps its negative stride, and extents of 1 disappear.
    copy = movement.plan_copy([1, 4], [0, -1], [4, 1], 3, 0, 1)
    assert (copy.shape, copy.src_strides, copy.src_offset, copy.run_bytes) == ((4,), (-1,), 3, 1)


def _random_slice_case(rng: np.random.Generator) -> tuple[list[int], dict[str, Any], dict[str, Any]]:
    rank = int(rng.integers(1, 5))
    shape = [int(n) for n in rng.integers(1, 6, size=rank)]
    count = int(rng.integers(1, rank + 2))
    operands = {
        "begin": rng.integers(-7, 8, size=count),
        "end": rng.integers(-7, 8, size=count),
        "strides": rng.choice([-3, -2, -1, 1, 2, 3], size=count),
    }
    options = {
        "begin_mask": int(rng.integers(0, 1 << count)),
        "end_mask": int(rng.integers(0, 1 << count)),
        "shrink_axis_mask": int(rng.integers(0, 1 << count)) if rng.random() < 0.4 else 0,
        "new_axis_mask": int(rng.integers(0, 1 << count)) if rng.random() < 0.3 else 0,
        "ellipsis_mask": (1 << int(rng.integers(0, count))) if rng.random() < 0.3 else 0,
        "offset": bool(rng.random() < 0.15),
    }
    return shape, operands, options


def _slice_model(
    shape: Sequence[int], operands: dict[str, Any], options: dict[str, Any], out_shape: Sequence[int],
    dtype: str = "int8",
) -> bytes:
    return single_op_model(
        "STRIDED_SLICE",
        [tensor(dtype, shape), *(int32_const(operands[k]) for k in ("begin", "end", "strides"))],
        [tensor(dtype, out_shape)],
        options,
    )


def test_strided_slice_index_resolution_matches_litert_on_random_specs():
    """Random begin/end/strides with every mask and `offset`, resolved and copied in Python.

    Specs we reject are the ones where LiteRT leaves (part of) the output unwritten or
    disagrees with itself about the output size; they are not run through LiteRT (some of them
    crash it), but at least 60% of the specs must be accepted and match."""
    rng = np.random.default_rng(7)
    accepted = 0
    trials = 300
    for _ in range(trials):
        shape, operands, options = _random_slice_case(rng)
        try:
            axes = movement.slice_axes(
                shape, operands["begin"], operands["end"], operands["strides"], options
            )
        except ValueError:
            continue
        out_shape = [axis.count for axis in axes if not axis.shrink]
        model = _slice_model(shape, operands, options, out_shape)
        graph, op = graph_and_op(model)
        try:
            LOWERING["STRIDED_SLICE"].check(op, graph)
        except UnsupportedError:
            continue
        x = rng.integers(-128, 128, size=shape).astype(np.int8)
        expected = run_reference(model, [x])[0]
        assert expected.shape == tuple(out_shape), (shape, operands, options)
        got = emulate(movement.strided_slice_copy(op, graph), x, expected.nbytes)
        assert got == expected.tobytes(), (shape, operands, options)
        accepted += 1
    assert accepted >= 0.6 * trials


@pytest.mark.parametrize("rank", [2, 3, 4])
def test_transpose_every_permutation_plans_like_litert(rank: int):
    shape = [2, 3, 4, 5][:rank]
    x = np.arange(np.prod(shape)).astype(np.int8).reshape(shape)
    for perm in itertools.permutations(range(rank)):
        out_shape = [shape[p] for p in perm]
        model = single_op_model("TRANSPOSE", [i8(shape), int32_const(perm)], [i8(out_shape)])
        graph, op = graph_and_op(model)
        LOWERING["TRANSPOSE"].check(op, graph)
        expected = run_reference(model, [x])[0]
        got = emulate(movement.transpose_copy(op, graph), x, expected.nbytes)
        assert got == expected.tobytes(), perm


def test_requantize_table_matches_litert_for_random_scales_and_zero_points():
    """All 256 int8 inputs through LiteRT's QUANTIZE int8 -> int8, for 120 parameter sets
    (scale ratios from 1/1000 to 1000, including equal scales and exact powers of two)."""
    rng = np.random.default_rng(3)
    cases = [(0.1, 0, 0.1, 0), (0.1, 3, 0.1, -3), (0.5, 0, 0.25, 0), (0.25, 1, 0.5, 0), (1, 0, 3, 0)]
    for _ in range(115):
        cases.append(
            (
                float(np.exp(rng.uniform(-7, 0))),
                int(rng.integers(-128, 128)),
                float(np.exp(rng.uniform(-7, 0))),
                int(rng.integers(-128, 128)),
            )
        )
    x = np.arange(-128, 128).astype(np.int8)
    for in_scale, in_zp, out_scale, out_zp in cases:
        model = single_op_model("QUANTIZE", [i8([256], in_scale, in_zp)], [i8([256], out_scale, out_zp)])
        expected = run_reference(model, [x])[0]
        table = movement.requantize_table(in_scale, in_zp, out_scale, out_zp)
        np.testing.assert_array_equal(table, expected, err_msg=f"{(in_scale, in_zp, out_scale, out_zp)}")


# ============================================================================================
# Compiled C against LiteRT. Copies are checked with one random seed (any misplaced element
# shows up with full-range random data); conversions with explicit inputs that hit ties.


@pytest.mark.parametrize(
    "dtype, shapes, axis",
    [
        ("int8", [[1, 2, 3, 4], [1, 2, 3, 4]], 0),
        ("int8", [[1, 2, 3, 4], [1, 1, 3, 4], [1, 3, 3, 4]], 1),
        ("int8", [[2, 2, 1, 4], [2, 2, 3, 4]], 2),
        ("int8", [[1, 2, 3, 4], [1, 2, 3, 2], [1, 2, 3, 1]], 3),
        ("int8", [[1, 2, 3, 4], [1, 2, 3, 5]], -1),
        ("int8", [[5], [3]], 0),
        ("float32", [[2, 3, 4], [2, 1, 4], [2, 2, 4]], -2),
        ("float32", [[2, 3], [2, 3]], 1),
        ("float32", [[1, 2, 1, 2, 3, 2], [1, 2, 1, 2, 2, 2]], 4),
    ],
)
def test_concatenation(dtype: str, shapes: list[list[int]], axis: int, tmp_path: Path):
    out_shape = list(shapes[0])
    out_shape[axis] = sum(s[axis] for s in shapes)
    model = single_op_model(
        "CONCATENATION", [tensor(dtype, s) for s in shapes], [tensor(dtype, out_shape)], {"axis": axis}
    )
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


def test_concatenation_with_a_constant_input(tmp_path: Path):
    table = np.arange(-6, 6, dtype=np.int8).reshape(1, 2, 6)
    model = single_op_model(
        "CONCATENATION", [i8([1, 2, 3]), i8([1, 2, 6], data=table)], [i8([1, 2, 9])], {"axis": -1}
    )
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


@pytest.mark.parametrize(
    "dtype, shape, paddings, paddings_dtype",
    [
        ("int8", [1, 4, 5, 3], [[0, 0], [1, 2], [2, 1], [0, 0]], "int32"),  # spatial, like before a conv
        ("int8", [2, 3, 2, 3], [[1, 0], [0, 2], [1, 1], [2, 1]], "int64"),  # every axis, int64 paddings
        ("int8", [2, 3], [[0, 0], [0, 0]], "int32"),  # nothing to pad
        ("int8", [7], [[3, 0]], "int32"),
        ("float32", [2, 3, 4], [[0, 1], [2, 0], [1, 3]], "int32"),
        # TFLite's maximum rank
        ("float32", [1, 2, 2, 1, 3], [[0, 0], [1, 1], [0, 2], [1, 0], [0, 1]], "int64"),
    ],
)
def test_pad(
    dtype: str, shape: list[int], paddings: list[list[int]], paddings_dtype: str, tmp_path: Path
):
    out_shape = [n + before + after for n, (before, after) in zip(shape, paddings)]
    model = single_op_model(
        "PAD", [tensor(dtype, shape), int32_const(paddings, paddings_dtype)], [tensor(dtype, out_shape)]
    )
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


def test_pad_int8_fills_with_the_output_zero_point_and_copies_the_input_unchanged(tmp_path: Path):
    # TFLite does not requantize an int8 PAD whose output has other parameters.
    model = single_op_model(
        "PAD", [i8([2, 3], 0.1, 5), int32_const([[1, 1], [2, 0]])], [i8([4, 5], 0.3, -77)]
    )
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


@pytest.mark.parametrize(
    "dtype, shape, begin, end, strides, options",
    [
        ("int8", [1, 6, 7, 3], [0, 1, 2, 0], [1, 5, 7, 3], [1, 1, 2, 1], {}),
        ("int8", [4, 5, 6], [-1, 4, 5], [-5, 0, -7], [-1, -2, -3], {}),  # reversed axes, negative indices
        ("int8", [4, 5, 6], [3, 1, 2], [3, 0, 5], [1, 2, 1], {"begin_mask": 0b101, "end_mask": 0b010}),
        ("int8", [3, 4, 5], [1, 0, -1], [2, 4, 0], [1, 1, 1], {"shrink_axis_mask": 0b101}),
        ("int8", [2, 3, 4, 5], [1, 1], [3, 4], [1, 2], {"ellipsis_mask": 0b01}),  # x[..., 1:3, 1:4:2]
        ("int8", [3, 4], [0, 1, 0], [2, 3, 4], [1, 1, 1], {"new_axis_mask": 0b010}),  # x[0:2, None, 0:4]
        ("int8", [5, 6], [1, 2], [3, 2], [1, 1], {"offset": True}),  # sizes instead of ends
        ("float32", [2, 3, 4, 5, 2], [0, 2, 1, 0, 1], [2, 0, 4, 5, 2], [1, -1, 2, 3, 1], {"end_mask": 1}),
        ("float32", [8], [6], [0], [-2], {}),
    ],
)
def test_strided_slice(
    dtype: str, shape: list[int], begin: list[int], end: list[int], strides: list[int],
    options: dict[str, Any], tmp_path: Path,
):
    operands = {"begin": begin, "end": end, "strides": strides}
    axes = movement.slice_axes(shape, begin, end, strides, options)
    out_shape = [axis.count for axis in axes if not axis.shrink]
    assert all(n > 0 for n in out_shape)
    model = _slice_model(shape, operands, options, out_shape, dtype)
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


@pytest.mark.parametrize(
    "dtype, shape, perm, perm_dtype",
    [
        ("int8", [3, 5], [1, 0], "int32"),
        ("int8", [2, 3, 4], [2, 0, 1], "int32"),
        ("int8", [1, 4, 5, 3], [0, 3, 1, 2], "int32"),  # NHWC -> NCHW
        ("int8", [2, 3, 4], [0, 1, 2], "int32"),  # identity: one memcpy
        ("int8", [2, 3, 2, 3, 2], [4, 2, 0, 3, 1], "int32"),
        ("int8", [2, 1, 2, 3, 1, 2, 2, 2], [7, 0, 5, 3, 1, 6, 2, 4], "int32"),  # TFLite's maximum rank
        ("int8", [3, 4], [-1, 0], "int32"),  # negative entries count from the end
        ("float32", [2, 3, 4, 5], [3, 1, 0, 2], "int32"),
        ("float32", [2, 3, 2, 2, 3, 2], [5, 4, 3, 2, 1, 0], "int32"),
    ],
)
def test_transpose(dtype: str, shape: list[int], perm: list[int], perm_dtype: str, tmp_path: Path):
    out_shape = [shape[p] for p in perm]
    model = single_op_model(
        "TRANSPOSE", [tensor(dtype, shape), int32_const(perm, perm_dtype)], [tensor(dtype, out_shape)]
    )
    assert_matches_reference(model, seeds=(0,), workdir=tmp_path)


def _assert_runs_like_litert(model: bytes, inputs: list[np.ndarray], workdir: Path) -> None:
    expected = run_reference(model, inputs)
    got = run_compiled(model, inputs, workdir=workdir)
    for e, g in zip(expected, got):
        assert e.dtype == g.dtype and e.shape == g.shape
        if e.dtype.kind == "f":
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("scale, zero_point", [(0.5, 0), (0.1, -3), (0.02, 100), (1 / 3, -128)])
def test_quantize_float32_to_int8_including_rounding_ties(
    scale: float, zero_point: int, tmp_path: Path
):
    """Multiples of scale/2 put x / scale exactly on .5 (ties round away from zero); a wide
    normal sample adds ordinary values and saturation on both sides."""
    rng = np.random.default_rng(11)
    ties = np.arange(-301, 302, dtype=np.float32) * np.float32(scale) / np.float32(2)
    x = np.concatenate([ties, rng.standard_normal(400).astype(np.float32) * np.float32(300 * scale)])
    model = single_op_model("QUANTIZE", [f32([x.size])], [i8([x.size], scale, zero_point)])
    _assert_runs_like_litert(model, [x.astype(np.float32)], tmp_path)


@pytest.mark.parametrize(
    "in_params, out_params",
    [
        ((0.05, -3), (0.08, 10)),  # lookup table
        ((0.02, 0), (0.005, -100)),  # enlarging: saturates
        ((0.05, -3), (0.05, -3)),  # same parameters: a plain copy
    ],
)
def test_quantize_int8_to_int8(
    in_params: tuple[float, int], out_params: tuple[float, int], tmp_path: Path
):
    model = single_op_model("QUANTIZE", [i8([2, 128], *in_params)], [i8([2, 128], *out_params)])
    _assert_runs_like_litert(model, [np.arange(-128, 128, dtype=np.int8).reshape(2, 128)], tmp_path)


@pytest.mark.parametrize("scale, zero_point", [(0.05, -3), (1 / 3, 127), (1e-4, -128)])
def test_dequantize_int8_to_float32(scale: float, zero_point: int, tmp_path: Path):
    model = single_op_model("DEQUANTIZE", [i8([16, 16], scale, zero_point)], [f32([16, 16])])
    _assert_runs_like_litert(model, [np.arange(-128, 128, dtype=np.int8).reshape(16, 16)], tmp_path)


def test_quantize_and_dequantize_with_random_inputs(tmp_path: Path):
    quantize = single_op_model("QUANTIZE", [f32([3, 7])], [i8([3, 7], 0.01, 4)])
    dequantize = single_op_model("DEQUANTIZE", [i8([3, 7], 0.01, 4)], [f32([3, 7])])
    for name, model in (("quantize", quantize), ("dequantize", dequantize)):
        (tmp_path / name).mkdir()
        assert_matches_reference(model, seeds=(0, 1), workdir=tmp_path / name)


@pytest.mark.parametrize("weights_shape", [[3, 1, 1, 4], [5]])
def test_dequantize_of_float16_weights_is_folded_exactly(weights_shape: list[int], tmp_path: Path):
    """A model converted with float16 weights: constant float16 -> DEQUANTIZE -> float32 operand.
    The DEQUANTIZE folds (its output becomes a float32 constant, the values widened exactly, as
    LiteRT does when it prepares the model); values include float16's extremes and subnormals."""
    rng = np.random.default_rng(3)
    values = (rng.standard_normal(weights_shape) * 2.0).astype(np.float16).reshape(-1)
    special = np.array([65504.0, -65504.0, 6.0e-8, -1.0e-5, 0.0, 1 / 3], dtype=np.float16)
    values[: min(len(special), values.size)] = special[: values.size]
    values = values.reshape(weights_shape)
    if len(weights_shape) == 4:  # CONV_2D with float16 weights and bias
        bias = (rng.standard_normal(3)).astype(np.float16)
        tensors = [
            f32([1, 2, 3, 4]),
            TensorSpec(weights_shape, "float16", data=values),
            f32(weights_shape),
            TensorSpec([3], "float16", data=bias),
            f32([3]),
            f32([1, 2, 3, 3]),
        ]
        ops = [
            OpSpec("DEQUANTIZE", [1], [2]),
            OpSpec("DEQUANTIZE", [3], [4]),
            OpSpec("CONV_2D", [0, 2, 4], [5], {"padding": "VALID", "stride_w": 1, "stride_h": 1}),
        ]
        model = build_model(tensors, ops, [0], [5])
    else:  # ADD of a broadcast float16 constant
        tensors = [f32([2, 5]), TensorSpec(weights_shape, "float16", data=values), f32(weights_shape), f32([2, 5])]
        ops = [OpSpec("DEQUANTIZE", [1], [2]), OpSpec("ADD", [0, 2], [3])]
        model = build_model(tensors, ops, [0], [3])
    graph = compile_model(model, "float16.tflite", CompileOptions())
    assert not any("mtvm_dequantize" in text.decode(errors="ignore") for text in graph.values())
    assert_matches_reference(model, seeds=(0, 1, 2), workdir=tmp_path)


def test_dequantize_of_a_float16_input_is_rejected():
    model = single_op_model("DEQUANTIZE", [TensorSpec([4], "float16")], [f32([4])])
    with pytest.raises(UnsupportedError, match="float16 -> float32 is not supported"):
        compile_model(model, "float16.tflite", CompileOptions())


def test_a_chain_of_movement_operators_in_one_model(tmp_path: Path):
    """float32 in -> QUANTIZE -> PAD -> TRANSPOSE -> STRIDED_SLICE -> CONCATENATION (with the
    PAD output) -> requantizing QUANTIZE -> DEQUANTIZE -> float32 out: the memory planner
    reuses buffers between the steps and every kernel reads what the previous one wrote."""
    tensors = [
        f32([1, 3, 4, 2]),  # 0: model input
        i8([1, 3, 4, 2]),  # 1
        int32_const([[0, 0], [1, 0], [0, 2], [0, 0]]),  # 2: paddings
        i8([1, 4, 6, 2]),  # 3
        int32_const([0, 2, 1, 3]),  # 4: permutation
        i8([1, 6, 4, 2]),  # 5
        int32_const([0, 5, 0, 0]), int32_const([1, 0, 4, 2]), int32_const([1, -2, 1, 1]),  # 6-8
        i8([1, 3, 4, 2]),  # 9: every other row of 5, reversed
        i8([1, 3, 4, 4]),  # 10: concatenated with 9 along channels
        i8([1, 3, 4, 4], 0.11, 7),  # 11
        f32([1, 3, 4, 4]),  # 12: model output
    ]
    ops = [
        OpSpec("QUANTIZE", [0], [1]),
        OpSpec("PAD", [1, 2], [3]),
        OpSpec("TRANSPOSE", [3, 4], [5]),
        OpSpec("STRIDED_SLICE", [5, 6, 7, 8], [9], {"end_mask": 0b0010}),
        OpSpec("CONCATENATION", [9, 1], [10], {"axis": 3}),
        OpSpec("QUANTIZE", [10], [11]),
        OpSpec("DEQUANTIZE", [11], [12]),
    ]
    assert_matches_reference(build_model(tensors, ops, [0], [12]), seeds=(0, 1), workdir=tmp_path)


# ============================================================================================
# What we reject, and that the message says what is supported.


def _rejected(model: bytes) -> str:
    graph, op = graph_and_op(model)
    with pytest.raises(UnsupportedError) as info:
        LOWERING[op.opcode].check(op, graph)
    return str(info.value)


def _i16(shape: Sequence[int]) -> TensorSpec:
    return TensorSpec(list(shape), "int16", 0.1, 0)


def _u8(shape: Sequence[int]) -> TensorSpec:
    return TensorSpec(list(shape), "uint8", 0.1, 128)


_SLICE_ENDS = (int32_const([3]), int32_const([1]))


@pytest.mark.parametrize(
    "opcode, inputs, output, options, message",
    [
        ("STRIDED_SLICE", [i8([4]), i8([1]), *_SLICE_ENDS], i8([3]), {}, "must be constant"),
        ("STRIDED_SLICE", [i8([4]), TensorSpec([1], "int32"), *_SLICE_ENDS], i8([3]), {},
         "begin indices must be constant"),
        ("PAD", [i8([4]), TensorSpec([1, 2], "int32")], i8([6]), {}, "paddings must be constant"),
        ("TRANSPOSE", [i8([2, 3]), TensorSpec([2], "int32")], i8([3, 2]), {}, "permutation must be constant"),
        ("TRANSPOSE", [TensorSpec([2, 3], "int64"), int32_const([1, 0])], TensorSpec([3, 2], "int64"), {},
         "use int8, int16, int32 or float32"),
        ("PAD", [_u8([2]), int32_const([[1, 1]])], _u8([4]), {}, "use int8, int16, int32 or float32"),
        ("PAD", [i8([1] * 6), int32_const([[0, 0]] * 6)], i8([1] * 6), {}, "at most 5"),
        ("CONCATENATION", [f32([2]), f32([2])], f32([4]), {"fused_activation_function": "RELU"}, "use NONE"),
        ("CONCATENATION", [i8([2], 0.1, 0), i8([2], 0.2, 0)], i8([4], 0.1, 0), {}, "scale and zero point"),
        ("QUANTIZE", [_u8([4])], _i16([4]), {}, "supported are float32 -> int8, float32 -> int16"),
        ("QUANTIZE", [f32([4])], _u8([4]), {}, "int16 -> int8, int16 -> int16"),
        ("QUANTIZE", [i8([2, 2], [0.1, 0.2], [0, 0])], i8([2, 2]), {}, "per-channel quantization is supported"),
        ("DEQUANTIZE", [TensorSpec([4], "float16")], f32([4]), {}, "int8 -> float32"),
        ("DEQUANTIZE", [_u8([4])], f32([4]), {}, "int8 -> float32 and int16 -> float32"),
        ("TRANSPOSE", [i8([2, 3]), int32_const([1, 1])], i8([3, 2]), {}, "not a permutation"),
        # LiteRT 2.3 reads an int64 permutation as int32 values, so it cannot be a reference.
        ("TRANSPOSE", [i8([2, 3]), int32_const([1, 0], "int64")], i8([3, 2]), {}, "use int32"),
    ],
)
def test_unsupported_operands_are_rejected_with_what_is_supported(
    opcode: str, inputs: list[TensorSpec], output: TensorSpec, options: dict[str, Any], message: str
):
    assert message in _rejected(single_op_model(opcode, inputs, [output], options))


def test_the_compiler_reports_which_operator_is_rejected():
    model = single_op_model("PAD", [i8([4]), TensorSpec([1, 2], "int32")], [i8([6])])
    with pytest.raises(UnsupportedError, match=r"pad\.tflite: operator 0 \(PAD\).*paddings must be constant"):
        compile_model(model, "pad.tflite", CompileOptions())


def test_strided_slice_that_leaves_output_unwritten_is_rejected():
    # A negative stride on a shrunk axis: TFLite's loop never runs and the output stays unset.
    operands = {"begin": [1], "end": [2], "strides": [-1]}
    model = _slice_model([4, 3], operands, {"shrink_axis_mask": 1}, [3])
    assert "shrink_axis_mask" in _rejected(model)


def test_output_shape_that_disagrees_with_the_operands_is_rejected():
    model = single_op_model("TRANSPOSE", [i8([2, 3]), int32_const([1, 0])], [i8([2, 3])])
    assert "operands give [3, 2]" in _rejected(model)
