"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED against LiteRT's reference kernels.

Single-operator models (our own TFLite writer) are compiled to C, built with sanitizers and run;
int8 outputs must equal LiteRT's BUILTIN_REF kernels byte for byte, float32 within 1e-5/1e-6.

Rounding used by the int8 kernels (as LiteRT 2.3.0's reference kernels do):
- CONV_2D and DEPTHWISE_CONV_2D round twice: a q31 multiplier and shift per output channel,
  applied with MultiplyByQuantizedMultiplier (rounding doubling high multiply, then rounding
  right shift).
- FULLY_CONNECTED rounds once: std::round(acc * (input_scale * filter_scale / output_scale))
  in double. TFLite Micro rounds twice here and differs by one on rare ties;
  test_fully_connected_rounds_once shows a model where the two disagree and we follow LiteRT.
- Fused activation bounds are real bounds divided by the output scale in float32, rounded half
  away from zero (test_relu6_bound_uses_float32_division).

Grids cover: SAME/VALID, strides 1-2 (also unequal), dilations 1-2, all four activations,
per-tensor and per-channel weights, bias or none, odd sizes and channel counts that are not
multiples of 4, grouped convolution, depth multipliers 1-3, batches > 1, FULLY_CONNECTED with
inputs of rank 2-4 and keep_num_dims, awkward scales and non-zero zero points.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pytest

from microtvm import quant
from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError, UserError
from microtvm.frontend import read_tflite
from microtvm.ops import conv
from microtvm.testing.host import assert_matches_reference, build, run_compiled
from microtvm.testing.reference import random_inputs, run_reference
from microtvm.testing.tflite_writer import TensorSpec, single_op_model

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"
LOWERING = {lowering.opcode: lowering for lowering in conv.LOWERINGS}
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


# ---- model builders ------------------------------------------------------------------------------


def out_size(padding: str, size: int, filt: int, stride: int, dilation: int) -> int:
    effective = (filt - 1) * dilation + 1
    return -(-size // stride) if padding == "SAME" else (size - effective) // stride + 1


def int8_weights(rng: np.random.Generator, shape: Sequence[int], channels: int, axis: int,
                 per_channel: bool, scales: Optional[Sequence[float]] = None) -> TensorSpec:
    data = rng.integers(-127, 128, size=tuple(shape)).astype(np.int8)
    if scales is None:
        scales = list(rng.uniform(0.002, 0.03, channels)) if per_channel else float(rng.uniform(0.002, 0.03))
    zero_points = [0] * channels if per_channel else 0
    return TensorSpec(list(shape), "int8", scales, zero_points, axis, data=data)


def int32_bias(rng: np.random.Generator, channels: int, input_scale: float, weights: TensorSpec,
               magnitude: int = 20000) -> TensorSpec:
    """Bias quantized with scale input_scale * weight_scale, as the converter writes it."""
    w_scales = weights.scale if isinstance(weights.scale, list) else [weights.scale]
    scales = [float(np.float32(input_scale) * np.float32(s)) for s in w_scales]
    data = rng.integers(-magnitude, magnitude + 1, size=channels).astype(np.int32)
    return TensorSpec([channels], "int32", scales if len(scales) > 1 else scales[0],
                      [0] * len(scales) if len(scales) > 1 else 0, data=data)


def output_scale(input_scale: float, weights: TensorSpec, taps: int) -> float:
    """An output scale that spreads a random dot product of `taps` terms over the int8 range."""
    w_scale = float(np.mean(weights.scale))
    return input_scale * w_scale * 74.0 * 74.0 * np.sqrt(taps) / 40.0


def window_model(opcode: str, dtype: str, *, hw: tuple[int, int], channels: int, out_channels: int,
                 kernel: tuple[int, int], stride: tuple[int, int] = (1, 1),
                 dilation: tuple[int, int] = (1, 1), padding: str = "SAME", activation: str = "NONE",
                 per_channel: bool = True, bias: bool = True, batches: int = 1, groups: int = 1,
                 zero_points: tuple[int, int] = (5, -11), input_scale: float = 0.0473,
                 weight_scales: Optional[Sequence[float]] = None, seed: int = 0) -> bytes:
    """A CONV_2D or DEPTHWISE_CONV_2D model with random weights and bias."""
    rng = np.random.default_rng(seed)
    depthwise = opcode == "DEPTHWISE_CONV_2D"
    fh, fw = kernel
    if depthwise:
        w_shape, axis, taps = [1, fh, fw, out_channels], 3, fh * fw
    else:
        w_shape, axis, taps = [out_channels, fh, fw, channels // groups], 0, fh * fw * channels // groups
    oh = out_size(padding, hw[0], fh, stride[0], dilation[0])
    ow = out_size(padding, hw[1], fw, stride[1], dilation[1])
    in_shape, out_shape = [batches, *hw, channels], [batches, oh, ow, out_channels]
    options: dict[str, Any] = {
        "padding": padding, "stride_h": stride[0], "stride_w": stride[1],
        "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
        "fused_activation_function": activation,
    }
    if depthwise:
        options["depth_multiplier"] = out_channels // channels
    if dtype == "float32":
        weights = TensorSpec(w_shape, "float32", data=rng.standard_normal(w_shape).astype(np.float32))
        b = TensorSpec([out_channels], "float32", data=rng.standard_normal(out_channels).astype(np.float32))
        return single_op_model(opcode, [TensorSpec(in_shape, "float32"), weights, b if bias else None],
                               [TensorSpec(out_shape, "float32")], options)
    weights = int8_weights(rng, w_shape, out_channels, axis, per_channel, weight_scales)
    b = int32_bias(rng, out_channels, input_scale, weights) if bias else None
    out_scale = output_scale(input_scale, weights, taps)
    return single_op_model(
        opcode,
        [TensorSpec(in_shape, "int8", input_scale, zero_points[0]), weights, b],
        [TensorSpec(out_shape, "int8", out_scale, zero_points[1])],
        options,
    )


def fc_model(dtype: str, *, input_shape: Sequence[int], units: int, keep_num_dims: bool = False,
             activation: str = "NONE", per_channel: bool = False, bias: bool = True,
             weight_zero_point: int = 0, zero_points: tuple[int, int] = (9, -2),
             input_scale: float = 0.0473, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    depth = input_shape[-1]
    batches = int(np.prod(input_shape)) // depth
    out_shape = [*input_shape[:-1], units] if keep_num_dims else [batches, units]
    options = {"fused_activation_function": activation, "keep_num_dims": keep_num_dims}
    if dtype == "float32":
        weights = TensorSpec([units, depth], "float32", data=rng.standard_normal((units, depth)).astype(np.float32))
        b = TensorSpec([units], "float32", data=rng.standard_normal(units).astype(np.float32))
        return single_op_model("FULLY_CONNECTED", [TensorSpec(list(input_shape), "float32"), weights, b if bias else None],
                               [TensorSpec(out_shape, "float32")], options)
    weights = int8_weights(rng, [units, depth], units, 0, per_channel)
    if weight_zero_point:
        weights.zero_point = weight_zero_point
    b = int32_bias(rng, units, input_scale, weights) if bias else None
    return single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec(list(input_shape), "int8", input_scale, zero_points[0]), weights, b],
        [TensorSpec(out_shape, "int8", output_scale(input_scale, weights, depth), zero_points[1])],
        options,
    )


# ---- CONV_2D ---------------------------------------------------------------------------------------

CONV_CASES = {
    "3x3_same_s1_relu_pc": dict(hw=(7, 6), channels=3, out_channels=5, kernel=(3, 3), activation="RELU"),
    "3x3_valid_s2_pt": dict(hw=(7, 6), channels=3, out_channels=5, kernel=(3, 3), stride=(2, 2),
                            padding="VALID", per_channel=False),
    "3x2_same_s2_d2_relu6": dict(hw=(8, 9), channels=4, out_channels=6, kernel=(3, 2), stride=(2, 2),
                                 dilation=(2, 2), activation="RELU6"),
    "1x1_pointwise_n1to1": dict(hw=(5, 5), channels=7, out_channels=3, kernel=(1, 1), padding="VALID",
                                activation="RELU_N1_TO_1"),
    "1x1_stride2_pt_batch2": dict(hw=(5, 4), channels=6, out_channels=9, kernel=(1, 1), stride=(2, 2),
                                  per_channel=False, batches=2),
    "grouped_dilated": dict(hw=(6, 5), channels=4, out_channels=6, kernel=(3, 3), dilation=(2, 2), groups=2),
    "5x3_on_4x3_batch2": dict(hw=(4, 3), channels=2, out_channels=3, kernel=(5, 3), batches=2,
                              zero_points=(-128, 127)),
    "unequal_strides_dilations": dict(hw=(9, 8), channels=5, out_channels=4, kernel=(2, 3), stride=(2, 1),
                                      dilation=(1, 2), padding="SAME", activation="RELU"),
    "zero_input_offset_valid": dict(hw=(6, 6), channels=3, out_channels=4, kernel=(3, 3), padding="VALID",
                                    zero_points=(0, 0)),
    "16x16_s2_same": dict(hw=(16, 16), channels=8, out_channels=16, kernel=(3, 3), stride=(2, 2),
                          activation="RELU6", zero_points=(-128, -128)),
}


@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_conv2d_int8(name: str, tmp_path: Path) -> None:
    assert_matches_reference(window_model("CONV_2D", "int8", **CONV_CASES[name]), workdir=tmp_path)


@pytest.mark.parametrize("name", ["3x3_same_s1_relu_pc", "3x2_same_s2_d2_relu6", "1x1_pointwise_n1to1",
                                  "grouped_dilated", "5x3_on_4x3_batch2"])
def test_conv2d_float32(name: str, tmp_path: Path) -> None:
    assert_matches_reference(window_model("CONV_2D", "float32", **CONV_CASES[name]), workdir=tmp_path)


def test_conv2d_awkward_scales(tmp_path: Path) -> None:
    """Per-channel scales over seven orders of magnitude: effective multipliers from below 2^-31
    (a zero multiplier: the output is the zero point) through 1 (exactly a power of two) to more
    than 1 (a left shift), with an input scale of long mantissa."""
    scales = [1e-12, 3.3e-7, 0.000123457, 0.00987654, 0.0421, 0.1, 1.0, 0.77777]
    model = window_model("CONV_2D", "int8", hw=(5, 5), channels=3, out_channels=8, kernel=(3, 3),
                         weight_scales=scales, input_scale=0.0123456789, zero_points=(-17, 23))
    assert_matches_reference(model, workdir=tmp_path)


# ---- DEPTHWISE_CONV_2D --------------------------------------------------------------------------

DW_CASES = {
    "3x3_same_m1_relu": dict(hw=(7, 6), channels=3, out_channels=3, kernel=(3, 3), activation="RELU"),
    "3x3_valid_s2_m2_pt": dict(hw=(7, 6), channels=3, out_channels=6, kernel=(3, 3), stride=(2, 2),
                               padding="VALID", per_channel=False),
    "3x2_same_s2_d2_m3_nobias": dict(hw=(8, 9), channels=5, out_channels=15, kernel=(3, 2), stride=(2, 2),
                                     dilation=(2, 2), activation="RELU6", bias=False),
    "40ch_batch2_n1to1": dict(hw=(6, 6), channels=40, out_channels=40, kernel=(3, 3), batches=2,
                              activation="RELU_N1_TO_1"),
    "13ch_m3_s2": dict(hw=(6, 6), channels=13, out_channels=39, kernel=(3, 3), stride=(2, 2)),
    "1x1_valid_pt": dict(hw=(5, 5), channels=2, out_channels=2, kernel=(1, 1), padding="VALID",
                         per_channel=False, zero_points=(127, -128)),
    "unequal_strides_dilations": dict(hw=(9, 7), channels=6, out_channels=6, kernel=(3, 3), stride=(2, 1),
                                      dilation=(1, 2), zero_points=(0, 3)),
}


@pytest.mark.parametrize("name", sorted(DW_CASES))
def test_depthwise_conv2d_int8(name: str, tmp_path: Path) -> None:
    assert_matches_reference(window_model("DEPTHWISE_CONV_2D", "int8", **DW_CASES[name]), workdir=tmp_path)


@pytest.mark.parametrize("name", ["3x3_same_m1_relu", "3x2_same_s2_d2_m3_nobias", "13ch_m3_s2"])
def test_depthwise_conv2d_float32(name: str, tmp_path: Path) -> None:
    assert_matches_reference(window_model("DEPTHWISE_CONV_2D", "float32", **DW_CASES[name]), workdir=tmp_path)


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_conv2d_without_bias(dtype: str, tmp_path: Path) -> None:
    """LiteRT's CONV_2D refuses a missing bias (TFLite Micro accepts it): ours, without bias, must
    equal LiteRT on the same model with an all-zero bias."""
    ours = window_model("CONV_2D", dtype, hw=(6, 5), channels=3, out_channels=4, kernel=(3, 3),
                        activation="RELU", bias=False)
    with_zero_bias = _with_zero_bias(ours)
    host = build(ours, tmp_path)
    for seed in (0, 1):
        inputs = random_inputs(with_zero_bias, seed)  # LiteRT cannot even load `ours`
        expected = run_reference(with_zero_bias, inputs)[0]
        actual = host.run(inputs)[0]
        if dtype == "int8":
            np.testing.assert_array_equal(actual, expected)
        else:
            np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def _with_zero_bias(model: bytes) -> bytes:
    """The same single-operator model with an all-zero bias operand added."""
    graph = read_tflite(model, "no_bias.tflite")
    op = graph.operators[0]
    assert tuple(op.inputs[2:]) in ((), (-1,)), "the model under test must have no bias"
    x, w, y = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])
    out_c = w.shape[0]

    def spec(t: Any) -> TensorSpec:
        if t.quant is None:
            return TensorSpec(list(t.shape), t.dtype, data=t.data)
        return TensorSpec(list(t.shape), t.dtype, list(t.quant.scale), list(t.quant.zero_point), t.quant.axis, data=t.data)

    if x.dtype == "float32":
        bias = TensorSpec([out_c], "float32", data=np.zeros(out_c, np.float32))
    else:
        scales = [float(np.float32(x.quant.scale[0]) * np.float32(s)) for s in w.quant.scale]
        bias = TensorSpec([out_c], "int32", scales, [0] * len(scales), data=np.zeros(out_c, np.int32))
    return single_op_model(op.opcode, [spec(x), spec(w), bias], [spec(y)], op.options)


# ---- FULLY_CONNECTED -----------------------------------------------------------------------------

FC_CASES = {
    "1x16_pt": dict(input_shape=[1, 16], units=8),
    "batch3_pc_relu": dict(input_shape=[3, 16], units=8, per_channel=True, activation="RELU"),
    "rank3_keep_dims_wzp_relu6": dict(input_shape=[2, 3, 10], units=7, keep_num_dims=True, bias=False,
                                      weight_zero_point=4, activation="RELU6"),
    "rank3_flatten_pc_n1to1": dict(input_shape=[2, 3, 10], units=7, per_channel=True, activation="RELU_N1_TO_1"),
    "rank4_flatten_wzp": dict(input_shape=[1, 2, 2, 6], units=5, weight_zero_point=-3, zero_points=(-128, 127)),
}


@pytest.mark.parametrize("name", sorted(FC_CASES))
def test_fully_connected_int8(name: str, tmp_path: Path) -> None:
    assert_matches_reference(fc_model("int8", **FC_CASES[name]), workdir=tmp_path)


@pytest.mark.parametrize("name", ["batch3_pc_relu", "rank3_keep_dims_wzp_relu6", "rank4_flatten_wzp"])
def test_fully_connected_float32(name: str, tmp_path: Path) -> None:
    case = {k: v for k, v in FC_CASES[name].items() if k not in ("weight_zero_point", "zero_points", "per_channel")}
    assert_matches_reference(fc_model("float32", **case), workdir=tmp_path)


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_fully_connected_rounds_once(per_channel: bool, tmp_path: Path) -> None:
    """LiteRT's reference int8 FULLY_CONNECTED rounds once (std::round of a double product), the
    convolutions' MultiplyByQuantizedMultiplier rounds twice. On this model the two differ on some
    outputs (the test checks that it does), and we must give LiteRT's bytes."""
    # Double rounding differs from single rounding when the first rounding (to 2^-31 relative)
    # lands on a half: about 2^-(right shift + 1) of the outputs. A scale near 0.03 (shift 5)
    # with small weights, so that outputs do not saturate, gives dozens of such outputs.
    rng = np.random.default_rng(3)
    units, depth, input_scale = 256, 16, 0.0371
    w_scales = list(rng.uniform(0.006, 0.012, units)) if per_channel else 0.00913
    weights = TensorSpec([units, depth], "int8", w_scales, [0] * units if per_channel else 0,
                         data=rng.integers(-8, 9, size=(units, depth)).astype(np.int8))
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec([8, depth], "int8", input_scale, 3), weights, int32_bias(rng, units, input_scale, weights, 2000)],
        [TensorSpec([8, units], "int8", 0.0101234, -7)],
    )
    inputs = random_inputs(model, 0)
    expected = run_reference(model, inputs)[0]
    actual = run_compiled(model, inputs, workdir=tmp_path)[0]
    np.testing.assert_array_equal(actual, expected)
    separated = np.count_nonzero(_fc_rounding_twice(model, inputs[0]) != expected)
    assert separated > 0, "the model does not separate single from double rounding"


def _fc_rounding_twice(model: bytes, x: np.ndarray) -> np.ndarray:
    """What a TFLite Micro-style FULLY_CONNECTED (MultiplyByQuantizedMultiplier) would output."""
    graph = read_tflite(model, "fc.tflite")
    op = graph.operators[0]
    xq, w, b, y = (graph.tensor(i) for i in (*op.inputs, *op.outputs))
    acc = (x.astype(np.int64).reshape(-1, w.shape[1]) - xq.quant.zero_point[0]) @ w.data.astype(np.int64).T
    acc += b.data.astype(np.int64)
    scales = np.broadcast_to(np.array([np.float32(s) for s in w.quant.scale], np.float64), (w.shape[0],))
    pairs = [quant.quantize_multiplier(float(np.float32(xq.quant.scale[0])) * s / float(np.float32(y.quant.scale[0])))
             for s in scales]
    out = np.array([[quant.multiply_by_quantized_multiplier(int(a), *pairs[c]) for c, a in enumerate(row)] for row in acc])
    return np.clip(out + y.quant.zero_point[0], -128, 127).astype(np.int8).reshape(y.shape)


def test_relu6_bound_uses_float32_division(tmp_path: Path) -> None:
    """TFLite computes the RELU6 bound as round(6.0f / scale) in float32: with this scale the
    quotient is exactly 67.5 in float32 (bound zero_point + 68) but 67.4999984 in double (+ 67)."""
    scale, zero_point = 0.08888889104127884, -60
    assert quant.activation_range_int8("RELU6", scale, zero_point) == (-60, 8)
    assert zero_point + int(np.floor(6.0 / scale + 0.5)) == 7  # what a division in double gives
    rng = np.random.default_rng(0)
    weights = int8_weights(rng, [64, 16], 64, 0, per_channel=False, scales=0.02)
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec([4, 16], "int8", 0.5, 0), weights, None],
        [TensorSpec([4, 64], "int8", scale, zero_point)],
        {"fused_activation_function": "RELU6"},
    )
    inputs = random_inputs(model, 0)
    expected = run_reference(model, inputs)[0]
    assert expected.max() == 8  # the bound is reached, so an off-by-one bound would show
    np.testing.assert_array_equal(run_compiled(model, inputs, workdir=tmp_path)[0], expected)


# ---- what we reject --------------------------------------------------------------------------------


def _check(model: bytes) -> None:
    graph = read_tflite(model, "model.tflite")
    op = graph.operators[0]
    LOWERING[op.opcode].check(op, graph)


@pytest.mark.parametrize("opcode,activation", [("CONV_2D", "TANH"), ("DEPTHWISE_CONV_2D", "SIGN_BIT")])
def test_rejects_tanh_and_sign_bit_activations(opcode: str, activation: str) -> None:
    model = window_model(opcode, "int8", hw=(4, 4), channels=2, out_channels=2, kernel=(3, 3), activation=activation)
    with pytest.raises(UnsupportedError, match=f"fused activation {activation} is not supported.*RELU6"):
        _check(model)


def test_rejects_fc_tanh() -> None:
    with pytest.raises(UnsupportedError, match="TANH"):
        _check(fc_model("float32", input_shape=[1, 4], units=2, activation="TANH"))


def test_rejects_asymmetric_conv_weights() -> None:
    rng = np.random.default_rng(0)
    weights = int8_weights(rng, [2, 3, 3, 2], 2, 0, per_channel=False)
    weights.zero_point = 3
    model = single_op_model("CONV_2D", [TensorSpec([1, 4, 4, 2], "int8", 0.1, 0), weights, None],
                            [TensorSpec([1, 4, 4, 2], "int8", 0.1, 0)], {"padding": "SAME"})
    with pytest.raises(UnsupportedError, match="symmetric"):
        _check(model)


def test_rejects_per_channel_scales_on_the_wrong_axis() -> None:
    """Depthwise weights are [1, H, W, channels]: per-channel scales belong on axis 3."""
    data = np.ones((1, 3, 3, 3), np.int8)
    weights = TensorSpec([1, 3, 3, 3], "int8", [0.01, 0.02, 0.03], [0, 0, 0], 1, data=data)
    model = single_op_model("DEPTHWISE_CONV_2D", [TensorSpec([1, 4, 4, 3], "int8", 0.1, 0), weights, None],
                            [TensorSpec([1, 4, 4, 3], "int8", 0.1, 0)], {"padding": "SAME", "depth_multiplier": 1})
    with pytest.raises(UnsupportedError, match="along axis 3"):
        _check(model)


def test_rejects_hybrid_and_int16() -> None:
    rng = np.random.default_rng(0)
    weights = int8_weights(rng, [3, 8], 3, 0, per_channel=False)
    hybrid = single_op_model("FULLY_CONNECTED", [TensorSpec([1, 8], "float32"), weights, None],
                             [TensorSpec([1, 3], "float32")])
    with pytest.raises(UnsupportedError, match="hybrid"):
        _check(hybrid)
    with pytest.raises(UserError, match="[Hh]ybrid"):  # the whole compiler says so too
        compile_model(hybrid, "hybrid.tflite")
    int16 = single_op_model("FULLY_CONNECTED", [TensorSpec([1, 8], "int16", 0.1, 0), weights, None],
                            [TensorSpec([1, 3], "int16", 0.1, 0)])
    with pytest.raises(UnsupportedError, match="int16.*supported: int8 activations"):
        _check(int16)


def test_rejects_weights_that_are_not_constant() -> None:
    model = single_op_model("FULLY_CONNECTED", [TensorSpec([1, 8], "float32"), TensorSpec([3, 8], "float32")],
                            [TensorSpec([1, 3], "float32")])
    with pytest.raises(UnsupportedError, match="weights must be a constant"):
        _check(model)


# ---- MACs, and the C source on its own -----------------------------------------------------------


def test_macs() -> None:
    graph = read_tflite(window_model("CONV_2D", "int8", hw=(8, 9), channels=4, out_channels=6, kernel=(3, 2),
                                     stride=(2, 2)), "m.tflite")
    assert LOWERING["CONV_2D"].macs(graph.operators[0], graph) == (4 * 5 * 6) * (3 * 2 * 4)
    graph = read_tflite(window_model("DEPTHWISE_CONV_2D", "int8", hw=(6, 6), channels=13, out_channels=39,
                                     kernel=(3, 3), stride=(2, 2)), "m.tflite")
    assert LOWERING["DEPTHWISE_CONV_2D"].macs(graph.operators[0], graph) == (3 * 3 * 39) * 9
    graph = read_tflite(fc_model("int8", input_shape=[2, 3, 10], units=7), "m.tflite")
    assert LOWERING["FULLY_CONNECTED"].macs(graph.operators[0], graph) == 6 * 10 * 7


SHARED_MODELS = Path(__file__).resolve().parents[3].parent / "shared" / "models"


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="../shared/models is not available (CI only)")
@pytest.mark.parametrize("name,expected", [("kws_ref_model", 2656768), ("vww_96_int8", 7489664),
                                           ("pretrainedResnet_quant", 12501632), ("ad01_int8", 264192)])
def test_macs_of_the_benchmark_models(name: str, expected: int) -> None:
    """The models' README counts the MACs of their convolutions and fully connected layers."""
    graph = read_tflite((SHARED_MODELS / f"{name}.tflite").read_bytes(), f"{name}.tflite")
    total = sum(LOWERING[op.opcode].macs(op, graph) for op in graph.operators if op.opcode in LOWERING)
    assert total == expected


def _compilers() -> list[str]:
    names = {os.environ.get("CC") or "gcc", "gcc", "clang"}
    return sorted(name for name in names if shutil.which(shlex.split(name)[0]))


@pytest.mark.parametrize("cc", _compilers())
def test_conv_c_compiles_strictly(cc: str, tmp_path: Path) -> None:
    command = [*shlex.split(cc), "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-c",
               f"-I{RUNTIME / 'include'}", str(RUNTIME / "src" / "conv.c"), "-o", str(tmp_path / "conv.o")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
