"""Elementwise operators: ADD, SUB, MUL, MAXIMUM, MINIMUM, RELU, RELU6, LEAKY_RELU, HARD_SWISH,
LOGISTIC, TANH.

Everything that does not depend on the data is computed here, at generation time, reproducing the
arithmetic of TFLite's Prepare functions (which parts in float, which in double) so that the C
kernels (one file per variant: runtime/src/addsub_s8.c, mul_f32.c, ...; see mtvm/elementwise.h)
match LiteRT's reference kernels bit for bit:

- binary operators get a `static const` parameter struct with the requantization constants, the
  fused activation range and a broadcast description (merged dimensions and per-input strides);
- int8 unary operators become a 256-entry lookup table run by mtvm_lut_s8 (ops/lut.py): the
  reference kernel's fixed-point arithmetic is replayed here in Python for every possible input
  byte;
- float32 unary operators get a small struct (clamp range, alpha).

int16 (16x8 quantization: int16 activations, zero points 0) has its own kernels, each in its own
source file so a model ships only those it calls (OpLowering.sources_for):
- ADD/SUB follow TFLite's two paths: the general one (the int8 arithmetic with 15 bits of
  headroom, addsub_s16.c) unless pot_scale_int16 is set and every scale is a power of two, in
  which case TFLite's fixed-point path runs (addsub_pot_s16.c);
- MUL (mul_s16.c), MAXIMUM/MINIMUM (minmax_s16.c), RELU/RELU6 (relu_s16.c), LEAKY_RELU
  (leaky_relu_s16.c) compute each element (a 65536-entry table would not fit a microcontroller).
TFLite has no int16 HARD_SWISH.

LOGISTIC and TANH (kernels declared in mtvm/reduce.h: logistic_f32.c, tanh_s16.c, ...): int8
through a 256-entry table run by mtvm_lut_s8, which the reference itself builds in float32
arithmetic when the model is prepared (LUTPopulate; we build the same table, ops/lut.py);
float32 with <math.h> (expf, tanhf) in the reference's operation order; int16 through TFLite's
fixed-point interpolation in its 256-entry sigmoid table (generated here).
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering
from .lut import LUT_SOURCES, emit_lut_s8, int8_table, lut_populate_int8

HEADERS = ("mtvm/quant.h", "mtvm/elementwise.h")
INT_SOURCES = ("elementwise_int.c",)  # int32/int64 ADD, SUB, MUL
# The kernel file of each int8 and float32 operator (the int8 unary ones are tables: LUT_SOURCES).
_SOURCES = {
    ("ADD", "int8"): ("addsub_s8.c",), ("SUB", "int8"): ("addsub_s8.c",), ("MUL", "int8"): ("mul_s8.c",),
    ("MAXIMUM", "int8"): ("minmax_s8.c",), ("MINIMUM", "int8"): ("minmax_s8.c",),
    ("ADD", "float32"): ("addsub_f32.c",), ("SUB", "float32"): ("addsub_f32.c",), ("MUL", "float32"): ("mul_f32.c",),
    ("MAXIMUM", "float32"): ("minmax_f32.c",), ("MINIMUM", "float32"): ("minmax_f32.c",),
    ("RELU", "float32"): ("relu_f32.c",), ("RELU6", "float32"): ("relu_f32.c",),
    ("LEAKY_RELU", "float32"): ("leaky_relu_f32.c",), ("HARD_SWISH", "float32"): ("hard_swish_f32.c",),
}

# Must equal MTVM_BCAST_MAX_DIMS in runtime/include/mtvm/elementwise.h.
MAX_BROADCAST_DIMS = 6

SUPPORTED_DTYPES = ("int8", "int16", "float32")
INT_ARITH_OPCODES = ("ADD", "SUB", "MUL")
INT_DTYPES = ("int32", "int64")  # ADD, SUB and MUL only: wrapping integer arithmetic
SUPPORTED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
BINARY_OPCODES = ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM")
UNARY_OPCODES = ("RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH")

INT8_MIN, INT8_MAX = -128, 127
INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
_QRANGE = {"int8": (INT8_MIN, INT8_MAX), "int16": (INT16_MIN, INT16_MAX)}
_INT16_OPCODES = ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "RELU", "RELU6", "LEAKY_RELU")
INT32_MAX = (1 << 31) - 1
F32 = np.float32


# ---------------------------------------------------------------------------------------------
# Checks shared by all operators of the family
# ---------------------------------------------------------------------------------------------


def _where(op: Operator) -> str:
    return f"{op.opcode} (operator {op.index})"


def _tensors(op: Operator, graph: Graph) -> tuple[list[Tensor], Tensor]:
    return [graph.tensor(i) for i in op.inputs], graph.tensor(op.outputs[0])


def _check_common(op: Operator, graph: Graph, num_inputs: int) -> None:
    """Operand count, one dtype for everything (int8 or float32), per-tensor int8 quantization."""
    if len(op.inputs) != num_inputs or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected {num_inputs} input(s) and 1 output")
    inputs, output = _tensors(op, graph)
    dtypes = sorted({t.dtype for t in (*inputs, output)})
    if len(dtypes) != 1:
        raise UnsupportedError(
            f"{_where(op)}: mixed tensor types {', '.join(dtypes)} are not supported (hybrid models are out "
            "of scope); all inputs and the output must be int8, all int16, or all float32"
        )
    if dtypes[0] in INT_DTYPES and op.opcode in INT_ARITH_OPCODES:
        return
    if dtypes[0] not in SUPPORTED_DTYPES:
        if op.opcode in INT_ARITH_OPCODES:
            raise UnsupportedError(
                f"{_where(op)}: {dtypes[0]} tensors are not supported; use int8 or int16 (per-tensor quantized), float32, "
                "int32 or int64"
            )
        raise UnsupportedError(
            f"{_where(op)}: {dtypes[0]} tensors are not supported; use int8 or int16 (per-tensor quantized) "
            "or float32"
        )
    if dtypes[0] == "int16" and op.opcode not in _INT16_OPCODES:
        raise UnsupportedError(
            f"{_where(op)}: int16 tensors are not supported (TFLite has no int16 {op.opcode}); use int8 or "
            "float32"
        )
    if dtypes[0] in _QRANGE:
        for t in (*inputs, output):
            if t.quant is None or not t.quant.scale:
                raise UnsupportedError(f"{_where(op)}: {t.dtype} tensor '{t.name}' has no quantization parameters")
            if t.quant.per_channel:
                raise UnsupportedError(
                    f"{_where(op)}: tensor '{t.name}' is quantized per channel; elementwise operators "
                    "support per-tensor quantization only"
                )
            if dtypes[0] == "int16" and t.quant.zero_point[0] != 0:
                raise UnsupportedError(
                    f"{_where(op)}: int16 tensor '{t.name}' has zero point {t.quant.zero_point[0]}; 16x8 "
                    "quantization is symmetric (zero point 0), as TFLite requires"
                )
            if not INT8_MIN <= t.quant.zero_point[0] <= INT8_MAX:
                raise UnsupportedError(f"{_where(op)}: zero point of '{t.name}' is outside the int8 range")
            if not t.quant.scale[0] > 0.0:
                raise UnsupportedError(f"{_where(op)}: scale of '{t.name}' must be positive")


# LiteRT's CalculateActivationRange (float, int32, int64) and CalculateActivationRangeQuantized
# give TANH and SIGN_BIT, fused into ADD, SUB, MUL or DIV, the full range: its kernels compute
# them as NONE (no tanh, no sign), and so do we, since the reference is what LiteRT computes.
_ACTIVATIONS_COMPUTED_AS_NONE = ("TANH", "SIGN_BIT")


def _activation(op: Operator) -> str:
    activation = op.options.get("fused_activation_function", "NONE")
    if activation in _ACTIVATIONS_COMPUTED_AS_NONE:
        return "NONE"
    if activation not in SUPPORTED_ACTIVATIONS:
        raise UnsupportedError(
            f"{_where(op)}: fused activation {activation} is not supported; supported: "
            + ", ".join(SUPPORTED_ACTIVATIONS)
        )
    return activation


def _scale(t: Tensor) -> float:
    return t.quant.scale[0]


def _zero_point(t: Tensor) -> int:
    return int(t.quant.zero_point[0]) if t.quant.zero_point else 0


# ---------------------------------------------------------------------------------------------
# Fixed-point helpers with TFLite's exact integer behaviour (wrap-around included)
# ---------------------------------------------------------------------------------------------


def _wrap32(x: int) -> int:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _wrap16(x: int) -> int:
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _round_f32(x: np.float32) -> int:
    """roundf: halves away from zero, on a float32 value."""
    v = float(x)
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


def _multiply(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier on int32 values; the left shift wraps like the C code does."""
    left, right = max(shift, 0), max(-shift, 0)
    high = quant.saturating_rounding_doubling_high_mul(_wrap32(x << left), multiplier)
    return quant.rounding_divide_by_pot(high, right)


def _srdhm16(a: int, b: int) -> int:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int16."""
    if a == b == -(1 << 15):
        return (1 << 15) - 1
    ab = a * b + ((1 << 14) if a * b >= 0 else 1 - (1 << 14))
    q = abs(ab) >> 15  # C's division truncates toward zero
    return _wrap16(q if ab >= 0 else -q)


def _sdhm16(a: int, b: int) -> int:
    """HARD_SWISH's SaturatingDoublingHighMul: like _srdhm16 but truncating toward zero."""
    if a == b == -(1 << 15):
        return (1 << 15) - 1
    ab = a * b
    q = abs(ab) >> 15
    return _wrap16(q if ab >= 0 else -q)


def _rdbpot16(x: int, exponent: int) -> int:
    """gemmlowp's RoundingDivideByPOT on int16 (every intermediate is an int16)."""
    mask = _wrap16((1 << exponent) - 1)
    remainder = _wrap16(x & mask)
    threshold = _wrap16((mask >> 1) + (1 if x < 0 else 0))
    return _wrap16((x >> exponent) + (1 if remainder > threshold else 0))


def _saturating_left_shift16(x: int, amount: int) -> int:
    return max(-(1 << 15), min((1 << 15) - 1, x * (1 << amount)))


def _downscale_multiplier16(multiplier: int) -> int:
    """DownScaleInt32ToInt16Multiplier: a Q31 multiplier rounded to Q15."""
    if multiplier >= INT32_MAX - (1 << 15):
        return (1 << 15) - 1
    return (multiplier + (1 << 15)) >> 16


def activation_range_int8(activation: str, output: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized, computing f / scale in float32 as TFLite does; the
    limits are those of the output's type (int8 or int16)."""
    qmin, qmax = _QRANGE.get(output.dtype, _QRANGE["int8"])
    scale, zero_point = F32(_scale(output)), _zero_point(output)

    def quantize(value: float) -> int:
        return zero_point + _round_f32(F32(value) / scale)

    lo, hi = {"NONE": (None, None), "RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}[activation]
    act_min = qmin if lo is None else max(qmin, quantize(lo))
    act_max = qmax if hi is None else min(qmax, quantize(hi))
    return act_min, act_max


def activation_range_f32(activation: str) -> tuple[float, float]:
    """CalculateActivationRange<float>: NONE clamps to the finite float range, like TFLite."""
    lowest, highest = float(np.finfo(np.float32).min), float(np.finfo(np.float32).max)
    return {
        "NONE": (lowest, highest),
        "RELU": (0.0, highest),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }[activation]


# ---------------------------------------------------------------------------------------------
# Broadcasting
# ---------------------------------------------------------------------------------------------


def broadcast_shape(shape1: Sequence[int], shape2: Sequence[int]) -> Optional[tuple[int, ...]]:
    """numpy/TFLite broadcast of two shapes, or None when they are incompatible."""
    rank = max(len(shape1), len(shape2))
    a = (1,) * (rank - len(shape1)) + tuple(shape1)
    b = (1,) * (rank - len(shape2)) + tuple(shape2)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcast_plan(
    shape1: Sequence[int], shape2: Sequence[int], out_shape: Sequence[int]
) -> tuple[list[int], list[int], list[int]]:
    """Merged output extents and per-input element strides (0 = broadcast) for the C walk.

    Returns empty lists when no broadcast is needed (both inputs have the output's layout).
    Unit output dimensions are dropped, and adjacent dimensions are merged when each input is
    either full along both or broadcast along both: [2,3,4,5] + [5] becomes extents [24, 5]
    with strides [5, 1] for the first input and [0, 1] for the second.
    """
    rank = len(out_shape)
    a = (1,) * (rank - len(shape1)) + tuple(shape1)
    b = (1,) * (rank - len(shape2)) + tuple(shape2)
    # [extent, input 1 is full along it, input 2 is full along it] per non-unit dimension.
    dims: list[list] = []
    for extent, x, y in zip(out_shape, a, b):
        if extent == 1:
            continue
        full1, full2 = x == extent, y == extent
        if dims and dims[-1][1:] == [full1, full2]:
            dims[-1][0] *= extent
        else:
            dims.append([extent, full1, full2])
    if all(full1 and full2 for _, full1, full2 in dims):
        return [], [], []

    def strides(which: int) -> list[int]:
        """Strides of input `which` (1 or 2) in its own contiguous layout; 0 where broadcast."""
        result, stride = [], 1
        for extent, *full in reversed(dims):
            is_full = full[which - 1]
            result.append(stride if is_full else 0)
            stride *= extent if is_full else 1
        return result[::-1]

    return [extent for extent, _, _ in dims], strides(1), strides(2)


def _check_broadcast(op: Operator, graph: Graph) -> None:
    (in1, in2), output = _tensors(op, graph)
    expected = broadcast_shape(in1.shape, in2.shape)
    if expected is None:
        raise UnsupportedError(f"{_where(op)}: input shapes {list(in1.shape)} and {list(in2.shape)} do not broadcast")
    if tuple(output.shape) != expected:
        raise UnsupportedError(
            f"{_where(op)}: output shape {list(output.shape)} is not the broadcast shape {list(expected)}"
        )
    if output.num_elements and in1.shape != in2.shape:
        shape, _, _ = broadcast_plan(in1.shape, in2.shape, expected)
        if len(shape) > MAX_BROADCAST_DIMS:
            raise UnsupportedError(
                f"{_where(op)}: this broadcast needs {len(shape)} dimensions; at most {MAX_BROADCAST_DIMS} are supported"
            )


# ---------------------------------------------------------------------------------------------
# Binary operators
# ---------------------------------------------------------------------------------------------


_ADDSUB_LEFT_SHIFT = 20  # headroom bits of TFLite's int8 ADD/SUB
_ADDSUB_LEFT_SHIFT_S16 = 15  # and of its general int16 path: (2^16 - 1) << 15 still fits an int32


def _left_shift(output: Tensor) -> int:
    return _ADDSUB_LEFT_SHIFT_S16 if output.dtype == "int16" else _ADDSUB_LEFT_SHIFT


def _addsub_scales(in1: Tensor, in2: Tensor, output: Tensor) -> tuple[float, float, float]:
    """ADD/SUB Prepare (int8, and the general int16 path), in double: each input is rescaled to
    twice the larger input scale; the sum is rescaled from there (with the headroom bits) to the
    output scale."""
    s1, s2, s_out = _scale(in1), _scale(in2), _scale(output)
    twice_max_input_scale = 2.0 * max(s1, s2)
    real_output = twice_max_input_scale / (float(1 << _left_shift(output)) * s_out)
    return s1 / twice_max_input_scale, s2 / twice_max_input_scale, real_output


def addsub_constants(in1: Tensor, in2: Tensor, output: Tensor) -> dict[str, int]:
    """The int8 ADD/SUB members of mtvm_addsub_s8_params_t (all shifts <= 0)."""
    real1, real2, real_output = _addsub_scales(in1, in2, output)
    m1, sh1 = quant.quantize_multiplier(real1)
    m2, sh2 = quant.quantize_multiplier(real2)
    mo, sho = quant.quantize_multiplier(real_output)
    return {
        "input1_offset": -_zero_point(in1),
        "input1_multiplier": m1,
        "input1_shift": sh1,
        "input2_offset": -_zero_point(in2),
        "input2_multiplier": m2,
        "input2_shift": sh2,
        "left_shift": _left_shift(output),
        "output_multiplier": mo,
        "output_shift": sho,
        "output_offset": _zero_point(output),
    }


def mul_constants(in1: Tensor, in2: Tensor, output: Tensor) -> dict[str, int]:
    """MUL Prepare for int8: the multiplier s1 * s2 / s_out is computed in float32, then widened."""
    real = F32(F32(_scale(in1)) * F32(_scale(in2))) / F32(_scale(output))
    multiplier, shift = quant.quantize_multiplier(float(real))
    return {
        "input1_offset": -_zero_point(in1),
        "input2_offset": -_zero_point(in2),
        "output_multiplier": multiplier,
        "output_shift": shift,
        "output_offset": _zero_point(output),
    }


def checked_log2(scale: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 in float32: (is the scale a power of two within 1e-3 in log2, rounded log2)."""
    x_log2 = F32(F32(math.log(float(F32(scale)))) * F32(F32(1.0) / F32(math.log(2.0))))
    rounded = F32(_round_f32(x_log2))
    return bool(abs(float(F32(x_log2 - rounded))) < float(F32(1e-3))), int(rounded)


def uses_pot_int16(op: Operator, graph: Graph) -> bool:
    """True when an int16 ADD/SUB takes TFLite's power-of-two path: pot_scale_int16 (the schema
    default is true) and all three scales powers of two."""
    (in1, in2), output = _tensors(op, graph)
    if output.dtype != "int16" or op.opcode not in ("ADD", "SUB"):
        return False
    if not op.options.get("pot_scale_int16", True):
        return False
    return all(checked_log2(_scale(t))[0] for t in (in1, in2, output))


_POT_MAX_SHIFT = 31


def pot_shifts(in1: Tensor, in2: Tensor, output: Tensor) -> tuple[int, int]:
    """The right shifts of the power-of-two path: log2(s_out) - log2(s_in) per input."""
    out_log2 = checked_log2(_scale(output))[1]
    return out_log2 - checked_log2(_scale(in1))[1], out_log2 - checked_log2(_scale(in2))[1]


def _check_pot(op: Operator, graph: Graph) -> None:
    (in1, in2), output = _tensors(op, graph)
    shift1, shift2 = pot_shifts(in1, in2, output)
    if min(shift1, shift2) < 0 or (shift1 and shift2) or max(shift1, shift2) > _POT_MAX_SHIFT:
        raise UnsupportedError(
            f"{_where(op)}: on the int16 power-of-two path (pot_scale_int16) TFLite requires one input to "
            "have the output's scale and the other a scale at most as coarse (at most 2**31 times finer); "
            f"got input scales {_scale(in1):g}, {_scale(in2):g} and output scale {_scale(output):g}"
        )
    if op.opcode == "ADD" and in1.shape != in2.shape:
        raise UnsupportedError(
            f"{_where(op)}: TFLite's int16 power-of-two ADD (pot_scale_int16) does not broadcast; "
            f"input shapes {list(in1.shape)} and {list(in2.shape)} differ (set pot_scale_int16 false)"
        )


def _check_binary(op: Operator, graph: Graph) -> None:
    _check_common(op, graph, 2)
    _check_broadcast(op, graph)
    (in1, in2), output = _tensors(op, graph)
    if op.opcode in ("ADD", "SUB", "MUL"):
        _activation(op)
    if output.dtype not in _QRANGE:
        return
    if uses_pot_int16(op, graph):
        _check_pot(op, graph)
        return
    if op.opcode in ("ADD", "SUB"):
        # TFLite only supports a real output multiplier below 1 (it aborts or misbehaves above).
        if not _addsub_scales(in1, in2, output)[2] < 1.0:
            raise UnsupportedError(
                f"{_where(op)}: the output scale {_scale(output):g} is too small for input scales "
                f"{_scale(in1):g} and {_scale(in2):g} (TFLite requires 2 * max(input scales) < "
                f"2**{_left_shift(output)} * output scale)"
            )
    if op.opcode == "MUL" and mul_constants(in1, in2, output)["output_shift"] > 30:
        raise UnsupportedError(
            f"{_where(op)}: the requantization multiplier s1 * s2 / s_out is too large (at most 2**30 is supported)"
        )


def _binary_fields(op: Operator, graph: Graph) -> dict:
    """size and bcast members shared by every binary parameter struct."""
    (in1, in2), output = _tensors(op, graph)
    fields: dict = {"size": output.num_elements}
    if in1.shape == in2.shape or output.num_elements == 0:
        shape: list[int] = []
        stride1: list[int] = []
        stride2: list[int] = []
    else:
        shape, stride1, stride2 = broadcast_plan(in1.shape, in2.shape, output.shape)
    if shape:
        fields["bcast"] = {"rank": len(shape), "shape": shape, "stride1": stride1, "stride2": stride2}
    else:
        fields["bcast"] = {"rank": 0}
    return fields


def _emit_binary(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    (in1, in2), output = _tensors(op, graph)
    fields = _binary_fields(op, graph)
    suffix = {"int8": "s8", "int16": "s16", "float32": "f32", "int32": "s32", "int64": "s64"}[output.dtype]
    kernel = f"mtvm_{op.opcode.lower()}_{suffix}"
    if output.dtype in INT_DTYPES:
        # CalculateActivationRange on integers: NONE is the type's whole range.
        info = np.iinfo(output.dtype)
        lo, hi = {"NONE": (int(info.min), int(info.max)), "RELU": (0, int(info.max)), "RELU6": (0, 6),
                  "RELU_N1_TO_1": (-1, 1)}[_activation(op)]
        c_type = f"mtvm_arith_{suffix}_params_t"
        if output.dtype == "int64":
            fields.update(act_min=f"INT64_C({lo})" if lo != int(info.min) else "INT64_MIN",
                          act_max=f"INT64_C({hi})" if hi != int(info.max) else "INT64_MAX")
        else:
            fields.update(act_min=lo if lo != int(info.min) else "INT32_MIN", act_max=hi)
    elif uses_pot_int16(op, graph):
        c_type, kernel = "mtvm_addsub_pot_s16_params_t", f"mtvm_{op.opcode.lower()}_pot_s16"
        shift1, shift2 = pot_shifts(in1, in2, output)
        fields.update(input1_shift=shift1, input2_shift=shift2)
        act_min, act_max = activation_range_int8(_activation(op), output)
        fields.update(act_min=act_min, act_max=act_max)
    elif op.opcode in ("MAXIMUM", "MINIMUM"):
        c_type = "mtvm_minmax_params_t"
    elif output.dtype == "float32":
        c_type = "mtvm_arith_f32_params_t"
        act_min, act_max = activation_range_f32(_activation(op))
        fields.update(act_min=float(act_min), act_max=float(act_max))
    else:
        if op.opcode == "MUL":
            c_type = f"mtvm_mul_{suffix}_params_t"
            fields.update(mul_constants(in1, in2, output))
        else:
            c_type = f"mtvm_addsub_{suffix}_params_t"
            fields.update(addsub_constants(in1, in2, output))
        act_min, act_max = activation_range_int8(_activation(op), output)
        fields.update(act_min=act_min, act_max=act_max)
    params = ctx.params(c_type, fields)
    # ctx.buf also resolves constant operands (ADD of a constant tensor, ...) to their array,
    # registered once however many operators read it.
    a, b = ctx.buf(op.inputs[0]), ctx.buf(op.inputs[1])
    return EmittedOp(call=f"{kernel}(&{params}, {a}, {b}, {ctx.buf(op.outputs[0])});")


def _binary_macs(op: Operator, graph: Graph) -> int:
    return graph.tensor(op.outputs[0]).num_elements


# ---------------------------------------------------------------------------------------------
# Unary operators: int8 lookup tables replaying the reference arithmetic
# ---------------------------------------------------------------------------------------------

def relu_table(input_: Tensor, output: Tensor, upper: Optional[float]) -> np.ndarray:
    """RELU (upper None) / RELU6 (upper 6.0): requantize by s_in / s_out (float32) and clamp."""
    real = F32(_scale(input_)) / F32(_scale(output))
    multiplier, shift = quant.quantize_multiplier(float(real))
    zp_in, zp_out, s_out = _zero_point(input_), _zero_point(output), F32(_scale(output))
    act_min = max(INT8_MIN, zp_out + _round_f32(F32(0.0) / s_out))
    act_max = INT8_MAX if upper is None else min(INT8_MAX, zp_out + _round_f32(F32(upper) / s_out))
    return int8_table(lambda q: min(act_max, max(act_min, zp_out + _multiply(q - zp_in, multiplier, shift))))


def leaky_relu_table(input_: Tensor, output: Tensor, alpha: float) -> np.ndarray:
    """LEAKY_RELU: one multiplier for x >= 0 (s_in / s_out), one for x < 0 (s_in * alpha / s_out),
    both computed in float32. A negative alpha multiplier is applied to |multiplier| and negated."""
    s_in, s_out = F32(_scale(input_)), F32(_scale(output))
    m_alpha, sh_alpha = quant.quantize_multiplier(float(F32(s_in * F32(alpha)) / s_out))
    m_id, sh_id = quant.quantize_multiplier(float(s_in / s_out))
    zp_in, zp_out = _zero_point(input_), _zero_point(output)

    def entry(q: int) -> int:
        x = q - zp_in
        if x >= 0:
            return zp_out + _multiply(x, m_id, sh_id)
        if m_alpha < 0:
            return zp_out - _multiply(x, -m_alpha, sh_alpha)
        return zp_out + _multiply(x, m_alpha, sh_alpha)

    return int8_table(entry)


def hard_swish_constants(input_: Tensor, output: Tensor) -> tuple[int, int, int, int]:
    """HardSwishPrepare: (output multiplier Q15, output exponent, reluish multiplier Q15, reluish exponent)."""
    hires_input_scale = F32(1.0 / 128.0) * F32(_scale(input_))
    reluish_scale = F32(3.0) / F32(32768.0)
    out_m32, out_exp = quant.quantize_multiplier(float(hires_input_scale / F32(_scale(output))))
    rel_m32, rel_exp = quant.quantize_multiplier(float(hires_input_scale / reluish_scale))
    return _downscale_multiplier16(out_m32), out_exp, _downscale_multiplier16(rel_m32), rel_exp


def hard_swish_table(input_: Tensor, output: Tensor) -> np.ndarray:
    """HARD_SWISH int8: TFLite's 16-bit fixed-point algorithm, step by step, for every input."""
    out_m, out_exp, rel_m, rel_exp = hard_swish_constants(input_, output)
    zp_in, zp_out = _zero_point(input_), _zero_point(output)

    def entry(q: int) -> int:
        hires = _wrap16(_wrap16(q - zp_in) * 128)  # input on a scale 128 times finer
        preshift_output = _srdhm16(hires, out_m)  # x on the output scale, before the final shift
        # "reluish" = clamp(x / 3, -1, 1) in Q15, with saturation happening only at the last step.
        reluish = hires
        if rel_exp > 0:
            reluish = _saturating_left_shift16(reluish, rel_exp - 1)
        reluish = _srdhm16(reluish, rel_m)
        if rel_exp > 0:
            reluish = _saturating_left_shift16(reluish, 1)
        if rel_exp < 0:
            reluish = _rdbpot16(reluish, -rel_exp)
        reluish = _wrap16((reluish + (1 << 15)) >> 1)  # [-1, 1] -> [0, 1]
        value = _rdbpot16(_sdhm16(reluish, preshift_output), -out_exp)
        return _wrap16(value + zp_out)

    return int8_table(entry)


def unary_table(op: Operator, graph: Graph) -> np.ndarray:
    """The 256-entry int8 table of an int8 RELU, RELU6, LEAKY_RELU or HARD_SWISH (index = x + 128)."""
    (input_,), output = _tensors(op, graph)
    if op.opcode == "RELU":
        return relu_table(input_, output, None)
    if op.opcode == "RELU6":
        return relu_table(input_, output, 6.0)
    if op.opcode == "LEAKY_RELU":
        return leaky_relu_table(input_, output, float(op.options.get("alpha", 0.0)))
    return hard_swish_table(input_, output)


def _check_unary(op: Operator, graph: Graph) -> None:
    _check_common(op, graph, 1)
    (input_,), output = _tensors(op, graph)
    if input_.num_elements != output.num_elements:
        raise UnsupportedError(f"{_where(op)}: input and output must have the same number of elements")
    if output.dtype == "int16":
        return
    if op.opcode == "HARD_SWISH" and output.dtype == "int8" and hard_swish_constants(input_, output)[1] > 0:
        raise UnsupportedError(
            f"{_where(op)}: the input scale must be less than 128 times the output scale (as in TFLite)"
        )


def _emit_unary(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    (input_,), output = _tensors(op, graph)
    size = output.num_elements
    x = ctx.buf(op.inputs[0])
    y = ctx.buf(op.outputs[0])
    if output.dtype == "int16":
        return _emit_unary_s16(op, ctx)
    if output.dtype == "int8":
        return emit_lut_s8(ctx, f"{op.opcode.lower()}_table", unary_table(op, graph), size, x, y)
    if op.opcode in ("RELU", "RELU6"):
        upper = math.inf if op.opcode == "RELU" else 6.0
        params = ctx.params("mtvm_relu_f32_params_t", {"size": size, "lo": 0.0, "hi": upper})
        return EmittedOp(call=f"mtvm_relu_f32(&{params}, {x}, {y});")
    if op.opcode == "LEAKY_RELU":
        alpha = float(op.options.get("alpha", 0.0))
        params = ctx.params("mtvm_leaky_relu_f32_params_t", {"size": size, "alpha": alpha})
        return EmittedOp(call=f"mtvm_leaky_relu_f32(&{params}, {x}, {y});")
    params = ctx.params("mtvm_hard_swish_f32_params_t", {"size": size})
    return EmittedOp(call=f"mtvm_hard_swish_f32(&{params}, {x}, {y});")


def relu_s16_fields(input_: Tensor, output: Tensor, upper: Optional[float]) -> dict[str, int]:
    """ReluPrepare + QuantizedReluX for int16: multiplier s_in / s_out (float32), range
    zp + roundf(limit / s_out) clamped to int16."""
    multiplier, shift = quant.quantize_multiplier(float(F32(_scale(input_)) / F32(_scale(output))))
    zp_out, s_out = _zero_point(output), F32(_scale(output))
    act_min = max(INT16_MIN, zp_out + _round_f32(F32(0.0) / s_out))
    act_max = INT16_MAX if upper is None else min(INT16_MAX, zp_out + _round_f32(F32(upper) / s_out))
    return {
        "input_offset": _zero_point(input_), "output_offset": zp_out, "multiplier": multiplier, "shift": shift,
        "act_min": act_min, "act_max": act_max,
    }


def leaky_relu_s16_fields(input_: Tensor, output: Tensor, alpha: float) -> dict[str, int]:
    """LeakyReluPrepare for int16: the same float32 multipliers as the int8 table uses."""
    s_in, s_out = F32(_scale(input_)), F32(_scale(output))
    m_alpha, sh_alpha = quant.quantize_multiplier(float(F32(s_in * F32(alpha)) / s_out))
    m_id, sh_id = quant.quantize_multiplier(float(s_in / s_out))
    return {
        "input_offset": _zero_point(input_), "output_offset": _zero_point(output),
        "identity_multiplier": m_id, "identity_shift": sh_id,
        "alpha_multiplier": abs(m_alpha), "alpha_shift": sh_alpha, "alpha_negative": int(m_alpha < 0),
    }


def _emit_unary_s16(op: Operator, ctx: LowerContext) -> EmittedOp:
    (input_,), output = _tensors(op, ctx.graph)
    fields: dict = {"size": output.num_elements}
    if op.opcode == "LEAKY_RELU":
        fields.update(leaky_relu_s16_fields(input_, output, float(op.options.get("alpha", 0.0))))
        kernel, c_type = "mtvm_leaky_relu_s16", "mtvm_leaky_relu_s16_params_t"
    else:
        fields.update(relu_s16_fields(input_, output, None if op.opcode == "RELU" else 6.0))
        kernel, c_type = "mtvm_relu_s16", "mtvm_relu_s16_params_t"
    params = ctx.params(c_type, fields)
    return EmittedOp(call=f"{kernel}(&{params}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});")


def sources_for(op: Operator, graph: Graph) -> tuple[str, ...]:
    """Each operator ships only its own kernel file: int8 and float32 one per operator (the int8
    unary operators the table kernel), int16 one per operator and path, int32/int64
    elementwise_int.c."""
    dtype = graph.tensor(op.outputs[0]).dtype
    if dtype in INT_DTYPES:
        return INT_SOURCES
    if dtype == "int8" and op.opcode in UNARY_OPCODES:
        return LUT_SOURCES
    if dtype != "int16":
        return _SOURCES[(op.opcode, dtype)]
    if op.opcode in ("ADD", "SUB"):
        return ("addsub_pot_s16.c",) if uses_pot_int16(op, graph) else ("addsub_s16.c",)
    return {
        "MUL": ("mul_s16.c",), "MAXIMUM": ("minmax_s16.c",), "MINIMUM": ("minmax_s16.c",),
        "RELU": ("relu_s16.c",), "RELU6": ("relu_s16.c",), "LEAKY_RELU": ("leaky_relu_s16.c",),
    }[op.opcode]


def in_place_inputs(op: Operator, graph: Graph) -> dict[int, int]:
    """Every kernel of the family (and mtvm_lut_s8) reads element i of its inputs before it writes element i of
    the output and never reads an earlier element again, so the output may start at (or before)
    an input that has the output's element count and type: such an input is walked at the
    output's own index. A broadcast input is re-read along the broadcast dimensions: never."""
    inputs, output = _tensors(op, graph)
    return {
        position: 0
        for position, t in enumerate(inputs)
        if t.dtype == output.dtype and t.num_elements == output.num_elements and not t.is_constant
    }


def _lowering(opcode: str) -> OpLowering:
    binary = opcode in BINARY_OPCODES
    check: Callable[[Operator, Graph], None] = _check_binary if binary else _check_unary
    emit: Callable[[Operator, LowerContext], EmittedOp] = _emit_binary if binary else _emit_unary
    dtypes = ("int8", "int16", "float32") if opcode in _INT16_OPCODES else ("int8", "float32")
    common = {"in_place_inputs": in_place_inputs, "dtypes": dtypes, "sources_for": sources_for}
    if binary:
        int_arith = opcode in INT_ARITH_OPCODES
        binary_common = dict(common, dtypes=dtypes + (INT_DTYPES if int_arith else ()))
        return OpLowering(opcode, check, emit, HEADERS, macs=_binary_macs, **binary_common)  # type: ignore[arg-type]
    return OpLowering(opcode, check, emit, HEADERS, **common)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Operand checks shared with the reduction family (ops/reduce.py)
# ---------------------------------------------------------------------------------------------


def check_quantized_or_float(op: Operator, graph: Graph) -> None:
    """Input and output both int8 or both int16 (per-tensor quantized, int16 with zero point 0),
    or both float32."""
    inp, out = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    for role, t in (("input", inp), ("output", out)):
        if t.dtype not in ("int8", "int16", "float32"):
            raise UnsupportedError(
                f"{op.opcode} with a {t.dtype} {role} ({t.name!r}) is not supported; "
                "it supports int8, int16 and float32 tensors (uint8 activations are not supported)"
            )
    if inp.dtype != out.dtype:
        raise UnsupportedError(
            f"{op.opcode} with {inp.dtype} input and {out.dtype} output is not supported "
            "(hybrid or mixed-type models); input and output must both be int8, both int16 or both float32"
        )
    if inp.dtype in ("int8", "int16"):
        for role, t in (("input", inp), ("output", out)):
            if t.quant is None or not t.quant.scale:
                raise UnsupportedError(
                    f"{op.opcode}: int8 {role} {t.name!r} has no quantization parameters; "
                    "int8 tensors must carry a scale and zero point (a quantized model)"
                )
            if t.quant.per_channel:
                raise UnsupportedError(
                    f"{op.opcode}: {role} {t.name!r} is quantized per channel; "
                    "only per-tensor quantization is supported for activations"
                )
            if t.dtype == "int16" and _zero_point(t) != 0:
                raise UnsupportedError(
                    f"{op.opcode}: int16 {role} {t.name!r} has zero point {_zero_point(t)}; 16x8 quantization "
                    "is symmetric (zero point 0), as TFLite requires"
                )


# ---------------------------------------------------------------------------------------------
# LOGISTIC, TANH: int8 through a table computed like TFLite's LUTPopulate (float32 arithmetic)
# ---------------------------------------------------------------------------------------------


def _expf(x: np.float32) -> np.float32:
    """exp in float32: the exact value rounded once to float32 (what libm's expf returns)."""
    value = math.exp(float(x)) if float(x) < 709.0 else math.inf
    with np.errstate(over="ignore"):
        return F32(value)


def _logistic_f32(x: np.float32) -> np.float32:
    return F32(1.0) / (F32(1.0) + _expf(-x))  # 1.0f / (1.0f + std::exp(-x))


def _tanh_f32(x: np.float32) -> np.float32:
    return F32(math.tanh(float(x)))


SIGMOID_FUNCTIONS = {"LOGISTIC": _logistic_f32, "TANH": _tanh_f32}


def sigmoid_table(op: Operator, graph: Graph) -> np.ndarray:
    """The 256-entry table (index = input + 128) of an int8 LOGISTIC or TANH: LUTPopulateInt8."""
    inp, out = _sigmoid_io(op, graph)
    return lut_populate_int8(_scale(inp), _zero_point(inp), _scale(out), _zero_point(out), SIGMOID_FUNCTIONS[op.opcode])


# int16: TFLite's fixed-point interpolation in the sigmoid table


# sigmoid(i / 24) for i = 0..255 in unsigned Q0.16: the samples TFLite's int16 LOGISTIC and TANH
# interpolate in (tanh(x) = 2 sigmoid(2x) - 1). They are data, not a formula:
# 44 of them exceed round(65536 * sigmoid(i / 24)) by one, so they are listed as TFLite defines them
# (tests/test_ops_int16.py checks every int16 input of both operators against LiteRT).
_SIGMOID_TABLE_U16 = (
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
)


def sigmoid_table_u16() -> np.ndarray:
    return np.array(_SIGMOID_TABLE_U16, dtype=np.uint16)


_SIGMOID_INPUT_INTEGER_BITS = 3  # TFLite's int16 LOGISTIC/TANH inputs are Q3.12 at a power-of-two scale


def sigmoid_s16_input_scaling(opcode: str, input_scale: float) -> tuple[int, int]:
    """TanhPrepare / SigmoidPrepare for int16: (input_multiplier, input_left_shift).

    A power-of-two input scale with the expected shift (0 or 1 for TANH, 0 for LOGISTIC) keeps
    multiplier 0 (the kernel then uses 3 << shift); any other scale gets multiplier
    scale * 4096 * 3 (double), doubled until above 32767 / 2, with the doublings as a shift."""
    is_pot, log2 = checked_log2(input_scale)
    left_shift = (15 - _SIGMOID_INPUT_INTEGER_BITS) + log2
    if is_pot and (left_shift in (0, 1) if opcode == "TANH" else left_shift == 0):
        return 0, left_shift
    multiplier = float(F32(input_scale)) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    return int(multiplier), left_shift


def _check_sigmoid_s16(op: Operator, graph: Graph) -> None:
    inp, out = _sigmoid_io(op, graph)
    is_pot, log2 = checked_log2(_scale(out))
    exact = op.opcode != "LOGISTIC" or float(F32(_scale(out))) == 1.0 / 32768
    if not (is_pot and log2 == -15 and exact):
        raise UnsupportedError(
            f"{op.opcode} with int16 output scale {_scale(out):g} is not supported; TFLite requires 1/32768"
        )
    multiplier, _ = sigmoid_s16_input_scaling(op.opcode, _scale(inp))
    if multiplier > INT16_MAX:
        raise UnsupportedError(
            f"{op.opcode} with int16 input scale {_scale(inp):g} is not supported; TFLite's int16 kernel "
            "needs an input scale below 32767 / 12288"
        )


def _check_sigmoid(op: Operator, graph: Graph) -> None:
    check_quantized_or_float(op, graph)
    inp, out = _sigmoid_io(op, graph)
    if inp.dtype == "int16":
        _check_sigmoid_s16(op, graph)
    if inp.num_elements != out.num_elements:
        raise UnsupportedError(f"{op.opcode}: input {list(inp.shape)} and output {list(out.shape)} differ in size")
    if op.opcode == "LOGISTIC" and inp.dtype == "int8" and _scale(out) != 1.0 / 256:
        raise UnsupportedError(
            f"LOGISTIC with int8 output scale {_scale(out):g} is not supported; TFLite requires 1/256"
        )


def _emit_sigmoid(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, out = _sigmoid_io(op, graph)
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    if inp.dtype == "int16":
        multiplier, shift = sigmoid_s16_input_scaling(op.opcode, _scale(inp))
        table = ctx.const("sigmoid_table_u16", sigmoid_table_u16())
        fields = {"size": inp.num_elements, "input_multiplier": multiplier, "input_left_shift": shift}
        params = ctx.params("mtvm_sigmoid_s16_params_t", fields)
        return EmittedOp(call=f"mtvm_{op.opcode.lower()}_s16(&{params}, {table}, {src}, {dst});")
    if inp.dtype == "int8":
        return emit_lut_s8(ctx, f"{op.opcode.lower()}_table", sigmoid_table(op, graph), inp.num_elements, src, dst)
    params = ctx.params("mtvm_unary_params_t", {"size": inp.num_elements})
    return EmittedOp(call=f"mtvm_{op.opcode.lower()}_f32(&{params}, {src}, {dst});")


def _sigmoid_io(op: Operator, graph: Graph) -> tuple[Tensor, Tensor]:
    return graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])


def _sigmoid_in_place(op: Operator, graph: Graph) -> dict[int, int]:
    """mtvm_lut_s8, mtvm_logistic_f32/_s16 and mtvm_tanh_f32/_s16 read element i and then write
    element i: the output may start at (or before) an input of its own type and element count."""
    inp, out = _sigmoid_io(op, graph)
    if inp.dtype != out.dtype or inp.num_elements != out.num_elements:
        return {}
    return {0: 0}


# The kernels: int8 the table (lut_s8.c), float32 and int16 one file per variant (logistic_f32.c,
# tanh_s16.c, ...), declared in mtvm/reduce.h.
SIGMOID_OPCODES = ("LOGISTIC", "TANH")
_SIGMOID_HEADERS = ("mtvm/reduce.h",)


def _sigmoid_sources_for(op: Operator, graph: Graph) -> tuple[str, ...]:
    """Each operator ships only its own kernel file (logistic_s16.c, tanh_f32.c, ...); int8 the
    table kernel."""
    dtype = graph.tensor(op.inputs[0]).dtype
    if dtype == "int8":
        return LUT_SOURCES
    return (f"{op.opcode.lower()}_{'s16' if dtype == 'int16' else 'f32'}.c",)


def _sigmoid_lowering(opcode: str) -> OpLowering:
    return OpLowering(
        opcode=opcode, check=_check_sigmoid, emit=_emit_sigmoid, headers=_SIGMOID_HEADERS,
        dtypes=("int8", "int16", "float32"), sources_for=_sigmoid_sources_for, in_place_inputs=_sigmoid_in_place,
    )


LOWERINGS: list[OpLowering] = [
    *(_lowering(opcode) for opcode in (*BINARY_OPCODES, *UNARY_OPCODES)),
    *(_sigmoid_lowering(opcode) for opcode in SIGMOID_OPCODES),
]
