"""Hybrid (dynamic-range quantized) UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF: float32 input, state
and output with int8 constant weights, computed as LiteRT 2.3.0's reference kernels do
(lstm_eval.cc EvalHybrid, reference svdf.h EvalHybridSVDF; C kernels runtime/src/lstm_hybrid.c
and svdf_hybrid.c, declared in runtime/include/mtvm/hybrid_recurrent.h). TFLite Micro has no
hybrid kernels; TensorFlow's converter writes hybrid LSTMs for dynamic-range quantization
(`optimizations=[DEFAULT]` without a representative dataset, weight tensors of >= 1024
elements), with asymmetric_quantize_inputs set.

What LiteRT does and we reproduce (see the C files for the order of the float operations):
- the float operands of every integer product are quantized per batch row on the fly, as the
  hybrid FULLY_CONNECTED does (ops/hybrid.py, runtime/src/hybrid_quantize.c): symmetric, or
  asymmetric with asymmetric_quantize_inputs, where each weight row's sum (computed here, at
  generation time) removes the zero point;
- LSTM: the input and the output state for the gates, the hidden state before the projection;
  int8 peephole weights are recovered as float (int8 * scale, computed here once as LiteRT does
  per gate); biases, layer norm coefficients and the projection bias are float32. Variants:
  CIFG, peephole, layer norm, projection with or without bias, cell_clip, proj_clip, time major
  or batch major, every fused activation of the float LSTM;
- SVDF: the input for the feature product; weights_time is int8, dequantized (int8 * scale in
  float) here; the state stays float.
Weights are per tensor: LiteRT's hybrid LSTM and SVDF read one scale per weight tensor (the
legacy scale, 0 for per-channel tensors, which would zero the products), so per-channel
weights are rejected, as are non-zero weight zero points (ignored by LiteRT).

Outputs match LiteRT to the bit on the host, including through Eigen's tanh and sigmoid, which
LiteRT uses for the gates (mtvm/hybrid_recurrent.h); the tests require equal floats (tolerance
0). This matters more than for float kernels: a last-bit difference in the output state
can move one quantized value across a rounding boundary at the next step, which then changes
the gates by a whole quantization step.

The registry keeps one lowering per opcode: with_hybrid_recurrent() wraps the float/int8
lowerings of ops/recurrent.py so that hybrid operands come here.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from . import hybrid, recurrent
from .base import CValue, EmittedOp, LowerContext, OpLowering

_HEADERS = ("mtvm/hybrid_recurrent.h",)
_QUANTIZE = "hybrid_quantize.c"
F32 = np.float32

rec = recurrent  # the index map and helpers of the float/int8 lowerings


def _where(op: Operator) -> str:
    return f"hybrid {op.opcode} (operator {op.index})"


def _check_weights(op: Operator, t: Tensor, what: str) -> None:
    """int8, constant, one scale, zero point 0: what LiteRT's hybrid recurrent kernels read."""
    where = _where(op)
    if t.dtype != "int8":
        raise UnsupportedError(
            f"{where}: {what} {t.name!r} is {t.dtype}; hybrid kernels need int8 weights (float32 activations "
            "with int8 weights, dynamic-range quantization)"
        )
    if not t.is_constant:
        raise UnsupportedError(f"{where}: the int8 {what} {t.name!r} must be a constant tensor")
    q = t.quant
    if q is None or not q.scale:
        raise UnsupportedError(f"{where}: the int8 {what} {t.name!r} has no quantization scale")
    if len(q.scale) != 1:
        raise UnsupportedError(
            f"{where}: {what} {t.name!r} is quantized per channel ({len(q.scale)} scales); LiteRT's hybrid kernel "
            "reads one scale per weight tensor. Supported: per-tensor int8 weights"
        )
    if any(z != 0 for z in q.zero_point):
        raise UnsupportedError(
            f"{where}: {what} {t.name!r} has zero point {q.zero_point[0]}; hybrid int8 weights must be symmetric "
            "(zero point 0), LiteRT ignores it"
        )


def _check_float(op: Operator, t: Tensor, what: str) -> None:
    if t.dtype != "float32":
        raise UnsupportedError(f"{_where(op)}: {what} {t.name!r} must be float32 in a hybrid operator, got {t.dtype}")


def _weight_scale(t: Tensor | None) -> float:
    return float(t.quant.scale[0]) if t is not None else 1.0


def _row_sums(t: Tensor) -> np.ndarray:
    return np.asarray(t.data, dtype=np.int64).reshape(t.shape[0], -1).sum(axis=1).astype(np.int32)


# ---------------------------------------------------------------------------------------------
# UNIDIRECTIONAL_SEQUENCE_LSTM


def is_hybrid_lstm(op: Operator, graph: Graph) -> bool:
    """Float32 input with 8-bit input_to_forget weights (LiteRT's IsHybridOp on the LSTM)."""
    if not op.inputs or op.inputs[0] < 0 or len(op.inputs) <= rec.L_I2F or op.inputs[rec.L_I2F] < 0:
        return False
    return graph.tensor(op.inputs[0]).dtype == "float32" and graph.tensor(op.inputs[rec.L_I2F]).dtype in (
        "int8",
        "uint8",
    )


def _lstm_check(op: Operator, graph: Graph) -> None:
    where = _where(op)
    if not 20 <= len(op.inputs) <= 24 or len(op.outputs) != 1:
        raise UnsupportedError(
            f"{where}: expected 20 to 24 inputs and 1 output, got {len(op.inputs)} and {len(op.outputs)}"
        )
    t = {p: rec._lstm_tensor(op, graph, p) for p in range(24)}
    for p in (rec.L_INPUT, rec.L_I2F, rec.L_I2C, rec.L_I2O, rec.L_R2F, rec.L_R2C, rec.L_R2O, rec.L_BF, rec.L_BC,
              rec.L_BO, rec.L_HS, rec.L_CS):
        if t[p] is None:
            raise UnsupportedError(f"{where}: the required input {rec._LSTM_NAMES[p]} (position {p}) is missing")
    if op.options.get("diagonal_recurrent_tensors", False):
        raise UnsupportedError(
            f"{where}: diagonal recurrent weights (diagonal_recurrent_tensors) are not supported; "
            "supported: full recurrent weight matrices"
        )
    x, out = t[rec.L_INPUT], graph.tensor(op.outputs[0])
    if len(x.shape) != 3:
        raise UnsupportedError(
            f"{where}: the input must have rank 3 ([time, batch, input] or [batch, time, input]), got {list(x.shape)}"
        )
    if len(t[rec.L_I2F].shape) != 2 or len(t[rec.L_R2F].shape) != 2:
        raise UnsupportedError(f"{where}: the input and recurrent weights must be matrices")
    d = rec._lstm_dims(op, graph)
    n_batch, n_input, n_cell, n_output = d["n_batch"], d["n_input"], d["n_cell"], d["n_output"]
    cifg = t[rec.L_I2I] is None
    peephole = t[rec.L_C2O] is not None
    layer_norm = t[rec.L_LNF] is not None
    expected = {
        rec.L_I2F: (n_cell, n_input), rec.L_I2C: (n_cell, n_input), rec.L_I2O: (n_cell, n_input),
        rec.L_R2F: (n_cell, n_output), rec.L_R2C: (n_cell, n_output), rec.L_R2O: (n_cell, n_output),
        rec.L_BF: (n_cell,), rec.L_BC: (n_cell,), rec.L_BO: (n_cell,),
        rec.L_HS: (n_batch, n_output), rec.L_CS: (n_batch, n_cell),
    }
    if not cifg:
        expected.update({rec.L_I2I: (n_cell, n_input), rec.L_R2I: (n_cell, n_output), rec.L_BI: (n_cell,)})
    if peephole:
        expected.update({rec.L_C2F: (n_cell,), rec.L_C2O: (n_cell,)})
        if not cifg:
            expected[rec.L_C2I] = (n_cell,)
    if layer_norm:
        expected.update({rec.L_LNF: (n_cell,), rec.L_LNC: (n_cell,), rec.L_LNO: (n_cell,)})
        if not cifg:
            expected[rec.L_LNI] = (n_cell,)
    if t[rec.L_PW] is not None:
        expected[rec.L_PW] = (n_output, n_cell)
        if t[rec.L_PB] is not None:
            expected[rec.L_PB] = (n_output,)
    elif n_output != n_cell:
        raise UnsupportedError(
            f"{where}: without projection the output size ({n_output}) must equal the cell count ({n_cell})"
        )
    for p in range(1, 24):
        if p in expected and (t[p] is None or tuple(t[p].shape) != expected[p]):
            got = "absent" if t[p] is None else list(t[p].shape)
            raise UnsupportedError(f"{where}: {rec._LSTM_NAMES[p]} should have shape {list(expected[p])}, got {got}")
        if p not in expected and t[p] is not None:
            raise UnsupportedError(
                f"{where}: {rec._LSTM_NAMES[p]} is given but unused by this LSTM variant (CIFG {cifg}, peephole "
                f"{peephole}, layer norm {layer_norm}, projection {t[rec.L_PW] is not None}); TFLite rejects it"
            )
    out_shape = (d["n_time"], n_batch, n_output) if d["time_major"] else (n_batch, d["n_time"], n_output)
    if tuple(out.shape) != out_shape:
        raise UnsupportedError(f"{where}: the output should have shape {list(out_shape)}, got {list(out.shape)}")
    for p in (*rec._INPUT_WEIGHTS, *rec._RECURRENT_WEIGHTS, rec.L_C2I, rec.L_C2F, rec.L_C2O, rec.L_PW):
        if t[p] is not None:
            _check_weights(op, t[p], rec._LSTM_NAMES[p])
    for p in (*rec._BIASES, *rec._LAYER_NORMS, rec.L_PB, rec.L_HS, rec.L_CS):
        if t[p] is not None:
            _check_float(op, t[p], rec._LSTM_NAMES[p])
    _check_float(op, out, "the output")
    rec._require_state(op, t[rec.L_HS], "output_state")
    rec._require_state(op, t[rec.L_CS], "cell_state")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in rec.FLOAT_ACTIVATIONS:
        raise UnsupportedError(
            f"{where}: fused activation {activation} is not supported; supported: {', '.join(rec.FLOAT_ACTIVATIONS)}"
        )
    for clip in ("cell_clip", "proj_clip"):
        if float(op.options.get(clip, 0.0)) < 0.0:
            raise UnsupportedError(f"{where}: {clip} must not be negative (0 means no clipping), as TFLite requires")


def lstm_scratch_bytes(nb: int, ni: int, nc: int, no: int) -> int:
    """MTVM_LSTM_HYBRID_SCRATCH_BYTES(n_batch, n_input, n_cell, n_output) of mtvm/hybrid_recurrent.h
    (tests/test_c_constants.py)."""
    return (4 * nb * nc + 3 * nb) * 4 + 3 * nb * 4 + nb * (ni + no + nc)


def _lstm_scratch(op: Operator, graph: Graph) -> int:
    d = rec._lstm_dims(op, graph)
    return lstm_scratch_bytes(d["n_batch"], d["n_input"], d["n_cell"], d["n_output"])


def _lstm_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    t = {p: rec._lstm_tensor(op, graph, p) for p in range(24)}
    d = rec._lstm_dims(op, graph)
    asymmetric = bool(op.options.get("asymmetric_quantize_inputs", False))
    activation = op.options.get("fused_activation_function", "NONE")

    fields: dict[str, CValue] = {
        "n_batch": d["n_batch"],
        "n_time": d["n_time"],
        "n_input": d["n_input"],
        "n_cell": d["n_cell"],
        "n_output": d["n_output"],
        "time_major": d["time_major"],
        "asymmetric": asymmetric,
        "activation": rec.C_ACTIVATION[activation],
        "cell_clip": float(op.options.get("cell_clip", 0.0)),
        "proj_clip": float(op.options.get("proj_clip", 0.0)),
        "input_scale": [float(_weight_scale(t[p])) for p in rec._INPUT_WEIGHTS],
        "recurrent_scale": [float(_weight_scale(t[p])) for p in rec._RECURRENT_WEIGHTS],
        "projection_scale": float(_weight_scale(t[rec.L_PW])),
    }
    params = ctx.params("mtvm_lstm_hybrid_params_t", fields)

    def weights(p: int, hint: str) -> str:
        if p < 0 or t[p] is None:
            return "NULL"
        return ctx.const(hint, np.ascontiguousarray(t[p].data, dtype=np.int8).reshape(-1))

    def row_sums(p: int, hint: str) -> str:
        if p < 0 or t[p] is None or not asymmetric:
            return "NULL"
        return ctx.const(hint, _row_sums(t[p]))

    def peephole(p: int, hint: str) -> str:
        if p < 0 or t[p] is None:
            return "NULL"
        # LiteRT's VectorScalarMultiply: float(int8) * scale, one float32 rounding.
        recovered = np.asarray(t[p].data, dtype=np.int8).astype(F32) * F32(_weight_scale(t[p]))
        return ctx.const(hint, recovered.astype(F32))

    def floats_in(p: int) -> str:
        return ctx.buf(t[p].index) if p >= 0 and t[p] is not None else "NULL"

    def group(fn, positions: tuple[int, ...], hint: str) -> str:
        return "{" + ", ".join(fn(p, f"{hint}_{rec.GATES[g]}") for g, p in enumerate(positions)) + "}"

    weights_struct = (
        "const mtvm_lstm_hybrid_weights_t w = {\n"
        f"  .input_weights = {group(weights, rec._INPUT_WEIGHTS, 'lstm_wx')},\n"
        f"  .recurrent_weights = {group(weights, rec._RECURRENT_WEIGHTS, 'lstm_wh')},\n"
        f"  .input_row_sums = {group(row_sums, rec._INPUT_WEIGHTS, 'lstm_wx_sums')},\n"
        f"  .recurrent_row_sums = {group(row_sums, rec._RECURRENT_WEIGHTS, 'lstm_wh_sums')},\n"
        f"  .peephole = {group(peephole, rec._PEEPHOLES, 'lstm_peephole')},\n"
        "  .layer_norm = {" + ", ".join(floats_in(p) for p in rec._LAYER_NORMS) + "},\n"
        "  .bias = {" + ", ".join(floats_in(p) for p in rec._BIASES) + "},\n"
        f"  .projection_weights = {weights(rec.L_PW, 'lstm_proj')},\n"
        f"  .projection_row_sums = {row_sums(rec.L_PW, 'lstm_proj_sums')},\n"
        f"  .projection_bias = {floats_in(rec.L_PB)},\n"
        "};\n"
    )
    args = ", ".join(
        [floats_in(rec.L_INPUT), floats_in(rec.L_HS), floats_in(rec.L_CS), ctx.buf(op.outputs[0]), ctx.scratch()]
    )
    call = f"{weights_struct}mtvm_lstm_hybrid(&{params}, &w, {args});"
    return EmittedOp(call=call, headers=_HEADERS, sources=(_QUANTIZE, "lstm_hybrid.c"))


# ---------------------------------------------------------------------------------------------
# SVDF


def is_hybrid_svdf(op: Operator, graph: Graph) -> bool:
    return hybrid.is_hybrid(op, graph)


def _svdf_check(op: Operator, graph: Graph) -> None:
    where = _where(op)
    if len(op.inputs) != 5 or len(op.outputs) != 1 or any(op.inputs[i] < 0 for i in (0, 1, 2, 4)):
        raise UnsupportedError(
            f"{where}: expected 5 inputs (input, weights_feature, weights_time, optional bias, state) and 1 output"
        )
    x, wf, wt, bias, state, out = rec._svdf_tensors(op, graph)
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(state.shape) != 2:
        raise UnsupportedError(
            f"{where}: input, weights_feature, weights_time and state must have rank 2; got "
            f"{list(x.shape)}, {list(wf.shape)}, {list(wt.shape)}, {list(state.shape)}"
        )
    rank = int(op.options.get("rank", 0))
    num_filters, memory = wf.shape[0], wt.shape[1]
    if rank <= 0 or num_filters % rank:
        raise UnsupportedError(f"{where}: rank {rank} must be positive and divide the {num_filters} filters")
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
            f"{where}: inconsistent shapes: input {list(x.shape)}, weights_feature {list(wf.shape)}, weights_time "
            f"{list(wt.shape)}, bias {list(bias.shape) if bias else None}, state {list(state.shape)}, output "
            f"{list(out.shape)}"
        )
    _check_weights(op, wf, "weights_feature")
    if wt.dtype != "int8":
        raise UnsupportedError(
            f"{where}: weights_time {wt.name!r} is {wt.dtype}; LiteRT's hybrid SVDF reads it as int8 (int8 "
            "weights_feature and weights_time with float32 input and state)"
        )
    _check_weights(op, wt, "weights_time")
    if bias is not None:
        _check_float(op, bias, "the bias")
    _check_float(op, state, "the state")
    _check_float(op, out, "the output")
    rec._require_state(op, state, "state")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in rec.FLOAT_ACTIVATIONS:
        raise UnsupportedError(
            f"{where}: fused activation {activation} is not supported; supported: {', '.join(rec.FLOAT_ACTIVATIONS)}"
        )


def _svdf_scratch(op: Operator, graph: Graph) -> int:
    d = rec._svdf_dims(op, graph)
    return d["batch"] * (d["num_filters"] * 4 + 8 + d["input_size"])


def _svdf_emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    x, wf, wt, bias, state, out = rec._svdf_tensors(op, graph)
    asymmetric = bool(op.options.get("asymmetric_quantize_inputs", False))
    fields: dict[str, CValue] = dict(rec._svdf_dims(op, graph))
    fields.update(
        asymmetric=asymmetric,
        activation=rec.C_ACTIVATION[op.options.get("fused_activation_function", "NONE")],
        weights_feature_scale=float(_weight_scale(wf)),
    )
    params = ctx.params("mtvm_svdf_hybrid_params_t", fields)
    # LiteRT dequantizes weights_time once: float(int8) * scale, one float32 rounding.
    weights_time = np.asarray(wt.data, dtype=np.int8).astype(F32) * F32(_weight_scale(wt))
    args = [
        ctx.buf(x.index),
        ctx.const("svdf_weights_feature", np.ascontiguousarray(wf.data, dtype=np.int8).reshape(-1)),
        ctx.const("svdf_row_sums", _row_sums(wf)) if asymmetric else "NULL",
        ctx.const("svdf_weights_time", weights_time.astype(F32).reshape(-1)),
        ctx.buf(bias.index) if bias is not None else "NULL",
        ctx.buf(state.index),
        ctx.buf(out.index),
        ctx.scratch(),
    ]
    call = f"mtvm_svdf_hybrid(&{params}, {', '.join(args)});"
    return EmittedOp(call=call, headers=_HEADERS, sources=(_QUANTIZE, "svdf_hybrid.c"))


LOWERINGS: list[OpLowering] = [
    OpLowering("SVDF", _svdf_check, _svdf_emit, _HEADERS, scratch_bytes=_svdf_scratch, macs=rec._svdf_macs,
               dtypes=("hybrid",)),
    OpLowering("UNIDIRECTIONAL_SEQUENCE_LSTM", _lstm_check, _lstm_emit, _HEADERS, scratch_bytes=_lstm_scratch,
               macs=rec._lstm_macs, dtypes=("hybrid",)),
]

_PREDICATES = {"SVDF": is_hybrid_svdf, "UNIDIRECTIONAL_SEQUENCE_LSTM": is_hybrid_lstm}


def with_hybrid_recurrent(table: Mapping[str, OpLowering]) -> dict[str, OpLowering]:
    """`table` with SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM sending hybrid operands here."""
    hybrids = {lowering.opcode: lowering for lowering in LOWERINGS}
    return {
        opcode: hybrid.with_hybrid(lowering, hybrids[opcode], _PREDICATES[opcode]) if opcode in hybrids else lowering
        for opcode, lowering in table.items()
    }
