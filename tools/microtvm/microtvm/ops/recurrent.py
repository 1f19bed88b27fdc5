"""Recurrent operators with state kept between runs: SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM.

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
- hybrid SVDF (float32 input, int8 weights): ops/hybrid_recurrent.py (the registry sends it there).

UNIDIRECTIONAL_SEQUENCE_LSTM (LiteRT's 24 inputs, index map below; output_state and cell_state
are variable tensors; time_major or batch major):
- float32: with or without CIFG, peephole, layer norm, projection (with or without bias),
  cell_clip and proj_clip; every fused activation of the float kernels. Gates use expf/tanhf
  (tests: 1e-5 relative / 1e-5 absolute).
- int8 (TFLite's integer 8x8_16 LSTM): int8 input, weights, output state and output, int16 cell
  state with a power-of-two scale (2^-30..2^-9; below 2^-15 LiteRT's tanh of the cell state is a
  no-op, reproduced: see MIN_CELL_LOG2), int16 peephole and layer norm weights, int32
  biases, the five intermediate tensors the converter writes (gate scales before layer norm,
  hidden scale); the same variants as float32, bit for bit. Like TFLite's integer kernel it
  always uses sigmoid/tanh (the fused activation is not read). Peephole weights need the output
  size to equal the cell count (TFLite's kernel applies them over the output size).
- int16 activations (16x8): LiteRT has no such LSTM (its Prepare rejects int16 input), so none.
- hybrid LSTM: ops/hybrid_recurrent.py (the registry sends it there); diagonal recurrent weights are
  not supported.
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
    params = ctx.params(c_type, fields)
    bias = ctx.buf(op.inputs[_SVDF_BIAS]) if op.inputs[_SVDF_BIAS] >= 0 else "NULL"
    args = [ctx.buf(op.inputs[i]) for i in (_SVDF_INPUT, _SVDF_WF, _SVDF_WT)]
    call = (
        f"{kernel}(&{params}, {', '.join(args)}, {bias}, {ctx.buf(op.inputs[_SVDF_STATE])}, {ctx.buf(op.outputs[0])});"
    )
    return EmittedOp(call=call, sources=_svdf_sources(op, graph))


def _svdf_sources(op: Operator, graph: Graph) -> tuple[str, ...]:
    return ("svdf_f32.c",) if graph.tensor(op.inputs[0]).dtype == "float32" else ("svdf_s8.c",)


def _svdf_macs(op: Operator, graph: Graph) -> int:
    d = _svdf_dims(op, graph)
    return d["batch"] * d["num_filters"] * (d["input_size"] + d["memory_size"])


# ---------------------------------------------------------------------------------------------
# UNIDIRECTIONAL_SEQUENCE_LSTM
#
# LiteRT's 24 inputs (lite/kernels/lstm_shared.h); -1 marks an absent optional one.
(
    L_INPUT,
    L_I2I,
    L_I2F,
    L_I2C,
    L_I2O,  # input weights (input gate: absent with CIFG)
    L_R2I,
    L_R2F,
    L_R2C,
    L_R2O,  # recurrent weights
    L_C2I,
    L_C2F,
    L_C2O,  # peephole weights (optional)
    L_BI,
    L_BF,
    L_BC,
    L_BO,  # gate biases
    L_PW,
    L_PB,  # projection weights and bias (optional)
    L_HS,
    L_CS,  # output state and cell state (variable tensors)
    L_LNI,
    L_LNF,
    L_LNC,
    L_LNO,  # layer norm coefficients (optional)
) = range(24)

GATES = ("I", "F", "G", "O")  # MTVM_LSTM_I/F/G/O
_INPUT_WEIGHTS = (L_I2I, L_I2F, L_I2C, L_I2O)
_RECURRENT_WEIGHTS = (L_R2I, L_R2F, L_R2C, L_R2O)
_PEEPHOLES = (L_C2I, L_C2F, -1, L_C2O)
_LAYER_NORMS = (L_LNI, L_LNF, L_LNC, L_LNO)
_BIASES = (L_BI, L_BF, L_BC, L_BO)
_LSTM_NAMES = {
    L_INPUT: "input",
    L_I2I: "input_to_input_weights",
    L_I2F: "input_to_forget_weights",
    L_I2C: "input_to_cell_weights",
    L_I2O: "input_to_output_weights",
    L_R2I: "recurrent_to_input_weights",
    L_R2F: "recurrent_to_forget_weights",
    L_R2C: "recurrent_to_cell_weights",
    L_R2O: "recurrent_to_output_weights",
    L_C2I: "cell_to_input_weights",
    L_C2F: "cell_to_forget_weights",
    L_C2O: "cell_to_output_weights",
    L_BI: "input_gate_bias",
    L_BF: "forget_gate_bias",
    L_BC: "cell_gate_bias",
    L_BO: "output_gate_bias",
    L_PW: "projection_weights",
    L_PB: "projection_bias",
    L_HS: "output_state",
    L_CS: "cell_state",
    L_LNI: "input_layer_norm_coefficients",
    L_LNF: "forget_layer_norm_coefficients",
    L_LNC: "cell_layer_norm_coefficients",
    L_LNO: "output_layer_norm_coefficients",
}


def _lstm_input(op: Operator, position: int) -> int:
    """The tensor at an input position, -1 when absent (files may omit the trailing layer norms)."""
    return op.inputs[position] if position < len(op.inputs) else -1


def _lstm_tensor(op: Operator, graph: Graph, position: int) -> Tensor | None:
    index = _lstm_input(op, position)
    return graph.tensor(index) if index >= 0 else None


def _lstm_dims(op: Operator, graph: Graph) -> dict[str, int]:
    x = _lstm_tensor(op, graph, L_INPUT)
    time_major = bool(op.options.get("time_major", False))
    n_time, n_batch = (x.shape[0], x.shape[1]) if time_major else (x.shape[1], x.shape[0])
    return dict(
        n_batch=n_batch,
        n_time=n_time,
        n_input=x.shape[2],
        n_cell=_lstm_tensor(op, graph, L_I2F).shape[0],
        n_output=_lstm_tensor(op, graph, L_R2F).shape[1],
        time_major=int(time_major),
    )


def _check_lstm(op: Operator, graph: Graph) -> None:
    where = _where(op)
    if not 20 <= len(op.inputs) <= 24 or len(op.outputs) != 1:
        raise UnsupportedError(
            f"{where}: expected 20 to 24 inputs and 1 output, got {len(op.inputs)} and {len(op.outputs)}"
        )
    t = {p: _lstm_tensor(op, graph, p) for p in range(24)}
    for p in (L_INPUT, L_I2F, L_I2C, L_I2O, L_R2F, L_R2C, L_R2O, L_BF, L_BC, L_BO, L_HS, L_CS):
        if t[p] is None:
            raise UnsupportedError(f"{where}: the required input {_LSTM_NAMES[p]} (position {p}) is missing")
    if op.options.get("diagonal_recurrent_tensors", False):
        raise UnsupportedError(
            f"{where}: diagonal recurrent weights (diagonal_recurrent_tensors) are not supported; "
            "supported: full recurrent weight matrices"
        )
    x, out = t[L_INPUT], graph.tensor(op.outputs[0])
    if x.dtype == "float32" and t[L_I2F].dtype in ("int8", "uint8"):
        raise UnsupportedError(
            f"{where}: hybrid LSTM (float32 input with {t[L_I2F].dtype} weights, dynamic-range quantization) is "
            "not supported; supported: float32 LSTM and int8 LSTM with int16 cell state"
        )
    if len(x.shape) != 3:
        raise UnsupportedError(
            f"{where}: the input must have rank 3 ([time, batch, input] or [batch, time, input]), got {list(x.shape)}"
        )
    d = _lstm_dims(op, graph)
    n_batch, n_input, n_cell, n_output = d["n_batch"], d["n_input"], d["n_cell"], d["n_output"]
    cifg = t[L_I2I] is None
    peephole = t[L_C2O] is not None
    layer_norm = t[L_LNF] is not None
    expected = {
        L_I2F: (n_cell, n_input),
        L_I2C: (n_cell, n_input),
        L_I2O: (n_cell, n_input),
        L_R2F: (n_cell, n_output),
        L_R2C: (n_cell, n_output),
        L_R2O: (n_cell, n_output),
        L_BF: (n_cell,),
        L_BC: (n_cell,),
        L_BO: (n_cell,),
        L_HS: (n_batch, n_output),
        L_CS: (n_batch, n_cell),
    }
    if not cifg:
        expected.update({L_I2I: (n_cell, n_input), L_R2I: (n_cell, n_output), L_BI: (n_cell,)})
    if peephole:
        expected.update({L_C2F: (n_cell,), L_C2O: (n_cell,)})
        if not cifg:
            expected[L_C2I] = (n_cell,)
    if layer_norm:
        expected.update({L_LNF: (n_cell,), L_LNC: (n_cell,), L_LNO: (n_cell,)})
        if not cifg:
            expected[L_LNI] = (n_cell,)
    if t[L_PW] is not None:
        expected[L_PW] = (n_output, n_cell)
        if t[L_PB] is not None:
            expected[L_PB] = (n_output,)
    elif n_output != n_cell:
        raise UnsupportedError(
            f"{where}: without projection the output size ({n_output}) must equal the cell count ({n_cell})"
        )
    for p in range(24):
        if p in expected and (t[p] is None or tuple(t[p].shape) != expected[p]):
            got = "absent" if t[p] is None else list(t[p].shape)
            raise UnsupportedError(f"{where}: {_LSTM_NAMES[p]} should have shape {list(expected[p])}, got {got}")
        if p not in expected and p != L_INPUT and t[p] is not None:
            raise UnsupportedError(
                f"{where}: {_LSTM_NAMES[p]} is given but unused by this LSTM variant (CIFG {cifg}, peephole {peephole}, "
                f"layer norm {layer_norm}, projection {t[L_PW] is not None}); TFLite rejects such a combination"
            )
    time_major = bool(d["time_major"])
    out_shape = (d["n_time"], n_batch, n_output) if time_major else (n_batch, d["n_time"], n_output)
    if tuple(out.shape) != out_shape:
        raise UnsupportedError(f"{where}: the output should have shape {list(out_shape)}, got {list(out.shape)}")
    _require_state(op, t[L_HS], "output_state")
    _require_state(op, t[L_CS], "cell_state")
    activation = op.options.get("fused_activation_function", "NONE")
    operands = [t[p] for p in range(24) if t[p] is not None] + [out]
    if x.dtype == "float32":
        bad = [o for o in operands if o.dtype != "float32"]
        if bad:
            raise UnsupportedError(
                f"{where}: float32 LSTM needs every tensor float32; {bad[0].name!r} is {bad[0].dtype}"
            )
        if activation not in FLOAT_ACTIVATIONS:
            raise UnsupportedError(
                f"{where}: fused activation {activation} is not supported; supported: {', '.join(FLOAT_ACTIVATIONS)}"
            )
        return
    if x.dtype == "int8":
        _check_lstm_s8(op, graph, t, out, d)
        return
    raise UnsupportedError(
        f"{where}: {x.dtype} input is not supported; supported: float32, and int8 with int16 cell state"
    )


def _check_lstm_s8(op: Operator, graph: Graph, t: dict[int, Tensor | None], out: Tensor, d: dict[str, int]) -> None:
    """TFLite's integer LSTM (8x8_16): int8 input, weights, output state and output; int16 cell
    state with a power-of-two scale; int16 peephole and layer norm weights; int32 biases; five
    intermediate tensors with the gate and hidden scales."""
    where = _where(op)
    wanted = {L_INPUT: "int8", L_HS: "int8", L_CS: "int16", L_PW: "int8", L_PB: "int32"}
    wanted.update({p: "int8" for p in (*_INPUT_WEIGHTS, *_RECURRENT_WEIGHTS)})
    wanted.update({p: "int32" for p in _BIASES})
    wanted.update({p: "int16" for p in (L_C2I, L_C2F, L_C2O, *_LAYER_NORMS)})
    for p, dtype in wanted.items():
        if t[p] is not None and t[p].dtype != dtype:
            raise UnsupportedError(
                f"{where}: int8 LSTM needs {_LSTM_NAMES[p]} to be {dtype} (TFLite's integer LSTM: int8 activations and "
                f"weights, int16 cell state, peephole and layer norm weights, int32 biases), got {t[p].dtype}"
            )
    if out.dtype != "int8":
        raise UnsupportedError(f"{where}: int8 LSTM needs an int8 output, got {out.dtype}")
    for p in (L_INPUT, *_INPUT_WEIGHTS, *_RECURRENT_WEIGHTS, L_C2I, L_C2F, L_C2O, *_LAYER_NORMS, L_PW, L_HS, L_CS):
        if t[p] is not None:
            _require_quantized(op, t[p], _LSTM_NAMES[p])
    _require_quantized(op, out, "output")
    if len(op.intermediates) != 5:
        raise UnsupportedError(
            f"{where}: int8 LSTM needs the 5 intermediate tensors of TFLite's integer LSTM (gate and hidden scales, "
            f"written by the converter), got {len(op.intermediates)}; supported: the 8x8_16 integer LSTM"
        )
    layer_norm = t[L_LNF] is not None
    for k in range(4) if layer_norm else ():
        _require_quantized(op, graph.tensor(op.intermediates[k]), f"intermediate {k}")
    _require_quantized(op, graph.tensor(op.intermediates[4]), "intermediate 4 (hidden state)")
    log2 = _checked_log2(_scale(t[L_CS]))
    if log2 is None or not MIN_CELL_LOG2 <= log2 <= -9:
        raise UnsupportedError(
            f"{where}: the cell state scale {_scale(t[L_CS])} must be a power of two between 2^{MIN_CELL_LOG2} and "
            "2^-9 (TFLite's integer LSTM)"
        )
    if log2 < -15 and t[_INPUT_WEIGHTS[0]] is None:
        raise UnsupportedError(
            f"{where}: a CIFG int8 LSTM with a cell state scale below 2^-15 is not supported: LiteRT's output there "
            "depends on uninitialised scratch memory; supported: cell state scales 2^-15..2^-9, or no CIFG"
        )
    if t[L_C2O] is not None and d["n_output"] != d["n_cell"]:
        raise UnsupportedError(
            f"{where}: int8 LSTM with peephole weights needs the output size ({d['n_output']}) to equal the cell "
            f"count ({d['n_cell']}): TFLite's integer kernel applies the peephole over the output size"
        )


# The cell update divides by 2^(30 + cell_scale) (gemmlowp's RoundingDivideByPOT needs an exponent
# of 0..31). Below 2^-15, 15 + cell_scale integer bits for tanh(c) are negative: LiteRT's ApplyTanh
# then writes nothing, and the hidden value multiplies the output gate by what its scratch holds,
# the input gate (lstm_s8.c reproduces that; LiteRT accepts any scale up to 2^-9).
MIN_CELL_LOG2 = -30


def _checked_log2(scale: float) -> int | None:
    """TFLite's CheckedLog2 in float32: the rounded log2 when the scale is a power of two."""
    x_log2 = F32(np.log(F32(scale))) * (F32(1.0) / F32(np.log(F32(2.0))))
    rounded = float(np.round(x_log2))  # std::round: half away from zero (no halves here)
    if abs(float(F32(x_log2 - F32(rounded)))) >= 1e-3:
        return None
    return int(rounded)


def _lstm_scratch(op: Operator, graph: Graph) -> int:
    d = _lstm_dims(op, graph)
    if graph.tensor(op.inputs[L_INPUT]).dtype == "int8":
        return 9 * d["n_cell"]  # 4 int16 gates and the int8 hidden value
    return 4 * d["n_cell"] * 4  # 4 float gates


def _row_sums(w: Tensor) -> np.ndarray:
    return w.data.astype(np.int64).reshape(w.shape[0], -1).sum(axis=1)


def _wrap32(values: np.ndarray) -> np.ndarray:
    return ((np.asarray(values, np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def lstm_s8_constants(op: Operator, graph: Graph) -> tuple[dict[str, object], dict[str, object]]:
    """TFLite's PopulateQuantizedLstmParams8x8_16 and PopulatePrecomputedZPTimesWeightsWithBias:
    (parameter struct fields, weight struct arrays). Effective scales are computed in float32 from
    float32 scales (the std::pow(2, ...) terms in double, stored back to float), then
    QuantizeMultiplier; zero points times weight row sums are folded into int32 biases."""
    t = {p: _lstm_tensor(op, graph, p) for p in range(24)}
    x, hs, cs, out = t[L_INPUT], t[L_HS], t[L_CS], graph.tensor(op.outputs[0])
    layer_norm = t[L_LNF] is not None
    inter = [graph.tensor(i) for i in op.intermediates]
    inter_scale = [F32(_scale(inter[k])) if layer_norm else F32(2.0**-12) for k in range(4)] + [F32(_scale(inter[4]))]
    hidden_zp = _zero_point(inter[4])
    cell_scale = _checked_log2(_scale(cs))
    s_x, s_hs = F32(_scale(x)), F32(_scale(hs))

    def scale_of(p: int) -> np.float32:
        return F32(_scale(t[p])) if t[p] is not None else F32(1.0)

    fields: dict[str, object] = {}
    names = (
        "input_multiplier",
        "input_shift",
        "recurrent_multiplier",
        "recurrent_shift",
        "peephole_multiplier",
        "peephole_shift",
        "layer_norm_multiplier",
        "layer_norm_shift",
        "variance_guard",
    )
    per_gate: dict[str, list[int]] = {n: [] for n in names}
    for g in range(4):
        eff_input = F32(F32(scale_of(_INPUT_WEIGHTS[g]) * s_x) / inter_scale[g])
        eff_recurrent = F32(F32(scale_of(_RECURRENT_WEIGHTS[g]) * s_hs) / inter_scale[g])
        peep = _PEEPHOLES[g]
        eff_peephole = F32(1.0)
        if peep >= 0 and t[peep] is not None:
            eff_peephole = F32(2.0**cell_scale * float(scale_of(peep)) / float(inter_scale[g]))
        ln_scale = scale_of(_LAYER_NORMS[g])
        for prefix, value in (
            ("input", eff_input),
            ("recurrent", eff_recurrent),
            ("peephole", eff_peephole),
            ("layer_norm", ln_scale),
        ):
            m, sh = quant.quantize_multiplier(float(value))
            per_gate[f"{prefix}_multiplier"].append(m)
            per_gate[f"{prefix}_shift"].append(sh)
        per_gate["variance_guard"].append(max(1, int(F32(F32(10000) * ln_scale))))
    for n in names:
        fields[n] = list(per_gate[n])
    eff_hidden = F32(2.0**-15 / float(inter_scale[4]) * 2.0**-15)
    eff_proj = F32(F32(scale_of(L_PW) * inter_scale[4]) / s_hs)
    fields["hidden_multiplier"], fields["hidden_shift"] = quant.quantize_multiplier(float(eff_hidden))
    # What LiteRT adds to the hidden value o * tanh(c): the hidden intermediate's zero point without
    # projection; with projection its negation, the projection bias adding zero point * row sums
    # back (LiteRT's CwiseMul and PrecomputeZeroPointTimesWeightWithBias; checked against LiteRT
    # at extreme zero points, where the int8 saturation of the hidden value tells the two apart).
    fields["hidden_offset"] = -hidden_zp if t[L_PW] is not None else hidden_zp
    fields["projection_multiplier"], fields["projection_shift"] = quant.quantize_multiplier(float(eff_proj))
    fields["output_state_zero_point"] = _zero_point(hs)
    fields["cell_scale"] = cell_scale
    cell_clip = F32(op.options.get("cell_clip", 0.0))
    proj_clip = F32(op.options.get("proj_clip", 0.0))
    fields["cell_clip"] = (
        int(min(max(F32(cell_clip / F32(_scale(cs))), F32(-32768.0)), F32(32767.0))) if cell_clip > 0 else 0
    )
    fields["proj_clip"] = (
        int(min(max(F32(proj_clip / F32(_scale(out))), F32(-128.0)), F32(127.0))) if proj_clip > 0 else 0
    )

    arrays: dict[str, object] = {}
    zp_x, zp_hs = -_zero_point(x), -_zero_point(hs)
    input_bias, recurrent_bias, ln_bias = [], [], []
    for g in range(4):
        wx, wh, bias = t[_INPUT_WEIGHTS[g]], t[_RECURRENT_WEIGHTS[g]], t[_BIASES[g]]
        if wx is None:
            input_bias.append(None)
            recurrent_bias.append(None)
            ln_bias.append(None)
            continue
        base = np.zeros(wx.shape[0], np.int64) if layer_norm or bias is None else bias.data.astype(np.int64)
        input_bias.append(_wrap32(base + zp_x * _row_sums(wx)))
        recurrent_bias.append(_wrap32(zp_hs * _row_sums(wh)))
        ln_bias.append(bias.data.astype(np.int32) if layer_norm else None)
    arrays["input_bias"] = input_bias
    arrays["recurrent_bias"] = recurrent_bias
    arrays["layer_norm_bias"] = ln_bias
    if t[L_PW] is not None:
        base = t[L_PB].data.astype(np.int64) if t[L_PB] is not None else np.zeros(t[L_PW].shape[0], np.int64)
        arrays["projection_bias"] = _wrap32(base + hidden_zp * _row_sums(t[L_PW]))
    else:
        arrays["projection_bias"] = None
    return fields, arrays


def _pointer(ctx: LowerContext, op: Operator, position: int) -> str:
    index = _lstm_input(op, position) if position >= 0 else -1
    return ctx.buf(index) if index >= 0 else "NULL"


def _emit_lstm_s8(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    fields: dict[str, object] = dict(_lstm_dims(op, graph))
    constants, arrays = lstm_s8_constants(op, graph)
    fields.update(constants)
    params = ctx.params("mtvm_lstm_s8_params_t", fields)

    def group(positions: tuple[int, ...]) -> str:
        return "{" + ", ".join(_pointer(ctx, op, p) for p in positions) + "}"

    def const_group(name: str) -> str:
        items = arrays[name]
        return (
            "{"
            + ", ".join("NULL" if a is None else ctx.const(f"{name}_{GATES[g]}", a) for g, a in enumerate(items))
            + "}"
        )

    projection_bias = arrays["projection_bias"]
    weights = (
        "const mtvm_lstm_s8_weights_t w = {\n"
        f"  .input_weights = {group(_INPUT_WEIGHTS)},\n"
        f"  .recurrent_weights = {group(_RECURRENT_WEIGHTS)},\n"
        f"  .input_bias = {const_group('input_bias')},\n"
        f"  .recurrent_bias = {const_group('recurrent_bias')},\n"
        f"  .peephole = {group(_PEEPHOLES)},\n"
        f"  .layer_norm = {group(_LAYER_NORMS)},\n"
        f"  .layer_norm_bias = {const_group('layer_norm_bias')},\n"
        f"  .projection_weights = {_pointer(ctx, op, L_PW)},\n"
        f"  .projection_bias = {'NULL' if projection_bias is None else ctx.const('projection_bias', projection_bias)},\n"
        "};\n"
    )
    args = ", ".join(
        [_pointer(ctx, op, L_INPUT), _pointer(ctx, op, L_HS), _pointer(ctx, op, L_CS), ctx.buf(op.outputs[0])]
    )
    call = f"{weights}mtvm_lstm_s8(&{params}, &w, {args}, {ctx.scratch()});"
    return EmittedOp(call=call, sources=("lstm_s8.c",))


def _emit_lstm(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    if graph.tensor(op.inputs[L_INPUT]).dtype == "int8":
        return _emit_lstm_s8(op, ctx)
    fields: dict[str, object] = dict(_lstm_dims(op, graph))
    fields.update(
        activation=C_ACTIVATION[op.options.get("fused_activation_function", "NONE")],
        cell_clip=float(op.options.get("cell_clip", 0.0)),
        proj_clip=float(op.options.get("proj_clip", 0.0)),
    )
    params = ctx.params("mtvm_lstm_f32_params_t", fields)

    def group(positions: tuple[int, ...]) -> str:
        return "{" + ", ".join(_pointer(ctx, op, p) for p in positions) + "}"

    weights = (
        "const mtvm_lstm_f32_weights_t w = {\n"
        f"  .input_weights = {group(_INPUT_WEIGHTS)},\n"
        f"  .recurrent_weights = {group(_RECURRENT_WEIGHTS)},\n"
        f"  .peephole = {group(_PEEPHOLES)},\n"
        f"  .layer_norm = {group(_LAYER_NORMS)},\n"
        f"  .bias = {group(_BIASES)},\n"
        f"  .projection_weights = {_pointer(ctx, op, L_PW)},\n"
        f"  .projection_bias = {_pointer(ctx, op, L_PB)},\n"
        "};\n"
    )
    args = ", ".join(
        [_pointer(ctx, op, L_INPUT), _pointer(ctx, op, L_HS), _pointer(ctx, op, L_CS), ctx.buf(op.outputs[0])]
    )
    call = f"{weights}mtvm_lstm_f32(&{params}, &w, {args}, (float*){ctx.scratch()});"
    return EmittedOp(call=call, sources=("lstm_f32.c",))


def _lstm_macs(op: Operator, graph: Graph) -> int:
    d = _lstm_dims(op, graph)
    per_step = 4 * d["n_cell"] * (d["n_input"] + d["n_output"])
    if _lstm_tensor(op, graph, L_PW) is not None:
        per_step += d["n_output"] * d["n_cell"]
    return d["n_time"] * d["n_batch"] * per_step


LOWERINGS: list[OpLowering] = [
    OpLowering(
        "SVDF",
        _check_svdf,
        _emit_svdf,
        HEADERS,
        (),  # svdf_f32.c or svdf_s8.c: EmittedOp.sources
        macs=_svdf_macs,
        dtypes=("int8", "float32"),
    ),
    OpLowering(
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        _check_lstm,
        _emit_lstm,
        HEADERS,
        (),  # lstm_f32.c or lstm_s8.c: EmittedOp.sources
        scratch_bytes=_lstm_scratch,
        macs=_lstm_macs,
        dtypes=("int8", "float32"),
    ),
]
