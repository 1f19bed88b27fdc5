"""Unary math: ABS, NEG, CEIL, FLOOR, ROUND, SQRT, RSQRT, SQUARE, EXP, LOG, SIN, COS, ELU, GELU,
and CAST, ZEROS_LIKE, FILL.

Types, as LiteRT's kernels take them (tflite/kernels/elementwise.cc, exp.cc, activations.cc,
gelu.cc, neg.cc, floor.cc, ceil.cc, round.cc, cast.cc, zeros_like.cc, fill.cc):

- float32: every operator. C kernels in runtime/src/math_*.c, one loop per operator calling
  only float functions of <math.h>: math_f32.c (ABS, NEG, CEIL, FLOOR, ROUND, SQRT, RSQRT,
  SQUARE: fabsf, ceilf, floorf, sqrtf), math_exp_f32.c (EXP: expf, ELU: expm1f),
  math_log_f32.c (LOG: logf), math_trig_f32.c (SIN: sinf, COS: cosf), math_gelu_f32.c
  (GELU: erfcf; approximate GELU: tanhf). ABS, NEG, CEIL, FLOOR, ROUND, SQRT, RSQRT and SQUARE
  are exact (IEEE sqrt is correctly rounded); EXP, LOG, SIN, COS, ELU and GELU depend on the C
  library: LiteRT itself calls the host's libm (and Eigen's own erfc/tanh for GELU), so we
  state a tolerance of 1e-5 relative / 1e-6 absolute for them (TRANSCENDENTAL_RTOL/_ATOL),
  which covers the few-ulp differences between libm implementations (glibc, newlib, picolibc).
- int8 (per-tensor quantized): ABS, SQRT, RSQRT, EXP, LOG, ELU, GELU become a 256-entry
  lookup table computed here, replaying LiteRT's arithmetic for every input byte (integer
  rescaling for ABS, GetInvSqrtQuantizedMultiplierExp for RSQRT, float truncation for SQRT,
  LUTPopulate for EXP/LOG/ELU/GELU; ops/lut.py); the C side is mtvm_lut_s8 (runtime/src/lut_s8.c).
  NEG on int8 negates the stored value (as LiteRT: no requantization; -(-128) wraps to -128).
- int16 (not quantized), int32, int64: ABS (int16, int32), NEG (int8, int16, int32, int64),
  exact, in runtime/src/math_int.c.
- int16 quantized (16x8 activations; per-tensor, zero points 0 as LiteRT requires, except GELU,
  which takes any): EXP, LOG, RSQRT and GELU are LiteRT's 513-entry interpolated tables
  (LUTPopulate<int16_t> in float32, replayed here; mtvm_lut_s16 in runtime/src/math_lut_s16.c
  does TFLite's LUTLookup); ABS is AbsEvalQuantized (integer rescaling, math_abs_s16.c); SQRT is
  computed per element in float32 like LiteRT 2.3.0 (math_sqrt_s16.c); NEG negates the stored
  values as for int8.
- CAST: every pair among float32, int8, uint8, int16, int32, int64, bool (runtime/src/cast.c):
  float to integer saturates (NaN gives the largest value), integer to integer wraps, anything
  to bool is `!= 0`, quantization parameters are ignored (as LiteRT does).
- ZEROS_LIKE (float32, int32, int64) and FILL (float32, int8, int16, int32, int64, bool) write a
  constant: the output shape is static, so only the value is read (from its constant array when
  the value is a constant, i.e. folded at generation time) (runtime/src/fill.c).

Inputs LiteRT refuses at run time get a defined value instead of an error (there is no error
path in generated code): SQRT/RSQRT int8 inputs below the zero point (negative reals) give
the output for zero.
"""
from __future__ import annotations

import math as pymath
from typing import Callable

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering
from .elementwise import _multiply, _tensors, _where, _wrap32
from .lut import LUT_HEADERS, LUT_SOURCES, emit_lut_s8, float_to_int32_x86, int8_table, lut_populate_int8

F32 = np.float32
INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1

TRANSCENDENTAL_RTOL = 1e-5
TRANSCENDENTAL_ATOL = 1e-6

MATH_HEADERS = ("mtvm/math.h",)

# float32 kernels: opcode -> (C function suffix, source file)
_F32_KERNELS: dict[str, tuple[str, str]] = {
    "ABS": ("abs", "math_f32.c"),
    "NEG": ("neg", "math_f32.c"),
    "CEIL": ("ceil", "math_f32.c"),
    "FLOOR": ("floor", "math_f32.c"),
    "ROUND": ("round", "math_f32.c"),
    "SQRT": ("sqrt", "math_f32.c"),
    "RSQRT": ("rsqrt", "math_f32.c"),
    "SQUARE": ("square", "math_f32.c"),
    "EXP": ("exp", "math_exp_f32.c"),
    "ELU": ("elu", "math_exp_f32.c"),
    "LOG": ("log", "math_log_f32.c"),
    "SIN": ("sin", "math_trig_f32.c"),
    "COS": ("cos", "math_trig_f32.c"),
    "GELU": ("gelu", "math_gelu_f32.c"),
}

# Which element types each unary operator takes (int8 means per-tensor quantized int8, except
# for NEG, which negates the stored values whatever their quantization).
UNARY_DTYPES: dict[str, tuple[str, ...]] = {
    "ABS": ("float32", "int8", "int16", "int32"),
    "NEG": ("float32", "int8", "int16", "int32", "int64"),
    "CEIL": ("float32",),
    "FLOOR": ("float32",),
    "ROUND": ("float32",),
    "SQRT": ("float32", "int8", "int16"),
    "RSQRT": ("float32", "int8", "int16"),
    "SQUARE": ("float32",),
    "EXP": ("float32", "int8", "int16"),
    "LOG": ("float32", "int8", "int16"),
    "SIN": ("float32",),
    "COS": ("float32",),
    "ELU": ("float32", "int8"),
    "GELU": ("float32", "int8", "int16"),
}
# int16 needs quantization for these (the others take plain int16 too).
_INT16_QUANTIZED_ONLY = ("SQRT", "RSQRT", "EXP", "LOG", "GELU")
_INT16_LUT_OPCODES = ("EXP", "LOG", "RSQRT", "GELU")

_INT_SUFFIX = {
    "int8": "s8", "uint8": "u8", "int16": "s16", "int32": "s32", "int64": "s64", "float32": "f32", "bool": "b",
}
_INT_LIMITS = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-(1 << 15), (1 << 15) - 1),
               "int32": (INT32_MIN, INT32_MAX), "int64": (-(1 << 63), (1 << 63) - 1)}


# ---------------------------------------------------------------------------------------------
# int8 tables
# ---------------------------------------------------------------------------------------------


def _scale(t: Tensor) -> float:
    return float(t.quant.scale[0])


def _zp(t: Tensor) -> int:
    return int(t.quant.zero_point[0])


def _f32_call(fn: Callable[[float], float], x: np.float32) -> np.float32:
    """A float32 libm function, correctly rounded: computed in double, rounded once to float.
    (glibc's float functions are within about half an ulp of this; a different ulp could only
    change a table entry when it moves a value across a rounding boundary of the output.)"""
    v = float(x)
    if pymath.isnan(v):
        return F32(np.nan)
    try:
        with np.errstate(over="ignore"):
            return F32(fn(v))
    except OverflowError:
        return F32(np.inf)
    except ValueError:
        return F32(np.nan)


def _exp_f32(x: np.float32) -> np.float32:
    return _f32_call(pymath.exp, x)


def _log_transform(output_min: np.float32) -> Callable[[np.float32], np.float32]:
    def transform(x: np.float32) -> np.float32:
        if not x > F32(0.0):
            return output_min  # log of a non-positive value: the lowest representable output
        return _f32_call(pymath.log, x)

    return transform


def _elu_f32(x: np.float32) -> np.float32:
    return _f32_call(pymath.expm1, x) if x < F32(0.0) else x


_MINUS_SQRT1_2 = F32(-0.7071067811865476)  # static_cast<float>(-M_SQRT1_2)
_SQRT_2_OVER_PI = F32(1.1283791670955126 * 0.7071067811865476)  # float(M_2_SQRTPI * M_SQRT1_2)


def _gelu_f32(x: np.float32) -> np.float32:
    """GeluTransform: 0.5f * x * erfcf(x * -sqrt(1/2)), every step in float32."""
    with np.errstate(over="ignore", invalid="ignore"):
        erfc = _f32_call(pymath.erfc, F32(x * _MINUS_SQRT1_2))
        return F32(F32(F32(0.5) * x) * erfc)


def _gelu_tanh_f32(x: np.float32) -> np.float32:
    """GeluTransformApproximate: 0.5f * x * (1 + tanhf(sqrt(2/pi) * (x + 0.044715f * x^3)))."""
    with np.errstate(over="ignore", invalid="ignore"):
        cube = F32(F32(F32(F32(0.044715) * x) * x) * x)
        inner = F32(_SQRT_2_OVER_PI * F32(x + cube))
        t = _f32_call(pymath.tanh, inner)
        return F32(F32(F32(0.5) * x) * F32(F32(1.0) + t))


def abs_table(input_: Tensor, output: Tensor) -> np.ndarray:
    """AbsEvalQuantized: |q - zp_in|, rescaled by s_in / s_out (float32 division, then
    QuantizeMultiplier) unless the two scales are equal, plus zp_out, clamped."""
    s_in, s_out = F32(_scale(input_)), F32(_scale(output))
    needs_rescale = s_in != s_out
    multiplier, shift = quant.quantize_multiplier(float(s_in / s_out)) if needs_rescale else (0, 0)

    def entry(q: int) -> int:
        value = abs(q - _zp(input_))
        return (_multiply(value, multiplier, shift) if needs_rescale else value) + _zp(output)

    return int8_table(entry)


def sqrt_table(input_: Tensor, output: Tensor) -> np.ndarray:
    """SqrtEvalQuantized: sqrtf of the dequantized input (float32), divided by the output scale
    and truncated toward zero (static_cast<int>), plus zp_out, clamped."""
    s_in, s_out = F32(_scale(input_)), F32(_scale(output))

    def entry(q: int) -> int:
        dequantized = max(F32(0.0), F32(s_in * F32(q - _zp(input_))))  # negatives: see module doc
        root = F32(np.sqrt(dequantized))
        return float_to_int32_x86(F32(root / s_out)) + _zp(output)

    return int8_table(entry)


def _srdhm(a: int, b: int) -> int:
    return quant.saturating_rounding_doubling_high_mul(a, b)


def _sat_shift_left(x: int, exponent: int) -> int:
    """gemmlowp's SaturatingRoundingMultiplyByPOT with a positive exponent on int32."""
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return _wrap32(x << exponent)


def inv_sqrt_multiplier_exp(value: int, reverse_shift: int) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp: 1 / sqrt(value) as a Q31 multiplier and a shift, by five
    Newton-Raphson steps in gemmlowp fixed point (3 integer bits)."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    max_left_shift_bits = (32 - value.bit_length()) - 1  # CountLeadingZeros(uint32) - 1
    left_shift_bit_pairs = max_left_shift_bits // 2 - 1
    shift -= left_shift_bit_pairs
    value <<= 2 * left_shift_bit_pairs
    fixed_input = value >> 1  # F3 raw
    half_input = quant.rounding_divide_by_pot(fixed_input, 1)  # SaturatingRoundingMultiplyByPOT<-1>
    half_three = (1 << 28) + (1 << 27)  # 1.5 in F3
    x = 1 << 28  # F3::One()
    for _ in range(5):
        x3 = _sat_shift_left(_srdhm(_srdhm(x, x), x), 6)  # F9 -> F3
        x = _sat_shift_left(_wrap32(_srdhm(half_three, x) - _srdhm(half_input, x3)), 3)  # F6 -> F3
    x = _srdhm(x, 1518500250)  # times sqrt(2) / 2 (F0)
    if shift < 0:
        x = _wrap32(x << -shift)
        shift = 0
    return x, shift * reverse_shift


def rsqrt_table(input_: Tensor, output: Tensor) -> np.ndarray:
    """RsqrtEvalQuantizedInt8: the output multiplier is 1 / (sqrtf(s_in) * s_out) (the product in
    float32, the division in double); each input q > zp gets an integer inverse square root of
    (q - zp) with 20 bits of headroom, then that multiplier; q == zp gives 127."""
    s_in, s_out = F32(_scale(input_)), F32(_scale(output))
    real = 1.0 / float(F32(F32(np.sqrt(s_in)) * s_out))
    multiplier, shift = quant.quantize_multiplier(real)
    k_shift = 20

    def entry(q: int) -> int:
        value = q - _zp(input_)
        if value <= 0:  # zero (and, where LiteRT fails, negatives): the largest output
            return INT8_MAX
        inv_m, inv_shift = inv_sqrt_multiplier_exp(value, -1)
        data = _multiply(1, inv_m, inv_shift + k_shift)
        return _multiply(data, multiplier, shift - k_shift) + _zp(output)

    return int8_table(entry)


def unary_table(op: Operator, graph: Graph) -> np.ndarray:
    """The 256-entry table (index = input + 128) of an int8 ABS, SQRT, RSQRT, EXP, LOG, ELU, GELU."""
    (input_,), output = _tensors(op, graph)
    if op.opcode == "ABS":
        return abs_table(input_, output)
    if op.opcode == "SQRT":
        return sqrt_table(input_, output)
    if op.opcode == "RSQRT":
        return rsqrt_table(input_, output)
    args = (_scale(input_), _zp(input_), _scale(output), _zp(output))
    if op.opcode == "EXP":
        return lut_populate_int8(*args, _exp_f32)
    if op.opcode == "LOG":
        output_min = F32(F32(INT8_MIN - _zp(output)) * F32(_scale(output)))
        return lut_populate_int8(*args, _log_transform(output_min))
    if op.opcode == "ELU":
        return lut_populate_int8(*args, _elu_f32)
    if op.opcode == "GELU":
        approximate = bool(op.options.get("approximate", False))
        return lut_populate_int8(*args, _gelu_tanh_f32 if approximate else _gelu_f32)
    raise AssertionError(op.opcode)


# ---------------------------------------------------------------------------------------------
# int16 tables
# ---------------------------------------------------------------------------------------------

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def _roundf(x: np.float32) -> np.float32:
    """roundf: half away from zero, in float32 (infinities and NaN unchanged)."""
    if not np.isfinite(x) or abs(float(x)) >= 2.0**23:
        return F32(x)
    return F32(pymath.copysign(pymath.floor(abs(float(x)) + 0.5), float(x)))


def _clamp_to_int16(x: np.float32) -> int:
    """static_cast<int16_t>(std::min(std::max(x, -32768.f), 32767.f)) on LiteRT's x86-64 host:
    NaN passes std::max/std::min unchanged and converts (cvttss2si) to INT32_MIN, whose low 16
    bits are 0."""
    if np.isnan(x):
        return 0
    return int(min(max(float(x), float(INT16_MIN)), float(INT16_MAX)))


def lut_populate_int16(
    s_in: float, zp_in: int, s_out: float, zp_out: int, transform: Callable[[np.float32], np.float32]
) -> np.ndarray:
    """TFLite's LUTPopulate<int16_t> with FloatT = float: 512 samples of `transform` over the
    input range plus the end point, each corrected by half the interpolation error at the middle
    of its interval; every operation in float32 (the output zero point only enters through the
    output range, as in TFLite)."""
    with np.errstate(over="ignore", invalid="ignore"):
        input_min = F32(F32(s_in) * F32(INT16_MIN - zp_in))
        input_max = F32(F32(s_in) * F32(INT16_MAX - zp_in))
        output_min = F32(F32(s_out) * F32(INT16_MIN - zp_out))
        output_max = F32(F32(s_out) * F32(INT16_MAX - zp_out))
        step = F32(F32(input_max - input_min) / F32(512))
        half_step = F32(step / F32(2))
        scaling = F32(F32(65536) / F32(output_max - output_min))
        table = []
        for i in range(512):
            x = F32(input_min + F32(F32(i) * step))
            value = F32(transform(x))
            midpoint = F32(transform(F32(x + half_step)))
            following = F32(transform(F32(input_min + F32(F32(i + 1) * step))))
            sample = _roundf(F32(value * scaling))
            interpolated = _roundf(F32(F32(F32(following * scaling) + _roundf(F32(value * scaling))) / F32(2)))
            bias = _roundf(F32(F32(interpolated - _roundf(F32(midpoint * scaling))) / F32(2)))
            table.append(_clamp_to_int16(F32(sample - bias)))
        table.append(_clamp_to_int16(_roundf(F32(F32(transform(input_max)) * scaling))))
    return np.array(table, dtype=np.int16)


def _rsqrt_int16_transform(s_out: np.float32) -> Callable[[np.float32], np.float32]:
    def transform(x: np.float32) -> np.float32:
        if not x > F32(0.0):
            return F32(F32(INT16_MAX) * s_out)  # the largest output for zero (and negatives)
        return F32(F32(1.0) / F32(np.sqrt(x)))

    return transform


def int16_table(op: Operator, graph: Graph) -> np.ndarray:
    """The 513-entry table of an int16 EXP, LOG, RSQRT or GELU, as LiteRT's Prepare builds it."""
    (input_,), output = _tensors(op, graph)
    args = (_scale(input_), _zp(input_), _scale(output), _zp(output))
    if op.opcode == "EXP":
        return lut_populate_int16(*args, _exp_f32)
    if op.opcode == "LOG":
        output_min = F32(F32(INT16_MIN - _zp(output)) * F32(_scale(output)))
        return lut_populate_int16(*args, _log_transform(output_min))
    if op.opcode == "RSQRT":
        return lut_populate_int16(*args, _rsqrt_int16_transform(F32(_scale(output))))
    if op.opcode == "GELU":
        approximate = bool(op.options.get("approximate", False))
        return lut_populate_int16(*args, _gelu_tanh_f32 if approximate else _gelu_f32)
    raise AssertionError(op.opcode)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _is_quantized(t: Tensor) -> bool:
    return t.quant is not None and bool(t.quant.scale)


def _check_io(op: Operator, graph: Graph, num_inputs: int) -> tuple[list[Tensor], Tensor]:
    if len(op.inputs) != num_inputs or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected {num_inputs} input(s) and 1 output")
    inputs, output = _tensors(op, graph)
    if any(d < 0 for d in output.shape):
        raise UnsupportedError(f"{_where(op)}: the output shape {list(output.shape)} is not static")
    return inputs, output


def _check_per_tensor_int8(op: Operator, tensors: list[Tensor]) -> None:
    for t in tensors:
        if not _is_quantized(t):
            raise UnsupportedError(f"{_where(op)}: int8 tensor '{t.name}' has no quantization parameters")
        if t.quant.per_channel:
            raise UnsupportedError(
                f"{_where(op)}: tensor '{t.name}' is quantized per channel; only per-tensor is supported"
            )
        if not _scale(t) > 0.0:
            raise UnsupportedError(f"{_where(op)}: scale of '{t.name}' must be positive")
        if not INT8_MIN <= _zp(t) <= INT8_MAX:
            raise UnsupportedError(f"{_where(op)}: zero point of '{t.name}' is outside the int8 range")


def _check_unary(op: Operator, graph: Graph) -> None:
    (input_,), output = _check_io(op, graph, 1)
    supported = UNARY_DTYPES[op.opcode]
    if input_.dtype != output.dtype:
        raise UnsupportedError(
            f"{_where(op)}: input type {input_.dtype} differs from output type {output.dtype}; both must be one of "
            + ", ".join(supported)
        )
    if input_.dtype not in supported:
        raise UnsupportedError(
            f"{_where(op)}: {input_.dtype} tensors are not supported; supported: " + ", ".join(supported)
        )
    if tuple(input_.shape) != tuple(output.shape):
        raise UnsupportedError(f"{_where(op)}: the output shape {list(output.shape)} differs from the input shape")
    if input_.dtype == "int8" and op.opcode != "NEG":
        _check_per_tensor_int8(op, [input_, output])
    if input_.dtype == "int16":
        _check_int16(op, input_, output)


def _check_int16(op: Operator, input_: Tensor, output: Tensor) -> None:
    quantized = [_is_quantized(t) for t in (input_, output)]
    if op.opcode in ("ABS", "NEG") and not any(quantized):
        return  # plain int16 values
    if op.opcode in _INT16_QUANTIZED_ONLY and not all(quantized):
        raise UnsupportedError(
            f"{_where(op)}: int16 {op.opcode} needs quantized (16x8) input and output; "
            "plain int16 is supported only by ABS and NEG"
        )
    if op.opcode == "NEG":
        return  # negates the stored values whatever their quantization (as LiteRT)
    if not all(quantized):
        raise UnsupportedError(f"{_where(op)}: the input and the output must both be quantized, or neither")
    for t in (input_, output):
        if t.quant.per_channel or not _scale(t) > 0.0:
            raise UnsupportedError(
                f"{_where(op)}: tensor '{t.name}' must be quantized per tensor with a positive scale"
            )
        if op.opcode != "GELU" and _zp(t) != 0:
            raise UnsupportedError(
                f"{_where(op)}: int16 tensor '{t.name}' has zero point {_zp(t)}; LiteRT's int16 {op.opcode} "
                "requires zero points 0"
            )
        if not INT16_MIN <= _zp(t) <= INT16_MAX:
            raise UnsupportedError(f"{_where(op)}: zero point of '{t.name}' is outside the int16 range")


def _emit_int16_quantized(op: Operator, ctx: LowerContext, size: int, x: str, y: str) -> EmittedOp:
    (input_,), output = _tensors(op, ctx.graph)
    if op.opcode in _INT16_LUT_OPCODES:
        table = ctx.const(f"{ctx.prefix}_{op.opcode.lower()}_table", int16_table(op, ctx.graph))
        params = ctx.params("mtvm_lut_s16_params_t", {"size": size})
        return EmittedOp(call=f"mtvm_lut_s16(&{params}, {table}, {x}, {y});", sources=("math_lut_s16.c",))
    if op.opcode == "SQRT":
        fields = {"size": size, "input_scale": float(_scale(input_)), "output_scale": float(_scale(output))}
        params = ctx.params("mtvm_sqrt_q16_params_t", fields)
        return EmittedOp(call=f"mtvm_sqrt_q16(&{params}, {x}, {y});", sources=("math_sqrt_s16.c",))
    assert op.opcode == "ABS", op.opcode
    s_in, s_out = F32(_scale(input_)), F32(_scale(output))
    needs_rescale = s_in != s_out
    multiplier, shift = quant.quantize_multiplier(float(s_in / s_out)) if needs_rescale else (0, 0)
    fields = {"size": size, "needs_rescale": int(needs_rescale), "multiplier": multiplier, "shift": shift}
    params = ctx.params("mtvm_abs_q16_params_t", fields)
    return EmittedOp(call=f"mtvm_abs_q16(&{params}, {x}, {y});", sources=("math_abs_s16.c",))


def _unary_kernel(op: Operator, dtype: str) -> str:
    if dtype == "float32":
        name = _F32_KERNELS[op.opcode][0]
        if op.opcode == "GELU" and op.options.get("approximate", False):
            name = "gelu_tanh"
        return f"mtvm_{name}_f32"
    return f"mtvm_{op.opcode.lower()}_{_INT_SUFFIX[dtype]}"


def _emit_unary(op: Operator, ctx: LowerContext) -> EmittedOp:
    (input_,), output = _tensors(op, ctx.graph)
    x, y = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    size = output.num_elements
    if input_.dtype == "int8" and op.opcode != "NEG":
        return emit_lut_s8(ctx, f"{op.opcode.lower()}_table", unary_table(op, ctx.graph), size, x, y)
    if input_.dtype == "int16" and op.opcode != "NEG" and _is_quantized(input_):
        return _emit_int16_quantized(op, ctx, size, x, y)
    params = ctx.params("mtvm_unary_params_t", {"size": size})
    return EmittedOp(call=f"{_unary_kernel(op, input_.dtype)}(&{params}, {x}, {y});")


def _unary_lowering(opcode: str) -> OpLowering:
    sources = [_F32_KERNELS[opcode][1]]
    headers = list(MATH_HEADERS)
    dtypes = UNARY_DTYPES[opcode]
    if "int8" in dtypes and opcode != "NEG":
        sources += list(LUT_SOURCES)
        headers += list(LUT_HEADERS)
    if opcode in ("ABS", "NEG"):  # plain integer kernels (int16 quantized ones name their own files)
        sources.append("math_int.c")
    return OpLowering(opcode, _check_unary, _emit_unary, tuple(headers), tuple(sources), dtypes=dtypes)


# ---------------------------------------------------------------------------------------------
# CAST
# ---------------------------------------------------------------------------------------------

CAST_DTYPES = ("float32", "int8", "uint8", "int16", "int32", "int64", "bool")


def _check_cast(op: Operator, graph: Graph) -> None:
    (input_,), output = _check_io(op, graph, 1)
    for t in (input_, output):
        if t.dtype not in CAST_DTYPES:
            raise UnsupportedError(
                f"{_where(op)}: casting {input_.dtype} to {output.dtype} is not supported; supported types: "
                + ", ".join(CAST_DTYPES)
            )
    if input_.num_elements != output.num_elements:
        raise UnsupportedError(f"{_where(op)}: input and output must have the same number of elements")


def _emit_cast(op: Operator, ctx: LowerContext) -> EmittedOp:
    (input_,), output = _tensors(op, ctx.graph)
    x, y = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    params = ctx.params("mtvm_unary_params_t", {"size": output.num_elements})
    kernel = f"mtvm_cast_{_INT_SUFFIX[input_.dtype]}_{_INT_SUFFIX[output.dtype]}"
    return EmittedOp(call=f"{kernel}(&{params}, {x}, {y});")


# ---------------------------------------------------------------------------------------------
# ZEROS_LIKE, FILL
# ---------------------------------------------------------------------------------------------

ZEROS_LIKE_DTYPES = ("float32", "int32", "int64")
FILL_DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool")


def _check_zeros_like(op: Operator, graph: Graph) -> None:
    (input_,), output = _check_io(op, graph, 1)
    if input_.dtype != output.dtype or output.dtype not in ZEROS_LIKE_DTYPES:
        raise UnsupportedError(
            f"{_where(op)}: {input_.dtype} to {output.dtype} is not supported; supported: "
            + ", ".join(ZEROS_LIKE_DTYPES) + " (the same type in and out)"
        )
    if input_.num_elements != output.num_elements:
        raise UnsupportedError(f"{_where(op)}: input and output must have the same number of elements")


def _emit_zeros_like(op: Operator, ctx: LowerContext) -> EmittedOp:
    output = ctx.graph.tensor(op.outputs[0])
    params = ctx.params("mtvm_fill_params_t", {"size": output.nbytes})
    return EmittedOp(call=f"mtvm_fill_zero(&{params}, {ctx.buf(op.outputs[0])});")


def _check_fill(op: Operator, graph: Graph) -> None:
    (dims, value), output = _check_io(op, graph, 2)
    if output.dtype not in FILL_DTYPES or value.dtype != output.dtype:
        raise UnsupportedError(
            f"{_where(op)}: filling {output.dtype} with a {value.dtype} value is not supported; supported: "
            + ", ".join(FILL_DTYPES) + " (value and output of the same type)"
        )
    if value.num_elements != 1:
        raise UnsupportedError(f"{_where(op)}: the value must be a scalar, got shape {list(value.shape)}")
    if dims.dtype not in ("int32", "int64"):
        raise UnsupportedError(f"{_where(op)}: dims must be int32 or int64, got {dims.dtype}")
    if dims.is_constant and [int(d) for d in np.asarray(dims.data).reshape(-1)] != list(output.shape):
        raise UnsupportedError(
            f"{_where(op)}: dims {np.asarray(dims.data).reshape(-1).tolist()} disagree with the output shape "
            f"{list(output.shape)}"
        )


def _emit_fill(op: Operator, ctx: LowerContext) -> EmittedOp:
    output = ctx.graph.tensor(op.outputs[0])
    width = np.dtype(output.dtype).itemsize * 8
    params = ctx.params("mtvm_fill_params_t", {"size": output.num_elements})
    # A constant value resolves to its (one-element) constant array: nothing is read from RAM.
    value = ctx.buf(op.inputs[1])
    return EmittedOp(call=f"mtvm_fill_{width}(&{params}, {value}, {ctx.buf(op.outputs[0])});")


LOWERINGS: list[OpLowering] = [
    *[_unary_lowering(opcode) for opcode in UNARY_DTYPES],
    OpLowering("CAST", _check_cast, _emit_cast, MATH_HEADERS, ("cast.c",), dtypes=CAST_DTYPES),
    OpLowering("ZEROS_LIKE", _check_zeros_like, _emit_zeros_like, MATH_HEADERS, ("fill.c",), dtypes=ZEROS_LIKE_DTYPES),
    OpLowering("FILL", _check_fill, _emit_fill, MATH_HEADERS, ("fill.c",), dtypes=FILL_DTYPES),
]
