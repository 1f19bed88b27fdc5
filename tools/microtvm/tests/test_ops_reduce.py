"""AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SOFTMAX, LOGISTIC, TANH: our generated C against LiteRT's
reference kernels (BUILTIN_REF), int8 byte for byte and float32 within 1e-5 / 1e-6.

Each case is a one-operator model built with our TFLite writer, compiled with our pipeline and
built for the host with sanitizers (microtvm_testing.host). The grids pick points that change
the arithmetic: SAME/VALID padding with odd and even sizes (asymmetric padding, partial windows
at the borders), strides and filters of different heights and widths, every fused activation,
MEAN over every kind of axis set with and without keep_dims and with equal or different scales,
softmax scales from near-uniform to saturating, and the unary functions over all 256 int8 values.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest
from microtvm.errors import UnsupportedError, UserError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.ops import lut
from microtvm.ops import elementwise as elementwise_ops
from microtvm.ops import reduce as reduce_ops
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import TensorSpec, single_op_model

# ---------------------------------------------------------------------------------------------
# Helpers


def _spec(shape: tuple[int, ...], dtype: str, q: Optional[tuple[float, int]]) -> TensorSpec:
    if dtype == "int8":
        assert q is not None
        return TensorSpec(shape, dtype, scale=q[0], zero_point=q[1])
    return TensorSpec(shape, dtype)


def _assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if theirs.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(ours, theirs)


def _matches_on(model: bytes, inputs: list[np.ndarray], workdir: Path) -> None:
    """Our C and LiteRT on hand-picked inputs (random ones rarely hit ties and edges)."""
    _assert_same(build(model, workdir).run(inputs)[0], run_reference(model, inputs)[0])


def _dims(values: tuple[int, ...]) -> str:
    return "x".join(map(str, values))


def _graph(model: bytes):
    return read_tflite(model, "test.tflite")


# ---------------------------------------------------------------------------------------------
# Pools

# (opcode, dtype, input NHWC, filter HxW, stride HxW, padding, activation, (input q, output q))
_Q = (0.1, 3)
POOL_CASES = [
    # odd/even sizes: SAME pads asymmetrically, border windows hold 4, 6 or 9 cells
    ("AVERAGE_POOL_2D", "int8", (1, 7, 6, 3), (3, 3), (2, 2), "SAME", "NONE", (_Q, _Q)),
    ("AVERAGE_POOL_2D", "int8", (2, 6, 7, 2), (2, 3), (1, 2), "VALID", "RELU6", ((0.05, -4), (0.05, -4))),
    # window larger than stride: every border count from 4 to 16 (rounding of many divisors)
    ("AVERAGE_POOL_2D", "int8", (1, 5, 5, 4), (4, 4), (1, 1), "SAME", "RELU", ((0.02, 10), (0.02, 10))),
    # global average pool as in KWS/VWW/ResNet, clamped to [-1, 1]
    ("AVERAGE_POOL_2D", "int8", (1, 7, 7, 8), (7, 7), (1, 1), "VALID", "RELU_N1_TO_1", ((0.01, -5), (0.01, -5))),
    # filter larger than the input: every window is clipped on several sides
    ("AVERAGE_POOL_2D", "int8", (1, 3, 3, 5), (5, 5), (1, 1), "SAME", "NONE", ((0.2, -1), (0.2, -1))),
    # stride larger than the filter; SAME with no padding needed
    ("AVERAGE_POOL_2D", "int8", (1, 5, 5, 2), (1, 1), (3, 3), "SAME", "NONE", (_Q, _Q)),
    # LiteRT ignores a difference between input and output quantization: so do we
    ("AVERAGE_POOL_2D", "int8", (1, 4, 4, 3), (2, 2), (2, 2), "VALID", "RELU", ((0.1, 3), (0.05, -3))),
    ("MAX_POOL_2D", "int8", (1, 8, 8, 3), (3, 3), (2, 2), "SAME", "RELU6", ((0.03, -10), (0.03, -10))),
    ("MAX_POOL_2D", "int8", (2, 5, 5, 4), (2, 2), (2, 2), "VALID", "NONE", (_Q, _Q)),
    ("MAX_POOL_2D", "int8", (1, 4, 6, 2), (5, 3), (1, 2), "SAME", "RELU_N1_TO_1", ((0.02, 0), (0.02, 0))),
    ("MAX_POOL_2D", "int8", (1, 6, 5, 2), (2, 2), (1, 1), "SAME", "RELU", ((0.1, 20), (0.1, 20))),
    ("AVERAGE_POOL_2D", "float32", (1, 7, 6, 3), (3, 3), (2, 2), "SAME", "RELU6", None),
    ("AVERAGE_POOL_2D", "float32", (2, 5, 6, 2), (2, 3), (1, 1), "VALID", "NONE", None),
    ("AVERAGE_POOL_2D", "float32", (1, 4, 4, 2), (3, 3), (1, 1), "SAME", "RELU_N1_TO_1", None),
    ("MAX_POOL_2D", "float32", (1, 7, 7, 3), (3, 2), (2, 1), "SAME", "RELU", None),
    ("MAX_POOL_2D", "float32", (2, 6, 6, 2), (3, 3), (3, 3), "VALID", "RELU_N1_TO_1", None),
    ("MAX_POOL_2D", "float32", (1, 5, 4, 3), (2, 2), (2, 2), "SAME", "NONE", None),
]


def _pool_model(opcode: str, dtype: str, shape, filt, stride, padding: str, activation: str, q) -> bytes:
    n, h, w, c = shape

    def out_size(size: int, f: int, s: int) -> int:
        return (size + s - 1) // s if padding == "SAME" else (size + s - f) // s

    out_shape = (n, out_size(h, filt[0], stride[0]), out_size(w, filt[1], stride[1]), c)
    options = {
        "padding": padding, "stride_h": stride[0], "stride_w": stride[1],
        "filter_height": filt[0], "filter_width": filt[1], "fused_activation_function": activation,
    }
    in_q, out_q = q if q else (None, None)
    return single_op_model(opcode, [_spec(shape, dtype, in_q)], [_spec(out_shape, dtype, out_q)], options)


def _pool_id(c: tuple) -> str:
    opcode, dtype, shape, filt, stride, padding, activation, _ = c
    return f"{opcode}-{dtype}-{_dims(shape)}-f{_dims(filt)}-s{_dims(stride)}-{padding}-{activation}"


@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
def test_pool_matches_reference(case: tuple, tmp_path: Path) -> None:
    assert_matches_reference(_pool_model(*case), workdir=tmp_path)


def test_average_pool_int8_rounds_halves_away_from_zero(tmp_path: Path) -> None:
    # Windows of 2 and 4 cells whose sums are odd: +-0.5 and +-0.25/0.75 remainders.
    model = _pool_model("AVERAGE_POOL_2D", "int8", (1, 2, 8, 1), (2, 2), (2, 2), "VALID", "NONE", (_Q, _Q))
    x = np.array([[1, 2, -1, -2, 127, 126, -128, -127], [0, 0, 0, -1, 127, 127, -128, -128]], np.int8)
    _matches_on(model, [x.reshape(1, 2, 8, 1)], tmp_path)


def test_pool_macs_count_window_cells() -> None:
    model = _pool_model("MAX_POOL_2D", "int8", (1, 8, 8, 3), (3, 3), (2, 2), "SAME", "NONE", (_Q, _Q))
    graph = _graph(model)
    assert LOWERINGS_BY_OPCODE["MAX_POOL_2D"].macs(graph.operators[0], graph) == 4 * 4 * 3 * 9


# ---------------------------------------------------------------------------------------------
# MEAN

# (dtype, input shape, axes, keep_dims, (input q, output q))
MEAN_CASES = [
    ("int8", (1, 7, 7, 16), (1, 2), True, ((0.05, 3), (0.05, 3))),      # global pool, equal quantization
    ("int8", (1, 5, 7, 3), (2, 1), False, ((0.05, -7), (0.02, 10))),    # reversed axes, different scales
    ("int8", (2, 3, 4, 5), (3,), False, ((0.1, 0), (0.3, -5))),         # innermost axis
    ("int8", (2, 3, 4, 5), (0, 2), True, ((0.02, 5), (0.02, 5))),       # non-adjacent axes
    ("int8", (2, 3, 4, 5), (-1, 1, -3), False, ((0.04, -2), (0.03, 1))),  # negative and duplicate axes
    ("int8", (6, 7), (0,), True, ((0.1, 4), (0.1, 4))),                 # rank 2, outermost axis
    ("int8", (2, 3, 4, 5), (0, 1, 2, 3), True, ((0.05, 3), (0.01, -20))),  # everything
    ("int8", (2, 3, 4), (0, 1, 2), False, ((0.05, 3), (0.01, -20))),       # everything, rank-0 output
    ("int8", (4, 5, 6), (0, 2), False, ((0.05, 0), (0.05, 0))),         # kept axis in the middle
    ("int8", (1, 64, 3), (1,), True, ((0.5, 1), (0.1, -1))),           # count 2^6, multiplier > 1
    ("int8", (2, 300), (1,), False, ((3e-9, 0), (1.0, 0))),            # tiny ratio: shift clamped at -31
    ("float32", (1, 7, 7, 8), (1, 2), True, None),
    ("float32", (2, 3, 4, 5), (0, 3), False, None),
    ("float32", (6, 7), (-1,), False, None),
    ("float32", (2, 3, 4), (0, 1, 2), False, None),
]


def _mean_model(dtype: str, shape, axes, keep_dims: bool, q) -> bytes:
    out_shape = np.zeros(shape).sum(axis=tuple({a % len(shape) for a in axes}), keepdims=keep_dims).shape
    in_q, out_q = q if q else (None, None)
    axis = TensorSpec((len(axes),), "int32", data=np.array(axes, np.int32))
    inputs = [_spec(shape, dtype, in_q), axis]
    return single_op_model("MEAN", inputs, [_spec(out_shape, dtype, out_q)], {"keep_dims": keep_dims})


def _mean_id(c: tuple) -> str:
    dtype, shape, axes, keep_dims, _ = c
    return f"{dtype}-{_dims(shape)}-axes{'_'.join(map(str, axes))}-keep{int(keep_dims)}"


@pytest.mark.parametrize("case", MEAN_CASES, ids=_mean_id)
def test_mean_matches_reference(case: tuple, tmp_path: Path) -> None:
    assert_matches_reference(_mean_model(*case), workdir=tmp_path)


def test_mean_int8_rounding_ties(tmp_path: Path) -> None:
    # Sums that sit exactly half-way between two outputs, positive and negative.
    model = _mean_model("int8", (4, 2), (1,), False, ((0.1, 0), (0.1, 0)))
    _matches_on(model, [np.array([[1, 2], [-1, -2], [3, 0], [-3, 0]], np.int8)], tmp_path)


# ---------------------------------------------------------------------------------------------
# SOFTMAX

# (dtype, shape, beta, input q)
SOFTMAX_CASES = [
    ("int8", (1, 10), 1.0, (0.1, 0)),
    ("int8", (2, 3, 12), 1.0, (0.05, -20)),
    ("int8", (4, 37), 1.0, (1.0, 5)),       # saturating: mostly one-hot
    ("int8", (3, 17), 0.5, (0.003, 0)),     # near uniform
    ("int8", (2, 20), 10.0, (4.0, 0)),      # beta * scale large: multiplier capped at 2^31 - 1
    ("int8", (1, 1000), 1.0, (0.1, -3)),    # long rows: large sums of exponentials
    ("float32", (1, 10), 1.0, None),
    ("float32", (3, 4, 17), 0.5, None),
    ("float32", (2, 33), 2.5, None),
]


def _softmax_model(dtype: str, shape, beta: float, q) -> bytes:
    out_q = (1.0 / 256, -128)
    return single_op_model("SOFTMAX", [_spec(shape, dtype, q)], [_spec(shape, dtype, out_q)], {"beta": beta})


@pytest.mark.parametrize("case", SOFTMAX_CASES, ids=lambda c: f"{c[0]}-{_dims(c[1])}-beta{c[2]}-q{c[3]}")
def test_softmax_matches_reference(case: tuple, tmp_path: Path) -> None:
    assert_matches_reference(_softmax_model(*case), workdir=tmp_path)


def test_softmax_int8_ties_and_constant_rows(tmp_path: Path) -> None:
    model = _softmax_model("int8", (4, 300), 1.0, (0.05, 0))
    x = np.random.default_rng(7).integers(-128, 128, size=(4, 300), dtype=np.int8)
    x[0, :] = 17                      # constant row: every output 1/300
    x[1, :200] = 127                  # 200 ties at the maximum: a large sum
    x[2, :] = -128
    x[2, 5] = 127                     # one element far above the others: one-hot
    _matches_on(model, [x], tmp_path)


def test_softmax_exp_table_matches_tflite_at_known_points() -> None:
    # exp(0) is 1 (saturated Q0.31); exp(-x) decreases; scale 0.1 * beta 1 puts d = 10 at exp(-1).
    table = reduce_ops._softmax_exp_table(1.0, 0.1)
    assert table[0] == 2**31 - 1
    assert np.all(np.diff(table.astype(np.int64)) <= 0)
    assert abs(table[10] / 2**31 - np.exp(-1.0)) < 1e-6


# ---------------------------------------------------------------------------------------------
# LOGISTIC, TANH

# (opcode, input q, output q): output q is fixed for LOGISTIC by TFLite (scale 1/256), but its
# zero point and everything about TANH's output are free in the reference kernels.
UNARY_INT8_CASES = [
    ("LOGISTIC", (0.1, 0), (1 / 256, -128)),
    ("LOGISTIC", (0.02, -128), (1 / 256, -128)),
    ("LOGISTIC", (1 / 16, 127), (1 / 256, -128)),
    ("LOGISTIC", (0.5, 17), (1 / 256, -100)),
    ("TANH", (0.1, 0), (1 / 128, 0)),
    ("TANH", (0.003, -50), (1 / 128, 0)),
    ("TANH", (1.3, 3), (1 / 128, 0)),
    ("TANH", (0.05, 10), (0.01, 5)),
]

ALL_INT8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)


@pytest.mark.parametrize("case", UNARY_INT8_CASES, ids=lambda c: f"{c[0]}-in{c[1]}-out{c[2]}")
def test_unary_int8_all_values_match_reference(case: tuple, tmp_path: Path) -> None:
    opcode, in_q, out_q = case
    model = single_op_model(opcode, [_spec((1, 256), "int8", in_q)], [_spec((1, 256), "int8", out_q)])
    _matches_on(model, [ALL_INT8], tmp_path)


def test_unary_int8_tables_match_reference_for_many_quantizations() -> None:
    # The generation-time tables alone (no C build), for 40 random input quantizations per op.
    rng = np.random.default_rng(3)
    for opcode, out_q in (("LOGISTIC", (1 / 256, -128)), ("TANH", (1 / 128, 0))):
        function = elementwise_ops.SIGMOID_FUNCTIONS[opcode]
        for _ in range(40):
            in_q = (float(np.float32(rng.uniform(0.001, 2.0))), int(rng.integers(-128, 128)))
            model = single_op_model(opcode, [_spec((1, 256), "int8", in_q)], [_spec((1, 256), "int8", out_q)])
            expected = run_reference(model, [ALL_INT8])[0].reshape(-1)
            table = lut.lut_populate_int8(in_q[0], in_q[1], out_q[0], out_q[1], function)
            np.testing.assert_array_equal(table, expected, err_msg=f"{opcode} input quantization {in_q}")


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_unary_float_matches_reference(opcode: str, tmp_path: Path) -> None:
    # Random normals plus the regions where the reference switches formulas or saturates.
    edges = [-120.0, -95.0, -50.0, -20.0, -9.5, -9.0, -8.9, -1e-3, 0.0, 1e-3, 8.0, 16.5, 16.7, 20.0, 95.0]
    x = np.concatenate([np.random.default_rng(5).standard_normal(49) * 3, edges]).astype(np.float32).reshape(4, 16)
    model = single_op_model(opcode, [TensorSpec((4, 16), "float32")], [TensorSpec((4, 16), "float32")])
    _matches_on(model, [x], tmp_path)


# ---------------------------------------------------------------------------------------------
# What is not supported is refused with a clear message


def _check(model: bytes) -> None:
    graph = _graph(model)
    op = graph.operators[0]
    LOWERINGS_BY_OPCODE[op.opcode].check(op, graph)


_POOL_OPTIONS: dict[str, Any] = {"padding": "VALID", "filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2}


def _op_model(opcode: str, inp: TensorSpec, out: TensorSpec, options: Optional[dict[str, Any]] = None) -> bytes:
    return single_op_model(opcode, [inp], [out], options)


REJECTED = [
    (
        "uint8 pool",
        _op_model("AVERAGE_POOL_2D", TensorSpec((1, 4, 4, 1), "uint8", 0.1, 0), TensorSpec((1, 2, 2, 1), "uint8", 0.1, 0),
               _POOL_OPTIONS),
        "uint8",
    ),
    (
        "uint8 mean",
        single_op_model(
            "MEAN", [TensorSpec((1, 4), "uint8", 0.1, 128), TensorSpec((1,), "int32", data=np.array([1], np.int32))],
            [TensorSpec((1,), "uint8", 0.1, 128)], {"keep_dims": False},
        ),
        "uint8",
    ),
    (
        "hybrid softmax",
        _op_model("SOFTMAX", TensorSpec((1, 4), "float32"), TensorSpec((1, 4), "int8", 1 / 256, -128), {"beta": 1.0}),
        "hybrid",
    ),
    (
        "int8 softmax to int16",
        _op_model("SOFTMAX", TensorSpec((1, 4), "int8", 0.1, 0), TensorSpec((1, 4), "int16", 1 / 32768, 0), {"beta": 1.0}),
        "int16",
    ),
    (
        "softmax output zero point",
        _op_model("SOFTMAX", TensorSpec((1, 4), "int8", 0.1, 0), TensorSpec((1, 4), "int8", 1 / 256, 0), {"beta": 1.0}),
        "zero point -128",
    ),
    (
        "logistic output scale",
        _op_model("LOGISTIC", TensorSpec((1, 4), "int8", 0.1, 0), TensorSpec((1, 4), "int8", 1 / 128, -128)),
        "1/256",
    ),
    (
        "pool fused tanh",
        _op_model("MAX_POOL_2D", TensorSpec((1, 4, 4, 1), "float32"), TensorSpec((1, 2, 2, 1), "float32"),
               {**_POOL_OPTIONS, "fused_activation_function": "TANH"}),
        "RELU6",
    ),
    (
        "mean with variable axes",
        single_op_model(
            "MEAN", [TensorSpec((2, 4), "float32"), TensorSpec((1,), "int32")], [TensorSpec((2,), "float32")],
            {"keep_dims": False},
        ),
        "constant",
    ),
]


@pytest.mark.parametrize("name,model,phrase", REJECTED, ids=[r[0] for r in REJECTED])
def test_unsupported_cases_are_refused(name: str, model: bytes, phrase: str) -> None:
    with pytest.raises(UnsupportedError, match=phrase) as info:
        _check(model)
    assert isinstance(info.value, UserError)
