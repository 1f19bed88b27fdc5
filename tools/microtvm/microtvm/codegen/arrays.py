"""C literals for constant arrays: deterministic, readable and exact.

Integers are printed in decimal; floats with 9 significant digits, which round-trips every
float32 exactly (C compilers round decimal literals correctly). Lines hold a fixed number of
values so diffs between two generated files stay readable.
"""
from __future__ import annotations

import math

import numpy as np

from ..ir import C_TYPES

_PER_LINE = {1: 16, 2: 12, 4: 8, 8: 4}


def c_type(dtype: str) -> str:
    try:
        return C_TYPES[str(np.dtype(dtype))]
    except KeyError:
        raise ValueError(f"no C type for dtype {dtype}") from None


def int_literal(value: int, dtype: str) -> str:
    """Decimal literal; the most negative value is written so no literal overflows its type."""
    bits = np.dtype(dtype).itemsize * 8
    if bits >= 32 and value == -(1 << (bits - 1)):
        suffix = "LL" if bits == 64 else ""
        return f"(-{(1 << (bits - 1)) - 1}{suffix} - 1)"
    if bits == 64:
        return f"{value}LL" if np.dtype(dtype).kind == "i" else f"{value}ULL"
    if np.dtype(dtype).kind == "u" and bits == 32:
        return f"{value}u"
    return str(value)


def float_literal(value: float, dtype: str = "float32") -> str:
    """Round-trippable literal: 9 significant digits for float32, 17 for float64."""
    suffix = "f" if dtype == "float32" else ""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    text = f"{value:.9g}" if dtype == "float32" else f"{value:.17g}"
    if not any(c in text for c in ".e"):
        text += ".0"
    return text + suffix


def needs_math_h(array: np.ndarray) -> bool:
    """NAN/INFINITY come from <math.h>."""
    return array.dtype.kind == "f" and not bool(np.all(np.isfinite(array)))


def array_body(array: np.ndarray, indent: str = "  ") -> str:
    """The initialiser lines of `array` (flattened, C order), without braces."""
    flat = np.ascontiguousarray(array).reshape(-1)
    dtype = str(flat.dtype)
    if flat.dtype.kind == "f":
        values = [float_literal(float(v), dtype) for v in flat]
        per_line = 4 if flat.dtype.itemsize == 8 else 6
    else:
        values = [int_literal(int(v), "uint8" if dtype == "bool" else dtype) for v in flat]
        per_line = _PER_LINE[flat.dtype.itemsize]
    lines = [", ".join(values[i : i + per_line]) for i in range(0, len(values), per_line)]
    return ",\n".join(indent + line for line in lines)
