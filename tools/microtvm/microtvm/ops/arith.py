"""Binary arithmetic beyond ADD/SUB/MUL: DIV, FLOOR_DIV, FLOOR_MOD, SQUARED_DIFFERENCE, PRELU
(with broadcasting, elementwise.broadcast_plan) and ADD_N (equal shapes).

Types and semantics follow LiteRT (tflite/kernels/div.cc, floor_div.cc, floor_mod.cc,
squared_difference.cc, activations.cc PRelu, add_n.cc):

- DIV: float32 (a / b, then the fused activation's clamp; NONE clamps to the finite range, so
  x / 0 gives +-FLT_MAX like LiteRT), int32 (C division truncating toward zero, then the clamp),
  and quantized int8 and int16 (per-tensor scales, any zero points): LiteRT's reference
  DivElementwise, a fixed-point reciprocal of the divisor (GetReciprocal) times the numerator,
  rescaled by s1 / (s2 * s_out) (computed in float32, as LiteRT's Prepare divides float scales,
  then QuantizeMultiplier), with the x86-64 build's behaviour of RoundingDivideByPOT beyond 31
  bits (runtime/src/div_q.c). A divisor equal to its zero point, where LiteRT fails the invoke,
  gives the activation maximum (minimum for a negative numerator).
  A fused TANH or SIGN_BIT is computed as NONE, as LiteRT does (elementwise._activation).
- FLOOR_DIV: float32 (floor of the quotient computed in double, as LiteRT's FloorDiv does, then
  rounded to float), int8, int16, int32 (stored values; quantization is ignored, as in LiteRT).
- FLOOR_MOD: float32 (fmodf, then the divisor added when the signs differ), int8, int16, int32,
  int64 (stored values).
- SQUARED_DIFFERENCE: float32, int32 ((a - b)^2, wrapping), int8 (LiteRT's fixed-point scheme:
  both inputs on twice the larger scale with 7 bits of headroom, squared, rescaled).
- PRELU: float32 (x >= 0 ? x : x * alpha) and int8 (two multipliers, s_in / s_out and
  s_in * s_alpha / s_out, computed in float32 as LiteRT does); alpha broadcasts to the input.
- ADD_N: float32 and int32, summed left to right from 0.

Integer division or modulo by zero makes LiteRT fail the invoke; generated code has no error
path, so those elements get 0 (and INT_MIN / -1 gives INT_MIN), without undefined behaviour.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering
from .elementwise import (
    _activation,
    _binary_fields,
    _check_broadcast,
    _tensors,
    _where,
    activation_range_f32,
)

HEADERS = ("mtvm/arith.h",)
F32 = np.float32
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1

DTYPES: dict[str, tuple[str, ...]] = {
    "DIV": ("float32", "int8", "int16", "int32"),
    "FLOOR_DIV": ("float32", "int8", "int16", "int32"),
    "FLOOR_MOD": ("float32", "int8", "int16", "int32", "int64"),
    "SQUARED_DIFFERENCE": ("float32", "int8", "int32"),
    "PRELU": ("float32", "int8"),
    "ADD_N": ("float32", "int32"),
}
_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16", "int32": "s32", "int64": "s64"}
_SOURCES: dict[str, tuple[str, ...]] = {
    "DIV": ("arith_f32.c", "arith_int.c"),  # + div_q.c for quantized operands (EmittedOp.sources)
    "FLOOR_DIV": ("arith_f32.c", "arith_int.c"),
    "FLOOR_MOD": ("arith_f32.c", "arith_int.c"),
    "SQUARED_DIFFERENCE": ("arith_f32.c", "arith_int.c", "arith_s8.c"),
    "PRELU": ("arith_f32.c", "arith_s8.c"),
    "ADD_N": ("arith_f32.c", "arith_int.c"),
}
_QRANGE = {"int8": (-128, 127), "int16": (-32768, 32767)}
SQUARED_DIFFERENCE_LEFT_SHIFT = 7  # LiteRT's headroom: 255^2 << 14 still fits an int32


def _scale(t: Tensor) -> float:
    return float(t.quant.scale[0])


def _zp(t: Tensor) -> int:
    return int(t.quant.zero_point[0])


def _quantized_int8(t: Tensor) -> bool:
    return t.quant is not None and bool(t.quant.scale)


def _check_types(op: Operator, graph: Graph) -> str:
    inputs, output = _tensors(op, graph)
    supported = DTYPES[op.opcode]
    dtypes = {t.dtype for t in (*inputs, output)}
    if len(dtypes) != 1 or output.dtype not in supported:
        raise UnsupportedError(
            f"{_where(op)}: tensor types {', '.join(t.dtype for t in (*inputs, output))} are not supported; "
            "all inputs and the output must be one of " + ", ".join(supported)
        )
    needs_quant = (output.dtype == "int8" and op.opcode in ("SQUARED_DIFFERENCE", "PRELU")) or (
        output.dtype in ("int8", "int16") and op.opcode == "DIV"
    )
    qmin, qmax = _QRANGE.get(output.dtype, (-128, 127))
    for t in (*inputs, output):
        if needs_quant:
            if not _quantized_int8(t) or t.quant.per_channel:
                raise UnsupportedError(f"{_where(op)}: {t.dtype} tensor '{t.name}' must be quantized per tensor")
            if not _scale(t) > 0.0 or not qmin <= _zp(t) <= qmax:
                raise UnsupportedError(
                    f"{_where(op)}: tensor '{t.name}' has invalid {t.dtype} quantization parameters"
                )
        elif output.dtype in ("int16",) and _quantized_int8(t):
            raise UnsupportedError(
                f"{_where(op)}: quantized int16 is not supported; supported: " + ", ".join(supported)
            )
    return output.dtype


def squared_difference_constants(in1: Tensor, in2: Tensor, output: Tensor) -> dict[str, int]:
    """SquaredDifference Prepare for int8 (double arithmetic on float scales)."""
    twice_max = 2.0 * float(max(F32(_scale(in1)), F32(_scale(in2))))
    real1 = _scale(in1) / twice_max
    real2 = _scale(in2) / twice_max
    headroom = F32(float(1 << (2 * SQUARED_DIFFERENCE_LEFT_SHIFT)))
    real_out = (twice_max * twice_max) / float(headroom * F32(_scale(output)))  # the product in float32
    m1, s1 = quant.quantize_multiplier(real1)
    m2, s2 = quant.quantize_multiplier(real2)
    mo, so = quant.quantize_multiplier(real_out)
    return {
        "input1_offset": -_zp(in1), "input1_multiplier": m1, "input1_shift": s1,
        "input2_offset": -_zp(in2), "input2_multiplier": m2, "input2_shift": s2,
        "left_shift": SQUARED_DIFFERENCE_LEFT_SHIFT,
        "output_multiplier": mo, "output_shift": so, "output_offset": _zp(output),
    }


def div_constants(in1: Tensor, in2: Tensor, output: Tensor, activation: str) -> dict[str, int]:
    """Div Prepare for quantized operands: real multiplier s1 / (s2 * s_out), every operation in
    float32 (the scales are floats), then QuantizeMultiplier; the activation range as
    CalculateActivationRangeQuantized."""
    real = F32(_scale(in1)) / (F32(_scale(in2)) * F32(_scale(output)))
    multiplier, shift = quant.quantize_multiplier(float(real))
    qmin, qmax = _QRANGE[output.dtype]
    act_min, act_max = quant.activation_range_int8(activation, _scale(output), _zp(output), qmin, qmax)
    return {
        "input1_offset": -_zp(in1), "input2_offset": -_zp(in2), "output_offset": _zp(output),
        "output_multiplier": multiplier, "output_shift": shift, "act_min": act_min, "act_max": act_max,
    }


def _leading_sign_bits(x: int) -> int:
    return 31 if x in (0, -1) else 31 - (~x if x < 0 else x).bit_length()


def div_exponent_range(in1: Tensor, in2: Tensor, output_shift: int) -> tuple[int, int]:
    """The smallest and largest right shift DivElementwise can apply (headroom of the numerator
    plus the divisor's reciprocal shift minus the output shift), over every possible operand."""
    qmin, qmax = _QRANGE[in1.dtype]
    numerators = (qmin - _zp(in1), qmax - _zp(in1))
    largest_divisor = max(abs(qmin - _zp(in2)), abs(qmax - _zp(in2)))
    least_headroom = min(_leading_sign_bits(v) for v in numerators)
    return least_headroom - output_shift, 31 + (largest_divisor.bit_length() - 1) - output_shift


def prelu_constants(input_: Tensor, alpha: Tensor, output: Tensor) -> dict[str, int]:
    """PreluPrepare for int8: both real multipliers computed in float32, then QuantizeMultiplier."""
    s_in, s_alpha, s_out = F32(_scale(input_)), F32(_scale(alpha)), F32(_scale(output))
    m1, sh1 = quant.quantize_multiplier(float(s_in / s_out))
    m2, sh2 = quant.quantize_multiplier(float(F32(s_in * s_alpha) / s_out))
    return {
        "input_offset": -_zp(input_), "alpha_offset": -_zp(alpha), "output_offset": _zp(output),
        "output_multiplier_1": m1, "output_shift_1": sh1, "output_multiplier_2": m2, "output_shift_2": sh2,
    }


def _check_binary(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 2 or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected 2 inputs and 1 output")
    dtype = _check_types(op, graph)
    _check_broadcast(op, graph)
    (in1, in2), output = _tensors(op, graph)
    if op.opcode == "DIV":
        _activation(op)
    if op.opcode == "PRELU" and tuple(output.shape) != tuple(in1.shape):
        raise UnsupportedError(
            f"{_where(op)}: alpha {list(in2.shape)} must broadcast to the input shape {list(in1.shape)}"
        )
    if op.opcode == "SQUARED_DIFFERENCE" and dtype == "int8":
        constants = squared_difference_constants(in1, in2, output)
        if constants["output_shift"] > 0:
            raise UnsupportedError(
                f"{_where(op)}: the output scale {_scale(output):g} is too small for the input scales "
                "(LiteRT requires (2 * max input scale)^2 < 2^14 * output scale)"
            )
    if op.opcode == "DIV" and dtype in ("int8", "int16"):
        shift = div_constants(in1, in2, output, _activation(op))["output_shift"]
        low, high = div_exponent_range(in1, in2, shift)
        if low < 0 or high > 63:
            raise UnsupportedError(
                f"{_where(op)}: the rescaling s1 / (s2 * s_out) = "
                f"{_scale(in1) / (_scale(in2) * _scale(output)):g} is out of the range LiteRT's quantized "
                "DIV computes (its shifts must stay within 0..63 bits)"
            )
    if op.opcode == "PRELU" and dtype == "int8":
        constants = prelu_constants(in1, in2, output)
        if max(constants["output_shift_1"], constants["output_shift_2"]) > 30:
            raise UnsupportedError(f"{_where(op)}: the requantization multipliers are too large (at most 2**30)")


def _int_activation_range(activation: str, dtype: str) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return {"NONE": (int(info.min), int(info.max)), "RELU": (0, int(info.max)), "RELU6": (0, 6),
            "RELU_N1_TO_1": (-1, 1)}[activation]


def _emit_binary(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    (in1, in2), output = _tensors(op, graph)
    dtype = output.dtype
    fields = _binary_fields(op, graph)
    name = op.opcode.lower()
    kernel = f"mtvm_{name}_{_SUFFIX[dtype]}"
    c_type = "mtvm_arith_params_t"
    if op.opcode == "DIV":
        activation = _activation(op)
        if dtype == "float32":
            c_type = "mtvm_div_f32_params_t"
            lo, hi = activation_range_f32(activation)
            fields.update(act_min=float(lo), act_max=float(hi))
        elif dtype in ("int8", "int16"):
            c_type = "mtvm_div_q_params_t"
            fields.update(div_constants(in1, in2, output, activation))
        else:
            c_type = "mtvm_div_s32_params_t"
            lo, hi = _int_activation_range(activation, dtype)
            fields.update(act_min=lo, act_max=hi)
    elif op.opcode == "SQUARED_DIFFERENCE" and dtype == "int8":
        c_type = "mtvm_squared_difference_s8_params_t"
        fields.update(squared_difference_constants(in1, in2, output))
    elif op.opcode == "PRELU" and dtype == "int8":
        c_type = "mtvm_prelu_s8_params_t"
        fields.update(prelu_constants(in1, in2, output))
    params = ctx.params(c_type, fields)
    a, b = ctx.buf(op.inputs[0]), ctx.buf(op.inputs[1])
    sources = ("div_q.c",) if c_type == "mtvm_div_q_params_t" else ()
    return EmittedOp(call=f"{kernel}(&{params}, {a}, {b}, {ctx.buf(op.outputs[0])});", sources=sources)


def _check_add_n(op: Operator, graph: Graph) -> None:
    if len(op.inputs) < 1 or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected at least 1 input and 1 output")
    _check_types(op, graph)
    inputs, output = _tensors(op, graph)
    for t in inputs:
        if tuple(t.shape) != tuple(output.shape):
            raise UnsupportedError(
                f"{_where(op)}: input '{t.name}' has shape {list(t.shape)}; every input must have the output shape "
                f"{list(output.shape)} (ADD_N does not broadcast)"
            )


def _emit_add_n(op: Operator, ctx: LowerContext) -> EmittedOp:
    output = ctx.graph.tensor(op.outputs[0])
    suffix = _SUFFIX[output.dtype]
    c_elem = "float" if output.dtype == "float32" else "int32_t"
    params = ctx.params("mtvm_add_n_params_t", {"size": output.num_elements, "count": len(op.inputs)})
    pointers = ", ".join(ctx.buf(i) for i in op.inputs)
    operands = f"{ctx.prefix}_operands"  # a local name that cannot shadow the run function's parameters
    call = (
        f"{{\n  const {c_elem} *const {operands}[{len(op.inputs)}] = {{{pointers}}};\n"
        f"  mtvm_add_n_{suffix}(&{params}, {operands}, {ctx.buf(op.outputs[0])});\n}}"
    )
    return EmittedOp(call=call)


def _macs(op: Operator, graph: Graph) -> int:
    return graph.tensor(op.outputs[0]).num_elements * max(1, len(op.inputs) - 1)


def _lowering(opcode: str) -> OpLowering:
    check: Callable[[Operator, Graph], None] = _check_add_n if opcode == "ADD_N" else _check_binary
    emit: Callable[[Operator, LowerContext], EmittedOp] = _emit_add_n if opcode == "ADD_N" else _emit_binary
    return OpLowering(opcode, check, emit, HEADERS, _SOURCES[opcode], macs=_macs, dtypes=DTYPES[opcode])


LOWERINGS: list[OpLowering] = [_lowering(opcode) for opcode in DTYPES]
