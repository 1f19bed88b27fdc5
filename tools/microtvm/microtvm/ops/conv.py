"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: operand checks, constant preparation, C calls.

Everything that depends only on constants is computed here, at generation time, so that the C
kernels (one file per variant in runtime/src, declared in runtime/include/mtvm/conv.h) only multiply,
add and requantize. Per operator we emit one `static const` parameter struct and one kernel call, to the
kernel variant that fits the operator (so a firmware links only the variants its model uses).

int8 arithmetic, matching LiteRT 2.3.0's reference kernels (BUILTIN_REF) bit for bit:
- CONV_2D / DEPTHWISE_CONV_2D requantize with a q31 multiplier and shift per output channel
  (TFLite's PopulateConvolutionQuantizationParams: input_scale * filter_scale / output_scale
  computed in double from the float32 scales, then QuantizeMultiplier), applied with
  MultiplyByQuantizedMultiplier: two roundings. When every accumulator is provably below 2^30,
  every shift is a right shift and the activation clamps to all of int8 (_fast_requantization),
  the kernels without the _general suffix compute the same integers in fewer instructions.
- FULLY_CONNECTED rounds once: LiteRT's reference kernel multiplies the int32 accumulator by that
  same double scale and applies std::round (TFLite Micro rounds twice, like the convolutions,
  and differs by one on rare ties). Cortex-M4 has no double-precision FPU, so we look for an
  integer multiplier and shift that round every int32 accumulator the same way
  (fc_integer_rounding, which checks this exactly); only if there is none does the kernel get
  the double scale.
- The bias is folded with the zero points: bias + input_offset * sum(weights of the channel)
  (input_offset = -input zero point), so the inner loop is a pure int8 x int8 dot product plus
  one int32 constant. Window taps outside the image read the input zero point instead (a row of
  it, `pad`), whose product with the folded-in offset cancels: the sum of the taps inside.
- The fused activation becomes a clamp range in the output's quantized domain, computed like
  TFLite's CalculateActivationRangeQuantized (bound / scale in float32, rounded half away).
- int8 weights are rearranged for the loops that read them (see the layouts below and in
  mtvm/conv.h): output channels in interleaved pairs or fours, depthwise weights as 16-bit pairs.

16x8 (int16 activations with zero point 0, int8 weights; kernels conv_s16.c,
depthwise_conv_s16.c, fully_connected_s16.c), matching LiteRT 2.3.0's BUILTIN_REF bit for bit:
- the products are summed in 64 bits (no folding needed: the input zero point is 0);
- CONV_2D and DEPTHWISE_CONV_2D with an int64 bias (or none) requantize with TFLite's 64-bit
  MultiplyByQuantizedMultiplier (the q31 multiplier rounded to 16 bits, one rounding shift);
  CONV_2D with an int32 bias (quantized_bias_type INT32) keeps an int32 accumulator and uses the
  32-bit, two-rounding MultiplyByQuantizedMultiplier, as LiteRT's int32 path does;
- FULLY_CONNECTED rounds once in double, like its int8 kernel (acc wrapped to int32 first with
  an int32 bias);
- an int32 bias without quantized_bias_type INT32 is rejected (LiteRT then reads it as int64),
  as is an int32 bias on DEPTHWISE_CONV_2D (LiteRT takes only int64 there);
- the fused activation clamps to TFLite's CalculateActivationRangeQuantized over int16;
- weight rows keep their order except that each aligned group of four is stored w0 w2 w1 w3
  (quad_order), for SMLALD on cores with the DSP extension.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering

_HEADERS = ("mtvm/conv.h",)
# Each call names its kernel's file (EmittedOp.sources): one file per kernel variant, so a model
# ships only the kernels it calls (the _general and _double entries share their variant's file).
_KERNEL_SOURCES = {
    "mtvm_conv2d_s8_plain": "conv_s8_plain.c",
    "mtvm_conv2d_s8_1x1": "conv_s8_1x1.c",
    "mtvm_conv2d_s8_1x1_general": "conv_s8_1x1.c",
    "mtvm_conv2d_s8_window": "conv_s8_window.c",
    "mtvm_conv2d_s8_window_general": "conv_s8_window.c",
    "mtvm_depthwise_conv2d_s8_plain": "depthwise_conv_s8_plain.c",
    "mtvm_depthwise_conv2d_s8_quads": "depthwise_conv_s8_quads.c",
    "mtvm_depthwise_conv2d_s8_quads_general": "depthwise_conv_s8_quads.c",
    "mtvm_fully_connected_s8": "fully_connected_s8.c",
    "mtvm_fully_connected_s8_double": "fully_connected_s8.c",
    "mtvm_conv2d_f32": "conv_f32.c",
    "mtvm_depthwise_conv2d_f32": "depthwise_conv_f32.c",
    "mtvm_fully_connected_f32": "fully_connected_f32.c",
}
_S16_SOURCES = {
    "CONV_2D": "conv_s16.c",
    "DEPTHWISE_CONV_2D": "depthwise_conv_s16.c",
    "FULLY_CONNECTED": "fully_connected_s16.c",
}
_DTYPES = ("int8", "int16", "float32")

# TFLite's convolution kernels silently compute TANH and SIGN_BIT as NONE, and its
# FULLY_CONNECTED rejects them: we reject them, so a model never computes something else than
# what it says.
_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")

# The output-channel axis of the weights, where per-channel scales must lie.
_CHANNEL_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}

_SUPPORTED_TYPES = (
    "int8 activations with int8 weights (per-tensor or per-channel) and an int32 bias, "
    "int16 activations with int8 weights and an int64 bias (16x8; CONV_2D and FULLY_CONNECTED "
    "also an int32 bias with quantized_bias_type INT32), "
    "or float32 activations, weights and bias"
)

# TFLite's int16 range, for the 16x8 activation clamp.
_INT16_MIN, _INT16_MAX = -32768, 32767


# ---- operands and checks shared by the three operators ----------------------------------------


@dataclass(frozen=True)
class _Operands:
    input: Tensor
    filter: Tensor
    bias: Optional[Tensor]  # None when absent (two inputs, or -1)
    output: Tensor

    @property
    def is_int8(self) -> bool:
        return self.input.dtype == "int8"

    @property
    def is_16x8(self) -> bool:
        return self.input.dtype == "int16"


def _operands(op: Operator, graph: Graph) -> _Operands:
    bias_index = op.inputs[2] if len(op.inputs) > 2 else -1
    return _Operands(
        input=graph.tensor(op.inputs[0]),
        filter=graph.tensor(op.inputs[1]),
        bias=graph.tensor(bias_index) if bias_index >= 0 else None,
        output=graph.tensor(op.outputs[0]),
    )


def _activation(op: Operator) -> str:
    return str(op.options.get("fused_activation_function", "NONE"))


def _check_common(op: Operator, ops: _Operands, out_channels: int) -> None:
    """Types, constant operands, activation, bias size and int8 quantization parameters."""
    in_t, w_t, out_t = ops.input.dtype, ops.filter.dtype, ops.output.dtype
    if in_t == "float32" and w_t != "float32":
        raise UnsupportedError(
            f"hybrid quantization (float32 activations with {w_t} weights) is not supported; "
            "convert the model with full-integer int8 quantization, or use the float32 model"
        )
    bias_t = ops.bias.dtype if ops.bias is not None else None
    expected_bias = {"int8": ("int32",), "float32": ("float32",), "int16": ("int64", "int32")}.get(in_t, ())
    expected_weights = "int8" if in_t == "int16" else in_t
    if in_t not in ("int8", "int16", "float32") or w_t != expected_weights or out_t != in_t or (
        bias_t is not None and bias_t not in expected_bias
    ):
        raise UnsupportedError(
            f"input {in_t}, weights {w_t}, bias {bias_t or 'none'} and output {out_t} are not "
            f"supported; supported: {_SUPPORTED_TYPES}"
        )
    if not ops.filter.is_constant:
        raise UnsupportedError("the weights must be a constant tensor")
    if ops.bias is not None and not ops.bias.is_constant:
        raise UnsupportedError("the bias must be a constant tensor")
    if ops.bias is not None and ops.bias.num_elements != out_channels:
        raise UnsupportedError(f"the bias has {ops.bias.num_elements} elements for {out_channels} output channels")
    activation = _activation(op)
    if activation not in _ACTIVATIONS:
        raise UnsupportedError(
            f"fused activation {activation} is not supported; supported: {', '.join(_ACTIVATIONS)}"
        )
    if ops.is_int8 or ops.is_16x8:
        _check_quantization(op, ops, out_channels)
    if ops.is_16x8:
        _check_16x8(op, ops, out_channels)


def _check_quantization(op: Operator, ops: _Operands, out_channels: int) -> None:
    """Per-tensor activations; per-tensor or per-channel weights, symmetric where TFLite says so."""
    for name, t in (("input", ops.input), ("output", ops.output)):
        if t.quant is None or len(t.quant.scale) != 1:
            raise UnsupportedError(f"the {t.dtype} {name} needs one (per-tensor) scale and zero point")
    wq = ops.filter.quant
    if wq is None or len(wq.scale) == 0:
        raise UnsupportedError("the int8 weights have no quantization parameters")
    axis = _CHANNEL_AXIS[op.opcode]
    if wq.per_channel and (len(wq.scale) != out_channels or wq.axis != axis):
        raise UnsupportedError(
            f"per-channel weights need one scale per output channel ({out_channels}) along axis "
            f"{axis}; got {len(wq.scale)} scales along axis {wq.axis}"
        )
    # Only per-tensor FULLY_CONNECTED applies a weight zero point; TFLite's other int8 kernels
    # assume symmetric weights and ignore it, so a non-zero one would silently mean something else.
    if (op.opcode != "FULLY_CONNECTED" or wq.per_channel) and any(z != 0 for z in wq.zero_point):
        raise UnsupportedError(
            "int8 weights must be symmetric (zero point 0) for this operator; re-quantize the model"
        )


def bias_type_option(op: Operator) -> str:
    """quantized_bias_type of a 16x8 operator: FLOAT32 (the schema default: not set), INT32 or INT64."""
    return str(op.options.get("quantized_bias_type", "FLOAT32"))


def check_16x8_bias(op: Operator, bias: Optional[Tensor], option_allowed: bool) -> str:
    """The bias rules of LiteRT's 16x8 kernels (CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV read
    quantized_bias_type; DEPTHWISE_CONV_2D takes only int64); returns the accumulator type,
    "int32" or "int64". LiteRT picks its int32 path only from quantized_bias_type INT32 and
    otherwise reads the bias as int64, so an int32 bias without that option would be read out of
    bounds there: we reject it rather than guess."""
    option = bias_type_option(op) if option_allowed else "FLOAT32"
    if option not in ("FLOAT32", "INT32", "INT64"):
        raise UnsupportedError(f"quantized_bias_type {option} is not supported; use INT32 or INT64")
    bias_t = bias.dtype if bias is not None else None
    if option != "FLOAT32" and bias_t is not None and bias_t != option.lower():
        raise UnsupportedError(f"the bias is {bias_t} but quantized_bias_type says {option}")
    if bias_t == "int32" and option != "INT32":
        if not option_allowed:
            raise UnsupportedError(
                f"{op.opcode} with int16 activations needs an int64 bias (LiteRT's kernel takes no int32 bias)"
            )
        raise UnsupportedError(
            "an int32 bias with int16 activations needs quantized_bias_type INT32 (LiteRT reads it as "
            "int64 otherwise); use an int64 bias, or set the option"
        )
    return "int32" if option == "INT32" else "int64"


def check_16x8_activations(what: str, input_t: Tensor, output_t: Tensor) -> None:
    """LiteRT's 16x8 kernels take symmetric int16 activations only."""
    for name, t in (("input", input_t), ("output", output_t)):
        if int(t.quant.zero_point[0]) != 0:
            raise UnsupportedError(
                f"{what} with int16 activations needs a zero point of 0 on the {name} (got "
                f"{int(t.quant.zero_point[0])}); 16x8 quantization is symmetric"
            )


def _check_16x8(op: Operator, ops: _Operands, out_channels: int) -> None:
    check_16x8_activations(op.opcode, ops.input, ops.output)
    check_16x8_bias(op, ops.bias, option_allowed=op.opcode != "DEPTHWISE_CONV_2D")
    if op.opcode != "FULLY_CONNECTED":
        _, shifts = quant.per_channel_multipliers(_effective_scales(ops, out_channels))
        check_s64_shifts(shifts)


def check_s64_shifts(shifts: np.ndarray) -> None:
    """The 64-bit MultiplyByQuantizedMultiplier shifts by 15 - shift: TFLite allows shift < 8."""
    if shifts.size and int(shifts.max()) >= 8:
        raise UnsupportedError(
            "an effective output scale (input_scale * weight_scale / output_scale) of 128 or more "
            "is not supported with int16 activations"
        )


# ---- window geometry of the convolutions --------------------------------------------------------


@dataclass(frozen=True)
class _Geometry:
    """The fields of the C struct mtvm_conv_geometry_t, in its order."""

    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    filter_h: int
    filter_w: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int

    def has_border_windows(self) -> bool:
        """True if some output window reaches outside the image."""
        last_y = (self.out_h - 1) * self.stride_h - self.pad_top + (self.filter_h - 1) * self.dilation_h
        last_x = (self.out_w - 1) * self.stride_w - self.pad_left + (self.filter_w - 1) * self.dilation_w
        return self.pad_top > 0 or self.pad_left > 0 or last_y >= self.in_h or last_x >= self.in_w

    def c_fields(self) -> dict[str, int]:
        """The fields of mtvm_conv_geometry (ctx.params writes the nested initializer)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _trunc_div(a: int, b: int) -> int:
    """C++ integer division (toward zero), which TFLite's ComputeOutSize uses."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _out_size_and_pad(padding: str, size: int, filt: int, stride: int, dilation: int) -> tuple[int, int]:
    """TFLite's ComputeOutSize and ComputePaddingWithOffset: (output size, leading padding).
    SAME padding puts the odd pixel at the end (bottom/right)."""
    effective = (filt - 1) * dilation + 1
    if padding == "SAME":
        out = _trunc_div(size + stride - 1, stride)
    else:
        out = _trunc_div(size + stride - effective, stride)
    total = max((out - 1) * stride + effective - size, 0)
    return out, total // 2


def _geometry(op: Operator, ops: _Operands, filter_h: int, filter_w: int) -> _Geometry:
    if len(ops.input.shape) != 4 or len(ops.filter.shape) != 4 or len(ops.output.shape) != 4:
        raise UnsupportedError("input, weights and output must have rank 4 (NHWC)")
    opts = op.options
    padding = str(opts.get("padding", "SAME"))
    stride_h, stride_w = int(opts.get("stride_h", 1)), int(opts.get("stride_w", 1))
    dil_h, dil_w = int(opts.get("dilation_h_factor", 1)), int(opts.get("dilation_w_factor", 1))
    if padding not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {padding} is not supported; use SAME or VALID")
    if min(stride_h, stride_w, dil_h, dil_w) < 1:
        raise UnsupportedError("strides and dilation factors must be at least 1")
    batches, in_h, in_w, in_c = ops.input.shape
    out_h, pad_top = _out_size_and_pad(padding, in_h, filter_h, stride_h, dil_h)
    out_w, pad_left = _out_size_and_pad(padding, in_w, filter_w, stride_w, dil_w)
    expected = (batches, out_h, out_w, ops.output.shape[3])
    if tuple(ops.output.shape) != expected or out_h < 1 or out_w < 1:
        raise UnsupportedError(
            f"output shape {list(ops.output.shape)} does not follow from the input, weights, "
            f"strides, dilations and {padding} padding (expected {list(expected)})"
        )
    return _Geometry(
        batches, in_h, in_w, in_c, out_h, out_w, ops.output.shape[3], filter_h, filter_w,
        stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
    )


# ---- int8 constant preparation -------------------------------------------------------------------


def _f32(x: float) -> float:
    """The float32 value TFLite holds for a scale, as an (exact) Python float."""
    return float(np.float32(x))


def _effective_scales(ops: _Operands, out_channels: int) -> np.ndarray:
    """input_scale * filter_scale / output_scale per output channel, in double like TFLite
    (each float32 scale widened to double, then multiplied and divided in double)."""
    in_s = _f32(ops.input.quant.scale[0])
    out_s = _f32(ops.output.quant.scale[0])
    w_scales = [_f32(s) for s in ops.filter.quant.scale]
    if len(w_scales) == 1:
        w_scales = w_scales * out_channels
    return np.array([in_s * w / out_s for w in w_scales], dtype=np.float64)


def _output_activation_range(op: Operator, ops: _Operands) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized (the bound divided by the scale in float32)."""
    return output_activation_range(op, ops.output)


def output_activation_range(op: Operator, output: Tensor) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized for an int8 or int16 output."""
    q = output.quant
    lo, hi = (_INT16_MIN, _INT16_MAX) if output.dtype == "int16" else (-128, 127)
    return quant.activation_range_int8(_activation(op), _f32(q.scale[0]), int(q.zero_point[0]), lo, hi)


def _bias_values(ops: _Operands, out_channels: int) -> np.ndarray:
    if ops.bias is None:
        return np.zeros(out_channels, dtype=np.int64)
    return np.asarray(ops.bias.data, dtype=np.int64).reshape(out_channels)


def _as_int32(values: np.ndarray) -> np.ndarray:
    if values.size and (values.min() < quant.INT32_MIN or values.max() > quant.INT32_MAX):
        raise UnsupportedError("the bias folded with the zero points overflows int32")
    return values.astype(np.int32)


# ---- C emission helpers --------------------------------------------------------------------------


def _emit(op: Operator, ctx: LowerContext, kernel: str, ctype: str, fields: Sequence[tuple[str, object]],
          source: Optional[str] = None, data_input: int = 0) -> EmittedOp:
    """A `static const` parameter struct (it lives in flash) and `kernel(&params, input, output);`.
    Activation bounds of the float kernels may be infinite (INFINITY: conv.h includes <math.h>)."""
    name = ctx.params(ctype, dict(fields))
    call = f"{kernel}(&{name}, {ctx.buf(op.inputs[data_input])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call, sources=(source or _KERNEL_SOURCES[kernel],))


emit_call = _emit


def quad_order(rows: np.ndarray) -> np.ndarray:
    """int8 weight rows with every aligned group of four reordered w0 w2 w1 w3 (mtvm/conv.h,
    16x8): SXTB16 then pairs them with two words of int16 inputs. A last partial group stays."""
    rows = np.asarray(rows, dtype=np.int8)
    full = rows.shape[1] // 4 * 4
    out = rows.copy()
    out[:, :full] = rows[:, :full].reshape(rows.shape[0], -1, 4)[:, :, [0, 2, 1, 3]].reshape(rows.shape[0], full)
    return np.ascontiguousarray(out)


def s16_bias(ctx: LowerContext, bias: Optional[Tensor], channels: int, hint: str) -> str:
    """The bias of a 16x8 kernel as int64 (an int32 bias widened: the kernels wrap the sum)."""
    if bias is None:
        return "NULL"
    return ctx.const(f"{hint}_bias", np.asarray(bias.data, dtype=np.int64).reshape(channels))


def s16_requant(ctx: LowerContext, scales: np.ndarray, hint: str) -> str:
    """[out_c][2] q31 multipliers and shifts (TFLite's QuantizeMultiplier of each double scale)."""
    multipliers, shifts = quant.per_channel_multipliers(scales)
    return ctx.const(f"{hint}_requant", np.stack([multipliers, shifts], axis=1).astype(np.int32))


def _float_fields(op: Operator, ctx: LowerContext, ops: _Operands, hint: str) -> list[tuple[str, object]]:
    """Fields shared by the three float32 parameter structs."""
    lo, hi = quant.activation_range_float(_activation(op))
    bias = "NULL"
    if ops.bias is not None:
        bias = ctx.const(f"{hint}_bias", np.asarray(ops.bias.data, dtype=np.float32).reshape(-1))
    return [
        ("act_min", float(lo)),
        ("act_max", float(hi)),
        ("weights", ctx.const(f"{hint}_weights", np.ascontiguousarray(ops.filter.data, dtype=np.float32))),
        ("bias", bias),
    ]


def _int8_window_fields(op: Operator, ctx: LowerContext, ops: _Operands, g: _Geometry, rows: np.ndarray,
                        layout: str, arranged: np.ndarray, pad_bytes: int, hint: str,
                        weights_field: str = "weights") -> tuple[list[tuple[str, object]], bool]:
    """Fields shared by the int8 CONV_2D and DEPTHWISE_CONV_2D parameter structs, from `rows`
    (each output channel's weights, [out_c][taps]) and the weights as the kernel reads them; and
    whether the kernels' short requantization applies (_fast_requantization)."""
    input_offset = -int(ops.input.quant.zero_point[0])
    bias = _bias_values(ops, g.out_c)
    folded = bias + input_offset * rows.astype(np.int64).sum(axis=1)
    multipliers, shifts = quant.per_channel_multipliers(_effective_scales(ops, g.out_c))
    folded, multipliers, shifts = _simplify_constant_channels(rows, folded, multipliers, shifts)
    act_min, act_max = _output_activation_range(op, ops)
    # Taps outside the image read a row of the input zero point (the fast layouts); a window
    # copied to the stack (MTVM_CONV_GATHER) gets the zero point written into it instead.
    pad = "NULL"
    if pad_bytes and g.has_border_windows():
        pad = ctx.const(f"{hint}_pad", np.full(pad_bytes, -input_offset, dtype=np.int8))
    fast = _fast_requantization(rows, folded, multipliers, shifts, input_offset) and (act_min, act_max) == (-128, 127)
    return [
        ("input_offset", int(input_offset)),
        ("output_offset", int(int(ops.output.quant.zero_point[0]))),
        ("act_min", int(act_min)),
        ("act_max", int(act_max)),
        ("layout", layout),
        (weights_field, ctx.const(f"{hint}_weights", arranged)),
        ("folded_bias", ctx.const(f"{hint}_folded_bias", _as_int32(folded))),
        ("requant", ctx.const(f"{hint}_requant", np.stack([multipliers, shifts], axis=1).astype(np.int32))),
        ("pad", pad),
    ], fast


def _simplify_constant_channels(rows: np.ndarray, folded: np.ndarray, multipliers: np.ndarray,
                                shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channels whose output does not depend on the input, re-encoded so that the kernels' short
    requantization applies to them too (trained models have such "dead" channels, with biases
    of up to 2^30 or scales below 2^-31):
    - all weights zero: the accumulator is always the folded bias, so the output is always
      v = MultiplyByQuantizedMultiplier(bias); the same v comes from the accumulator 4v with
      multiplier 2^30 (one half) and shift -1, exactly (v beyond +-512 saturates int8 anyway);
    - multiplier zero: the output is always the zero point, whatever the shift: use -1."""
    folded, multipliers, shifts = folded.copy(), multipliers.copy(), shifts.copy()
    for c in np.nonzero(~np.any(rows != 0, axis=1))[0]:
        v = quant.multiply_by_quantized_multiplier(int(folded[c]), int(multipliers[c]), int(shifts[c]))
        folded[c], multipliers[c], shifts[c] = 4 * min(max(v, -512), 512), 1 << 30, -1
    shifts[multipliers == 0] = -1
    return folded, multipliers, shifts


def _fast_requantization(rows: np.ndarray, folded: np.ndarray, multipliers: np.ndarray,
                         shifts: np.ndarray, input_offset: int) -> bool:
    """True when the kernels may requantize with their short form (conv_internal.h, mtvm_requantize_fast_full;
    it also needs an activation range of all int8): every shift is a right shift and no
    accumulator can reach 2^30 in magnitude, except in channels whose multiplier is zero (their
    output is the zero point). An accumulator is folded + sum(x * w) = bias +
    sum((x + input_offset) * w) over the taps inside the image, with x any int8."""
    x_max = max(abs(-128 + input_offset), abs(127 + input_offset))
    unfolded = folded - input_offset * rows.astype(np.int64).sum(axis=1)  # the bias
    bound = (np.abs(unfolded) + x_max * np.abs(rows.astype(np.int64)).sum(axis=1))[multipliers != 0]
    return bool(np.all(shifts < 0) and (bound.size == 0 or int(bound.max()) < (1 << 30)))


# ---- int8 weight layouts (the MTVM_CONV_* / MTVM_DW_* constants of mtvm/conv.h) -----------------

MAX_TAPS = 25  # MTVM_CONV_MAX_TAPS (5x5)
MAX_GATHER = 160  # MTVM_CONV_MAX_GATHER
CONV_PLAIN, CONV_PAIRS, CONV_GATHER = "MTVM_CONV_PLAIN", "MTVM_CONV_PAIRS", "MTVM_CONV_GATHER"
DW_PLAIN, DW_QUADS = "MTVM_DW_PLAIN", "MTVM_DW_QUADS"


def _round_up4(n: int) -> int:
    return (n + 3) // 4 * 4


def _conv_layout(g: _Geometry, fic: int) -> str:
    """The fast loop when the window fits it: taps read in place for channel counts that are
    multiples of 4, windows copied to the stack for other (small) ones; else the general loop."""
    taps = g.filter_h * g.filter_w
    if fic % 4 == 0 and taps <= MAX_TAPS:
        return CONV_PAIRS
    return CONV_GATHER if _round_up4(taps * fic) <= MAX_GATHER else CONV_PLAIN


def _pair_rows(rows: np.ndarray, per_group: int) -> np.ndarray:
    """Rows [out_c][n] (n a multiple of 4) as the CONV_2D blocked loop reads them: within each
    group of `per_group` channels, pairs of rows interleaved in 4-byte chunks; an odd last row of
    a group stays as it is."""
    parts = []
    for start in range(0, rows.shape[0], per_group):
        group = rows[start:start + per_group]
        even = len(group) // 2 * 2
        if even:
            # [pair][row][chunk][4] -> [pair][chunk][row][4]
            parts.append(group[:even].reshape(even // 2, 2, -1, 4).transpose(0, 2, 1, 3).reshape(-1))
        if len(group) % 2:
            parts.append(group[-1])
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.int8)


def _quad_pairs(w: np.ndarray) -> np.ndarray:
    """Depthwise weights [taps][channels] as MTVM_DW_QUADS (int32 words): groups of four
    channels with their taps together, each tap as two words of signed 16-bit halves (channels 0
    and 2, channels 1 and 3: low half, high half), then the last channels % 4 channels, one
    weight per word, as [tap][channel]. Halves are packed by value, so the words mean the same
    on any byte order."""
    taps, channels = w.shape
    quads = channels // 4
    q = w[:, :quads * 4].astype(np.int32).reshape(taps, quads, 4).transpose(1, 0, 2)  # [quad][tap][4]
    pairs = np.stack([q[..., 2] * 65536 + (q[..., 0] & 0xFFFF), q[..., 3] * 65536 + (q[..., 1] & 0xFFFF)], axis=-1)
    rest = w[:, quads * 4:].astype(np.int32).reshape(-1)
    return np.ascontiguousarray(np.concatenate([pairs.reshape(-1), rest]), dtype=np.int32)


def _fc_row_groups(w: np.ndarray) -> np.ndarray:
    """FULLY_CONNECTED weights [units][depth] as the kernel reads them: rows in groups of four
    interleaved in 4-byte chunks, each group followed by its rows' last depth % 4 bytes, then
    the last units % 4 rows as they are."""
    units, depth = w.shape
    chunks = depth // 4
    parts = []
    for start in range(0, units // 4 * 4, 4):
        rows = w[start:start + 4]
        parts.append(rows[:, :chunks * 4].reshape(4, chunks, 4).transpose(1, 0, 2).reshape(-1))
        parts.append(rows[:, chunks * 4:].reshape(-1))
    parts.append(w[units // 4 * 4:].reshape(-1))
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.int8)


# ---- CONV_2D: weights OHWI ---------------------------------------------------------------------


def _conv_check(op: Operator, graph: Graph) -> None:
    ops = _operands(op, graph)
    if len(ops.filter.shape) != 4:
        raise UnsupportedError(f"weights must be [out, H, W, in]; got shape {list(ops.filter.shape)}")
    out_c, fh, fw, fic = ops.filter.shape
    _check_common(op, ops, out_c)
    g = _geometry(op, ops, fh, fw)
    # Grouped convolution: the weights see in_c / groups channels each (TFLite supports it).
    if fic < 1 or g.in_c % fic != 0 or out_c % (g.in_c // fic) != 0:
        raise UnsupportedError(
            f"weights with {fic} input channels do not split the input's {g.in_c} channels and "
            f"the {out_c} output channels into equal groups"
        )
    if g.out_c != out_c:
        raise UnsupportedError(f"the output has {g.out_c} channels but the weights {out_c}")


def _conv_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = _operands(op, ctx.graph)
    out_c, fh, fw, fic = ops.filter.shape
    g = _geometry(op, ops, fh, fw)
    fields: list[tuple[str, object]] = [("g", g.c_fields()), ("filter_in_c", fic)]
    if ops.is_16x8:
        act_min, act_max = _output_activation_range(op, ops)
        mode = check_16x8_bias(op, ops.bias, option_allowed=True)
        rows = np.asarray(ops.filter.data, dtype=np.int8).reshape(out_c * fh * fw, fic)
        fields += [
            ("act_min", int(act_min)),
            ("act_max", int(act_max)),
            ("requant_mode", "MTVM_S16_REQUANT_INT32" if mode == "int32" else "MTVM_S16_REQUANT_INT64"),
            ("weights", ctx.const("conv_weights", quad_order(rows).reshape(-1))),
            ("bias", s16_bias(ctx, ops.bias, out_c, "conv")),
            ("requant", s16_requant(ctx, _effective_scales(ops, out_c), "conv")),
        ]
        return _emit(op, ctx, "mtvm_conv2d_s16", "mtvm_conv2d_s16_params_t", fields, _S16_SOURCES[op.opcode])
    if not ops.is_int8:
        fields += _float_fields(op, ctx, ops, "conv")
        return _emit(op, ctx, "mtvm_conv2d_f32", "mtvm_conv2d_f32_params_t", fields)
    rows = np.asarray(ops.filter.data, dtype=np.int8).reshape(out_c, -1)
    layout = _conv_layout(g, fic)
    if layout == CONV_PLAIN:
        arranged = rows.reshape(-1)
    else:
        # GATHER pads each window with zero weights to whole 4-byte chunks (PAIRS already is).
        padded = np.zeros((out_c, _round_up4(rows.shape[1])), dtype=np.int8)
        padded[:, :rows.shape[1]] = rows
        arranged = _pair_rows(padded, out_c // (g.in_c // fic))
    pad_bytes = fw * fic if layout == CONV_PAIRS else 0  # a whole row of taps outside the image
    int8_fields, fast = _int8_window_fields(op, ctx, ops, g, rows, layout, arranged, pad_bytes, "conv")
    if layout == CONV_PLAIN:
        kernel = "mtvm_conv2d_s8_plain"
    else:
        pointwise = layout == CONV_PAIRS and (fh, fw) == (1, 1) and fic == g.in_c
        kernel = ("mtvm_conv2d_s8_1x1" if pointwise else "mtvm_conv2d_s8_window") + ("" if fast else "_general")
    return _emit(op, ctx, kernel, "mtvm_conv2d_s8_params_t", fields + int8_fields)


def _conv_macs(op: Operator, graph: Graph) -> int:
    _, fh, fw, fic = graph.tensor(op.inputs[1]).shape
    return graph.tensor(op.outputs[0]).num_elements * fh * fw * fic


# ---- DEPTHWISE_CONV_2D: weights [1, H, W, in_c * depth_multiplier] ------------------------------


def _dw_check(op: Operator, graph: Graph) -> None:
    ops = _operands(op, graph)
    if len(ops.filter.shape) != 4 or ops.filter.shape[0] != 1:
        raise UnsupportedError(f"weights must be [1, H, W, channels]; got shape {list(ops.filter.shape)}")
    _, fh, fw, out_c = ops.filter.shape
    _check_common(op, ops, out_c)
    g = _geometry(op, ops, fh, fw)
    if g.in_c < 1 or out_c % g.in_c != 0 or g.out_c != out_c:
        raise UnsupportedError(
            f"{out_c} weight channels and {g.out_c} output channels are not the input's {g.in_c} "
            "channels times a depth multiplier"
        )


def _dw_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = _operands(op, ctx.graph)
    _, fh, fw, out_c = ops.filter.shape
    g = _geometry(op, ops, fh, fw)
    # Like LiteRT, the depth multiplier follows from the shapes, not from the (redundant) option.
    fields: list[tuple[str, object]] = [("g", g.c_fields()), ("depth_multiplier", out_c // g.in_c)]
    if ops.is_16x8:
        act_min, act_max = _output_activation_range(op, ops)
        fields += [
            ("act_min", int(act_min)),
            ("act_max", int(act_max)),
            ("weights", ctx.const("dwconv_weights", np.asarray(ops.filter.data, dtype=np.int8).reshape(-1))),
            ("bias", s16_bias(ctx, ops.bias, out_c, "dwconv")),
            ("requant", s16_requant(ctx, _effective_scales(ops, out_c), "dwconv")),
        ]
        return _emit(op, ctx, "mtvm_depthwise_conv2d_s16", "mtvm_depthwise_conv2d_s16_params_t", fields,
                     _S16_SOURCES[op.opcode])
    if not ops.is_int8:
        fields += _float_fields(op, ctx, ops, "dwconv")
        return _emit(op, ctx, "mtvm_depthwise_conv2d_f32", "mtvm_depthwise_conv2d_f32_params_t", fields)
    columns = np.asarray(ops.filter.data, dtype=np.int8).reshape(-1, out_c)  # [taps][channels]
    quads = out_c == g.in_c and fh * fw <= MAX_TAPS
    layout = DW_QUADS if quads else DW_PLAIN
    arranged = _quad_pairs(columns) if quads else columns.reshape(-1)
    int8_fields, fast = _int8_window_fields(op, ctx, ops, g, columns.T, layout, arranged,
                                            g.in_c if quads else 0, "dwconv",
                                            "weight_pairs" if quads else "weights")
    kernel = ("mtvm_depthwise_conv2d_s8_quads" + ("" if fast else "_general")) if quads else "mtvm_depthwise_conv2d_s8_plain"
    return _emit(op, ctx, kernel, "mtvm_depthwise_conv2d_s8_params_t", fields + int8_fields)


def _dw_macs(op: Operator, graph: Graph) -> int:
    _, fh, fw, _ = graph.tensor(op.inputs[1]).shape
    return graph.tensor(op.outputs[0]).num_elements * fh * fw


# ---- FULLY_CONNECTED: weights [units, depth] -----------------------------------------------------


def _fc_dims(ops: _Operands) -> tuple[int, int, int]:
    """(batches, depth, units): an input of any rank is read as [batches, depth], like TFLite;
    keep_num_dims only changes the output's shape, not its bytes."""
    units, depth = ops.filter.shape
    return ops.input.num_elements // depth, depth, units


def _fc_check(op: Operator, graph: Graph) -> None:
    ops = _operands(op, graph)
    if len(ops.filter.shape) != 2 or ops.filter.shape[1] < 1:
        raise UnsupportedError(f"weights must be [units, depth]; got shape {list(ops.filter.shape)}")
    fmt = str(op.options.get("weights_format", "DEFAULT"))
    if fmt != "DEFAULT":
        raise UnsupportedError(f"weights format {fmt} is not supported; use DEFAULT")
    batches, depth, units = _fc_dims(ops)
    _check_common(op, ops, units)
    if ops.input.num_elements % depth != 0:
        raise UnsupportedError(f"the input's {ops.input.num_elements} elements are not rows of depth {depth}")
    if not ops.output.shape or ops.output.shape[-1] != units or ops.output.num_elements != batches * units:
        raise UnsupportedError(f"output shape {list(ops.output.shape)} is not {batches} rows of {units} units")


def _fc_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = _operands(op, ctx.graph)
    batches, depth, units = _fc_dims(ops)
    fields: list[tuple[str, object]] = [("batches", int(batches)), ("accum_depth", int(depth)), ("out_c", int(units))]
    if ops.is_16x8:
        return _fc_emit_s16(op, ctx, ops, units, fields)
    if not ops.is_int8:
        fields += _float_fields(op, ctx, ops, "fc")
        return _emit(op, ctx, "mtvm_fully_connected_f32", "mtvm_fully_connected_f32_params_t", fields)
    wq = ops.filter.quant
    filter_offset = 0 if wq.per_channel else -int(wq.zero_point[0])
    input_offset = -int(ops.input.quant.zero_point[0])
    # sum((w + fo) * (x + io)) = sum(w * x) + io * sum(w) + depth * io * fo + fo * sum(x):
    # all but the last term are constants; the kernel adds fo * sum(x) once per row.
    weight_sums = np.asarray(ops.filter.data, dtype=np.int64).sum(axis=1)
    folded = _bias_values(ops, units) + input_offset * weight_sums + depth * input_offset * filter_offset
    scales = _effective_scales(ops, units)
    act_min, act_max = _output_activation_range(op, ops)
    zero_point = int(ops.output.quant.zero_point[0])
    fields += [
        ("filter_offset", int(filter_offset)),
        ("output_offset", int(zero_point)),
        ("act_min", int(act_min)),
        ("act_max", int(act_max)),
        ("weights", ctx.const("fc_weights", _fc_row_groups(np.asarray(ops.filter.data, dtype=np.int8)))),
        ("folded_bias", ctx.const("fc_folded_bias", _as_int32(folded))),
    ]
    rounding = _fc_rounding_fields(ctx, scales if wq.per_channel else scales[:1], act_min - zero_point,
                                   act_max - zero_point)
    in_double = rounding[0][0] == "scales"
    kernel = "mtvm_fully_connected_s8_double" if in_double else "mtvm_fully_connected_s8"
    return _emit(op, ctx, kernel, "mtvm_fully_connected_s8_params_t", fields + rounding)


def _fc_emit_s16(op: Operator, ctx: LowerContext, ops: _Operands, units: int,
                 fields: list[tuple[str, object]]) -> EmittedOp:
    """16x8: LiteRT rounds round(acc * scale) in double, the int8 kernel's rounding; we do the
    same double arithmetic in C (once per output, so its cost is small next to the dot product)."""
    wq = ops.filter.quant
    act_min, act_max = _output_activation_range(op, ops)
    accumulator = check_16x8_bias(op, ops.bias, option_allowed=True)
    scales = _effective_scales(ops, units)
    fields += [
        ("filter_offset", int(0 if wq.per_channel else -int(wq.zero_point[0]))),
        ("act_min", int(act_min)),
        ("act_max", int(act_max)),
        ("wrap_s32", accumulator == "int32"),
        ("weights", ctx.const("fc_weights", quad_order(np.asarray(ops.filter.data, dtype=np.int8)).reshape(-1))),
        ("bias", s16_bias(ctx, ops.bias, units, "fc")),
        ("scales", ctx.const("fc_scales", np.asarray(scales if wq.per_channel else scales[:1], dtype=np.float64))),
        ("per_channel_scales", bool(wq.per_channel)),
    ]
    return _emit(op, ctx, "mtvm_fully_connected_s16", "mtvm_fully_connected_s16_params_t", fields,
                 _S16_SOURCES[op.opcode])


def _fc_rounding_fields(ctx: LowerContext, scales: np.ndarray, lo: int, hi: int) -> list[tuple[str, object]]:
    """The integer multiplier and shift of each scale (one per channel, or one per tensor), or,
    if some scale has none, the double scales themselves (the first field is then `scales`)."""
    pairs = [fc_integer_rounding(float(s), lo, hi) for s in scales]
    if any(pair is None for pair in pairs):
        return [("scales", ctx.const("fc_scales", np.asarray(scales, dtype=np.float64))),
                ("per_channel_scales", len(scales) > 1)]
    if len(pairs) == 1:
        return [("multiplier", f"{pairs[0][0]}u"), ("shift", int(pairs[0][1]))]
    return [
        ("channel_multipliers", ctx.const("fc_multipliers", np.array([m for m, _ in pairs], dtype=np.uint32))),
        ("channel_shifts", ctx.const("fc_shifts", np.array([k for _, k in pairs], dtype=np.int32))),
    ]


def _round_half_away_double(acc: int, scale: float) -> int:
    """LiteRT's reference: std::round((double)acc * scale) (Python floats are IEEE doubles).
    Exactly: the fraction x - trunc(x) is exact, where floor(|x| + 0.5) could round up."""
    x = float(acc) * scale
    whole = math.trunc(x)
    fraction = x - whole
    return whole + (1 if fraction >= 0.5 else 0) - (1 if fraction <= -0.5 else 0)


def fc_integer_rounding(scale: float, lo: int, hi: int) -> Optional[tuple[int, int]]:
    """(multiplier, shift) for the kernel's integer rounding,
        f_int(acc) = sign(acc) * floor((|acc| * multiplier + 2^(31 + shift)) / 2^(32 + shift)),
    that gives the same int8 output as LiteRT's f_double(acc) = round_half_away(double(acc) *
    scale) for every int32 accumulator, once clamped to [lo, hi] (the activation range minus the
    output zero point). None if there is none: a scale of 1/2 or more (the kernel's shift must
    be at least 1), or no 32-bit multiplier that every accumulator agrees with (very small
    scales, or a product that rounds to a tie in double); the kernel then rounds in double.

    Both functions are odd (f(-a) = -f(a): the double product of -a is exactly minus that of a)
    and non-decreasing in a. Two such step functions agree on every a in [0, 2^31] up to the
    clamp if and only if, for each b = 1 .. B with B = max(|lo|, |hi|) + 1, they take a value
    >= b from the same a on (values from B on are clamped alike). For f_double that first a,
    a_b, is found from the exact quotient (b - 1/2) / scale, corrected by evaluating the double
    product itself on its neighbours; for f_int, "a * multiplier >= (b - 1/2) * 2^total"
    (total = 32 + shift) holds from a_b on exactly when
        (b - 1/2) * 2^total / a_b  <=  multiplier  <  (b - 1/2) * 2^total / (a_b - 1).
    The multiplier is the one nearest scale * 2^total within all these bounds.
    """
    if not (math.isfinite(scale) and 0.0 < scale < 0.5):
        return None
    _, exponent = math.frexp(scale)  # scale = m * 2^exponent, 0.5 <= m < 1, exponent <= -1
    total = 32 - exponent  # scale * 2^total in [2^31, 2^32)
    if total > 63:
        return None
    numerator, denominator = scale.as_integer_ratio()  # exact; denominator a power of two
    lowest, highest = 1 << 31, (1 << 32) - 1  # the multiplier's range, narrowed below
    limit = 1 << 31  # |INT32_MIN|
    for b in range(1, max(abs(lo), abs(hi)) + 2):
        need = (2 * b - 1) << (total - 1)  # (b - 1/2) * 2^total
        # a_b: start from ceil((b - 1/2) / scale), exactly, then check the double product.
        first = -(-(2 * b - 1) * denominator // (2 * numerator))
        if first <= limit + 1:
            while first > 0 and _round_half_away_double(first - 1, scale) >= b:
                first -= 1
            while _round_half_away_double(first, scale) < b:
                first += 1
        if first > limit:
            # f_double stays below b up to |INT32_MIN|: so must f_int, and both for all larger b.
            highest = min(highest, -(-need // limit) - 1)
            break
        lowest = max(lowest, -(-need // first))
        if first > 1:
            highest = min(highest, -(-need // (first - 1)) - 1)
    if lowest > highest:
        return None
    nearest = (2 * numerator * (1 << total) + denominator) // (2 * denominator)  # round(scale * 2^total)
    return min(max(nearest, lowest), highest), total - 32


def _fc_macs(op: Operator, graph: Graph) -> int:
    units, depth = graph.tensor(op.inputs[1]).shape
    return graph.tensor(op.inputs[0]).num_elements // max(depth, 1) * depth * units


LOWERINGS: list[OpLowering] = [
    OpLowering("CONV_2D", _conv_check, _conv_emit, _HEADERS, macs=_conv_macs, dtypes=_DTYPES),
    OpLowering("DEPTHWISE_CONV_2D", _dw_check, _dw_emit, _HEADERS, macs=_dw_macs, dtypes=_DTYPES),
    OpLowering("FULLY_CONNECTED", _fc_check, _fc_emit, _HEADERS, macs=_fc_macs, dtypes=_DTYPES),
]
