"""The per-I/O part of the public header: dtype, shape and quantization macros, and the static
inline quantize/dequantize helpers of quantized inputs and outputs.

For every input and output X of module M (C name as in struct tvmgen_M_inputs):

    TVMGEN_M_X_DTYPE       "int8", "float32", ... (a string literal)
    TVMGEN_M_X_NDIM        number of dimensions
    TVMGEN_M_X_SHAPE       the extents as a brace initializer: {1, 49, 10, 1}
    TVMGEN_M_X_SCALE       (per-tensor quantized tensors) the scale, a float literal
    TVMGEN_M_X_ZERO_POINT  (per-tensor quantized tensors) the zero point

and for int8/uint8/int16 tensors quantized per tensor:

    static inline int8_t tvmgen_M_quantize_X(float real)      (inputs)
    static inline float tvmgen_M_dequantize_X(int8_t value)   (outputs)

The helpers reproduce TensorFlow Lite's reference QUANTIZE and DEQUANTIZE kernels bit for bit
(reference_ops::AffineQuantize and reference_ops::Dequantize):

- quantize: q = clamp(int32(round(real / (float)scale)) + zero_point, min, max), with the
  division in float and round() rounding halfway cases away from zero (TfLiteRound, i.e.
  std::round). We clamp the quotient before converting it to an integer (to a float range a
  little wider than [min - zero_point, max - zero_point]), which gives the same result for every
  value whose quotient fits in int32 and keeps the conversion defined for the others: +inf and
  huge values give max, -inf and huge negative values give min (TFLite's own conversion is
  undefined there), NaN gives min. The rounding is written out (no libm): for |y| < 2^23,
  y - trunc(y) is exact, so comparing it with 0.5 rounds halfway cases away from zero exactly.
- dequantize: TFLite computes (float)((double)scale * (q - zero_point)). The double product is
  exact (a 24-bit significand times an integer below 2^17), so rounding it to float is the same as
  the single float multiplication scale * (float)(q - zero_point), which is correctly rounded
  and exact in its operands: the helper uses float arithmetic only (no double on FPUs without it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..ir import Quantization
from .arrays import float_literal
from .interface import Interface, IOTensor
from .names import c_comment

# dtype -> (C type, minimum, maximum) of the types the helpers quantize to.
_QUANTIZED_TYPES = {
    "int8": ("int8_t", -128, 127),
    "uint8": ("uint8_t", 0, 255),
    "int16": ("int16_t", -32768, 32767),
}


@dataclass(frozen=True)
class IOApi:
    """What the header and `inspect` say about one input or output."""

    kind: str  # "input" or "output"
    io: IOTensor
    macro: str  # TVMGEN_<M>_<C_NAME upper>
    scale: float | None  # per-tensor quantization only
    zero_point: int | None
    helper: str | None  # the helper's name, if the tensor has one
    c_type: str | None  # the helper's integer type


def _per_tensor(quant: Quantization | None) -> tuple[float, int] | None:
    if quant is None or len(quant.scale) != 1 or not math.isfinite(quant.scale[0]) or quant.scale[0] <= 0:
        return None
    return float(quant.scale[0]), int(quant.zero_point[0] if quant.zero_point else 0)


def io_apis(iface: Interface) -> list[IOApi]:
    apis = []
    for kind, ios in (("input", iface.inputs), ("output", iface.outputs)):
        for io in ios:
            params = _per_tensor(io.quant)
            scale, zero_point = params if params else (None, None)
            helper = c_type = None
            if params and io.dtype in _QUANTIZED_TYPES:
                verb = "quantize" if kind == "input" else "dequantize"
                helper = f"{iface.prefix}_{verb}_{io.c_name}"
                c_type = _QUANTIZED_TYPES[io.dtype][0]
            apis.append(IOApi(kind, io, f"{iface.macro_prefix}_{io.c_name.upper()}", scale, zero_point, helper, c_type))
    return apis


def macros(api: IOApi) -> str:
    io = api.io
    shape = ", ".join(str(d) for d in io.shape)
    lines = [
        f'#define {api.macro}_DTYPE "{io.dtype}"',
        f"#define {api.macro}_NDIM {len(io.shape)}",
        f"#define {api.macro}_SHAPE {{{shape}}}",
    ]
    if api.scale is not None:
        lines.append(f'/*! \\brief {api.kind.capitalize()} "{c_comment(io.name)}": real = SCALE * (q - ZERO_POINT). */')
        lines.append(f"#define {api.macro}_SCALE {float_literal(api.scale)}")
        lines.append(
            f"#define {api.macro}_ZERO_POINT ({api.zero_point})"
            if api.zero_point < 0
            else f"#define {api.macro}_ZERO_POINT {api.zero_point}"
        )
    elif io.quant is not None:
        metadata = api.macro.lower()[: -len(io.c_name) - 1] + "_metadata"
        lines.append(f'/* "{c_comment(io.name)}" is quantized per channel: see {metadata}. */')
    return "\n".join(lines)


def helper(api: IOApi) -> str:
    """The static inline helper of a quantized input (quantize) or output (dequantize)."""
    assert api.helper is not None and api.c_type is not None and api.zero_point is not None
    name, ctype, m = api.helper, api.c_type, api.macro
    if api.kind == "output":
        return (
            f'/*! \\brief The real value of an element of the output "{c_comment(api.io.name)}",\n'
            f" * as TFLite's DEQUANTIZE computes it. */\n"
            f"static inline float {name}({ctype} value) {{\n"
            f"  return {m}_SCALE * (float)((int32_t)value - {m}_ZERO_POINT);\n"
            f"}}\n"
        )
    _, low, high = _QUANTIZED_TYPES[api.io.dtype]
    # Bounds of the quotient beyond which the result saturates (exact in float: small integers).
    lo, hi = float(low - api.zero_point - 1), float(high - api.zero_point + 1)
    return (
        f'/*! \\brief The {api.io.dtype} element of the input "{c_comment(api.io.name)}" for a real value,\n'
        f" * as TFLite's QUANTIZE computes it: round(real / SCALE) (halfway cases away from zero)\n"
        f" * + ZERO_POINT, saturated. */\n"
        f"static inline {ctype} {name}(float real) {{\n"
        f"  float y = real / {m}_SCALE;\n"
        f"  int32_t q;\n"
        f"  if (!(y > {float_literal(lo)})) y = {float_literal(lo)}; /* also NaN */\n"
        f"  if (y > {float_literal(hi)}) y = {float_literal(hi)};\n"
        f"  q = (int32_t)y; /* toward zero; |y| < 2^17, so y - q is exact */\n"
        f"  if (y - (float)q >= 0.5f) {{\n"
        f"    q += 1;\n"
        f"  }} else if (y - (float)q <= -0.5f) {{\n"
        f"    q -= 1;\n"
        f"  }}\n"
        f"  q += {m}_ZERO_POINT;\n"
        f"  return ({ctype})(q < {low} ? {low} : q > {high} ? {high} : q);\n"
        f"}}\n"
    )


def describe(api: IOApi) -> str:
    """One line for `microtvmc inspect`: C name, dtype, shape, quantization and helper."""
    io = api.io
    text = f"{api.kind} {io.c_name}: {io.dtype}{list(io.shape)}"
    if api.scale is not None:
        text += f", scale {float_literal(api.scale)[:-1]}, zero point {api.zero_point}"
    elif io.quant is not None:
        text += f", quantized per channel ({len(io.quant.scale)} scales, axis {io.quant.axis})"
    if api.helper:
        text += f"; {api.helper}()"
    return text
