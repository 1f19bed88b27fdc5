"""Hybrid (dynamic-range quantized) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: float32
activations with int8 constant weights, computed as LiteRT 2.3.0's reference kernels do
(BUILTIN_REF; C kernels in runtime/src/*_hybrid.c, declared in runtime/include/mtvm/hybrid.h).

LiteRT quantizes the float input on the fly, runs an integer dot product against the int8
weights and scales the result back to float (see mtvm/hybrid.h):
- FULLY_CONNECTED: each input row, symmetrically, or asymmetrically with the option
  asymmetric_quantize_inputs; per-tensor or per-channel weight scales;
- CONV_2D with per-tensor weights (or per-channel scales that are all equal): each image of
  the batch, symmetrically (LiteRT's im2col + integer GEMM path); with per-channel scales that
  differ, or grouped: asymmetrically (LiteRT's HybridConvPerChannel);
- DEPTHWISE_CONV_2D: each image, asymmetrically, per-channel scales.
The on-the-fly quantization and every float operation after the integer sum follow LiteRT's
x86 build in order and precision, so the outputs are the same floats: we test them within
1e-6 relative / 1e-6 absolute of LiteRT (in practice they are equal).

The registry keeps one lowering per opcode: with_hybrid_kernels() wraps the float/int8 lowering
of each of the three opcodes (ops/conv.py) in a small dispatcher that sends hybrid operands here
and everything else there; each call names its own runtime files (EmittedOp.sources), so a model
ships only the kernels it calls.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from . import conv
from .base import EmittedOp, LowerContext, OpLowering

_HEADERS = ("mtvm/hybrid.h",)
_QUANTIZE = "hybrid_quantize.c"
_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
_WEIGHT_TYPES = ("int8", "uint8", "int4")


def is_hybrid(op: Operator, graph: Graph) -> bool:
    """Float32 input with quantized (8-bit or narrower) weights, as LiteRT decides it."""
    if len(op.inputs) < 2 or op.inputs[0] < 0 or op.inputs[1] < 0:
        return False
    return graph.tensor(op.inputs[0]).dtype == "float32" and graph.tensor(op.inputs[1]).dtype in _WEIGHT_TYPES


# ---- checks shared by the three operators -------------------------------------------------------


def _check_common(op: Operator, ops: conv._Operands, out_channels: int) -> None:
    w = ops.filter
    if w.dtype != "int8":
        raise UnsupportedError(f"hybrid {w.dtype} weights are not supported; supported: int8 weights")
    if ops.output.dtype != "float32":
        raise UnsupportedError(f"a hybrid operator's output must be float32, not {ops.output.dtype}")
    if ops.bias is not None and ops.bias.dtype != "float32":
        raise UnsupportedError(f"a hybrid operator's bias must be float32, not {ops.bias.dtype}")
    if not w.is_constant:
        raise UnsupportedError("the int8 weights of a hybrid operator must be a constant tensor")
    if ops.bias is not None and not ops.bias.is_constant:
        raise UnsupportedError("the bias must be a constant tensor")
    if ops.bias is not None and ops.bias.num_elements != out_channels:
        raise UnsupportedError(f"the bias has {ops.bias.num_elements} elements for {out_channels} output channels")
    activation = conv._activation(op)
    if activation not in _ACTIVATIONS:
        raise UnsupportedError(
            f"fused activation {activation} is not supported with hybrid weights; supported: {', '.join(_ACTIVATIONS)}"
        )
    q = w.quant
    if q is None or not q.scale:
        raise UnsupportedError("the int8 weights of a hybrid operator have no quantization scale")
    # LiteRT's hybrid kernels treat the weights as symmetric and ignore a zero point: a non-zero
    # one would silently mean something else than the model says.
    if any(z != 0 for z in q.zero_point):
        raise UnsupportedError("hybrid int8 weights must be symmetric (zero point 0); re-quantize the model")


def _per_channel_scales(op: Operator, w: Tensor, out_channels: int, axis: int) -> np.ndarray:
    """The weight scales, one per output channel (a per-tensor scale repeated)."""
    q = w.quant
    if len(q.scale) == 1:
        return np.full(out_channels, q.scale[0], dtype=np.float32)
    if len(q.scale) != out_channels or q.axis != axis:
        raise UnsupportedError(
            f"per-channel weights need one scale per output channel ({out_channels}) along axis {axis}; "
            f"got {len(q.scale)} scales along axis {q.axis}"
        )
    return np.asarray(q.scale, dtype=np.float32)


def _emit(op: Operator, ctx: LowerContext, kernel: str, ctype: str, fields: list[tuple[str, object]],
          source: str) -> EmittedOp:
    name = ctx.params(ctype, dict(fields))
    call = f"{kernel}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])}, {ctx.scratch()});"
    return EmittedOp(call=call, headers=_HEADERS, sources=(_QUANTIZE, source))


def _common_fields(op: Operator, ctx: LowerContext, ops: conv._Operands, hint: str,
                   weights: np.ndarray) -> list[tuple[str, object]]:
    lo, hi = quant.activation_range_float(conv._activation(op))
    bias = "NULL"
    if ops.bias is not None:
        bias = ctx.const(f"{hint}_bias", np.asarray(ops.bias.data, dtype=np.float32).reshape(-1))
    return [
        ("act_min", float(lo)),
        ("act_max", float(hi)),
        ("weights", ctx.const(f"{hint}_weights", np.ascontiguousarray(weights, dtype=np.int8).reshape(-1))),
        ("bias", bias),
    ]


# ---- FULLY_CONNECTED ----------------------------------------------------------------------------


def _fc_check(op: Operator, graph: Graph) -> None:
    ops = conv._operands(op, graph)
    if len(ops.filter.shape) != 2 or ops.filter.shape[1] < 1:
        raise UnsupportedError(f"weights must be [units, depth]; got shape {list(ops.filter.shape)}")
    fmt = str(op.options.get("weights_format", "DEFAULT"))
    if fmt != "DEFAULT":
        raise UnsupportedError(f"weights format {fmt} is not supported; use DEFAULT")
    batches, depth, units = conv._fc_dims(ops)
    _check_common(op, ops, units)
    _per_channel_scales(op, ops.filter, units, 0)
    if ops.input.num_elements % depth != 0:
        raise UnsupportedError(f"the input's {ops.input.num_elements} elements are not rows of depth {depth}")
    if not ops.output.shape or ops.output.shape[-1] != units or ops.output.num_elements != batches * units:
        raise UnsupportedError(f"output shape {list(ops.output.shape)} is not {batches} rows of {units} units")


def _fc_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = conv._operands(op, ctx.graph)
    batches, depth, units = conv._fc_dims(ops)
    w = np.asarray(ops.filter.data, dtype=np.int8).reshape(units, depth)
    q = ops.filter.quant
    asymmetric = bool(op.options.get("asymmetric_quantize_inputs", False))
    channel_scales = "NULL"
    if len(q.scale) > 1:
        channel_scales = ctx.const("fc_channel_scales", _per_channel_scales(op, ops.filter, units, 0))
    row_sums = "NULL"
    if asymmetric:
        row_sums = ctx.const("fc_row_sums", w.astype(np.int32).sum(axis=1).astype(np.int32))
    fields = [
        ("batches", int(batches)),
        ("depth", int(depth)),
        ("units", int(units)),
        ("asymmetric", asymmetric),
        ("weight_scale", float(q.scale[0])),
        ("channel_scales", channel_scales),
        ("row_sums", row_sums),
        *_common_fields(op, ctx, ops, "fc", w),
    ]
    return _emit(op, ctx, "mtvm_fully_connected_hybrid", "mtvm_fully_connected_hybrid_params_t", fields,
                 "fully_connected_hybrid.c")


def _fc_scratch(op: Operator, graph: Graph) -> int:
    return int(graph.tensor(op.inputs[1]).shape[1])


# ---- CONV_2D ------------------------------------------------------------------------------------


def _conv_check(op: Operator, graph: Graph) -> None:
    ops = conv._operands(op, graph)
    if len(ops.filter.shape) != 4:
        raise UnsupportedError(f"weights must be [out, H, W, in]; got shape {list(ops.filter.shape)}")
    out_c, fh, fw, fic = ops.filter.shape
    _check_common(op, ops, out_c)
    _per_channel_scales(op, ops.filter, out_c, 0)
    g = conv._geometry(op, ops, fh, fw)
    if fic < 1 or g.in_c % fic != 0 or out_c % (g.in_c // fic) != 0:
        raise UnsupportedError(
            f"weights with {fic} input channels do not split the input's {g.in_c} channels and "
            f"the {out_c} output channels into equal groups"
        )
    if g.out_c != out_c:
        raise UnsupportedError(f"the output has {g.out_c} channels but the weights {out_c}")
    if g.in_c != fic and not _conv_per_channel(ops.filter):
        # LiteRT sends grouped hybrid convolutions to its per-channel kernel, whose temporaries
        # it allocates only for per-channel weights: it fails on this model.
        raise UnsupportedError(
            "grouped hybrid convolution needs per-channel weight scales (LiteRT supports no other); "
            "supported: grouped convolution with per-channel int8 weights"
        )


def _conv_per_channel(w: Tensor) -> bool:
    """LiteRT's is_hybrid_per_channel: several weight scales that are not all equal."""
    scales = [float(np.float32(s)) for s in w.quant.scale]
    return len(scales) > 1 and any(s != scales[0] for s in scales)


def _conv_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = conv._operands(op, ctx.graph)
    out_c, fh, fw, fic = ops.filter.shape
    g = conv._geometry(op, ops, fh, fw)
    per_channel = _conv_per_channel(ops.filter)
    channel_scales = "NULL"
    if per_channel:
        channel_scales = ctx.const("conv_channel_scales", _per_channel_scales(op, ops.filter, out_c, 0))
    fields = [
        ("g", g.c_fields()),
        ("filter_in_c", int(fic)),
        ("weight_scale", float(ops.filter.quant.scale[0])),
        ("channel_scales", channel_scales),
        *_common_fields(op, ctx, ops, "conv", np.asarray(ops.filter.data)),
    ]
    kernel = "mtvm_conv2d_hybrid_per_channel" if per_channel else "mtvm_conv2d_hybrid"
    return _emit(op, ctx, kernel, "mtvm_conv2d_hybrid_params_t", fields, "conv_hybrid.c")


def _image_scratch(op: Operator, graph: Graph) -> int:
    _, h, w, c = graph.tensor(op.inputs[0]).shape
    return int(h * w * c)


# ---- DEPTHWISE_CONV_2D --------------------------------------------------------------------------


def _dw_check(op: Operator, graph: Graph) -> None:
    ops = conv._operands(op, graph)
    if len(ops.filter.shape) != 4 or ops.filter.shape[0] != 1:
        raise UnsupportedError(f"weights must be [1, H, W, channels]; got shape {list(ops.filter.shape)}")
    _, fh, fw, out_c = ops.filter.shape
    _check_common(op, ops, out_c)
    if len(ops.filter.quant.scale) == 1 and out_c > 1:
        # LiteRT's hybrid depthwise kernel reads one weight scale per output channel: past the
        # first, a per-tensor scale leaves it reading memory outside the model.
        raise UnsupportedError(
            "hybrid depthwise weights need one scale per output channel (LiteRT's kernel reads "
            f"{out_c}); got one per-tensor scale. Supported: per-channel int8 weights along axis 3"
        )
    _per_channel_scales(op, ops.filter, out_c, 3)
    g = conv._geometry(op, ops, fh, fw)
    if g.in_c < 1 or out_c % g.in_c != 0 or g.out_c != out_c:
        raise UnsupportedError(
            f"{out_c} weight channels and {g.out_c} output channels are not the input's {g.in_c} "
            "channels times a depth multiplier"
        )
    # LiteRT's hybrid depthwise kernel loops over the depth_multiplier option, not the shapes.
    option = int(op.options.get("depth_multiplier", 1))
    if option != out_c // g.in_c:
        raise UnsupportedError(
            f"the depth_multiplier option ({option}) is not the weights' {out_c} channels over the "
            f"input's {g.in_c}; LiteRT's hybrid kernel follows the option: re-export the model"
        )


def _dw_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    ops = conv._operands(op, ctx.graph)
    _, fh, fw, out_c = ops.filter.shape
    g = conv._geometry(op, ops, fh, fw)
    fields = [
        ("g", g.c_fields()),
        ("depth_multiplier", int(out_c // g.in_c)),
        ("channel_scales", ctx.const("dwconv_channel_scales", _per_channel_scales(op, ops.filter, out_c, 3))),
        *_common_fields(op, ctx, ops, "dwconv", np.asarray(ops.filter.data)),
    ]
    return _emit(op, ctx, "mtvm_depthwise_conv2d_hybrid", "mtvm_depthwise_conv2d_hybrid_params_t", fields,
                 "depthwise_conv_hybrid.c")


# ---- the hybrid lowerings and the dispatch -------------------------------------------------------

LOWERINGS: list[OpLowering] = [
    OpLowering("CONV_2D", _conv_check, _conv_emit, scratch_bytes=_image_scratch, macs=conv._conv_macs,
               dtypes=("hybrid",)),
    OpLowering("DEPTHWISE_CONV_2D", _dw_check, _dw_emit, scratch_bytes=_image_scratch, macs=conv._dw_macs,
               dtypes=("hybrid",)),
    OpLowering("FULLY_CONNECTED", _fc_check, _fc_emit, scratch_bytes=_fc_scratch, macs=conv._fc_macs,
               dtypes=("hybrid",)),
]


def with_hybrid(base: OpLowering, hybrid: OpLowering,
                predicate: Callable[[Operator, Graph], bool] = is_hybrid) -> OpLowering:
    """One lowering for base.opcode: operands `predicate` calls hybrid go to `hybrid`, all others
    to `base` (ops/hybrid_recurrent.py passes its own predicate for the LSTM's operand layout)."""

    def pick(op: Operator, graph: Graph) -> OpLowering:
        return hybrid if predicate(op, graph) else base

    def emit(op: Operator, ctx: LowerContext) -> EmittedOp:
        chosen = pick(op, ctx.graph)
        emitted = chosen.emit(op, ctx)
        return dataclasses.replace(emitted, headers=chosen.headers + emitted.headers,
                                   sources=chosen.sources + emitted.sources)

    return OpLowering(
        base.opcode,
        check=lambda op, graph: pick(op, graph).check(op, graph),
        emit=emit,
        scratch_bytes=lambda op, graph: pick(op, graph).scratch_bytes(op, graph),
        macs=lambda op, graph: pick(op, graph).macs(op, graph),
        alias_input=base.alias_input,
        # Keep the shared default when neither declares in-place execution (tests tell them apart).
        in_place_inputs=(base.in_place_inputs if base.in_place_inputs is hybrid.in_place_inputs
                         else lambda op, graph: pick(op, graph).in_place_inputs(op, graph)),
        dtypes=tuple(dict.fromkeys(base.dtypes + hybrid.dtypes)),
    )


def with_hybrid_kernels(table: Mapping[str, OpLowering]) -> dict[str, OpLowering]:
    """`table` with each opcode that has a hybrid kernel dispatching to it."""
    hybrids = {lowering.opcode: lowering for lowering in LOWERINGS}
    return {opcode: with_hybrid(lowering, hybrids[opcode]) if opcode in hybrids else lowering
            for opcode, lowering in table.items()}
