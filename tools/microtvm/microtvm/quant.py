"""TFLite's fixed-point quantization arithmetic, in Python, for generation-time constant folding.

These mirror the C helpers in runtime/include/mtvm/quant.h; both follow TFLite's
QuantizeMultiplier / MultiplyByQuantizedMultiplier (double rounding: a saturating rounding
doubling high multiply followed by a rounding right shift).
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """Return (q31 multiplier, shift) with real ~= multiplier * 2**(shift - 31), like TFLite."""
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)  # real = q * 2**shift, 0.5 <= |q| < 1
    q_fixed = _round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return int(q_fixed), int(shift)


def _round_half_away(x: float) -> int:
    """std::round: halves away from zero (Python's round() is half-to-even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def saturating_rounding_doubling_high_mul(a: int, b: int) -> int:
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    return _trunc_div(ab + nudge, 1 << 31)  # C's integer division truncates toward zero


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def wrap_int32(x: int) -> int:
    """Two's-complement wrap to int32, as C's int32 arithmetic does on every target we support."""
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    shifted = wrap_int32(x * (1 << left))  # TFLite's `x * (1 << left_shift)` wraps in int32
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def per_channel_multipliers(real_multipliers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised quantize_multiplier: (int32 multipliers, int32 shifts)."""
    pairs = [quantize_multiplier(float(m)) for m in np.asarray(real_multipliers, dtype=np.float64).ravel()]
    return (np.array([p[0] for p in pairs], dtype=np.int32), np.array([p[1] for p in pairs], dtype=np.int32))


def activation_range_int8(activation: str, scale: float, zero_point: int, qmin: int = -128, qmax: int = 127) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized for a fused activation on a quantized output."""

    def quantize(v: float) -> int:
        # TFLite divides in float32 (both operands are floats), then rounds half away from zero.
        return zero_point + _round_half_away(float(np.float32(v) / np.float32(scale)))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, quantize(0.0)), min(qmax, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quantize(-1.0)), min(qmax, quantize(1.0))
    raise ValueError(f"fused activation {activation} has no quantized range")


def activation_range_float(activation: str) -> tuple[float, float]:
    """TFLite's CalculateActivationRange for float outputs."""
    inf = float("inf")
    return {
        "NONE": (-inf, inf),
        "RELU": (0.0, inf),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }[activation]
