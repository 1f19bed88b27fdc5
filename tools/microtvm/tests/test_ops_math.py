"""Unary math (ABS, NEG, CEIL, FLOOR, ROUND, SQRT, RSQRT, SQUARE, EXP, LOG, SIN, COS, ELU, GELU),
CAST, ZEROS_LIKE and FILL: our generated C against LiteRT.

Integer and bool outputs must equal LiteRT's byte for byte; float32 outputs agree within
1e-5 relative / 1e-6 absolute (ops.math.TRANSCENDENTAL_RTOL/_ATOL: the transcendental ones come
from the C library, LiteRT's from the host's libm or Eigen), and NaN where LiteRT gives NaN.

The reference is LiteRT's reference resolver (BUILTIN_REF), except for CEIL, ROUND and ELU,
which that resolver does not register: they are checked against the default resolver without
the XNNPACK delegate (BUILTIN_WITHOUT_DEFAULT_DELEGATES),
whose kernels for these three compute the same elementwise functions.

The int8 tables (computed in Python) are compared with LiteRT for all 256 inputs over a grid of
quantization parameters without any C build. Compiled models batch many operators and shapes
(ranks 1 to 5, size-1 dimensions) so that each C build serves a whole group, run with 3 seeds.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.ops import math as mmath
from microtvm_testing.host import build
from microtvm_testing.reference import random_array, run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

SEEDS = (0, 1, 2)
RTOL, ATOL = mmath.TRANSCENDENTAL_RTOL, mmath.TRANSCENDENTAL_ATOL
NOT_IN_REF_RESOLVER = {"CEIL", "ROUND", "ELU"}
ALL_INT8 = np.arange(-128, 128, dtype=np.int8)
SHAPES = [(7,), (2, 3, 4), (1, 5, 1, 3), (2, 1, 3, 1, 2)]

# ---------------------------------------------------------------------------------------------
# Helpers


def _reference(model: bytes, inputs: Sequence[np.ndarray], builtin: bool = False) -> list[np.ndarray]:
    if not builtin:
        return run_reference(model, inputs)
    resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(model_content=bytes(model), experimental_op_resolver_type=resolver,
                              num_threads=1)
    interpreter.allocate_tensors()
    for detail, value in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    return [np.array(interpreter.get_tensor(d["index"])) for d in interpreter.get_output_details()]


def _assert_same(ours: np.ndarray, theirs: np.ndarray, message: str = "") -> None:
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, message
    if theirs.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=message)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=message)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=message)


def _spec(shape, dtype: str, q: Optional[tuple[float, int]] = None, data=None) -> TensorSpec:
    if q is not None:
        return TensorSpec(list(shape), dtype, scale=q[0], zero_point=q[1], data=data)
    return TensorSpec(list(shape), dtype, data=data)


def _multi_op_model(ops: Sequence[tuple[str, dict]], dtype: str, q_in=None, q_out=None, out_dtype=None) -> bytes:
    """One graph input per shape in SHAPES; every operator applied to every input."""
    tensors = [_spec(shape, dtype, q_in) for shape in SHAPES]
    inputs = list(range(len(SHAPES)))
    op_specs, outputs = [], []
    for opcode, options in ops:
        for k, shape in enumerate(SHAPES):
            tensors.append(_spec(shape, out_dtype or dtype, q_out))
            op_specs.append(OpSpec(opcode, [k], [len(tensors) - 1], options))
            outputs.append(len(tensors) - 1)
    return build_model(tensors, op_specs, inputs=inputs, outputs=outputs)


def _check_model(model: bytes, inputs_for_seed, tmp_path, builtin: bool = False, seeds=SEEDS) -> None:
    host = build(model, tmp_path)
    for seed in seeds:
        inputs = inputs_for_seed(seed)
        expected = _reference(model, inputs, builtin)
        actual = host.run(inputs)
        for k, (ours, theirs) in enumerate(zip(actual, expected)):
            _assert_same(ours, theirs, f"seed {seed}, output {k}")


def _random(dtype: str, seed: int, scale: float = 1.0) -> list[np.ndarray]:
    arrays = []
    for k, shape in enumerate(SHAPES):
        a = random_array(shape, np.dtype(dtype), np.random.default_rng([seed, k]))
        arrays.append((a * np.float32(scale)).astype(dtype) if dtype == "float32" else a)
    return arrays


_FLOAT_SPECIALS = np.array(
    [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e-30, 100.0, -100.0, 1e30, np.inf, -np.inf, np.nan, 8388609.0],
    np.float32,
)


def _specials(seed: int) -> list[np.ndarray]:
    """Ties for ROUND, huge values, infinities and NaN, then random values spread widely."""
    rng = np.random.default_rng([seed, 99])
    result = []
    for shape in SHAPES:
        n = int(np.prod(shape))
        values = np.concatenate([_FLOAT_SPECIALS, (rng.standard_normal(n) * 10).astype(np.float32)])
        result.append(np.resize(np.roll(values, seed), shape).astype(np.float32))
    return result


def _graph_op(model: bytes):
    graph = read_tflite(model, "test.tflite")
    return graph, graph.operators[0]


def _check(model: bytes) -> None:
    graph, op = _graph_op(model)
    LOWERINGS_BY_OPCODE[op.opcode].check(op, graph)


# ---------------------------------------------------------------------------------------------
# int8 tables against LiteRT for every input byte (no C build)

_rng = np.random.default_rng(2025)
_QUANT = [(0.05, 3, 0.05, 3), (0.1, -128, 0.02, 5), (0.02, 5, 0.1, 127), (1.7, 0, 0.003, -100),
          (0.0001, 100, 0.5, -100), (3.0, 10, 0.01, -3), (0.5, 127, 0.5, -128)]
_QUANT += [(float(10 ** _rng.uniform(-3, 0.3)), int(_rng.integers(-128, 128)), float(10 ** _rng.uniform(-3, 0.3)),
            int(_rng.integers(-128, 128))) for _ in range(10)]


@pytest.mark.parametrize(
    "opcode,options",
    [("ABS", {}), ("SQRT", {}), ("RSQRT", {}), ("EXP", {}), ("LOG", {}), ("ELU", {}), ("GELU", {}),
     ("GELU", {"approximate": True})],
)
def test_int8_table_matches_litert_on_every_input(opcode, options):
    for s_in, z_in, s_out, z_out in _QUANT:
        # SQRT and RSQRT are only defined for inputs at or above the zero point (LiteRT fails
        # the invoke otherwise).
        x = np.arange(z_in, 128, dtype=np.int8) if opcode in ("SQRT", "RSQRT") else ALL_INT8
        model = single_op_model(
            opcode, [_spec([len(x)], "int8", (s_in, z_in))], [_spec([len(x)], "int8", (s_out, z_out))], options
        )
        graph, op = _graph_op(model)
        LOWERINGS_BY_OPCODE[opcode].check(op, graph)
        expected = _reference(model, [x], builtin=opcode in NOT_IN_REF_RESOLVER)[0]
        table = mmath.unary_table(op, graph)
        message = f"{opcode} {s_in} {z_in} {s_out} {z_out}"
        np.testing.assert_array_equal(table[x.astype(int) + 128], expected, err_msg=message)


def test_inverse_sqrt_multiplier_edge_values():
    """value <= 1 and values large enough to need the /4 loop."""
    assert mmath.inv_sqrt_multiplier_exp(0, -1) == ((1 << 31) - 1, 0)
    assert mmath.inv_sqrt_multiplier_exp(1, -1) == ((1 << 31) - 1, 0)
    m, s = mmath.inv_sqrt_multiplier_exp(1 << 30, -1)
    assert abs(m * 2.0 ** (s - 31) - 2.0 ** -15) < 1e-9


# ---------------------------------------------------------------------------------------------
# Compiled: float32

_F32_REF_OPS = [("ABS", {}), ("NEG", {}), ("FLOOR", {}), ("SQRT", {}), ("RSQRT", {}), ("SQUARE", {}), ("EXP", {}),
                ("LOG", {}), ("SIN", {}), ("COS", {}), ("GELU", {}), ("GELU", {"approximate": True})]
_F32_BUILTIN_OPS = [("CEIL", {}), ("ROUND", {}), ("ELU", {})]


@pytest.mark.parametrize("ops,builtin", [(_F32_REF_OPS, False), (_F32_BUILTIN_OPS, True)], ids=["ref", "builtin"])
def test_float32_unary(ops, builtin, tmp_path):
    model = _multi_op_model(ops, "float32")
    host = build(model, tmp_path)
    for seed in SEEDS:
        for inputs in (_random("float32", seed), _specials(seed)):
            expected = _reference(model, inputs, builtin)
            for k, (ours, theirs) in enumerate(zip(host.run(inputs), expected)):
                _assert_same(ours, theirs, f"seed {seed}, output {k} ({ops[k // len(SHAPES)][0]})")


# ---------------------------------------------------------------------------------------------
# Compiled: int8 (tables) and integers


def test_int8_unary(tmp_path):
    q_in, q_out = (0.06, -20), (0.05, 10)
    model = _multi_op_model(
        [("ABS", {}), ("EXP", {}), ("LOG", {}), ("GELU", {}), ("SQRT", {}), ("RSQRT", {})], "int8", q_in, q_out
    )
    # Every byte, and nothing below the input zero point for SQRT/RSQRT (see the table test).
    def inputs(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [rng.integers(-20, 128, size=shape, dtype=np.int8) for shape in SHAPES]

    _check_model(model, inputs, tmp_path)


def test_int8_elu(tmp_path):
    model = _multi_op_model([("ELU", {})], "int8", (0.03, 5), (0.02, 60))
    _check_model(model, lambda seed: _random("int8", seed), tmp_path, builtin=True)


@pytest.mark.parametrize(
    "dtype,ops,q",
    [("int8", [("NEG", {})], (0.1, 3)), ("int16", [("ABS", {}), ("NEG", {})], None),
     ("int32", [("ABS", {}), ("NEG", {})], None), ("int64", [("NEG", {})], None)],
)
def test_integer_unary(dtype, ops, q, tmp_path):
    model = _multi_op_model(ops, dtype, q, q)
    lo = np.iinfo(dtype).min

    def inputs(seed: int) -> list[np.ndarray]:
        arrays = _random(dtype, seed)
        for a in arrays:
            a.reshape(-1)[0] = lo  # the value that wraps
        return arrays

    _check_model(model, inputs, tmp_path)


# ---------------------------------------------------------------------------------------------
# int16 (quantized): tables against LiteRT on all 65536 inputs (no C build), then compiled

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
_QUANT16 = [(0.0003, 0.01), (0.0001, 0.0001), (0.01, 0.0002), (0.005, 0.02), (1.0, 0.5), (3e-6, 2e-5)]


def _lut_lookup_s16(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """TFLite's LUTLookup on int16 (what runtime/src/math_lut_s16.c computes)."""
    v = values.astype(np.int64)
    index = 256 + (v >> 7)
    base = table[index].astype(np.int64)
    slope = (table[index + 1].astype(np.int64) - base + 32768) % 65536 - 32768
    return ((base + ((slope * (v & 0x7F) + 64) >> 7) + 32768) % 65536 - 32768).astype(np.int16)


@pytest.mark.parametrize(
    "opcode,options", [("EXP", {}), ("LOG", {}), ("RSQRT", {}), ("GELU", {}), ("GELU", {"approximate": True})]
)
def test_int16_table_matches_litert_on_every_input(opcode, options):
    for k, (s_in, s_out) in enumerate(_QUANT16):
        # GELU takes any zero points (LiteRT's table only uses the output's through its range).
        z_in, z_out = ((-300 * k, 17 * k) if opcode == "GELU" else (0, 0))
        # RSQRT fails the invoke on negative inputs.
        x = ALL_INT16[32768:] if opcode == "RSQRT" else ALL_INT16
        model = single_op_model(
            opcode, [_spec([len(x)], "int16", (s_in, z_in))], [_spec([len(x)], "int16", (s_out, z_out))], options
        )
        graph, op = _graph_op(model)
        LOWERINGS_BY_OPCODE[opcode].check(op, graph)
        expected = _reference(model, [x])[0]
        actual = _lut_lookup_s16(x, mmath.int16_table(op, graph))
        np.testing.assert_array_equal(actual, expected, err_msg=f"{opcode} {s_in} {z_in} {s_out} {z_out}")


_INT16_CASES = [
    # (operators, input quantization, output quantization, non-negative inputs only)
    ([("EXP", {}), ("GELU", {}), ("GELU", {"approximate": True}), ("LOG", {}), ("ABS", {}), ("NEG", {})],
     (0.0004, 0), (0.002, 0), False),
    ([("SQRT", {}), ("RSQRT", {}), ("LOG", {}), ("ABS", {})], (0.01, 0), (0.001, 0), True),
    ([("ABS", {}), ("SQRT", {})], (0.001, 0), (0.001, 0), True),
    ([("SQRT", {})], (1.0, 0), (1e-8, 0), True),  # quotients beyond 2^31 (x86's integer indefinite)
]


@pytest.mark.parametrize("case", range(len(_INT16_CASES)))
def test_int16_quantized_unary(case, tmp_path):
    ops, q_in, q_out, non_negative = _INT16_CASES[case]
    model = _multi_op_model(ops, "int16", q_in, q_out)

    def inputs(seed: int) -> list[np.ndarray]:
        arrays = _random("int16", seed)
        for a in arrays:
            flat = a.reshape(-1)
            flat[:3] = [-32768, 0, 32767][: flat.size]
            if non_negative:
                flat[:] = np.abs(flat.astype(np.int32)).clip(0, 32767)
        return arrays

    _check_model(model, inputs, tmp_path)


# ---------------------------------------------------------------------------------------------
# CAST

_CAST_TYPES = ["float32", "int8", "uint8", "int16", "int32", "int64", "bool"]
_TFLITE_TYPE = {"float32": "FLOAT32", "int8": "INT8", "uint8": "UINT8", "int16": "INT16", "int32": "INT32",
                "int64": "INT64", "bool": "BOOL"}


def _cast_inputs(seed: int, shape) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, 7])
    n = int(np.prod(shape))
    floats = np.concatenate([
        np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2147483520.0, 2147483648.0, -2147483648.0, 1e19, -1e19,
                  9.2233715e18, 127.9, -128.9, 255.5, -0.9, 0.9, 32767.5, -32768.7, 0.0, -0.0], np.float32),
        (rng.standard_normal(n) * 10.0 ** rng.integers(0, 6, n)).astype(np.float32),
    ])
    ints = np.concatenate([np.array([-(1 << 63), (1 << 63) - 1, -(1 << 31), (1 << 31) - 1, 65535, -32769, 255, 256,
                                     -1, 0, 1, 16777217], np.int64),
                           rng.integers(-(1 << 40), 1 << 40, n, dtype=np.int64)])
    result = []
    for dtype in _CAST_TYPES:
        if dtype == "float32":
            a = floats
        elif dtype == "bool":
            a = rng.integers(0, 2, n).astype(bool)
        else:
            a = ints.astype(dtype)  # wraps: every bit pattern width gets extreme values
        result.append(np.resize(np.roll(a, seed), shape).astype(dtype))
    return result


def test_cast_every_pair(tmp_path):
    shape = (3, 1, 16)
    tensors = [_spec(shape, dtype) for dtype in _CAST_TYPES]
    ops, outputs = [], []
    for k, src in enumerate(_CAST_TYPES):
        for dst in _CAST_TYPES:
            tensors.append(_spec(shape, dst))
            options = {"in_data_type": _TFLITE_TYPE[src], "out_data_type": _TFLITE_TYPE[dst]}
            ops.append(OpSpec("CAST", [k], [len(tensors) - 1], options))
            outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=list(range(len(_CAST_TYPES))), outputs=outputs)
    _check_model(model, lambda seed: _cast_inputs(seed, shape), tmp_path)


# ---------------------------------------------------------------------------------------------
# ZEROS_LIKE and FILL


def test_zeros_like_and_fill(tmp_path):
    tensors, ops, outputs = [], [], []
    # ZEROS_LIKE of three types (graph inputs 0..2).
    for dtype, shape in (("float32", (2, 3)), ("int32", (5,)), ("int64", (1, 2, 1, 2, 3))):
        tensors.append(_spec(shape, dtype))
    inputs = [0, 1, 2]
    for k in range(3):
        tensors.append(_spec(tensors[k].shape, tensors[k].dtype))
        ops.append(OpSpec("ZEROS_LIKE", [k], [len(tensors) - 1]))
        outputs.append(len(tensors) - 1)
    # FILL with a runtime value (graph input) and with constant values of every type.
    tensors.append(_spec((), "float32"))
    inputs.append(len(tensors) - 1)
    runtime_value = len(tensors) - 1
    fills = [(runtime_value, "float32", (2, 1, 3))]
    for dtype, value in (("float32", -1.5), ("int8", -7), ("int16", 300), ("int32", -70000), ("int64", 1 << 40),
                         ("bool", True)):
        tensors.append(_spec((), dtype, data=np.array(value, dtype=dtype)))
        fills.append((len(tensors) - 1, dtype, (3, 2)))
    for value_index, dtype, shape in fills:
        tensors.append(_spec((len(shape),), "int32", data=np.array(shape, np.int32)))
        dims_index = len(tensors) - 1
        tensors.append(_spec(shape, dtype))
        ops.append(OpSpec("FILL", [dims_index, value_index], [len(tensors) - 1]))
        outputs.append(len(tensors) - 1)
    model = build_model(tensors, ops, inputs=inputs, outputs=outputs)

    def make_inputs(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [rng.standard_normal((2, 3)).astype(np.float32), rng.integers(-9, 9, (5,), dtype=np.int32),
                rng.integers(-9, 9, (1, 2, 1, 2, 3)).astype(np.int64), np.array(rng.standard_normal(), np.float32)]

    _check_model(model, make_inputs, tmp_path)


# ---------------------------------------------------------------------------------------------
# Unsupported variants: a clear sentence naming what is supported


@pytest.mark.parametrize(
    "opcode,dtype,match",
    [("SIN", "int8", "int8 tensors are not supported; supported: float32"),
     ("SQUARE", "int32", "supported: float32"),
     ("ABS", "int64", "supported: float32, int8, int16, int32"),
     ("EXP", "int32", "supported: float32, int8"),
     ("NEG", "bool", "supported: float32, int8, int16, int32, int64")],
)
def test_unsupported_types(opcode, dtype, match):
    q = (0.1, 0) if dtype == "int8" else None
    with pytest.raises(UnsupportedError, match=match):
        _check(single_op_model(opcode, [_spec([2, 3], dtype, q)], [_spec([2, 3], dtype, q)]))


def test_unsupported_int16_quantized():
    spec = _spec([4], "int16", (0.001, 3))
    with pytest.raises(UnsupportedError, match="LiteRT's int16 ABS requires zero points 0"):
        _check(single_op_model("ABS", [spec], [spec]))
    with pytest.raises(UnsupportedError, match="int16 EXP needs quantized"):
        _check(single_op_model("EXP", [_spec([4], "int16")], [_spec([4], "int16")]))
    with pytest.raises(UnsupportedError, match="both be quantized, or neither"):
        _check(single_op_model("ABS", [_spec([4], "int16", (0.001, 0))], [_spec([4], "int16")]))


def test_unsupported_cast_type():
    with pytest.raises(UnsupportedError, match="CAST.*float16.*supported types: float32, int8"):
        _check(single_op_model("CAST", [_spec([4], "float16")], [_spec([4], "float32")]))


def test_unsupported_mixed_types():
    with pytest.raises(UnsupportedError, match="differs from output type"):
        _check(single_op_model("EXP", [_spec([4], "float32")], [_spec([4], "int8", (0.1, 0))]))


def test_fill_value_type_mismatch():
    dims = _spec([1], "int32", data=np.array([4], np.int32))
    value = _spec([], "int32", data=np.array(3, np.int32))
    with pytest.raises(UnsupportedError, match="FILL.*filling float32 with a int32 value"):
        _check(single_op_model("FILL", [dims, value], [_spec([4], "float32")]))


def test_lowerings_declare_dtypes():
    for opcode in (*mmath.UNARY_DTYPES, "CAST", "ZEROS_LIKE", "FILL"):
        assert LOWERINGS_BY_OPCODE[opcode].dtypes
