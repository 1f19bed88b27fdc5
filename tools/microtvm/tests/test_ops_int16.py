"""int16 activations (16x8 quantization: int16 activations, zero points 0) for every
non-convolution operator TFLite defines them for, plus the conversions around them: our generated C
against LiteRT's reference kernels (BUILTIN_REF), byte for byte (float32 outputs of DEQUANTIZE
within 1e-5 / 1e-6).

Each model is built once and run with 3 random seeds (int16 inputs uniform over the full range).
LOGISTIC and TANH, whose int16 kernels interpolate in a table, are also run on all 65536 inputs.
The error paths check that variants TFLite does not run (or that we do not) are refused with a
sentence naming what is supported.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

S1, S2, SO = 0.0011, 0.00073, 0.0017  # awkward (not power-of-two) scales


def q16(shape: Sequence[int], scale: Any = S1, data: np.ndarray | None = None, zp: Any = 0, **kw: Any) -> TensorSpec:
    return TensorSpec(list(shape), "int16", scale=scale, zero_point=zp, data=data, **kw)


def q8(shape: Sequence[int], scale: Any = 0.02, zp: Any = 3, dtype: str = "int8", **kw: Any) -> TensorSpec:
    return TensorSpec(list(shape), dtype, scale=scale, zero_point=zp, **kw)


def f32(shape: Sequence[int], data: np.ndarray | None = None) -> TensorSpec:
    return TensorSpec(list(shape), "float32", data=data)


def i32(values: Any) -> TensorSpec:
    array = np.array(values, dtype=np.int32)
    return TensorSpec(list(array.shape), "int32", data=array)


def _check(model: bytes, tmp_path: Path, **kw: Any) -> None:
    assert_matches_reference(model, workdir=tmp_path, **kw)


def _sources(model: bytes) -> list[str]:
    """The kernel source files (.c) the MLF ships (family-internal headers come with them)."""
    files = compile_model(model, "m.tflite", CompileOptions())
    return sorted(k.split("/")[-1] for k in files if k.startswith("runtime/src/") and k.endswith(".c"))


# ---------------------------------------------------------------------------------------------
# Binary operators

BROADCASTS = [
    ((2, 3, 4, 5), (2, 3, 4, 5)),
    ((2, 3, 1, 5), (5,)),
    ((), (7,)),
    ((2, 1, 3, 1, 2, 3), (1, 2, 1, 4, 1, 3)),
]


@pytest.mark.parametrize("opcode", ["ADD", "SUB"])
@pytest.mark.parametrize("shapes, activation", list(zip(BROADCASTS, ["NONE", "RELU6", "RELU", "RELU_N1_TO_1"])))
def test_add_sub_general_path(opcode: str, shapes, activation: str, tmp_path: Path) -> None:
    """pot_scale_int16 false: TFLite's general rescaling with 15 bits of headroom."""
    (a, b) = shapes
    out = np.broadcast_shapes(a, b)
    options = {"fused_activation_function": activation, "pot_scale_int16": False}
    model = single_op_model(opcode, [q16(a, S1), q16(b, S2)], [q16(out, SO)], options)
    assert _sources(model) == ["addsub_s16.c"]
    _check(model, tmp_path)


def test_add_general_path_when_scales_are_not_powers_of_two(tmp_path: Path) -> None:
    """pot_scale_int16 true (the schema default) but a scale is not a power of two: general path."""
    model = single_op_model("ADD", [q16((3, 4), 2**-10), q16((3, 4), 0.0003)], [q16((3, 4), 2**-9)])
    assert _sources(model) == ["addsub_s16.c"]
    _check(model, tmp_path)


@pytest.mark.parametrize(
    "opcode, shapes, scales, activation",
    [
        ("ADD", ((2, 3, 4), (2, 3, 4)), (2**-10, 2**-12, 2**-10), "NONE"),
        ("ADD", ((5, 7), (5, 7)), (2**-13, 2**-11, 2**-11), "RELU_N1_TO_1"),
        ("ADD", ((4, 4), (4, 4)), (2**-12, 2**-12, 2**-12), "RELU6"),  # saturating adds
        ("SUB", ((2, 3, 4), (2, 3, 4)), (2**-10, 2**-12, 2**-10), "NONE"),
        ("SUB", ((2, 3, 4), (4,)), (2**-14, 2**-11, 2**-11), "RELU"),  # broadcast
        ("SUB", ((1,), (3, 2)), (2**-11, 2**-11, 2**-11), "NONE"),
    ],
)
def test_add_sub_power_of_two_path(opcode: str, shapes, scales, activation: str, tmp_path: Path) -> None:
    """pot_scale_int16 true and power-of-two scales: TFLite's fixed-point path."""
    (a, b), (s1, s2, so) = shapes, scales
    out = np.broadcast_shapes(a, b)
    model = single_op_model(
        opcode, [q16(a, s1), q16(b, s2)], [q16(out, so)], {"fused_activation_function": activation}
    )
    assert _sources(model) == ["addsub_pot_s16.c"]
    _check(model, tmp_path)


@pytest.mark.parametrize("shapes, activation", list(zip(BROADCASTS, ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])))
def test_mul(shapes, activation: str, tmp_path: Path) -> None:
    (a, b) = shapes
    out = np.broadcast_shapes(a, b)
    model = single_op_model("MUL", [q16(a, 0.01), q16(b, 0.02)], [q16(out, 3.0)], {"fused_activation_function": activation})
    _check(model, tmp_path)


@pytest.mark.parametrize("opcode", ["MAXIMUM", "MINIMUM"])
def test_maximum_minimum(opcode: str, tmp_path: Path) -> None:
    model = single_op_model(opcode, [q16((2, 3, 4), S1), q16((3, 1), S2)], [q16((2, 3, 4), SO)])
    _check(model, tmp_path)


def test_constant_operand_and_same_tensor_twice(tmp_path: Path) -> None:
    constant = np.random.default_rng(5).integers(-32768, 32768, (4,), dtype=np.int16)
    tensors = [q16((3, 4), S1), q16((4,), S2, data=constant), q16((3, 4), SO), q16((3, 4), SO)]
    ops = [
        OpSpec("ADD", [0, 1], [2], {"pot_scale_int16": False}),
        OpSpec("MUL", [2, 2], [3], {}),
    ]
    _check(build_model(tensors, ops, inputs=[0], outputs=[3]), tmp_path)


# ---------------------------------------------------------------------------------------------
# Unary elementwise operators


@pytest.mark.parametrize(
    "opcode, options, scales",
    [
        ("RELU", {}, (S1, S2)),
        ("RELU6", {}, (0.001, 0.0002)),
        ("RELU6", {}, (0.0003, 0.0004)),
        ("LEAKY_RELU", {"alpha": 0.2}, (S1, S2)),
        ("LEAKY_RELU", {"alpha": -0.3}, (S1, SO)),
        ("LEAKY_RELU", {"alpha": 1.5}, (S2, S1)),
    ],
)
def test_unary(opcode: str, options: dict, scales, tmp_path: Path) -> None:
    model = single_op_model(opcode, [q16((3, 5, 7), scales[0])], [q16((3, 5, 7), scales[1])], options)
    _check(model, tmp_path)


# ---------------------------------------------------------------------------------------------
# Data movement (generic by element size) and aliases


def test_movement_chain(tmp_path: Path) -> None:
    """RESHAPE, TRANSPOSE (rank 5), STRIDED_SLICE (negative stride, shrink), PAD, SQUEEZE on int16."""
    tensors = [
        q16((2, 3, 4, 5)),  # 0
        i32([2, 3, 2, 2, 5]), q16((2, 3, 2, 2, 5)),  # 1, 2 RESHAPE
        i32([4, 0, 2, 1, 3]), q16((5, 2, 2, 3, 2)),  # 3, 4 TRANSPOSE
        i32([4, 0, 0, -1, 0]), i32([0, 2, 2, -4, 2]), i32([-2, 1, 1, -1, 1]), q16((2, 2, 3, 2)),  # 5..8 SLICE
        i32([[1, 0], [0, 2], [0, 0], [1, 1]]), q16((3, 4, 3, 4)),  # 9, 10 PAD
        i32([3, 4, 12]), q16((3, 4, 12)),  # 11, 12 RESHAPE
    ]
    ops = [
        OpSpec("RESHAPE", [0, 1], [2], {"new_shape": [2, 3, 2, 2, 5]}),
        OpSpec("TRANSPOSE", [2, 3], [4]),
        OpSpec("STRIDED_SLICE", [4, 5, 6, 7], [8], {"shrink_axis_mask": 2, "end_mask": 0}),
        OpSpec("PAD", [8, 9], [10]),
        OpSpec("RESHAPE", [10, 11], [12], {"new_shape": [3, 4, 12]}),
    ]
    _check(build_model(tensors, ops, inputs=[0], outputs=[12]), tmp_path)


def test_int32_movement_chain(tmp_path: Path) -> None:
    """The copies are generic by element size: int32 through TRANSPOSE, STRIDED_SLICE,
    CONCATENATION and PAD."""
    tensors = [
        TensorSpec([2, 3, 4], "int32"),  # 0
        i32([2, 0, 1]), TensorSpec([4, 2, 3], "int32"),  # 1, 2
        i32([3, 0, 0]), i32([0, 2, 3]), i32([-2, 1, 1]), TensorSpec([2, 2, 3], "int32"),  # 3..6
        TensorSpec([4, 2, 3], "int32"),  # 7 CONCATENATION of 2 and 6
        i32([[0, 1], [1, 0], [0, 0]]), TensorSpec([5, 3, 3], "int32"),  # 8, 9 PAD
    ]
    ops = [
        OpSpec("TRANSPOSE", [0, 1], [2]),
        OpSpec("STRIDED_SLICE", [2, 3, 4, 5], [6]),
        OpSpec("CONCATENATION", [6, 6], [7], {"axis": 0}),
        OpSpec("PAD", [7, 8], [9]),
    ]
    _check(build_model(tensors, ops, inputs=[0], outputs=[9]), tmp_path)


def test_squeeze(tmp_path: Path) -> None:
    tensors = [q16((1, 3, 1, 4)), q16((3, 4)), q16((3, 4))]
    ops = [OpSpec("SQUEEZE", [0], [1], {"squeeze_dims": [0, 2]}), OpSpec("RELU", [1], [2])]
    _check(build_model(tensors, ops, inputs=[0], outputs=[2]), tmp_path)


def test_concatenation_ignores_int16_scales(tmp_path: Path) -> None:
    """TFLite's int16 CONCATENATION copies the values (it only requires zero points 0)."""
    model = single_op_model(
        "CONCATENATION", [q16((2, 3, 2), S1), q16((2, 1, 2), S2), q16((2, 4, 2), SO)], [q16((2, 8, 2), 0.5)],
        {"axis": -2},
    )
    _check(model, tmp_path)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "float32"])
def test_pad_and_padv2(dtype: str, tmp_path: Path) -> None:
    def spec(shape: Sequence[int], data: np.ndarray | None = None) -> TensorSpec:
        if dtype == "int8":
            return TensorSpec(list(shape), dtype, scale=0.02, zero_point=-5, data=data)
        if dtype == "int16":
            return q16(shape, 0.001, data=data)
        return TensorSpec(list(shape), dtype, data=data)

    value = np.array({"int8": 77, "int16": -12345, "int32": 123456789, "float32": -2.75}[dtype], dtype=dtype)
    tensors = [
        spec((2, 3, 2)),
        i32([[1, 0], [0, 2], [1, 1]]), spec((3, 5, 4)),  # PAD: zero point / zero
        spec((), value),
        i32([[0, 1], [2, 0], [0, 0]]), spec((4, 7, 4)),  # PADV2 with a constant value
        i32([[1, 1]]), spec((4,)), spec((6,)),  # PADV2 with a rank-1 input, no constant value
    ]
    ops = [
        OpSpec("PAD", [0, 1], [2]),
        OpSpec("PADV2", [2, 4, 3], [5]),
    ]
    model = build_model(tensors, ops, inputs=[0], outputs=[5])
    _check(model, tmp_path)
    rank1 = single_op_model("PADV2", [spec((4,)), i32([[1, 2]])], [spec((7,))])
    _check(rank1, tmp_path / "rank1")


# ---------------------------------------------------------------------------------------------
# QUANTIZE, DEQUANTIZE


@pytest.mark.parametrize(
    "source, result",
    [
        (f32((3, 4, 5)), q16((3, 4, 5), 0.0001)),
        (f32((3, 4, 5)), q16((3, 4, 5), 2.0)),  # saturation
        (q16((3, 4, 5), 0.0001), q8((3, 4, 5), 0.01, -3)),
        (q16((3, 4, 5), 0.0001), q16((3, 4, 5), 0.00013)),
        (q16((3, 4, 5), 0.0001), q16((3, 4, 5), 0.0001)),
        (q8((3, 4, 5), 0.02, 3), q16((3, 4, 5), 0.0003)),
        (q8((3, 4, 5), 0.02, 0, "uint8"), q8((3, 4, 5), 0.02, -128)),
        (q8((3, 4, 5), 0.02, 128, "uint8"), q8((3, 4, 5), 0.02, 0)),
        (q8((3, 4, 5), 0.02, -128), q8((3, 4, 5), 0.02, 0, "uint8")),
        (q8((3, 4, 5), 0.02, 3), q8((3, 4, 5), 0.03, 100, "uint8")),
        (f32((3, 4, 5)), q8((3, 4, 5), [0.01, 0.02, 0.03, 0.05], [0, 1, -2, 5], quantized_dimension=1)),
        (f32((3, 4, 5)), q16((3, 4, 5), [0.001, 0.002, 0.003, 0.0001, 0.01], zp=[0] * 5, quantized_dimension=2)),
    ],
)
def test_quantize(source: TensorSpec, result: TensorSpec, tmp_path: Path) -> None:
    _check(single_op_model("QUANTIZE", [source], [result]), tmp_path)


@pytest.mark.parametrize(
    "source",
    [
        q16((3, 4, 5), 0.0001),
        q16((2, 7), 3.5),
        q8((3, 4, 5), [0.01, 0.02, 0.03], [0, 1, -2], quantized_dimension=0),
    ],
)
def test_dequantize(source: TensorSpec, tmp_path: Path) -> None:
    _check(single_op_model("DEQUANTIZE", [source], [f32(source.shape)]), tmp_path)


# ---------------------------------------------------------------------------------------------
# Pools, MEAN, SOFTMAX, LOGISTIC, TANH


@pytest.mark.parametrize("opcode", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize(
    "padding, size, filt, stride, activation",
    [("SAME", (5, 6), (3, 3), (2, 2), "RELU6"), ("VALID", (7, 4), (2, 3), (1, 1), "NONE")],
)
def test_pools(opcode: str, padding: str, size, filt, stride, activation: str, tmp_path: Path) -> None:
    h, w = size
    if padding == "SAME":
        out = (-(-h // stride[0]), -(-w // stride[1]))
    else:
        out = ((h - filt[0]) // stride[0] + 1, (w - filt[1]) // stride[1] + 1)
    options = {
        "padding": padding, "filter_height": filt[0], "filter_width": filt[1], "stride_h": stride[0],
        "stride_w": stride[1], "fused_activation_function": activation,
    }
    model = single_op_model(opcode, [q16((2, h, w, 3), 0.001)], [q16((2, *out, 3), 0.001)], options)
    _check(model, tmp_path)


@pytest.mark.parametrize(
    "shape, axis, out_shape, keep_dims",
    [
        ((2, 5, 6, 3), [1, 2], (2, 1, 1, 3), True),
        ((2, 5, 6, 3), [[-1], [0]], (5, 6), False),  # a 2-D axis constant with negative entries
        ((4, 3), np.zeros((0,), np.int32), (4, 3), False),  # empty axis list: a requantization
        ((7,), [0, -1], (), False),  # the same axis twice
        ((3, 4), 1, (3, 1), True),  # a scalar axis
    ],
)
def test_mean(shape, axis, out_shape, keep_dims: bool, tmp_path: Path) -> None:
    model = single_op_model("MEAN", [q16(shape, 0.001), i32(axis)], [q16(out_shape, 0.0007)], {"keep_dims": keep_dims})
    _check(model, tmp_path)


def test_int8_mean_with_an_empty_axis_list(tmp_path: Path) -> None:
    model = single_op_model("MEAN", [q8((4, 3), 0.02, 3), i32(np.zeros((0,), np.int32))], [q8((4, 3), 0.03, -7)])
    _check(model, tmp_path)


@pytest.mark.parametrize(
    "shape, scale, beta",
    [((40,), 0.001, 1.0), ((5, 7), 0.0003, 0.7), ((2, 3, 40), 0.002, 1.0), ((2, 2, 3, 9), 0.00005, 2.0)],
)
def test_softmax(shape, scale: float, beta: float, tmp_path: Path) -> None:
    model = single_op_model("SOFTMAX", [q16(shape, scale)], [q16(shape, 1 / 32768)], {"beta": beta})
    _check(model, tmp_path)


ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


@pytest.mark.parametrize(
    "opcode, input_scale",
    [("LOGISTIC", 2**-12), ("LOGISTIC", 0.0003), ("LOGISTIC", 0.002), ("TANH", 2**-12), ("TANH", 2**-11),
     ("TANH", 0.00071)],
)
def test_logistic_tanh_every_input(opcode: str, input_scale: float, tmp_path: Path) -> None:
    model = single_op_model(opcode, [q16(ALL_INT16.shape, input_scale)], [q16(ALL_INT16.shape, 2**-15)])
    ours = build(model, tmp_path).run([ALL_INT16])[0]
    np.testing.assert_array_equal(ours, run_reference(model, [ALL_INT16])[0])


# ---------------------------------------------------------------------------------------------
# What each lowering claims, and the error paths


def test_int16_kernels_ship_only_their_own_source() -> None:
    assert _sources(single_op_model("MUL", [q16((4,)), q16((4,))], [q16((4,))])) == ["mul_s16.c"]
    assert _sources(single_op_model("TANH", [q16((4,))], [q16((4,), 2**-15)])) == ["tanh_s16.c"]
    assert _sources(single_op_model("QUANTIZE", [f32((4,))], [q16((4,))])) == ["quantize_s16.c"]


@pytest.mark.parametrize(
    "opcode",
    ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "RELU", "RELU6", "LEAKY_RELU", "CONCATENATION", "PAD", "PADV2",
     "STRIDED_SLICE", "TRANSPOSE", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SOFTMAX", "LOGISTIC", "TANH",
     "QUANTIZE", "DEQUANTIZE", "RESHAPE", "SQUEEZE"],
)
def test_lowerings_claim_int16(opcode: str) -> None:
    assert "int16" in LOWERINGS_BY_OPCODE[opcode].dtypes


def _rejected(model: bytes) -> str:
    graph = read_tflite(model, "m.tflite")
    (op,) = graph.operators
    with pytest.raises(UnsupportedError) as info:
        LOWERINGS_BY_OPCODE[op.opcode].check(op, graph)
    return str(info.value)


@pytest.mark.parametrize(
    "opcode, inputs, output, options, message",
    [
        ("HARD_SWISH", [q16((4,))], q16((4,)), {}, "TFLite has no int16 HARD_SWISH"),
        ("ADD", [q16((4,), zp=5), q16((4,))], q16((4,)), {}, "zero point 0"),
        ("RELU", [q16((4,))], q16((4,), zp=-3), {}, "zero point 0"),
        # LiteRT aborts the process on this one (its power-of-two ADD has no broadcasting).
        ("ADD", [q16((2, 4), 2**-10), q16((4,), 2**-10)], q16((2, 4), 2**-10), {}, "does not broadcast"),
        ("ADD", [q16((4,), 2**-12), q16((4,), 2**-13)], q16((4,), 2**-14), {}, "power-of-two path"),
        ("SUB", [q16((4,), 1.0), q16((4,), 1.0)], q16((4,), 1e-6), {"pot_scale_int16": False}, "2**15"),
        ("SOFTMAX", [q16((1, 1, 2, 2, 3))], q16((1, 1, 2, 2, 3), 1 / 32768), {"beta": 1.0}, "ranks 1 to 4"),
        ("SOFTMAX", [q16((4,))], q16((4,), 1 / 256), {"beta": 1.0}, "requires 1/32768"),
        ("LOGISTIC", [q16((4,))], q16((4,), 2**-14), {}, "requires 1/32768"),
        ("TANH", [q16((4,), 4.0)], q16((4,), 2**-15), {}, "input scale"),
        ("AVERAGE_POOL_2D", [q16((1, 2, 2, 1), zp=1)], q16((1, 1, 1, 1), zp=1),
         {"filter_height": 2, "filter_width": 2, "stride_h": 1, "stride_w": 1, "padding": "VALID"}, "zero point 0"),
        ("CONCATENATION", [q16((2,), zp=1), q16((2,))], q16((4,)), {"axis": 0}, "zero point 0"),
        ("CONCATENATION", [q8((2,), 0.1, 0), q8((2,), 0.2, 0)], q8((4,), 0.1, 0), {"axis": 0}, "scale and zero point"),
        ("PADV2", [q16((2,)), i32([[1, 1]]), q16((), 0.5, data=np.array(3, np.int16))], q16((4,)), {},
         "the output's scale and zero point"),
        ("DEQUANTIZE", [q16((2, 3), [0.1, 0.2], zp=[0, 0], quantized_dimension=0)], f32((2, 3)), {}, "int8 -> float32"),
        ("QUANTIZE", [q16((4,))], TensorSpec((4,), "int32", 0.1, 0), {}, "supported are float32 -> int8"),
        ("QUANTIZE", [q16((4,), zp=2)], q16((4,)), {}, "zero points 0"),
    ],
)
def test_unsupported_variants_are_refused(
    opcode: str, inputs: list[TensorSpec], output: TensorSpec, options: dict, message: str
) -> None:
    assert message in _rejected(single_op_model(opcode, inputs, [output], options))
