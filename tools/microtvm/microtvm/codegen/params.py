"""The one way a lowering emits C parameters: `LowerContext.params` (ops/base.py).

    ctx.params("mtvm_pool2d_params", {"stride_h": 2, "act_min": -128, "layout": "MTVM_CONV_PAIRS"})

declares, at file scope of lib1.c (so the struct lives in flash),

    static const mtvm_pool2d_params op3_params = {
      .stride_h = 2,
      .act_min = -128,
      .layout = MTVM_CONV_PAIRS,
    };

and returns `op3_params`. Values are written deterministically:
- str: C as it is (an enum name, a constant array's identifier, NULL, a nested initializer);
- bool: 1 or 0; int: decimal (INT32_MIN and INT64_MIN as expressions, since their literals
  would not have the type);
- float: the float32 value as a literal that reads back exactly (INFINITY from <math.h>);
- a mapping: a nested designated initializer `{.a = 1, .b = 2}`;
- a sequence: an array initializer `{1, 2, 3}` (`{0}` when empty; C zero-fills the rest).
Enumerated values are always passed as their enum names, never as numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .arrays import float_literal

_INT32_MIN = -(1 << 31)
_INT64_MIN = -(1 << 63)


def c_int(value: int) -> str:
    value = int(value)
    if value == _INT32_MIN:
        return "(-2147483647 - 1)"  # 2147483648 is not an int literal
    if value == _INT64_MIN:
        return "(-9223372036854775807LL - 1)"
    return str(value)


def c_float(value: float) -> str:
    """The float32 value of `value` as a literal that parses back to it exactly."""
    return float_literal(float(np.float32(value)))


def c_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)):
        return c_float(float(value))
    if isinstance(value, (int, np.integer)):
        return c_int(int(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f".{key} = {c_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (Sequence, np.ndarray)):
        items = [c_value(item) for item in value]
        return "{" + ", ".join(items) + "}" if items else "{0}"
    raise TypeError(f"no C initializer for {type(value).__name__} {value!r}")


def declaration(c_type: str, name: str, fields: Mapping[str, object]) -> str:
    """`static const <c_type> <name> = {...};` with one designated initializer per line."""
    body = "".join(f"  .{key} = {c_value(value)},\n" for key, value in fields.items())
    return f"static const {c_type} {name} = {{\n{body}}};\n"
