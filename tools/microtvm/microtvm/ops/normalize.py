"""Normalizations: L2_POOL_2D (float32), L2_NORMALIZATION (float32, int8) and LOG_SOFTMAX (float32,
int8). Kernels: runtime/include/mtvm/normalize.h (l2_pool_f32.c, l2_norm_f32.c, l2_norm_s8.c,
log_softmax_f32.c, log_softmax_s8.c).

LiteRT's reference kernels (BUILTIN_REF) are the standard:
- L2_POOL_2D: sqrt(sum of squares / cell count) over the window cells inside the input, with the
  pools' SAME/VALID padding and the fused activation clamp (float32 only, like LiteRT).
- L2_NORMALIZATION: float x / max(sqrt(sum x^2), 1e-6f); int8 (output scale 1/128, zero point 0,
  as TFLite requires) the integer path: 1/sqrt of the sum of squares as a fixed-point multiplier
  (GetInvSqrtQuantizedMultiplierExp, computed per row in C), no fused activation (TFLite rejects
  one).
- LOG_SOFTMAX: float x - max - log(sum exp(x - max)); int8 (output scale 16/256, zero point 127)
  TFLite's gemmlowp fixed point. The input multiplier, the reverse multiplier and diff_min come
  from PreprocessLogSoftmaxScalingExp (beta 1, in double); the rescaled difference of x from the
  row maximum and its exponential depend only on max - x in 0..255, so both are tabulated here
  with bit-exact Python twins of MultiplyByQuantizedMultiplier and gemmlowp's
  exp_on_negative_values. The logarithm of each row's sum is data-dependent and computed in C.
Float kernels use <math.h> (sqrtf, expf, logf) in the reference's order; float32 results are
compared with 1e-5 relative / 1e-6 absolute tolerance.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator
from . import _emit as e
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/quant.h", "mtvm/normalize.h")
_FLOAT_MAX = float(np.finfo(np.float32).max)
_ACTIVATIONS = {
    "NONE": (-_FLOAT_MAX, _FLOAT_MAX),
    "RELU": (0.0, _FLOAT_MAX),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}
INT32_MIN, INT32_MAX = quant.INT32_MIN, quant.INT32_MAX


# ---------------------------------------------------------------------------------------------
# L2_POOL_2D


def _out_size(padding: str, size: int, filter_size: int, stride: int) -> int:
    """TFLite's ComputeOutSize."""
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - filter_size) // stride


def pool_geometry(op: Operator, graph: Graph) -> dict:
    inp, _ = e.io(op, graph)
    batches, in_h, in_w, channels = inp.shape
    o = op.options
    fh, fw = int(o.get("filter_height", 0)), int(o.get("filter_width", 0))
    sh, sw = int(o.get("stride_h", 0)), int(o.get("stride_w", 0))
    padding = o.get("padding", "SAME")
    out_h = _out_size(padding, in_h, fh, sh) if sh > 0 else 0
    out_w = _out_size(padding, in_w, fw, sw) if sw > 0 else 0
    # ComputePaddingWithOffset: the smaller half of the total padding goes before.
    pad_h = max((out_h - 1) * sh + fh - in_h, 0) // 2
    pad_w = max((out_w - 1) * sw + fw - in_w, 0) // 2
    return {
        "batches": batches, "in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
        "filter_h": fh, "filter_w": fw, "stride_h": sh, "stride_w": sw, "pad_h": pad_h, "pad_w": pad_w,
    }


def _windows_overlap(size: int, out_size: int, filter_size: int, stride: int, pad: int) -> bool:
    """Every window keeps at least one cell inside the input (else TFLite divides 0 by 0)."""
    return all(min(k * stride - pad + filter_size, size) > max(k * stride - pad, 0) for k in range(out_size))


def _check_l2_pool(op: Operator, graph: Graph) -> None:
    e.check_arity(op, 1)
    inp, out = e.io(op, graph)
    e.check_dtype(op, inp, "input", ("float32",))
    e.check_dtype(op, out, "output", ("float32",))
    if len(inp.shape) != 4:
        raise UnsupportedError(f"{op.opcode} needs a 4-D NHWC input, got shape {list(inp.shape)}")
    if op.options.get("padding", "SAME") not in ("SAME", "VALID"):
        raise UnsupportedError(f"{op.opcode}: padding must be SAME or VALID")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in _ACTIVATIONS:
        raise UnsupportedError(
            f"{op.opcode} with fused activation {activation} is not supported; supported: {', '.join(_ACTIVATIONS)}"
        )
    g = pool_geometry(op, graph)
    if min(g["filter_h"], g["filter_w"], g["stride_h"], g["stride_w"]) < 1:
        raise UnsupportedError(f"{op.opcode} needs filter sizes and strides of at least 1")
    expected = (g["batches"], g["out_h"], g["out_w"], g["channels"])
    if min(expected) < 1 or tuple(out.shape) != expected:
        raise UnsupportedError(f"{op.opcode}: output shape {list(out.shape)} does not match {list(expected)}")
    if not (
        _windows_overlap(g["in_h"], g["out_h"], g["filter_h"], g["stride_h"], g["pad_h"])
        and _windows_overlap(g["in_w"], g["out_w"], g["filter_w"], g["stride_w"], g["pad_w"])
    ):
        raise UnsupportedError(f"{op.opcode}: some window lies entirely in the padding (TFLite would divide 0 by 0)")


def _emit_l2_pool(op: Operator, ctx: LowerContext) -> EmittedOp:
    fields = pool_geometry(op, ctx.graph)
    act_min, act_max = _ACTIVATIONS[op.options.get("fused_activation_function", "NONE")]
    fields.update(act_min=act_min, act_max=act_max)
    name = ctx.params("mtvm_l2_pool_params_t", fields)
    return EmittedOp(call=f"mtvm_l2_pool2d_f32(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});")


# ---------------------------------------------------------------------------------------------
# Shared by L2_NORMALIZATION and LOG_SOFTMAX: operations over the last axis


def _check_last_axis(op: Operator, graph: Graph) -> None:
    e.check_arity(op, 1)
    inp, out = e.io(op, graph)
    e.check_dtype(op, inp, "input", ("float32", "int8"))
    if out.dtype != inp.dtype or tuple(out.shape) != tuple(inp.shape):
        raise UnsupportedError(f"{op.opcode}: the output must have the input's type and shape")
    if len(inp.shape) < 1 or inp.num_elements == 0:
        raise UnsupportedError(f"{op.opcode} needs a non-empty input of rank >= 1, got shape {list(inp.shape)}")


def _rows(op: Operator, graph: Graph) -> tuple[int, int]:
    inp, _ = e.io(op, graph)
    depth = int(inp.shape[-1])
    return inp.num_elements // depth, depth


def _fixed_output(op: Operator, graph: Graph, scale: float, zero_point: int, text: str) -> None:
    _, out = e.io(op, graph)
    s, zp = e.per_tensor(op, out, "output")
    if float(np.float32(s)) != scale or zp != zero_point:
        raise UnsupportedError(
            f"{op.opcode} with int8 output scale {s:g} and zero point {zp} is not supported; "
            f"TFLite requires scale {text} and zero point {zero_point}"
        )


# ---------------------------------------------------------------------------------------------
# L2_NORMALIZATION


def _check_l2_norm(op: Operator, graph: Graph) -> None:
    _check_last_axis(op, graph)
    activation = op.options.get("fused_activation_function", "NONE")
    if activation != "NONE":
        raise UnsupportedError(f"{op.opcode} with fused activation {activation} is not supported (TFLite rejects it)")
    inp, _ = e.io(op, graph)
    if inp.dtype == "int8":
        e.per_tensor(op, inp, "input")
        _fixed_output(op, graph, 1.0 / 128.0, 0, "1/128")


def _emit_l2_norm(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, _ = e.io(op, graph)
    outer, depth = _rows(op, graph)
    zero_point = e.per_tensor(op, inp, "input")[1] if inp.dtype == "int8" else 0
    name = ctx.params("mtvm_l2_norm_params_t", {"outer": outer, "depth": depth, "input_zero_point": zero_point})
    kernel = "mtvm_l2_norm_s8" if inp.dtype == "int8" else "mtvm_l2_norm_f32"
    return EmittedOp(call=f"{kernel}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});")


# ---------------------------------------------------------------------------------------------
# LOG_SOFTMAX: gemmlowp fixed point in Python (int32 raw values of Qm.n numbers), bit for bit

_SCALED_DIFF_INTEGER_BITS = 5  # kInputIntegerBits: differences are Q5.26
_ACCUMULATION_INTEGER_BITS = 12  # the sum of exponentials is Q12.19

_srdhm = quant.saturating_rounding_doubling_high_mul
_rdbpot = quant.rounding_divide_by_pot


def _saturating_shift_left(x: int, exponent: int) -> int:
    """gemmlowp SaturatingRoundingMultiplyByPOT with exponent > 0."""
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return x << exponent


def _exp_between_minus_quarter_and_zero(a: int) -> int:
    """exp(a) for a in [-1/4, 0), Q0.31: gemmlowp's Taylor polynomial around -1/8."""
    constant_term = 1895147668  # exp(-1/8)
    one_third = 715827883
    x = a + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _rdbpot(x4, 2)
    poly = _rdbpot(_srdhm(x4_over_4 + x3, one_third) + x2, 1)
    return constant_term + _srdhm(constant_term, x + poly)


# exp(-2^k) in Q0.31 (gemmlowp's barrel shifter), k = -2..4.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a: int, integer_bits: int = _SCALED_DIFF_INTEGER_BITS) -> int:
    """gemmlowp exp_on_negative_values: a <= 0 in Q(integer_bits) -> exp(a) in Q0.31."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter
    result = _exp_between_minus_quarter_and_zero(_saturating_shift_left(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = a_mod_quarter_minus_one_quarter - a
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent and remainder & (1 << (fractional_bits + exponent)):
            result = _srdhm(result, multiplier)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return INT32_MAX if a == 0 else result


def log_softmax_scaling(input_scale: float) -> dict:
    """LogSoftmaxPrepare (kReference): PreprocessLogSoftmaxScalingExp(beta = 1, input_scale, 5) and
    diff_min = -CalculateInputRadius(5, input_left_shift), all in double as TFLite."""
    bits = _SCALED_DIFF_INTEGER_BITS
    real = min(1.0 * input_scale * float(1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quant.quantize_multiplier(real)  # QuantizeMultiplierGreaterThanOne
    reverse_real = float(1 << (31 - left_shift)) / float(multiplier) if multiplier else math.inf
    reverse_multiplier, reverse_shift = quant.quantize_multiplier(reverse_real) if math.isfinite(reverse_real) else (0, 0)
    radius = math.floor(1.0 * ((1 << bits) - 1) * float(1 << (31 - bits)) / float(1 << left_shift)) if left_shift >= 0 else 0
    return {
        "real": real, "reverse_real": reverse_real,
        "input_multiplier": multiplier, "input_left_shift": left_shift,
        "reverse_multiplier": reverse_multiplier, "reverse_shift": reverse_shift, "diff_min": -radius,
    }


def log_softmax_tables(input_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(exp_q12, diff_q5), int32[256] each, indexed by d = max - x: the rescaled difference
    MultiplyByQuantizedMultiplier(-d, input_multiplier, input_left_shift) (Q5.26), and the term
    Rescale<12>(exp_on_negative_values(it)) it adds to the row's sum (0 below diff_min)."""
    s = log_softmax_scaling(input_scale)
    exp_q12 = np.zeros(256, np.int32)
    diff_q5 = np.zeros(256, np.int32)
    for d in range(256):
        scaled = quant.multiply_by_quantized_multiplier(-d, s["input_multiplier"], s["input_left_shift"])
        diff_q5[d] = scaled
        if -d >= s["diff_min"]:
            # Rescale<12> of a Q0.31 value: 12 more integer bits, a rounding right shift by 12.
            exp_q12[d] = _rdbpot(exp_on_negative_values(scaled), _ACCUMULATION_INTEGER_BITS)
    return exp_q12, diff_q5


def _check_log_softmax(op: Operator, graph: Graph) -> None:
    _check_last_axis(op, graph)
    inp, _ = e.io(op, graph)
    if inp.dtype != "int8":
        return
    s_in, _ = e.per_tensor(op, inp, "input")
    _fixed_output(op, graph, 16.0 / 256.0, 127, "16/256")
    s = log_softmax_scaling(s_in)
    if not s["real"] > 1.0:
        raise UnsupportedError(f"{op.opcode}: int8 input scale {s_in:g} is below 2^-26, which TFLite does not support")
    if not 0.0 < s["reverse_real"] < 1.0:
        raise UnsupportedError(f"{op.opcode}: int8 input scale {s_in:g} is not supported (TFLite's reverse scaling fails)")


def _emit_log_softmax(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, _ = e.io(op, graph)
    outer, depth = _rows(op, graph)
    fields = {"outer": outer, "depth": depth, "diff_min": 0, "reverse_multiplier": 0, "reverse_shift": 0}
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    if inp.dtype == "float32":
        name = ctx.params("mtvm_log_softmax_params_t", fields)
        return EmittedOp(call=f"mtvm_log_softmax_f32(&{name}, {src}, {dst});")
    s_in, _ = e.per_tensor(op, inp, "input")
    s = log_softmax_scaling(s_in)
    fields.update(diff_min=s["diff_min"], reverse_multiplier=s["reverse_multiplier"], reverse_shift=s["reverse_shift"])
    exp_q12, diff_q5 = log_softmax_tables(s_in)
    name = ctx.params("mtvm_log_softmax_params_t", fields)
    exp_table = ctx.const(f"{ctx.prefix}_exp_q12", exp_q12)
    diff_table = ctx.const(f"{ctx.prefix}_diff_q5", diff_q5)
    return EmittedOp(call=f"mtvm_log_softmax_s8(&{name}, {exp_table}, {diff_table}, {src}, {dst});")


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    sources: tuple[str, ...],
    dtypes: tuple[str, ...],
) -> OpLowering:
    return OpLowering(opcode=opcode, check=check, emit=emit, headers=HEADERS, sources=sources, dtypes=dtypes)


LOWERINGS: list[OpLowering] = [
    _lowering("L2_POOL_2D", _check_l2_pool, _emit_l2_pool, ("l2_pool_f32.c",), ("float32",)),
    _lowering("L2_NORMALIZATION", _check_l2_norm, _emit_l2_norm, ("l2_norm_f32.c", "l2_norm_s8.c"), ("float32", "int8")),
    _lowering("LOG_SOFTMAX", _check_log_softmax, _emit_log_softmax, ("log_softmax_f32.c", "log_softmax_s8.c"), ("float32", "int8")),
]
