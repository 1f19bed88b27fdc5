"""Lowerings of the reduction and nonlinear family: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and SOFTMAX,
for int8, int16 and float32. The kernels are one file per variant in runtime/src (pool_s8.c,
softmax_f32.c, ...; see mtvm/reduce.h). LOGISTIC and TANH, whose kernels are declared in
mtvm/reduce.h too, are lowered by ops/elementwise.py.

The standard is LiteRT's reference kernels (BUILTIN_REF). What they do, and how we match it:
- Pools ignore quantization (input and output share it) and count only the window cells inside
  the input; the int8 average rounds to nearest with halves away from zero.
- int8 MEAN always goes through TFLite's QuantizedMeanOrSum, whatever the axes and whether the
  input and output scales are equal (the reference resolver has no special cases): a sum minus
  count * input zero point, then one MultiplyByQuantizedMultiplier whose multiplier folds the
  division by the count in. That multiplier is computed here.
- int8 SOFTMAX is gemmlowp fixed point. exp() of a scaled difference depends only on
  d = row max - x, an integer in 0..255, so the 256 exponentials are tabulated here (bit-exact
  Python twins of gemmlowp's functions); the sum, reciprocal and rescaling stay in C.
Float kernels use <math.h> (expf) in the reference's operation order.

int16 (16x8 quantization: zero points 0) has one source file per kernel, listed only when used:
pool_s16.c and mean_s16.c (the int8 arithmetic on int16), softmax_s16.c (TFLite's SoftmaxInt16
with its two 513-entry interpolation tables, computed here like LUTPopulate does in double).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering
from .elementwise import check_quantized_or_float
from .overlap import raster_window_delta

_HEADERS = ("mtvm/reduce.h",)
_INT8_MIN, _INT8_MAX = -128, 127
_INT16_MIN, _INT16_MAX = -(1 << 15), (1 << 15) - 1
_F32 = np.float32
_FLOAT_MAX = float(np.finfo(np.float32).max)  # TFLite clamps to numeric_limits, not infinity
_MEAN_MAX_DIMS = 8  # MTVM_MEAN_MAX_DIMS in mtvm/reduce.h
_SUPPORTED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")

# ---------------------------------------------------------------------------------------------
# Shared checks and C emission helpers


def _io(op: Operator, graph: Graph) -> tuple[Tensor, Tensor]:
    return graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])


def _scale(t: Tensor) -> float:
    assert t.quant is not None
    return float(t.quant.scale[0])


def _zero_point(t: Tensor) -> int:
    assert t.quant is not None
    return int(t.quant.zero_point[0]) if t.quant.zero_point else 0


def _is_int8(op: Operator, graph: Graph) -> bool:
    return graph.tensor(op.inputs[0]).dtype == "int8"


def _is_int16(op: Operator, graph: Graph) -> bool:
    return graph.tensor(op.inputs[0]).dtype == "int16"


def _suffix(op: Operator, graph: Graph) -> str:
    return {"int8": "s8", "int16": "s16"}.get(graph.tensor(op.inputs[0]).dtype, "f32")


# ---------------------------------------------------------------------------------------------
# AVERAGE_POOL_2D, MAX_POOL_2D


def _pool_out_size(padding: str, size: int, filter_size: int, stride: int) -> int:
    """TFLite's ComputeOutSize (C division truncates; negative results are rejected anyway)."""
    if padding == "SAME":
        return (size + stride - 1) // stride
    return int((size + stride - filter_size) / stride)


def _pool_pad_before(size: int, filter_size: int, stride: int, out_size: int) -> int:
    """TFLite's ComputePaddingWithOffset: the smaller half of the total padding goes first."""
    total = (out_size - 1) * stride + filter_size - size
    return max(total, 0) // 2


def _pool_geometry(op: Operator, graph: Graph) -> dict[str, int]:
    inp, _ = _io(op, graph)
    batches, in_h, in_w, channels = inp.shape
    o = op.options
    fh, fw = int(o.get("filter_height", 0)), int(o.get("filter_width", 0))
    sh, sw = int(o.get("stride_h", 0)), int(o.get("stride_w", 0))
    padding = o.get("padding", "SAME")
    out_h = _pool_out_size(padding, in_h, fh, sh) if sh > 0 else 0
    out_w = _pool_out_size(padding, in_w, fw, sw) if sw > 0 else 0
    return {
        "batches": batches, "in_h": in_h, "in_w": in_w, "channels": channels,
        "out_h": out_h, "out_w": out_w, "filter_h": fh, "filter_w": fw, "stride_h": sh, "stride_w": sw,
        "pad_h": _pool_pad_before(in_h, fh, sh, out_h), "pad_w": _pool_pad_before(in_w, fw, sw, out_w),
    }


def _every_window_overlaps(size: int, out_size: int, filter_size: int, stride: int, pad: int) -> bool:
    """TFLite fails at run time on a window with no cell inside the input; we refuse up front."""
    for k in range(out_size):
        start = k * stride - pad
        if min(start + filter_size, size) <= max(start, 0):
            return False
    return True


def _check_activation(op: Operator) -> str:
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in _SUPPORTED_ACTIVATIONS:
        raise UnsupportedError(
            f"{op.opcode} with fused activation {activation} is not supported; "
            f"supported fused activations: {', '.join(_SUPPORTED_ACTIVATIONS)}"
        )
    return activation


def _check_pool(op: Operator, graph: Graph) -> None:
    check_quantized_or_float(op, graph)
    inp, out = _io(op, graph)
    if len(inp.shape) != 4:
        raise UnsupportedError(f"{op.opcode} needs a 4-D NHWC input, got shape {list(inp.shape)}")
    padding = op.options.get("padding", "SAME")
    if padding not in ("SAME", "VALID"):
        raise UnsupportedError(f"{op.opcode} with padding {padding} is not supported; use SAME or VALID")
    _check_activation(op)
    g = _pool_geometry(op, graph)
    if min(g["filter_h"], g["filter_w"], g["stride_h"], g["stride_w"]) < 1:
        raise UnsupportedError(
            f"{op.opcode} needs filter sizes and strides of at least 1, got filter "
            f"{g['filter_h']}x{g['filter_w']} and strides {g['stride_h']}x{g['stride_w']}"
        )
    expected = (g["batches"], g["out_h"], g["out_w"], g["channels"])
    if min(expected) < 1 or tuple(out.shape) != expected:
        raise UnsupportedError(
            f"{op.opcode}: output shape {list(out.shape)} does not match the {padding} pooling of "
            f"input {list(inp.shape)} (expected {list(expected)}); the model is inconsistent"
        )
    if not (
        _every_window_overlaps(g["in_h"], g["out_h"], g["filter_h"], g["stride_h"], g["pad_h"])
        and _every_window_overlaps(g["in_w"], g["out_w"], g["filter_w"], g["stride_w"], g["pad_w"])
    ):
        raise UnsupportedError(
            f"{op.opcode}: some pooling window lies entirely in the padding, which TFLite fails on; "
            "use a filter at least as large as the stride"
        )


def _float_activation_range(activation: str) -> tuple[float, float]:
    return {
        "NONE": (-_FLOAT_MAX, _FLOAT_MAX),
        "RELU": (0.0, _FLOAT_MAX),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }[activation]


def _emit_pool(kind: str) -> Callable[[Operator, LowerContext], EmittedOp]:
    def emit(op: Operator, ctx: LowerContext) -> EmittedOp:
        graph = ctx.graph
        _, out = _io(op, graph)
        activation = _check_activation(op)
        act_min, act_max = _INT8_MIN, _INT8_MAX
        if out.dtype == "int8":  # TFLite uses the output's quantization for the activation range
            act_min, act_max = quant.activation_range_int8(activation, _scale(out), _zero_point(out))
        elif out.dtype == "int16":
            act_min, act_max = quant.activation_range_int8(
                activation, _scale(out), _zero_point(out), _INT16_MIN, _INT16_MAX
            )
        act_min_f, act_max_f = _float_activation_range(activation)
        fields: dict[str, object] = dict(_pool_geometry(op, graph))
        fields.update(act_min=act_min, act_max=act_max, act_min_f=act_min_f, act_max_f=act_max_f)
        name = ctx.params("mtvm_pool2d_params_t", fields)
        function = f"mtvm_{kind}_pool2d_{_suffix(op, graph)}"
        return EmittedOp(
            call=f"{function}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});",
        )

    return emit


def _pool_macs(op: Operator, graph: Graph) -> int:
    """One accumulate (or compare) per window cell per output, borders counted as full."""
    o = op.options
    return graph.tensor(op.outputs[0]).num_elements * int(o.get("filter_height", 0)) * int(o.get("filter_width", 0))


# ---------------------------------------------------------------------------------------------
# MEAN


def _mean_axes(op: Operator, graph: Graph) -> tuple[int, ...]:
    """The reduced axes: non-negative, without duplicates, sorted."""
    rank = len(graph.tensor(op.inputs[0]).shape)
    axis = graph.tensor(op.inputs[1])
    if axis.num_elements == 0:
        return ()  # nothing reduced: a requantizing copy (the file may hold no data for it)
    if axis.data is None:
        raise UnsupportedError("MEAN with a non-constant axis input is not supported; the axes must be constant")
    axes = set()
    for a in np.asarray(axis.data).reshape(-1).tolist():
        if not -rank <= int(a) < rank:
            raise UnsupportedError(f"MEAN axis {a} is out of range for a rank-{rank} input")
        axes.add(int(a) % rank)
    return tuple(sorted(axes))


def _mean_layout(shape: Sequence[int], axes: Sequence[int]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(extent, input stride) of the kept and of the reduced dimensions, outermost first.

    Dimensions of extent 1 change nothing and are dropped; neighbouring dimensions of the same
    kind are contiguous in memory and merge into one, so a 4-D mean over H and W becomes one
    kept, one reduced and one kept dimension (or fewer).
    """
    strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(len(shape))]
    groups: list[tuple[bool, int, int]] = []  # (reduced, extent, stride)
    for d, extent in enumerate(shape):
        if extent == 1:
            continue
        reduced = d in axes
        if groups and groups[-1][0] == reduced:
            _, previous_extent, _ = groups[-1]
            groups[-1] = (reduced, previous_extent * extent, strides[d])
        else:
            groups.append((reduced, extent, strides[d]))
    kept = [(e, s) for reduced, e, s in groups if not reduced]
    inner = [(e, s) for reduced, e, s in groups if reduced]
    return kept, inner


def _mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """QuantizedMeanOrSum's rescaling: QuantizeMultiplier(in/out scale), then fold in 1/count
    by shifting the multiplier left by floor(log2(count)) (at most 32, and never past a total
    shift of -31) and dividing it by count with truncation."""
    multiplier, shift = quant.quantize_multiplier(input_scale / output_scale)
    extra = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << extra) // count, shift - extra


def _check_mean(op: Operator, graph: Graph) -> None:
    check_quantized_or_float(op, graph)
    inp, out = _io(op, graph)
    if inp.num_elements == 0:
        raise UnsupportedError("MEAN of an empty tensor is not supported")
    axes = _mean_axes(op, graph)
    kept, inner = _mean_layout(inp.shape, axes)
    if len(kept) > _MEAN_MAX_DIMS or len(inner) > _MEAN_MAX_DIMS:
        raise UnsupportedError(f"MEAN over a rank-{len(inp.shape)} input with these axes is not supported")
    expected = int(np.prod([e for d, e in enumerate(inp.shape) if d not in axes], dtype=np.int64))
    if out.num_elements != expected:
        raise UnsupportedError(
            f"MEAN: output shape {list(out.shape)} does not match input {list(inp.shape)} reduced over "
            f"axes {list(axes)}; the model is inconsistent"
        )


def _emit_mean(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, out = _io(op, graph)
    axes = _mean_axes(op, graph)
    kept, inner = _mean_layout(inp.shape, axes)
    count = int(np.prod([inp.shape[a] for a in axes], dtype=np.int64))

    def used(values: list[int]) -> list[int]:
        return values or [0]  # C zero-fills the rest of the array (and forbids empty braces)

    fields: dict[str, object] = {
        "num_outer": len(kept),
        "outer_extent": used([e for e, _ in kept]),
        "outer_stride": used([s for _, s in kept]),
        "num_inner": len(inner),
        "inner_extent": used([e for e, _ in inner]),
        "inner_stride": used([s for _, s in inner]),
        "count": count,
    }
    if inp.dtype in ("int8", "int16"):
        multiplier, shift = _mean_multiplier(_scale(inp), _scale(out), count)
        fields.update(input_zero_point=_zero_point(inp), output_zero_point=_zero_point(out))
        fields.update(multiplier=multiplier, shift=shift)
    name = ctx.params("mtvm_mean_params_t", fields)
    return EmittedOp(
        call=f"mtvm_mean_{_suffix(op, graph)}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});",
    )


def _mean_macs(op: Operator, graph: Graph) -> int:
    return graph.tensor(op.inputs[0]).num_elements  # one accumulate per input element


# ---------------------------------------------------------------------------------------------
# SOFTMAX: gemmlowp fixed point, in Python, bit for bit (int32 raw values of Qm.n numbers)

_SOFTMAX_DIFF_INTEGER_BITS = 5  # TFLite's kScaledDiffIntegerBits: differences are Q5.26


def _saturating_shift_left(x: int, exponent: int) -> int:
    """gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent."""
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return quant.INT32_MAX
    if x < -threshold:
        return quant.INT32_MIN
    return x << exponent


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    """exp(a) for a in [-1/4, 0), Q0.31 in and out: a Taylor polynomial around -1/8."""
    mul = quant.saturating_rounding_doubling_high_mul
    constant_term = 1895147668  # exp(-1/8)
    one_third = 715827883
    x = a + (1 << 28)  # a + 1/8
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = quant.rounding_divide_by_pot(x4, 2)
    poly = quant.rounding_divide_by_pot(mul(x4_over_4 + x3, one_third) + x2, 1)
    return constant_term + mul(constant_term, x + poly)


# exp(-2^k) in Q0.31 for the bits of the integer part, k = -2..4 (gemmlowp's barrel shifter).
_EXP_BARREL = (
    (-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242),
)


def _exp_on_negative_values(a: int, integer_bits: int = _SOFTMAX_DIFF_INTEGER_BITS) -> int:
    """gemmlowp's exp_on_negative_values: a <= 0 as Q(integer_bits) -> exp(a) as Q0.31."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        _saturating_shift_left(a_mod_quarter_minus_one_quarter, integer_bits)  # Rescale to Q0.31
    )
    remainder = a_mod_quarter_minus_one_quarter - a  # >= 0, fits in int32 for a <= 0
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent and remainder & (1 << (fractional_bits + exponent)):
            result = quant.saturating_rounding_doubling_high_mul(result, multiplier)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return quant.INT32_MAX if a == 0 else result


def _softmax_input_scaling(beta: float, input_scale: float) -> tuple[int, int, int]:
    """TFLite's PreprocessSoftmaxScaling and diff_min: (multiplier, left shift, diff_min)."""
    bits = _SOFTMAX_DIFF_INTEGER_BITS
    real = min(beta * input_scale * (1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, shift = quant.quantize_multiplier(real)
    radius = math.floor(((1 << bits) - 1) * (1 << (31 - bits)) / (1 << shift)) if shift >= 0 else 0
    return multiplier, shift, -radius


def _softmax_exp_table(beta: float, input_scale: float) -> np.ndarray:
    """int32[256]: entry d is exp(-d * input_scale * beta) as TFLite computes it (Q0.31), or 0
    for differences TFLite skips (below diff_min); a 0 gives the same output as a skip."""
    multiplier, shift, diff_min = _softmax_input_scaling(beta, input_scale)
    table = np.zeros(256, dtype=np.int32)
    for d in range(256):
        diff = -d
        if diff >= diff_min:  # TFLite's MultiplyByQuantizedMultiplierGreaterThanOne
            scaled = quant.saturating_rounding_doubling_high_mul(diff * (1 << shift), multiplier)
            table[d] = _exp_on_negative_values(scaled)
    return table


def _check_softmax(op: Operator, graph: Graph) -> None:
    check_quantized_or_float(op, graph)
    inp, out = _io(op, graph)
    if len(inp.shape) < 1 or tuple(inp.shape) != tuple(out.shape):
        raise UnsupportedError(f"SOFTMAX needs an input of rank >= 1 and an output of the same shape, got "
                               f"{list(inp.shape)} -> {list(out.shape)}")
    if inp.dtype == "int16":
        _check_softmax_s16(op, graph)
        return
    if inp.dtype != "int8":
        return
    if _zero_point(out) != -128 or abs(_scale(out) - 1.0 / 256) > 0.001 / 256:
        raise UnsupportedError(
            f"SOFTMAX with int8 output scale {_scale(out):g} and zero point {_zero_point(out)} is not "
            "supported; TFLite requires scale 1/256 and zero point -128"
        )
    _, shift, _ = _softmax_input_scaling(float(op.options.get("beta", 0.0)), _scale(inp))
    if shift < 0:
        raise UnsupportedError("SOFTMAX: input scale * beta is below 2^-26, which TFLite does not support")


# ---------------------------------------------------------------------------------------------
# SOFTMAX int16: TFLite's SoftmaxInt16 and its LUTPopulate tables (in double, like TFLite)

_SOFTMAX_S16_MAX_RANK = 4  # TFLite's int16 softmax supports 1-D to 4-D tensors


def _round_away(x: float) -> float:
    return float(math.floor(abs(x) + 0.5) * (1.0 if x >= 0 else -1.0))  # std::round


def lut_populate_s16(
    input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
    func: Callable[[float], float],
) -> np.ndarray:
    """TFLite's LUTPopulate<int16_t> in double: 512 samples of `func` over the int16 input range
    plus the end point, each sample corrected by half the interpolation error at the midpoint of
    its interval (so linear interpolation between entries is centred on the function)."""
    input_min = input_scale * (_INT16_MIN - input_zero_point)
    input_max = input_scale * (_INT16_MAX - input_zero_point)
    output_min = output_scale * (_INT16_MIN - output_zero_point)
    output_max = output_scale * (_INT16_MAX - output_zero_point)
    steps = 512
    step = (input_max - input_min) / steps
    half_step = step / 2
    inverse = float(_INT16_MAX - _INT16_MIN + 1) / (output_max - output_min)
    table = np.empty(steps + 1, dtype=np.int16)
    for i in range(steps):
        value = func(input_min + i * step)
        midpoint = func(input_min + i * step + half_step)
        following = func(input_min + (i + 1) * step)
        sample = _round_away(value * inverse)
        midpoint_interpolated = _round_away((following * inverse + _round_away(value * inverse)) / 2)
        bias = _round_away((midpoint_interpolated - _round_away(midpoint * inverse)) / 2)
        table[i] = min(max(sample - bias, _INT16_MIN), _INT16_MAX)
    table[steps] = min(max(_round_away(func(input_max) * inverse), _INT16_MIN), _INT16_MAX)
    return table


def softmax_s16_tables() -> tuple[np.ndarray, np.ndarray]:
    """SoftmaxPrepare's int16 tables: exp over [-10, 0] and 1 / (1 + x) over [0, 1], both with a
    symmetric output range of [-1, 1]."""
    span = _INT16_MAX - _INT16_MIN
    exp_table = lut_populate_s16(10.0 / span, _INT16_MAX, 2.0 / span, 0, math.exp)
    reciprocal_table = lut_populate_s16(1.0 / span, _INT16_MIN, 2.0 / span, 0, lambda x: 1.0 / (1.0 + x))
    return exp_table, reciprocal_table


def softmax_s16_multiplier(input_scale: float, beta: float) -> tuple[int, int]:
    """input_scale * beta (a float32 product) / (10 / 65535) in double: maps [-65535, 0] to [-10, 0]."""
    real = float(_F32(input_scale) * _F32(beta)) / (10.0 / 65535.0)
    return quant.quantize_multiplier(real)


def _check_softmax_s16(op: Operator, graph: Graph) -> None:
    inp, out = _io(op, graph)
    if not 1 <= len(inp.shape) <= _SOFTMAX_S16_MAX_RANK:
        raise UnsupportedError(
            f"SOFTMAX with an int16 input of rank {len(inp.shape)} is not supported; TFLite supports ranks 1 to 4"
        )
    if abs(float(_F32(_scale(out))) - 1.0 / 32768) > 0.001 / 32768:
        raise UnsupportedError(
            f"SOFTMAX with int16 output scale {_scale(out):g} is not supported; TFLite requires 1/32768"
        )
    _, shift = softmax_s16_multiplier(_scale(inp), float(op.options.get("beta", 0.0)))
    if shift > 30:
        raise UnsupportedError("SOFTMAX: input scale * beta is too large for TFLite's int16 softmax")


def _emit_softmax_s16(op: Operator, ctx: LowerContext) -> EmittedOp:
    inp, _ = _io(op, ctx.graph)
    depth = int(inp.shape[-1])
    multiplier, shift = softmax_s16_multiplier(_scale(inp), float(op.options.get("beta", 0.0)))
    fields: dict[str, object] = {
        "outer": inp.num_elements // depth if depth else 0, "depth": depth,
        "input_multiplier": multiplier, "input_shift": shift,
    }
    exp_table, reciprocal_table = softmax_s16_tables()
    exp_lut = ctx.const("softmax_s16_exp", exp_table)
    reciprocal_lut = ctx.const("softmax_s16_one_over_one_plus_x", reciprocal_table)
    name = ctx.params("mtvm_softmax_s16_params_t", fields)
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    return EmittedOp(
        call=f"mtvm_softmax_s16(&{name}, {exp_lut}, {reciprocal_lut}, {src}, {dst});",
    )


def _emit_softmax(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, _ = _io(op, graph)
    if inp.dtype == "int16":
        return _emit_softmax_s16(op, ctx)
    beta = float(op.options.get("beta", 0.0))
    depth = int(inp.shape[-1])
    fields: dict[str, object] = {"outer": inp.num_elements // depth if depth else 0, "depth": depth, "beta": beta}
    name = ctx.params("mtvm_softmax_params_t", fields)
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    if inp.dtype == "int8":
        table = ctx.const("softmax_exp", _softmax_exp_table(beta, _scale(inp)))
        call = f"mtvm_softmax_s8(&{name}, {table}, {src}, {dst});"
    else:
        call = f"mtvm_softmax_f32(&{name}, {src}, {dst});"
    return EmittedOp(call=call)


# ---------------------------------------------------------------------------------------------


# In-place execution (see OpLowering.in_place_inputs)


def _elementwise_in_place(op: Operator, graph: Graph) -> dict[int, int]:
    """SOFTMAX: the output may start at (or before) the input.

    mtvm_softmax_s8/_f32 finish every read of a row's elements that precede c before writing
    element c of that row (the max and sum passes read the row before any write; the last pass
    reads x[c] and then writes y[c]; the f32 division pass reads only the output), and never
    touch an earlier row again. Requires the same type and element count (checked)."""
    inp, out = _io(op, graph)
    if inp.dtype != out.dtype or inp.num_elements != out.num_elements:
        return {}
    return {0: 0}


def _pool_in_place(op: Operator, graph: Graph) -> dict[int, int]:
    """AVERAGE_POOL_2D, MAX_POOL_2D: the output may overlap the input from below.

    mtvm_{avg,max}_pool2d_{s8,f32} loop over batch, output row, output column, channel; for each
    output element they read channel c of the window cells inside the input, then write that
    element once: the loop order ops/overlap.py assumes, with multiplier 1."""
    inp, out = _io(op, graph)
    g = _pool_geometry(op, graph)
    expected = (g["batches"], g["out_h"], g["out_w"], g["channels"])
    if inp.dtype != out.dtype or len(inp.shape) != 4 or tuple(out.shape) != expected or min(expected) < 1:
        return {}  # not a pool we compile (check() says why)
    if min(g["filter_h"], g["filter_w"], g["stride_h"], g["stride_w"]) < 1:
        return {}
    itemsize = np.dtype(inp.dtype).itemsize
    delta = raster_window_delta(
        inp.shape, out.shape, (g["filter_h"], g["filter_w"]), (g["stride_h"], g["stride_w"]),
        (g["pad_h"], g["pad_w"]), multiplier=1, in_itemsize=itemsize, out_itemsize=itemsize,
    )
    return {0: delta}


_FILE_STEMS = {"AVERAGE_POOL_2D": "pool", "MAX_POOL_2D": "pool", "MEAN": "mean", "SOFTMAX": "softmax"}
_FILE_SUFFIXES = {"int8": "s8", "int16": "s16", "float32": "f32"}


def _sources_for(op: Operator, graph: Graph) -> tuple[str, ...]:
    """Each operator ships only its own kernel file, e.g. pool_s8.c, softmax_f32.c."""
    dtype = graph.tensor(op.inputs[0]).dtype
    return (f"{_FILE_STEMS[op.opcode]}_{_FILE_SUFFIXES.get(dtype, 'f32')}.c",)


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    **extra: Callable[[Operator, Graph], object],
) -> OpLowering:
    return OpLowering(  # type: ignore[arg-type]
        opcode=opcode, check=check, emit=emit, headers=_HEADERS,
        dtypes=("int8", "int16", "float32"), sources_for=_sources_for, **extra,
    )


LOWERINGS: list[OpLowering] = [
    _lowering("AVERAGE_POOL_2D", _check_pool, _emit_pool("avg"), macs=_pool_macs, in_place_inputs=_pool_in_place),
    _lowering("MAX_POOL_2D", _check_pool, _emit_pool("max"), macs=_pool_macs, in_place_inputs=_pool_in_place),
    _lowering("MEAN", _check_mean, _emit_mean, macs=_mean_macs),
    _lowering("SOFTMAX", _check_softmax, _emit_softmax, in_place_inputs=_elementwise_in_place),
]
