"""int8 lookup tables: the one table builder and the one emitter of `mtvm_lut_s8` (no lowerings).

Every int8 operator whose output element depends on its input element alone (RELU, RELU6,
LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH in ops/elementwise.py; ABS, SQRT,
RSQRT, EXP, LOG, ELU, GELU in ops/math.py; int8 -> int8 QUANTIZE in ops/movement.py) replays
TFLite's arithmetic here at generation time for each of the 256 inputs, and the C kernel only
looks the outputs up (runtime/src/lut_s8.c, declared in runtime/include/mtvm/unary.h). The
same builder makes the tables of the other 8-bit QUANTIZE kernels (int8 -> int16, uint8).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .base import EmittedOp, LowerContext

LUT_HEADERS = ("mtvm/unary.h",)
LUT_SOURCES = ("lut_s8.c",)

_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-(1 << 15), (1 << 15) - 1)}
_F32 = np.float32
_INT32_MIN = -(1 << 31)


def int8_table(entry: Callable[[int], int], in_dtype: str = "int8", out_dtype: str = "int8") -> np.ndarray:
    """The table of a function of one 8-bit input: entry(q) saturated to `out_dtype`, for every
    input value q in order (int8: -128..127, i.e. index q + 128, the layout mtvm_lut_s8 reads;
    uint8: 0..255). `entry` reproduces TFLite's arithmetic for one input value."""
    low, high = _RANGES[out_dtype]
    in_low, in_high = _RANGES[in_dtype]
    return np.array([min(high, max(low, int(entry(q)))) for q in range(in_low, in_high + 1)], dtype=out_dtype)


def float_to_int32_x86(value: np.float32) -> int:
    """static_cast<int32_t>(float) as LiteRT's reference runs it (x86 cvttss2si): truncation,
    and the "integer indefinite" INT32_MIN for NaN and values out of range."""
    v = float(value)
    if math.isnan(v) or not -2147483648.0 <= v < 2147483648.0:
        return _INT32_MIN
    return int(v)


def _round_half_away_f32(x: np.float32) -> np.float32:
    """roundf: halves away from zero (x finite)."""
    return _F32(math.floor(abs(float(x)) + 0.5) * (1.0 if x >= 0 else -1.0))


def lut_populate_int8(
    s_in: float, zp_in: int, s_out: float, zp_out: int, transform: Callable[[np.float32], np.float32]
) -> np.ndarray:
    """TFLite's LUTPopulate<int8_t> (LUTPopulateInt8): for every input byte, dequantize (float32),
    transform (a float32 function), multiply by 1 / output scale (float32), round half away from
    zero (roundf), add the output zero point (in float32), clamp to the int8 range while still a
    float (an overflowing exp gives +inf, hence 127) and truncate."""
    inverse_scale = _F32(1.0) / _F32(s_out)

    def entry(q: int) -> int:
        dequantized = _F32(s_in) * _F32(q - zp_in)
        transformed = _F32(transform(dequantized))
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = _F32(transformed * inverse_scale)
            rescaled = _round_half_away_f32(scaled) if np.isfinite(scaled) else scaled
            shifted = _F32(rescaled + _F32(zp_out))
        clamped = shifted if np.isnan(shifted) else min(_F32(127), max(_F32(-128), shifted))
        return float_to_int32_x86(clamped)

    return int8_table(entry)


def emit_lut_s8(ctx: LowerContext, hint: str, table: np.ndarray, size: int, src: str, dst: str) -> EmittedOp:
    """`mtvm_lut_s8(&params, table, src, dst);` over `size` elements, with its parameter struct,
    the table as a constant (named after `hint`) and the kernel's header and source."""
    assert table.dtype == np.int8 and table.shape == (256,), "an int8 table has 256 entries"
    name = ctx.params("mtvm_unary_params_t", {"size": int(size)})
    lut = ctx.const(hint, table)
    return EmittedOp(
        call=f"mtvm_lut_s8(&{name}, {lut}, {src}, {dst});", headers=LUT_HEADERS, sources=LUT_SOURCES
    )
