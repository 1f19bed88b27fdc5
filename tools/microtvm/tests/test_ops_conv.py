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
  Our kernel does it in integers with a multiplier checked against the double rounding for every
  accumulator (test_fc_integer_rounding_equals_double_rounding, test_fully_connected_ties).
- Fused activation bounds are real bounds divided by the output scale in float32, rounded half
  away from zero (test_relu6_bound_uses_float32_division).

Grids cover: SAME/VALID, strides 1-2 (also unequal), dilations 1-2, all four activations,
per-tensor and per-channel weights, bias or none, odd sizes and channel counts that are not
multiples of 4, grouped convolution, depth multipliers 1-3, batches > 1, FULLY_CONNECTED with
inputs of rank 2-4 and keep_num_dims, awkward scales and non-zero zero points; and together every
int8 kernel variant of mtvm/conv.h (test_grids_cover_every_int8_kernel). The int8 kernels'
Cortex-M DSP code, which the host never compiles, runs the same grids on emulated Cortex-M4F and
M7 cores and their MVE code on an emulated Cortex-M55 (test_dsp_kernels_on_qemu).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pytest
from microtvm import mlf, quant
from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import conv
from microtvm_testing import qemu
from microtvm_testing.host import assert_matches_reference, build, run_compiled
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import TensorSpec, single_op_model

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
    # Channel counts that are multiples of 4 take the blocked loops (two pixels x two channels):
    # odd pixel and channel counts, taps reading the zero-point row at the border, groups with an
    # odd number of channels each, 1x1 windows with stride 1 and 2, a clamp narrower than int8.
    "3x3_same_c8_odd": dict(hw=(5, 3), channels=8, out_channels=5, kernel=(3, 3), zero_points=(-128, 3)),
    "grouped_pairs": dict(hw=(5, 4), channels=8, out_channels=6, kernel=(3, 3), groups=2, stride=(1, 2)),
    "1x1_c8_odd": dict(hw=(5, 5), channels=8, out_channels=7, kernel=(1, 1), zero_points=(-128, 17)),
    "1x1_c12_relu": dict(hw=(3, 3), channels=12, out_channels=6, kernel=(1, 1), activation="RELU"),
    "1x1_s2_c8_batch2": dict(hw=(5, 4), channels=8, out_channels=5, kernel=(1, 1), stride=(2, 2),
                             padding="VALID", batches=2, per_channel=False),
    # A window too large for the blocked loops (5x5 taps of 7 channels): the general loop.
    "5x5_c7_plain": dict(hw=(6, 6), channels=7, out_channels=3, kernel=(5, 5), stride=(2, 1)),
    # One input channel, a tall window as in keyword spotting (copied to the stack per pixel).
    "10x4_c1_s2": dict(hw=(12, 6), channels=1, out_channels=6, kernel=(10, 4), stride=(2, 2),
                       zero_points=(83, -128), activation="RELU"),
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
    "6ch_same_rest": dict(hw=(4, 5), channels=6, out_channels=6, kernel=(3, 3), zero_points=(-128, -128)),
    "16ch_same_s1": dict(hw=(6, 5), channels=16, out_channels=16, kernel=(3, 3), zero_points=(-128, 7)),
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


def _bias_probe_model(scale: float, accumulators: np.ndarray, zero_point: int = 0) -> bytes:
    """A FULLY_CONNECTED whose accumulators are exactly `accumulators` (zero weights, so the
    accumulator is the bias) and whose rounding scale is input * weight / output = `scale`
    (2 * scale must be a float32: it is the input scale, the weight scale 1/2, the output 1)."""
    units = len(accumulators)
    assert float(np.float32(2 * scale)) == 2 * scale
    weights = TensorSpec([units, 4], "int8", 0.5, 0, data=np.zeros((units, 4), np.int8))
    bias = TensorSpec([units], "int32", scale, 0, data=np.asarray(accumulators, np.int32))
    return single_op_model("FULLY_CONNECTED", [TensorSpec([1, 4], "int8", 2 * scale, 0), weights, bias],
                           [TensorSpec([1, units], "int8", 1.0, zero_point)])


@pytest.mark.parametrize("scale", [0.25, 0.375, 0.5, 1.5])
def test_fully_connected_ties(scale: float, tmp_path: Path) -> None:
    """Scales with few mantissa bits make exact ties (acc * scale = n + 1/2): LiteRT rounds them
    away from zero, for both signs. 0.25 and 0.375 take the integer rounding, 0.5 and 1.5 the
    double one (the integer form needs a scale below 1/2)."""
    accumulators = np.arange(-128, 128)
    model = _bias_probe_model(scale, accumulators)
    kernel = "mtvm_fully_connected_s8" if scale < 0.5 else "mtvm_fully_connected_s8_double"
    assert f"{kernel}(&" in _generated_c(model)
    inputs = random_inputs(model, 0)
    expected = run_reference(model, inputs)[0]
    # What LiteRT does: halves away from zero (np.round would go to even, a floor(x + 1/2) up).
    away = np.clip(_round_half_away(accumulators * scale), -128, 127)
    np.testing.assert_array_equal(expected[0], away)
    assert np.any(accumulators * scale % 1 == 0.5) and np.any(-accumulators * scale % 1 == 0.5)
    np.testing.assert_array_equal(run_compiled(model, inputs, workdir=tmp_path)[0], expected)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """std::round of doubles, exactly (floor(|x| + 0.5) would itself round in double)."""
    t = np.trunc(x)
    frac = x - t  # exact
    return (t + (frac >= 0.5) - (frac <= -0.5)).astype(np.int64)


def test_fc_integer_rounding_equals_double_rounding() -> None:
    """conv.fc_integer_rounding's (multiplier, shift), applied as the C kernel does, against
    round-half-away of the double product, for every accumulator that does not saturate both
    (beyond, both are clamped alike: they are monotonic). Scales: random ones over five orders
    of magnitude, and ones with few mantissa bits, which make exact ties. (Below about 1e-5 a
    32-bit multiplier may be too coarse for every accumulator: then there is no pair and the
    kernel rounds in double, as for scales of 1/2 and more.)"""
    rng = np.random.default_rng(5)
    scales = [float(np.float32(a)) * float(np.float32(b)) / float(np.float32(c))
              for a, b, c in rng.uniform(0.001, 0.1, size=(300, 3))]
    assert all(conv.fc_integer_rounding(v, -128, 127) is None for v in scales if v >= 0.5)
    scales = [v for v in scales if v < 0.5][:150]
    scales += [float(v) for v in 10.0 ** rng.uniform(-5, -0.31, 40)]
    scales += [0.25, 0.375, 0.125 + 2**-20, 2**-12, 3 * 2**-14, 0.4999999999999999]
    checked = 0
    for scale in scales:
        pair = conv.fc_integer_rounding(scale, -128 - 5, 127 - 5)
        assert pair is not None, scale
        multiplier, shift = pair
        limit = min(int(140 / scale) + 2, 2**31)
        acc = np.unique(np.concatenate([np.arange(-min(limit, 300_000), min(limit, 300_000) + 1),
                                        rng.integers(-limit, limit + 1, 20_000), [-2**31, 2**31 - 1]]))
        magnitude = np.abs(acc).astype(np.uint64)
        q = ((magnitude * np.uint64(multiplier)) >> np.uint64(32)) + np.uint64(1 << (shift - 1))
        ours = np.where(acc < 0, -1, 1) * (q >> np.uint64(shift)).astype(np.int64)
        theirs = _round_half_away(acc.astype(np.float64) * scale)
        both = np.clip(ours, -140, 140), np.clip(theirs, -140, 140)
        np.testing.assert_array_equal(*both, err_msg=f"scale {scale!r}")
        checked += acc.size
    assert checked > 10_000_000
    assert conv.fc_integer_rounding(0.5, -128, 127) is None  # the kernel's shift would be 0


def test_short_requantization_equals_tflite() -> None:
    """conv_internal.h's mtvm_requantize_fast_full against TFLite's MultiplyByQuantizedMultiplier plus zero
    point and int8 clamp, under its preconditions (|acc| < 2^30, shift <= -1), at random points and
    at the edges: the identity the Cortex-M path relies on (SMMULR of 2 * acc is
    floor((acc * multiplier + 2^30) / 2^31))."""
    rng = np.random.default_rng(7)
    accs = [int(a) for a in rng.integers(-(2**30) + 1, 2**30, 3000)]
    accs += [int(a) for a in rng.integers(-5000, 5000, 3000)] + [0, 1, -1, 2**30 - 1, -(2**30) + 1]
    for acc in accs:
        multiplier = int(rng.choice([1 << 30, (1 << 31) - 1, int(rng.integers(1 << 30, 1 << 31))]))
        shift = int(rng.integers(-31, 0))
        zero_point = int(rng.integers(-128, 128))
        expected = min(127, max(-128, quant.multiply_by_quantized_multiplier(acc, multiplier, shift) + zero_point))
        t = (acc * multiplier + (1 << 30)) >> 31
        assert t == ((2 * acc * multiplier + (1 << 31)) >> 32)  # SMMULR(2 * acc, multiplier)
        t += t >> 31
        ours = min(127, max(-128, ((t >> (-shift - 1)) + 1 + 2 * zero_point) >> 1))
        assert ours == expected, (acc, multiplier, shift, zero_point)


def test_short_requantization_needs_its_bounds() -> None:
    """The generator takes the short form only when no accumulator can reach 2^30 and every
    shift is a right shift (channels with a zero multiplier aside: their output is constant)."""
    rows = np.full((2, 9), 127, dtype=np.int8)
    shifts = np.array([-8, -9], dtype=np.int32)
    live = np.array([1 << 30, 1 << 30], dtype=np.int32)
    folded = lambda bias: np.array(bias) + 128 * rows.astype(np.int64).sum(axis=1)  # noqa: E731
    assert conv._fast_requantization(rows, folded([1000, -1000]), live, shifts, 128)
    big = (1 << 30) - 255 * 127 * 9
    assert not conv._fast_requantization(rows, folded([big, 0]), live, shifts, 128)
    assert conv._fast_requantization(rows, folded([big - 1, 0]), live, shifts, 128)
    assert conv._fast_requantization(rows, folded([big, 0]), np.array([0, 1 << 30]), shifts, 128)
    assert not conv._fast_requantization(rows, folded([0, 0]), live, np.array([-8, 0]), 128)


def test_constant_channels_keep_their_outputs() -> None:
    """A channel of zero weights outputs MultiplyByQuantizedMultiplier(bias) whatever the input;
    re-encoded as 4v, 2^30, -1 it gives the same v, now within the short form's bounds."""
    rows = np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 2, 3]], dtype=np.int8)
    folded = np.array([1 << 30, -(1 << 30), -1000, 77], dtype=np.int64)
    multipliers = np.array([1320764593, 1916671219, 0, 1 << 30], dtype=np.int32)
    shifts = np.array([-27, -3, 0, -9], dtype=np.int32)
    f, m, s = conv._simplify_constant_channels(rows, folded, multipliers, shifts)
    for c in range(3):
        v = quant.multiply_by_quantized_multiplier(int(folded[c]), int(multipliers[c]), int(shifts[c]))
        assert quant.multiply_by_quantized_multiplier(int(f[c]), int(m[c]), int(s[c])) == max(-512, min(512, v))
        assert abs(int(f[c])) <= 2048 and s[c] == -1
    assert (f[3], m[3], s[3]) == (77, 1 << 30, -9)


def dead_channels_model() -> bytes:
    """A 1x1 CONV_2D with channels whose output is constant, as trained models have them: zero
    weights with a bias of +-2^30 (and a large output), and a weight scale so small that the
    multiplier is zero."""
    rng = np.random.default_rng(11)
    data = rng.integers(-127, 128, size=(6, 1, 1, 8)).astype(np.int8)
    data[0] = data[1] = 0
    scales = [5.6e-7, 3.3e-7, 1e-13, 0.01, 0.015, 0.02]  # outputs about +50, -30, the zero point
    weights = TensorSpec([6, 1, 1, 8], "int8", scales, [0] * 6, 0, data=data)
    bias = int32_bias(rng, 6, 0.05, weights)
    bias.data[0], bias.data[1] = 1 << 30, -(1 << 30)
    return single_op_model("CONV_2D", [TensorSpec([1, 4, 3, 8], "int8", 0.05, -128), weights, bias],
                           [TensorSpec([1, 4, 3, 6], "int8", 0.6, -128)], {"padding": "VALID"})


def test_dead_channels(tmp_path: Path) -> None:
    model = dead_channels_model()
    assert "mtvm_conv2d_s8_1x1(&" in _generated_c(model)  # the short requantization
    expected = run_reference(model, random_inputs(model, 0))[0]
    assert np.all(expected[..., 0] == expected[0, 0, 0, 0]) and -100 < expected[0, 0, 0, 0] < 100
    assert np.all(expected[..., 2] == -128)
    assert_matches_reference(model, workdir=tmp_path)


def _generated_c(model: bytes) -> str:
    files = compile_model(model, "model.tflite")
    return next(v.decode() for k, v in files.items() if k.endswith("_lib1.c"))


def _int8_cases() -> dict[str, bytes]:
    """Every int8 model of this file's grids, by name."""
    cases = {f"conv_{n}": window_model("CONV_2D", "int8", **c) for n, c in CONV_CASES.items()}
    cases.update({f"dw_{n}": window_model("DEPTHWISE_CONV_2D", "int8", **c) for n, c in DW_CASES.items()})
    cases.update({f"fc_{n}": fc_model("int8", **c) for n, c in FC_CASES.items()})
    cases["fc_ties_double"] = _bias_probe_model(1.5, np.arange(-100, 100, 3), 4)
    cases["fc_ties_int"] = _bias_probe_model(0.375, np.arange(-300, 300, 7), -4)
    cases["conv_dead_channels"] = dead_channels_model()
    return cases


def test_grids_cover_every_int8_kernel() -> None:
    """Each int8 kernel of mtvm/conv.h is called by some case of the grids above (and so runs
    on the host here, and on the emulated Cortex-M cores in test_dsp_kernels_on_qemu)."""
    header = (RUNTIME / "include" / "mtvm" / "conv.h").read_text()
    declared = set(re.findall(r"void (mtvm_\w+_s8\w*)\(", header))
    used = {k for model in _int8_cases().values() for k in re.findall(r"(mtvm_\w+)\(&", _generated_c(model))}
    assert declared == used, f"not covered: {sorted(declared - used)}"


# ---- the Cortex-M DSP kernels, on emulated cores --------------------------------------------------

# The int8 kernels have a second implementation for cores with the DSP extension (SMLAD and
# friends), which the host never compiles. This test builds every int8 case of the grids above
# into one bare-metal program per core, runs it under QEMU and compares with LiteRT's outputs.
# The cores: the Cortex-M4F and M7 (DSP extension) and the Cortex-M55 (Helium/MVE paths); the
# programs are built and run by microtvm_testing.qemu.
QEMU_TEST_CORES = ("cortex-m4", "cortex-m7", "cortex-m55")


def _c_bytes(values: np.ndarray) -> str:
    return ", ".join(str(int(v)) for v in np.asarray(values).ravel())


def _qemu_main(modules: list[tuple[str, dict, list[tuple[list[np.ndarray], list[np.ndarray]]]]]) -> str:
    """main(): every module on every seed's inputs; prints a line per mismatching output, then
    "done"."""
    lines = ['#include <stdint.h>', 'void bare_print(const char* text);',
             'static void print_case(const char* name) { bare_print(name); bare_print(" mismatches\\n"); }']
    body = []
    for name, module, runs in modules:
        lines.append(f'#include "tvmgen_{name}.h"')
        inputs, outputs = module["inputs"], module["outputs"]
        for j, t in enumerate(inputs):
            lines.append(f"static int8_t {name}_in{j}[{t['size']}] __attribute__((aligned(16)));")
        for j, t in enumerate(outputs):
            lines.append(f"static int8_t {name}_out{j}[{t['size']}] __attribute__((aligned(16)));")
        for k, (xs, ys) in enumerate(runs):
            for j, x in enumerate(xs):
                lines.append(f"static const int8_t {name}_x{k}_{j}[] = {{{_c_bytes(x)}}};")
            for j, y in enumerate(ys):
                lines.append(f"static const int8_t {name}_y{k}_{j}[] = {{{_c_bytes(y)}}};")
            ins = ", ".join(f".{t['c_name']} = {name}_in{j}" for j, t in enumerate(inputs))
            outs = ", ".join(f".{t['c_name']} = {name}_out{j}" for j, t in enumerate(outputs))
            body.append("  {")
            for j, t in enumerate(inputs):
                body.append(f"    for (int i = 0; i < {t['size']}; ++i) {name}_in{j}[i] = {name}_x{k}_{j}[i];")
            body.append(f"    struct tvmgen_{name}_inputs in = {{{ins}}};")
            body.append(f"    struct tvmgen_{name}_outputs out = {{{outs}}};")
            body.append(f"    int bad = tvmgen_{name}_run(&in, &out) != 0;")
            for j, t in enumerate(outputs):
                body.append(f"    for (int i = 0; i < {t['size']}; ++i) bad |= {name}_out{j}[i] != {name}_y{k}_{j}[i];")
            body.append(f'    if (bad) print_case("{name} seed {k}");')
            body.append("  }")
    return "\n".join(lines + ["int main(void) {"] + body + ['  bare_print("done\\n");', "  return 0;", "}", ""])


@pytest.fixture(scope="module")
def int8_goldens() -> list[tuple[str, bytes, list]]:
    """Each int8 case with LiteRT's outputs for seeds 0, 1 and 2."""
    cases = []
    for k, (name, model) in enumerate(sorted(_int8_cases().items())):
        runs = []
        for seed in (0, 1, 2):
            inputs = random_inputs(model, seed)
            runs.append((inputs, run_reference(model, inputs)))
        cases.append((f"c{k}_{name}"[:40], model, runs))
    return cases


@pytest.mark.parametrize("core", QEMU_TEST_CORES)
def test_dsp_kernels_on_qemu(core: str, int8_goldens: list, tmp_path: Path) -> None:
    """Every int8 case on an emulated Cortex-M4F, M7 (the DSP paths) and M55 (the MVE paths), -O2,
    bit for bit."""
    qemu.tools_or_skip()
    modules, sources, includes, kernels = [], [], [], set()
    for name, model, runs in int8_goldens:
        files = compile_model(model, f"{name}.tflite", CompileOptions(module_name=name, target_cpu=core))
        tree = tmp_path / name
        mlf.write_dir(files, tree)
        modules.append((name, json.loads(files["metadata.json"])["modules"][name], runs))
        sources += sorted(tree.glob("codegen/host/src/*.c"))
        includes += [f"-I{tree / 'codegen/host/include'}", f"-I{tree / 'codegen/host/src'}"]
        kernels |= {path.name for path in tree.glob("runtime/src/*.c")}  # what each MLF ships
    assert kernels >= set(INT8_KERNEL_SOURCES)  # the cases reach every int8 kernel variant
    (tmp_path / "main.c").write_text(_qemu_main(modules))
    program = [*sources, *(RUNTIME / "src" / k for k in sorted(kernels)), tmp_path / "main.c"]
    console = qemu.build_and_run(core, program, tmp_path / "program", [f"-I{RUNTIME / 'include'}", *includes])
    assert "done\n" in console and "mismatches" not in console and "FAULT" not in console, f"{core}: {console}"


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


def test_rejects_hybrid_and_int16_weights() -> None:
    """Hybrid models stay rejected; 16x8 (int16 activations, int8 weights) is supported
    (tests/test_ops_conv16.py), but not int16 weights."""
    rng = np.random.default_rng(0)
    weights = int8_weights(rng, [3, 8], 3, 0, per_channel=False)
    hybrid = single_op_model("FULLY_CONNECTED", [TensorSpec([1, 8], "float32"), weights, None],
                             [TensorSpec([1, 3], "float32")])
    with pytest.raises(UnsupportedError, match="hybrid"):  # ops/hybrid.py takes these (test_ops_hybrid.py)
        _check(hybrid)
    int16x8 = single_op_model("FULLY_CONNECTED", [TensorSpec([1, 8], "int16", 0.1, 0), weights, None],
                              [TensorSpec([1, 3], "int16", 0.1, 0)])
    _check(int16x8)
    w16 = TensorSpec([3, 8], "int16", 0.01, 0, data=np.ones((3, 8), np.int16))
    int16x16 = single_op_model("FULLY_CONNECTED", [TensorSpec([1, 8], "int16", 0.1, 0), w16, None],
                               [TensorSpec([1, 3], "int16", 0.1, 0)])
    with pytest.raises(UnsupportedError, match="weights int16.*supported: int8 activations"):
        _check(int16x16)


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


# The int8 and float32 kernel variants, one file each (conv.py names each call's file).
INT8_KERNEL_SOURCES = ("conv_s8_plain.c", "conv_s8_1x1.c", "conv_s8_window.c", "depthwise_conv_s8_plain.c",
                       "depthwise_conv_s8_quads.c", "fully_connected_s8.c")
F32_KERNEL_SOURCES = ("conv_f32.c", "depthwise_conv_f32.c", "fully_connected_f32.c")


@pytest.mark.parametrize("cc", _compilers())
def test_conv_c_compiles_strictly(cc: str, tmp_path: Path) -> None:
    for source in INT8_KERNEL_SOURCES + F32_KERNEL_SOURCES:
        command = [*shlex.split(cc), "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-c",
                   f"-I{RUNTIME / 'include'}", str(RUNTIME / "src" / source), "-o", str(tmp_path / "conv.o")]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, f"{source}: {result.stderr}"


def test_each_call_ships_its_own_kernel_file() -> None:
    """Every kernel entry point conv.py may call is named with its file, and that file defines it."""
    for kernel, source in conv._KERNEL_SOURCES.items():
        assert f"void {kernel}(" in (RUNTIME / "src" / source).read_text(), kernel
    assert set(conv._KERNEL_SOURCES.values()) == set(INT8_KERNEL_SOURCES + F32_KERNEL_SOURCES)
