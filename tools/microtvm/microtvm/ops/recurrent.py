"""Recurrent operators with state kept between runs: SVDF (and UNIDIRECTIONAL_SEQUENCE_LSTM).

Their state tensors are TFLite variable tensors: the memory planner puts them in the state pool
(DESIGN.md, "State") and the kernels update them in place. Generation-time arithmetic follows
TFLite's Prepare functions (lite/kernels/svdf.cc, lite/kernels/unidirectional_sequence_lstm.cc);
the C kernels (runtime/include/mtvm/recurrent.h, src/svdf_*.c, src/lstm_*.c) follow the
reference kernels, float32 in the same order of operations, integer variants bit for bit.

SVDF (inputs: input [batch, input_size], weights_feature [num_filters, input_size],
weights_time [num_filters, memory_size], bias [num_units] or absent, state [batch,
memory_size * num_filters] (variable); num_filters = num_units * rank):
- float32: every fused activation (NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT);
- int8 input/output with int8 weights_feature, int16 weights_time, int32 bias and int16 state
  (TFLite's integer SVDF). LiteRT requires the RELU activation there but, like TFLite Micro,
  never applies it; NONE (which TFLite Micro accepts) computes the same. Scales are per tensor
  (TFLite reads the first scale of each).
- hybrid SVDF (float32 input, int8 weights) is not supported.
"""

from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/quant.h", "mtvm/recurrent.h")
F32 = np.float32

FLOAT_ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
C_ACTIVATION = {
    "NONE": "MTVM_ACT_NONE",
    "RELU": "MTVM_ACT_RELU",
    "RELU_N1_TO_1": "MTVM_ACT_RELU_N1_TO_1",
    "RELU6": "MTVM_ACT_RELU6",
    "TANH": "MTVM_ACT_TANH",
    "SIGN_BIT": "MTVM_ACT_SIGN_BIT",
}


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _where(op: Operator) -> str:
    return f"{op.opcode} (operator {op.index})"


def _c_value(value: object) -> str:
    if isinstance(value, str):
        return value  # already a C expression (enum name, float literal)
    if isinstance(value, (float, np.floating)):
        return c_float(float(value))
    return str(int(value))


def c_float(value: float) -> str:
    v = float(F32(value))
    text = repr(v)
    if "e" not in text and "." not in text and "inf" not in text:
        text += ".0"
    return text + "f"


def _params_decl(ctx: LowerContext, c_type: str, fields: dict) -> tuple[str, str]:
    name = f"{ctx.prefix}_params"
    body = "".join(f"  .{k} = {_c_value(v)},\n" for k, v in fields.items())
    return f"static const {c_type} {name} = {{\n{body}}};\n", name


def _scale(t: Tensor) -> float:
    return float(t.quant.scale[0])


def _zero_point(t: Tensor) -> int:
    return int(t.quant.zero_point[0])


def _require_quantized(op: Operator, t: Tensor, what: str) -> None:
    if t.quant is None or not t.quant.scale:
        raise UnsupportedError(f"{_where(op)}: the {what} {t.name!r} ({t.dtype}) has no quantization parameters")
    if not t.quant.scale[0] > 0.0:
        raise UnsupportedError(f"{_where(op)}: the {what} {t.name!r} has a non-positive scale")


def _require_state(op: Operator, t: Tensor, what: str) -> None:
    if not t.is_variable:
        raise UnsupportedError(
            f"{_where(op)}: the {what} {t.name!r} is not a variable tensor; TFLite requires the state "
            "of a recurrent operator to be a variable tensor (is_variable), which persists between runs"
        )


# ---------------------------------------------------------------------------------------------
# SVDF

_SVDF_INPUT, _SVDF_WF, _SVDF_WT, _SVDF_BIAS, _SVDF_STATE = range(5)


def _svdf_tensors(op: Operator, graph: Graph) -> tuple[Tensor, Tensor, Tensor, Tensor | None, Tensor, Tensor]:
    x, wf, wt, bias, state = (graph.tensor(i) if i >= 0 else None for i in op.inputs)
    return x, wf, wt, bias, state, graph.tensor(op.outputs[0])


def _svdf_dims(op: Operator, graph: Graph) -> dict[str, int]:
    x, wf, wt, _, _, _ = _svdf_tensors(op, graph)
    rank = int(op.options.get("rank", 0))
    num_filters = wf.shape[0]
    return dict(
        batch=x.shape[0],
        input_size=x.shape[1],
        num_filters=num_filters,
        num_units=num_filters // rank,
        rank=rank,
        memory_size=wt.shape[1],
    )


def _check_svdf(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 5 or len(op.outputs) != 1 or any(op.inputs[i] < 0 for i in (0, 1, 2, 4)):
        raise UnsupportedError(
            f"{_where(op)}: expected 5 inputs (input, weights_feature, weights_time, optional bias, state) and 1 output"
        )
    x, wf, wt, bias, state, out = _svdf_tensors(op, graph)
    if x.dtype == "float32" and wf.dtype in ("int8", "uint8"):
        raise UnsupportedError(
            f"{_where(op)}: hybrid SVDF (float32 input with {wf.dtype} weights, dynamic-range quantization) "
            "is not supported; supported: float32 SVDF and int8 SVDF with int16 state"
        )
    rank = int(op.options.get("rank", 0))
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(state.shape) != 2:
        raise UnsupportedError(
            f"{_where(op)}: input, weights_feature, weights_time and state must have rank 2; got "
            f"{list(x.shape)}, {list(wf.shape)}, {list(wt.shape)}, {list(state.shape)}"
        )
    num_filters, memory = wf.shape[0], wt.shape[1]
    if rank <= 0 or num_filters % rank:
        raise UnsupportedError(f"{_where(op)}: rank {rank} must be positive and divide the {num_filters} filters")
    num_units = num_filters // rank
    batch = x.shape[0]
    if (
        wf.shape[1] != x.shape[1]
        or wt.shape[0] != num_filters
        or tuple(state.shape) != (batch, memory * num_filters)
        or (bias is not None and tuple(bias.shape) != (num_units,))
        or tuple(out.shape) != (batch, num_units)
    ):
        raise UnsupportedError(
            f"{_where(op)}: inconsistent shapes: input {list(x.shape)}, weights_feature {list(wf.shape)}, "
            f"weights_time {list(wt.shape)}, bias {list(bias.shape) if bias else None}, state {list(state.shape)}, "
            f"output {list(out.shape)}"
        )
    _require_state(op, state, "state")
    activation = op.options.get("fused_activation_function", "NONE")
    dtypes = (x.dtype, wf.dtype, wt.dtype, bias.dtype if bias else None, state.dtype, out.dtype)
    if x.dtype == "float32":
        if any(d not in ("float32", None) for d in dtypes):
            raise UnsupportedError(f"{_where(op)}: float32 SVDF needs every tensor float32, got {dtypes}")
        if activation not in FLOAT_ACTIVATIONS:
            raise UnsupportedError(
                f"{_where(op)}: fused activation {activation} is not supported; supported: {', '.join(FLOAT_ACTIVATIONS)}"
            )
        return
    if x.dtype == "int8":
        if dtypes[1:] != ("int8", "int16", "int32" if bias else None, "int16", "int8"):
            raise UnsupportedError(
                f"{_where(op)}: int8 SVDF needs int8 weights_feature, int16 weights_time, int32 bias, int16 "
                f"state and an int8 output (TFLite's integer SVDF); got {dtypes}"
            )
        for t, what in ((x, "input"), (wf, "weights_feature"), (wt, "weights_time"), (state, "state"), (out, "output")):
            _require_quantized(op, t, what)
        if activation not in ("RELU", "NONE"):
            raise UnsupportedError(
                f"{_where(op)}: fused activation {activation} is not supported for int8 SVDF; supported: RELU "
                "(which TFLite's integer kernel requires but does not apply) and NONE"
            )
        return
    raise UnsupportedError(
        f"{_where(op)}: {x.dtype} input is not supported; supported: float32, and int8 with int16 state"
    )


def svdf_s8_constants(op: Operator, graph: Graph) -> dict[str, int]:
    """TFLite's svdf Prepare: effective_scale_1 = input_scale * weights_feature_scale / state_scale
    and effective_scale_2 = state_scale * weights_time_scale / output_scale, both computed in
    float32 (float operands) and then widened to double for QuantizeMultiplier."""
    x, wf, wt, _, state, out = _svdf_tensors(op, graph)
    scale_1 = float(F32(F32(_scale(x)) * F32(_scale(wf))) / F32(_scale(state)))
    scale_2 = float(F32(F32(_scale(state)) * F32(_scale(wt))) / F32(_scale(out)))
    m1, s1 = quant.quantize_multiplier(scale_1)
    m2, s2 = quant.quantize_multiplier(scale_2)
    return dict(
        input_zero_point=_zero_point(x),
        output_zero_point=_zero_point(out),
        feature_multiplier=m1,
        feature_shift=s1,
        output_multiplier=m2,
        output_shift=s2,
    )


def _emit_svdf(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    x = graph.tensor(op.inputs[_SVDF_INPUT])
    fields: dict[str, object] = dict(_svdf_dims(op, graph))
    if x.dtype == "float32":
        kernel, c_type = "mtvm_svdf_f32", "mtvm_svdf_f32_params_t"
        fields["activation"] = C_ACTIVATION[op.options.get("fused_activation_function", "NONE")]
    else:
        kernel, c_type = "mtvm_svdf_s8", "mtvm_svdf_s8_params_t"
        fields.update(svdf_s8_constants(op, graph))
    decl, params = _params_decl(ctx, c_type, fields)
    bias = ctx.buf(op.inputs[_SVDF_BIAS]) if op.inputs[_SVDF_BIAS] >= 0 else "NULL"
    args = [ctx.buf(op.inputs[i]) for i in (_SVDF_INPUT, _SVDF_WF, _SVDF_WT)]
    call = (
        f"{kernel}(&{params}, {', '.join(args)}, {bias}, {ctx.buf(op.inputs[_SVDF_STATE])}, {ctx.buf(op.outputs[0])});"
    )
    return EmittedOp(call=call, decls=decl)


def _svdf_sources(op: Operator, graph: Graph) -> tuple[str, ...]:
    return ("svdf_f32.c",) if graph.tensor(op.inputs[0]).dtype == "float32" else ("svdf_s8.c",)


def _svdf_macs(op: Operator, graph: Graph) -> int:
    d = _svdf_dims(op, graph)
    return d["batch"] * d["num_filters"] * (d["input_size"] + d["memory_size"])


LOWERINGS: list[OpLowering] = [
    OpLowering(
        "SVDF",
        _check_svdf,
        _emit_svdf,
        HEADERS,
        ("svdf_f32.c", "svdf_s8.c"),
        sources_for=_svdf_sources,
        macs=_svdf_macs,
        dtypes=("int8", "float32"),
    ),
]
