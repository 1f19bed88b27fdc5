"""DIV, FLOOR_DIV, FLOOR_MOD, SQUARED_DIFFERENCE, PRELU, ADD_N, and int32/int64 ADD, SUB, MUL:
our generated C against LiteRT's reference kernels (BUILTIN_REF); integers byte for byte,
float32 within the default 1e-5 relative / 1e-6 absolute (the float kernels perform LiteRT's
own IEEE operations, so in practice they agree bit for bit).

Each compiled model applies several operators over shape pairs covering equal shapes, scalars,
row/column broadcasts, both operands broadcast and rank 5; 3 seeds per build. Divisors avoid
zero (LiteRT fails the invoke on an integer or FLOOR_DIV/FLOOR_MOD division by zero).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pytest
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm_testing.host import build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

SEEDS = (0, 1, 2)
SHAPE_PAIRS = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (5,)),
    ((2, 1, 3, 1, 2), (1, 4, 1, 5, 2)),
]
DIVIDING = {"DIV", "FLOOR_DIV", "FLOOR_MOD"}


def _spec(shape, dtype: str, q: Optional[tuple[float, int]] = None, data=None) -> TensorSpec:
    if q is not None:
        return TensorSpec(list(shape), dtype, scale=q[0], zero_point=q[1], data=data)
    return TensorSpec(list(shape), dtype, data=data)


def _values(dtype: str, shape, rng: np.random.Generator, nonzero: bool) -> np.ndarray:
    n = int(np.prod(shape))
    if dtype == "float32":
        v = (rng.standard_normal(n) * 4).astype(np.float32)
        v[rng.random(n) < 0.2] = np.float32(rng.integers(-4, 5))  # exact multiples and zeros
        if nonzero:
            v[v == 0] = np.float32(1.5)
        return v.reshape(shape)
    info = np.iinfo(dtype)
    wide = rng.integers(int(info.min), int(info.max), n, endpoint=True, dtype=np.int64) if info.bits <= 32 else \
        rng.integers(-(1 << 62), 1 << 62, n, dtype=np.int64)
    small = rng.integers(-9, 10, n)
    v = np.where(rng.random(n) < 0.5, small, wide).astype(dtype)
    if nonzero:
        v[v == 0] = 3
    return v.reshape(shape)


def _model(ops: Sequence[tuple[str, dict]], dtype: str, q=None, shape_pairs=SHAPE_PAIRS) -> bytes:
    """Every operator on every shape pair; the two operands of a pair are graph inputs."""
    tensors, inputs, op_specs, outputs = [], [], [], []
    for opcode, options in ops:
        for s1, s2 in shape_pairs:
            tensors += [_spec(s1, dtype, q), _spec(s2, dtype, q)]
            inputs += [len(tensors) - 2, len(tensors) - 1]
            tensors.append(_spec(np.broadcast_shapes(s1, s2), dtype, q))
            op_specs.append(OpSpec(opcode, inputs[-2:], [len(tensors) - 1], options))
            outputs.append(len(tensors) - 1)
    return build_model(tensors, op_specs, inputs=inputs, outputs=outputs)


def _check_model(model: bytes, make_inputs, tmp_path) -> None:
    host = build(model, tmp_path)
    for seed in SEEDS:
        inputs = make_inputs(seed)
        expected = run_reference(model, inputs)
        for k, (ours, theirs) in enumerate(zip(host.run(inputs), expected)):
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, f"seed {seed}, output {k}"
            if theirs.dtype.kind == "f":
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=f"seed {seed}, output {k}")
            else:
                np.testing.assert_array_equal(ours, theirs, err_msg=f"seed {seed}, output {k}")


def _inputs(ops: Sequence[tuple[str, dict]], dtype: str, shape_pairs=SHAPE_PAIRS):
    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        arrays = []
        for opcode, _ in ops:
            for s1, s2 in shape_pairs:
                arrays.append(_values(dtype, s1, rng, False))
                arrays.append(_values(dtype, s2, rng, opcode in DIVIDING))
        return arrays

    return make


CASES = {
    "float32": [("DIV", {"fused_activation_function": "NONE"}), ("DIV", {"fused_activation_function": "RELU6"}),
                ("FLOOR_DIV", {}), ("FLOOR_MOD", {}), ("SQUARED_DIFFERENCE", {})],
    "int32": [("DIV", {"fused_activation_function": "NONE"}), ("DIV", {"fused_activation_function": "RELU"}),
              ("FLOOR_DIV", {}), ("FLOOR_MOD", {}), ("SQUARED_DIFFERENCE", {}),
              ("ADD", {"fused_activation_function": "NONE"}), ("ADD", {"fused_activation_function": "RELU6"}),
              ("SUB", {"fused_activation_function": "NONE"}), ("MUL", {"fused_activation_function": "NONE"}),
              ("MUL", {"fused_activation_function": "RELU_N1_TO_1"})],
    "int64": [("FLOOR_MOD", {}), ("ADD", {"fused_activation_function": "NONE"}),
              ("SUB", {"fused_activation_function": "RELU"}), ("MUL", {"fused_activation_function": "NONE"})],
    "int16": [("FLOOR_DIV", {}), ("FLOOR_MOD", {})],
    "int8": [("FLOOR_DIV", {}), ("FLOOR_MOD", {})],
}


@pytest.mark.parametrize("dtype", list(CASES))
def test_binary(dtype, tmp_path):
    ops = CASES[dtype]
    _check_model(_model(ops, dtype), _inputs(ops, dtype), tmp_path)


def test_int8_squared_difference(tmp_path):
    tensors, inputs, ops, outputs = [], [], [], []
    params = [((0.05, 3), (0.05, 3), (0.2, -128)), ((0.1, -128), (0.02, 5), (0.5, -100)),
              ((0.003, 100), (0.004, -20), (0.0001, -128))]
    for q1, q2, qo in params:
        for s1, s2 in SHAPE_PAIRS:
            tensors += [_spec(s1, "int8", q1), _spec(s2, "int8", q2)]
            inputs += [len(tensors) - 2, len(tensors) - 1]
            tensors.append(_spec(np.broadcast_shapes(s1, s2), "int8", qo))
            ops.append(OpSpec("SQUARED_DIFFERENCE", inputs[-2:], [len(tensors) - 1]))
            outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)

    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [rng.integers(-128, 128, tensors[i].shape, dtype=np.int8) for i in inputs]

    _check_model(model, make, tmp_path)


PRELU_SHAPES = [((1, 4, 4, 3), (3,)), ((1, 4, 4, 3), (1, 1, 3)), ((2, 5), (2, 5)), ((2, 3, 1, 4, 2), (4, 1))]


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_prelu(dtype, tmp_path):
    params = [((0.05, -3), (0.01, 10), (0.04, 5)), ((0.1, 127), (0.002, -128), (0.3, -128))] if dtype == "int8" \
        else [(None, None, None)]
    tensors, inputs, ops, outputs = [], [], [], []
    for q_in, q_alpha, q_out in params:
        for k, (s_in, s_alpha) in enumerate(PRELU_SHAPES):
            rng = np.random.default_rng(k)
            alpha = rng.integers(-128, 128, s_alpha, dtype=np.int8) if dtype == "int8" else \
                rng.standard_normal(s_alpha).astype(np.float32)
            tensors.append(_spec(s_in, dtype, q_in))
            inputs.append(len(tensors) - 1)
            # Alpha is a constant in real models (trained slopes); the last shape takes it as an input.
            is_input = k == len(PRELU_SHAPES) - 1
            tensors.append(_spec(s_alpha, dtype, q_alpha, None if is_input else alpha))
            if is_input:
                inputs.append(len(tensors) - 1)
            tensors.append(_spec(s_in, dtype, q_out))
            ops.append(OpSpec("PRELU", [len(tensors) - 3, len(tensors) - 2], [len(tensors) - 1]))
            outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)

    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if dtype == "int8":
            return [rng.integers(-128, 128, tensors[i].shape, dtype=np.int8) for i in inputs]
        return [rng.standard_normal(tensors[i].shape).astype(np.float32) for i in inputs]

    _check_model(model, make, tmp_path)


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_add_n(dtype, tmp_path):
    tensors, ops, outputs = [], [], []
    for count, shape in ((2, (7,)), (3, (2, 3, 4)), (5, (1, 2, 1, 3, 2))):
        first = len(tensors)
        tensors += [_spec(shape, dtype) for _ in range(count)]
        tensors.append(_spec(shape, dtype))
        ops.append(OpSpec("ADD_N", list(range(first, first + count)), [len(tensors) - 1]))
        outputs.append(len(tensors) - 1)
    inputs = [i for i in range(len(tensors)) if i not in outputs]
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)

    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [_values(dtype, tensors[i].shape, rng, False) for i in inputs]

    _check_model(model, make, tmp_path)


# Quantized DIV: (input1, input2, output) quantization per case; every case on every shape pair,
# with a fused activation. Zero points on int16 too (LiteRT's DivElementwise takes any).
DIV_Q_CASES = {
    "int8": [((0.05, 3), (0.05, -2), (0.05, 1), "NONE"), ((0.1, -128), (0.01, 127), (0.5, 0), "RELU"),
             ((0.003, 0), (0.2, 5), (0.0001, -100), "RELU_N1_TO_1"), ((0.5, 10), (0.002, -7), (3.0, 4), "RELU6")],
    "int16": [((0.01, 0), (0.02, 0), (0.003, 0), "NONE"), ((0.0005, 0), (0.1, 0), (0.0001, 0), "RELU"),
              ((0.02, 5), (0.0001, -3), (40.0, 0), "RELU6")],
}


@pytest.mark.parametrize("dtype", list(DIV_Q_CASES))
def test_quantized_div(dtype, tmp_path):
    tensors, inputs, ops, outputs, zero_points = [], [], [], [], []
    for q1, q2, qo, activation in DIV_Q_CASES[dtype]:
        for s1, s2 in SHAPE_PAIRS + [((3, 1, 2), (3, 1, 2))]:
            tensors += [_spec(s1, dtype, q1), _spec(s2, dtype, q2)]
            inputs += [len(tensors) - 2, len(tensors) - 1]
            zero_points.append(q2[1])
            tensors.append(_spec(np.broadcast_shapes(s1, s2), dtype, qo))
            ops.append(OpSpec("DIV", inputs[-2:], [len(tensors) - 1], {"fused_activation_function": activation}))
            outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)
    info = np.iinfo(dtype)

    def make(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        arrays = []
        for k, (i1, i2) in enumerate(zip(inputs[::2], inputs[1::2])):
            a = rng.integers(info.min, int(info.max) + 1, tensors[i1].shape).astype(dtype)
            small = rng.integers(-40, 41, tensors[i1].shape).astype(dtype)  # small numerators: tiny quotients
            a = np.where(rng.random(tensors[i1].shape) < 0.3, small, a).astype(dtype)
            b = rng.integers(info.min, int(info.max) + 1, tensors[i2].shape).astype(dtype)
            zp = zero_points[k]
            b[b == zp] = zp - 1 if zp > info.min else zp + 1  # LiteRT fails the invoke on a zero divisor
            arrays += [a, b]
        return arrays

    _check_model(model, make, tmp_path)


def test_quantized_div_every_int8_pair(tmp_path):
    """All 256 x 255 operand pairs (ties of the rounding included), broadcast and not."""
    q1, q2, qo = (0.05, 3), (0.05, -2), (0.05, 1)
    a = _spec((256, 1), "int8", q1)
    b = _spec((1, 255), "int8", q2)
    flat_a, flat_b = _spec((256 * 255,), "int8", q1), _spec((256 * 255,), "int8", q2)
    tensors = [a, b, _spec((256, 255), "int8", qo), flat_a, flat_b, _spec((256 * 255,), "int8", qo)]
    ops = [OpSpec("DIV", [0, 1], [2]), OpSpec("DIV", [3, 4], [5])]
    model = build_model(tensors, ops, inputs=[0, 1, 3, 4], outputs=[2, 5])
    numerators = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    divisors = np.array([v for v in range(-128, 128) if v != q2[1]], dtype=np.int8).reshape(1, 255)
    pairs = np.broadcast_arrays(numerators, divisors)
    _check_model(model, lambda seed: [numerators, divisors, pairs[0].ravel(), pairs[1].ravel()], tmp_path)


def test_quantized_div_rejects_extreme_rescaling():
    q = (1.0, 0)
    tiny = _spec([3], "int8", (1e-6, 0))
    model = single_op_model("DIV", [_spec([3], "int8", q), tiny], [tiny])
    with pytest.raises(UnsupportedError, match="out of the range LiteRT's quantized DIV computes"):
        _check(model)


# ---------------------------------------------------------------------------------------------
# Unsupported variants


def _check(model: bytes) -> None:
    graph = read_tflite(model, "test.tflite")
    op = graph.operators[0]
    LOWERINGS_BY_OPCODE[op.opcode].check(op, graph)


@pytest.mark.parametrize(
    "opcode,dtype,match",
    [("DIV", "int64", "DIV.*one of float32, int8, int16, int32$"),
     ("FLOOR_DIV", "int64", "one of float32, int8, int16, int32$"),
     ("SQUARED_DIFFERENCE", "int16", "one of float32, int8, int32$"),
     ("ADD_N", "int8", "one of float32, int32$"),
     ("ADD", "bool", "int8 or int16 \\(per-tensor quantized\\), float32, int32 or int64"),
     ("MAXIMUM", "int32", "use int8 or int16 \\(per-tensor quantized\\) or float32")],
)
def test_unsupported_types(opcode, dtype, match):
    spec = _spec([3], dtype)
    with pytest.raises(UnsupportedError, match=match):
        _check(single_op_model(opcode, [spec, spec], [spec]))


def test_add_n_rejects_broadcast():
    with pytest.raises(UnsupportedError, match="ADD_N does not broadcast"):
        _check(single_op_model("ADD_N", [_spec([3], "float32"), _spec([2, 3], "float32")], [_spec([2, 3], "float32")]))


def test_prelu_rejects_alpha_larger_than_input():
    with pytest.raises(UnsupportedError, match="alpha"):
        _check(single_op_model("PRELU", [_spec([3], "float32"), _spec([2, 3], "float32")], [_spec([2, 3], "float32")]))
