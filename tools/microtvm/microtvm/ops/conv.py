"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: operand checks, constant preparation, C calls.

Everything that depends only on constants is computed here, at generation time, so that the C
kernels (runtime/src/conv.c, declared in runtime/include/mtvm/conv.h) only multiply, add and
requantize. Per operator we emit one `static const` parameter struct and one kernel call.

int8 arithmetic, matching LiteRT 2.3.0's reference kernels (BUILTIN_REF) bit for bit:
- CONV_2D / DEPTHWISE_CONV_2D requantize with a q31 multiplier and shift per output channel
  (TFLite's PopulateConvolutionQuantizationParams: input_scale * filter_scale / output_scale
  computed in double from the float32 scales, then QuantizeMultiplier), applied with
  MultiplyByQuantizedMultiplier: two roundings.
- FULLY_CONNECTED rounds once: LiteRT's reference kernel multiplies the int32 accumulator by that
  same double scale and applies std::round (TFLite Micro rounds twice, like the convolutions,
  and differs by one on rare ties). So we pass the double scale itself to the kernel.
- The bias is folded with the zero points: bias + input_offset * sum(weights of the channel)
  (input_offset = -input zero point), so the inner loop is a pure int8 x int8 dot product plus
  one int32 constant. Convolution windows that cross the image border skip their outside taps,
  which the fold cannot know about; the kernel uses the unfolded form there.
- The fused activation becomes a clamp range in the output's quantized domain, computed like
  TFLite's CalculateActivationRangeQuantized (bound / scale in float32, rounded half away).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering

_HEADERS = ("mtvm/conv.h",)
_SOURCES = ("conv.c",)

# TFLite's convolution kernels silently compute TANH and SIGN_BIT as NONE, and its
# FULLY_CONNECTED rejects them: we reject them, so a model never computes something else than
# what it says.
_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")

# The output-channel axis of the weights, where per-channel scales must lie.
_CHANNEL_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}

_SUPPORTED_TYPES = (
    "int8 activations with int8 weights (per-tensor or per-channel) and an int32 bias, "
    "or float32 activations, weights and bias"
)


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
    expected_bias = {"int8": "int32", "float32": "float32"}.get(in_t)
    if in_t not in ("int8", "float32") or w_t != in_t or out_t != in_t or bias_t not in (None, expected_bias):
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
    if ops.is_int8:
        _check_quantization(op, ops, out_channels)


def _check_quantization(op: Operator, ops: _Operands, out_channels: int) -> None:
    """Per-tensor activations; per-tensor or per-channel weights, symmetric where TFLite says so."""
    for name, t in (("input", ops.input), ("output", ops.output)):
        if t.quant is None or len(t.quant.scale) != 1:
            raise UnsupportedError(f"the int8 {name} needs one (per-tensor) scale and zero point")
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


# ---- window geometry of the convolutions --------------------------------------------------------


@dataclass(frozen=True)
class _Geometry:
    """The fields of the C struct mtvm_conv_geometry, in its order."""

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

    def c_initializer(self) -> str:
        return "{" + ", ".join(f".{f.name} = {getattr(self, f.name)}" for f in dataclasses.fields(self)) + "}"


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
    output = ops.output.quant
    return quant.activation_range_int8(_activation(op), _f32(output.scale[0]), int(output.zero_point[0]))


def _bias_values(ops: _Operands, out_channels: int) -> np.ndarray:
    if ops.bias is None:
        return np.zeros(out_channels, dtype=np.int64)
    return np.asarray(ops.bias.data, dtype=np.int64).reshape(out_channels)


def _as_int32(values: np.ndarray) -> np.ndarray:
    if values.size and (values.min() < quant.INT32_MIN or values.max() > quant.INT32_MAX):
        raise UnsupportedError("the bias folded with the zero points overflows int32")
    return values.astype(np.int32)


# ---- C emission helpers --------------------------------------------------------------------------


def _c_f32(v: float) -> str:
    """A float literal for an activation bound (INFINITY comes from <math.h>, which conv.h includes)."""
    if np.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return repr(_f32(v)) + "f"


def _c_f64(v: float) -> str:
    """An exact C99 hexadecimal double literal, with the decimal value alongside for readers."""
    return f"{float(v).hex()} /* {float(v)!r} */"


def _emit(op: Operator, ctx: LowerContext, kernel: str, ctype: str, fields: list[tuple[str, str]]) -> EmittedOp:
    """A `static const` parameter struct (it lives in flash) and `kernel(&params, input, output);`."""
    name = f"{ctx.prefix}_params"
    body = "".join(f"    .{key} = {value},\n" for key, value in fields)
    decls = f"static const {ctype} {name} = {{\n{body}}};\n"
    call = f"{kernel}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call, decls=decls)


def _float_fields(op: Operator, ctx: LowerContext, ops: _Operands, hint: str) -> list[tuple[str, str]]:
    """Fields shared by the three float32 parameter structs."""
    lo, hi = quant.activation_range_float(_activation(op))
    bias = "NULL"
    if ops.bias is not None:
        bias = ctx.const(f"{hint}_bias", np.asarray(ops.bias.data, dtype=np.float32).reshape(-1))
    return [
        ("act_min", _c_f32(lo)),
        ("act_max", _c_f32(hi)),
        ("weights", ctx.const(f"{hint}_weights", np.ascontiguousarray(ops.filter.data, dtype=np.float32))),
        ("bias", bias),
    ]


def _int8_window_fields(op: Operator, ctx: LowerContext, ops: _Operands, g: _Geometry,
                        weight_sums: np.ndarray, hint: str) -> list[tuple[str, str]]:
    """Fields shared by the int8 CONV_2D and DEPTHWISE_CONV_2D parameter structs."""
    input_offset = -int(ops.input.quant.zero_point[0])
    bias = _bias_values(ops, g.out_c)
    folded = ctx.const(f"{hint}_folded_bias", _as_int32(bias + input_offset * weight_sums))
    # The unfolded bias is read only by windows that cross the image border.
    if ops.bias is None or not g.has_border_windows():
        unfolded = "NULL"
    elif input_offset == 0:
        unfolded = folded
    else:
        unfolded = ctx.const(f"{hint}_bias", _as_int32(bias))
    multipliers, shifts = quant.per_channel_multipliers(_effective_scales(ops, g.out_c))
    act_min, act_max = _output_activation_range(op, ops)
    return [
        ("input_offset", str(input_offset)),
        ("output_offset", str(int(ops.output.quant.zero_point[0]))),
        ("act_min", str(act_min)),
        ("act_max", str(act_max)),
        ("weights", ctx.const(f"{hint}_weights", np.ascontiguousarray(ops.filter.data, dtype=np.int8))),
        ("folded_bias", folded),
        ("bias", unfolded),
        ("multiplier", ctx.const(f"{hint}_multiplier", multipliers)),
        ("shift", ctx.const(f"{hint}_shift", shifts)),
    ]


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
    fields = [("g", g.c_initializer()), ("filter_in_c", str(fic))]
    if not ops.is_int8:
        fields += _float_fields(op, ctx, ops, "conv")
        return _emit(op, ctx, "mtvm_conv2d_f32", "mtvm_conv2d_f32_params", fields)
    weight_sums = np.asarray(ops.filter.data, dtype=np.int64).reshape(out_c, -1).sum(axis=1)
    fields += _int8_window_fields(op, ctx, ops, g, weight_sums, "conv")
    return _emit(op, ctx, "mtvm_conv2d_s8", "mtvm_conv2d_s8_params", fields)


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
    fields = [("g", g.c_initializer()), ("depth_multiplier", str(out_c // g.in_c))]
    if not ops.is_int8:
        fields += _float_fields(op, ctx, ops, "dwconv")
        return _emit(op, ctx, "mtvm_depthwise_conv2d_f32", "mtvm_depthwise_conv2d_f32_params", fields)
    weight_sums = np.asarray(ops.filter.data, dtype=np.int64).reshape(-1, out_c).sum(axis=0)
    fields += _int8_window_fields(op, ctx, ops, g, weight_sums, "dwconv")
    return _emit(op, ctx, "mtvm_depthwise_conv2d_s8", "mtvm_depthwise_conv2d_s8_params", fields)


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
    fields = [("batches", str(batches)), ("accum_depth", str(depth)), ("out_c", str(units))]
    if not ops.is_int8:
        fields += _float_fields(op, ctx, ops, "fc")
        return _emit(op, ctx, "mtvm_fully_connected_f32", "mtvm_fully_connected_f32_params", fields)
    wq = ops.filter.quant
    filter_offset = 0 if wq.per_channel else -int(wq.zero_point[0])
    input_offset = -int(ops.input.quant.zero_point[0])
    # sum((w + fo) * (x + io)) = sum(w * x) + io * sum(w) + depth * io * fo + fo * sum(x):
    # all but the last term are constants; the kernel adds fo * sum(x) once per row.
    weight_sums = np.asarray(ops.filter.data, dtype=np.int64).sum(axis=1)
    folded = _bias_values(ops, units) + input_offset * weight_sums + depth * input_offset * filter_offset
    scales = _effective_scales(ops, units)
    act_min, act_max = _output_activation_range(op, ops)
    if wq.per_channel:
        scale, channel_scales = "0.0", ctx.const("fc_scales", scales)
    else:
        scale, channel_scales = _c_f64(scales[0]), "NULL"
    fields += [
        ("filter_offset", str(filter_offset)),
        ("output_offset", str(int(ops.output.quant.zero_point[0]))),
        ("act_min", str(act_min)),
        ("act_max", str(act_max)),
        ("weights", ctx.const("fc_weights", np.ascontiguousarray(ops.filter.data, dtype=np.int8))),
        ("folded_bias", ctx.const("fc_folded_bias", _as_int32(folded))),
        ("scale", scale),
        ("channel_scales", channel_scales),
    ]
    return _emit(op, ctx, "mtvm_fully_connected_s8", "mtvm_fully_connected_s8_params", fields)


def _fc_macs(op: Operator, graph: Graph) -> int:
    units, depth = graph.tensor(op.inputs[1]).shape
    return graph.tensor(op.inputs[0]).num_elements // max(depth, 1) * depth * units


LOWERINGS: list[OpLowering] = [
    OpLowering("CONV_2D", _conv_check, _conv_emit, _HEADERS, _SOURCES, macs=_conv_macs),
    OpLowering("DEPTHWISE_CONV_2D", _dw_check, _dw_emit, _HEADERS, _SOURCES, macs=_dw_macs),
    OpLowering("FULLY_CONNECTED", _fc_check, _fc_emit, _HEADERS, _SOURCES, macs=_fc_macs),
]
