"""TRANSPOSE_CONV: float32, int8 and 16x8, against LiteRT 2.3.0's reference kernels.

TFLite's operands: (output_shape, weights [out_c, filter_h, filter_w, in_c], input, bias?), the
bias absent when there are three inputs or the fourth is -1. output_shape must be a constant
int32 vector equal to the output tensor's shape (LiteRT resizes the output to it), and, as
LiteRT's Prepare checks, a SAME/VALID convolution of the output's size must give the input's size
(so with SAME padding, out = in * stride - {0 .. stride - 1}).

Geometry (LiteRT's Eval): the padding is ComputePaddingHeightWidth applied to the OUTPUT size,
dilation 1, i.e. the leading padding a SAME/VALID convolution of the output's size would get;
input pixel (iy, ix) then feeds output (iy * stride_h - pad_top + fy, ix * stride_w - pad_left +
fx). The kernels (runtime/src/transpose_conv_{f32,s8,s16}.c) gather per output in LiteRT's order
of additions (see mtvm/transpose_conv.h), so they need no scratch buffer.

Arithmetic:
- float32: sum, then bias, then the fused activation's clamp;
- int8 (per-tensor or per-channel symmetric weights, int32 bias): int32 accumulator of
  (x - input zero point) * w, TFLite's 32-bit MultiplyByQuantizedMultiplier (two roundings) per
  output channel (PopulateConvolutionQuantizationParams: QuantizeMultiplier of
  input_scale * weight_scale / output_scale in double), plus the output zero point, clamped;
- 16x8 (zero points 0): int64 accumulator and 64-bit MultiplyByQuantizedMultiplier with an int64
  bias or none; int32 accumulator and the 32-bit one with an int32 bias and quantized_bias_type
  INT32 (an int32 bias without the option is rejected: LiteRT reads it as int64).
The fused activation (NONE, RELU, RELU6, RELU_N1_TO_1) is a clamp, in the quantized domain for
integer outputs (TFLite's CalculateActivationRangeQuantized).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator
from . import conv
from .base import CValue, EmittedOp, LowerContext, OpLowering

_HEADERS = ("mtvm/transpose_conv.h",)
_SOURCES = {"float32": "transpose_conv_f32.c", "int8": "transpose_conv_s8.c", "int16": "transpose_conv_s16.c"}
_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
_SUPPORTED_TYPES = (
    "float32 input, weights and bias; int8 input and output with int8 weights and an int32 bias; "
    "or int16 input and output with int8 weights and an int64 bias (16x8; an int32 bias with "
    "quantized_bias_type INT32)"
)

# Positions of TFLite's operands.
_OUTPUT_SHAPE, _WEIGHTS, _INPUT, _BIAS = 0, 1, 2, 3


def _operands(op: Operator, graph: Graph) -> conv._Operands:
    if len(op.inputs) not in (3, 4):
        raise UnsupportedError(
            f"TRANSPOSE_CONV takes (output_shape, weights, input[, bias]); got {len(op.inputs)} inputs"
        )
    bias_index = op.inputs[_BIAS] if len(op.inputs) > _BIAS else -1
    return conv._Operands(
        input=graph.tensor(op.inputs[_INPUT]),
        filter=graph.tensor(op.inputs[_WEIGHTS]),
        bias=graph.tensor(bias_index) if bias_index >= 0 else None,
        output=graph.tensor(op.outputs[0]),
    )


def _check_types(ops: conv._Operands) -> None:
    in_t, w_t, out_t = ops.input.dtype, ops.filter.dtype, ops.output.dtype
    if in_t == "float32" and w_t != "float32":
        raise UnsupportedError(
            f"hybrid quantization (float32 activations with {w_t} weights) is not supported; "
            "convert the model with full-integer quantization, or use the float32 model"
        )
    bias_t = ops.bias.dtype if ops.bias is not None else None
    expected_weights = {"float32": "float32", "int8": "int8", "int16": "int8"}.get(in_t)
    expected_bias = {"float32": ("float32",), "int8": ("int32",), "int16": ("int64", "int32")}.get(in_t, ())
    if expected_weights is None or w_t != expected_weights or out_t != in_t or (
        bias_t is not None and bias_t not in expected_bias
    ):
        raise UnsupportedError(
            f"input {in_t}, weights {w_t}, bias {bias_t or 'none'} and output {out_t} are not supported; "
            f"supported: {_SUPPORTED_TYPES}"
        )


def _check_quantization(ops: conv._Operands, out_c: int) -> None:
    for name, t in (("input", ops.input), ("output", ops.output)):
        if t.quant is None or len(t.quant.scale) != 1:
            raise UnsupportedError(f"the {t.dtype} {name} needs one (per-tensor) scale and zero point")
    wq = ops.filter.quant
    if wq is None or len(wq.scale) == 0:
        raise UnsupportedError("the int8 weights have no quantization parameters")
    if wq.per_channel and (len(wq.scale) != out_c or wq.axis != 0):
        raise UnsupportedError(
            f"per-channel weights need one scale per output channel ({out_c}) along axis 0; "
            f"got {len(wq.scale)} scales along axis {wq.axis}"
        )
    # LiteRT's integer kernels ignore the weights' zero point: a non-zero one would mean
    # something else than what they compute.
    if any(z != 0 for z in wq.zero_point):
        raise UnsupportedError("the int8 weights must be symmetric (zero point 0); re-quantize the model")


def _output_shape(op: Operator, graph: Graph) -> tuple[int, ...]:
    shape = graph.tensor(op.inputs[_OUTPUT_SHAPE])
    if not shape.is_constant:
        raise UnsupportedError("the output_shape operand must be a constant (dynamic output shapes are not supported)")
    if shape.dtype != "int32" or shape.num_elements != 4:
        raise UnsupportedError(
            f"the output_shape operand must be 4 int32 values; got {shape.num_elements} {shape.dtype} values"
        )
    return tuple(int(v) for v in np.asarray(shape.data).reshape(-1))


def _geometry(op: Operator, graph: Graph, ops: conv._Operands) -> conv._Geometry:
    if len(ops.input.shape) != 4 or len(ops.filter.shape) != 4 or len(ops.output.shape) != 4:
        raise UnsupportedError("input, weights and output must have rank 4 (NHWC; weights OHWI)")
    wanted = _output_shape(op, graph)
    if tuple(ops.output.shape) != wanted:
        raise UnsupportedError(
            f"the output tensor's shape {list(ops.output.shape)} is not output_shape {list(wanted)}"
        )
    batches, in_h, in_w, in_c = ops.input.shape
    out_c, fh, fw, w_in_c = ops.filter.shape
    _, out_h, out_w, o_c = ops.output.shape
    if w_in_c != in_c or o_c != out_c or ops.output.shape[0] != batches:
        raise UnsupportedError(
            f"weights {list(ops.filter.shape)} (OHWI) do not match input {list(ops.input.shape)} and "
            f"output {list(ops.output.shape)}"
        )
    if min(out_h, out_w, fh, fw, in_h, in_w, in_c, out_c) < 1:
        raise UnsupportedError("empty tensors are not supported")
    opts = op.options
    padding = str(opts.get("padding", "SAME"))
    stride_h, stride_w = int(opts.get("stride_h", 1)), int(opts.get("stride_w", 1))
    if padding not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {padding} is not supported; use SAME or VALID")
    if min(stride_h, stride_w) < 1:
        raise UnsupportedError("strides must be at least 1")
    # LiteRT's Prepare: a convolution of the output's size with this padding and stride must
    # give back the input's size (its "computed_input_height/width").
    computed_h, pad_top = conv._out_size_and_pad(padding, out_h, fh, stride_h, 1)
    computed_w, pad_left = conv._out_size_and_pad(padding, out_w, fw, stride_w, 1)
    if (computed_h, computed_w) != (in_h, in_w):
        raise UnsupportedError(
            f"output size {out_h}x{out_w} does not fit input size {in_h}x{in_w} with a {fh}x{fw} filter, "
            f"strides {stride_h}x{stride_w} and {padding} padding (a {padding} convolution of the "
            f"output would give {computed_h}x{computed_w})"
        )
    return conv._Geometry(batches, in_h, in_w, in_c, out_h, out_w, out_c, fh, fw, stride_h, stride_w, 1, 1,
                          pad_top, pad_left)


def _check(op: Operator, graph: Graph) -> None:
    ops = _operands(op, graph)
    _check_types(ops)
    g = _geometry(op, graph, ops)
    if not ops.filter.is_constant:
        raise UnsupportedError("the weights must be a constant tensor")
    if ops.bias is not None and not ops.bias.is_constant:
        raise UnsupportedError("the bias must be a constant tensor")
    if ops.bias is not None and ops.bias.num_elements != g.out_c:
        raise UnsupportedError(f"the bias has {ops.bias.num_elements} elements for {g.out_c} output channels")
    activation = conv._activation(op)
    if activation not in _ACTIVATIONS:
        raise UnsupportedError(
            f"fused activation {activation} is not supported; supported: {', '.join(_ACTIVATIONS)}"
        )
    if ops.input.dtype == "float32":
        return
    _check_quantization(ops, g.out_c)
    if ops.input.dtype == "int16":
        conv.check_16x8_activations("TRANSPOSE_CONV", ops.input, ops.output)
        conv.check_16x8_bias(op, ops.bias, option_allowed=True)
        _, shifts = quant.per_channel_multipliers(conv._effective_scales(ops, g.out_c))
        conv.check_s64_shifts(shifts)


def _emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = _operands(op, ctx.graph)
    g = _geometry(op, ctx.graph, ops)
    dtype = ops.input.dtype
    fields: list[tuple[str, CValue]] = [("g", g.c_fields())]
    if dtype == "float32":
        lo, hi = quant.activation_range_float(conv._activation(op))
        bias = "NULL" if ops.bias is None else ctx.const(
            "tconv_bias", np.asarray(ops.bias.data, dtype=np.float32).reshape(-1))
        fields += [
            ("act_min", float(lo)),
            ("act_max", float(hi)),
            ("weights", ctx.const("tconv_weights", np.ascontiguousarray(ops.filter.data, dtype=np.float32))),
            ("bias", bias),
        ]
        return _call(op, ctx, "mtvm_transpose_conv_f32", "mtvm_transpose_conv_f32_params_t", fields, dtype)
    act_min, act_max = conv.output_activation_range(op, ops.output)
    weights = ctx.const("tconv_weights", np.ascontiguousarray(ops.filter.data, dtype=np.int8).reshape(-1))
    requant = conv.s16_requant(ctx, conv._effective_scales(ops, g.out_c), "tconv")
    if dtype == "int8":
        bias = "NULL" if ops.bias is None else ctx.const(
            "tconv_bias", np.asarray(ops.bias.data, dtype=np.int32).reshape(-1))
        fields += [
            ("input_offset", int(-int(ops.input.quant.zero_point[0]))),
            ("output_offset", int(int(ops.output.quant.zero_point[0]))),
            ("act_min", int(act_min)),
            ("act_max", int(act_max)),
            ("weights", weights),
            ("bias", bias),
            ("requant", requant),
        ]
        return _call(op, ctx, "mtvm_transpose_conv_s8", "mtvm_transpose_conv_s8_params_t", fields, dtype)
    mode = conv.check_16x8_bias(op, ops.bias, option_allowed=True)
    fields += [
        ("act_min", int(act_min)),
        ("act_max", int(act_max)),
        ("requant_mode", "MTVM_S16_REQUANT_INT32" if mode == "int32" else "MTVM_S16_REQUANT_INT64"),
        ("weights", weights),
        ("bias", conv.s16_bias(ctx, ops.bias, g.out_c, "tconv")),
        ("requant", requant),
    ]
    return _call(op, ctx, "mtvm_transpose_conv_s16", "mtvm_transpose_conv_s16_params_t", fields, dtype)


def _call(op: Operator, ctx: LowerContext, kernel: str, ctype: str, fields: list[tuple[str, CValue]],
          dtype: str) -> EmittedOp:
    return conv.emit_call(op, ctx, kernel, ctype, fields, _SOURCES[dtype], data_input=_INPUT)


def _macs(op: Operator, graph: Graph) -> int:
    """Every input element times every tap and output channel (LiteRT's scatter; products that
    fall outside the output included)."""
    out_c, fh, fw, _ = graph.tensor(op.inputs[_WEIGHTS]).shape
    return graph.tensor(op.inputs[_INPUT]).num_elements * fh * fw * out_c


LOWERINGS: list[OpLowering] = [
    OpLowering("TRANSPOSE_CONV", _check, _emit, _HEADERS, macs=_macs, dtypes=("int8", "int16", "float32")),
]
