"""Reductions: SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL, ARG_MAX, ARG_MIN
and CUMSUM. Kernels: runtime/include/mtvm/reduction.h, one source per kernel family.

The standard is LiteRT's reference kernels (BUILTIN_REF, ai-edge-litert 2.x) as they run:
- The axes are resolved like LiteRT's ResolveAxis (negative, duplicated, empty list; a constant
  of shape [] or [k]); the walk visits each output's elements in increasing input offset, the
  order ReduceGeneric folds them in, so float sums and products match bit for bit. When every
  dimension is reduced LiteRT folds from the first element instead of the identity
  (ReduceAllDims): the kernels do the same.
- Integer SUM/PROD wrap in the element type; bool SUM/MAX are OR, PROD/MIN are AND (the
  generic reducer on bool).
- REDUCE_MAX/MIN of int8/int16 need equal input and output quantization (LiteRT checks it) and
  compare stored values.
- int8 SUM always requantizes (QuantizedMeanOrSum, even with equal input and output
  quantization), and LiteRT's reference kernel reads the int8 data as uint8 and clamps the result
  to [0, 255] (QuantizedMeanOrSum<uint8_t> on int8 buffers): that is what it computes, observed
  on every input, so that is what mtvm_reduce_sum_q8 reproduces.
- int16 SUM is not supported: LiteRT's reference kernel also runs the uint8 path on it, reading
  half the input bytes and leaving half the output bytes unwritten (the result depends on
  uninitialized memory).
- Quantized REDUCE_PROD (int8, int16) rescales at every step by input_scale /
  output_scale^(1/n) (GetQuantProdScaling, in double), with the int64 MultiplyByQuantizedMultiplier.
- ARG_MAX/ARG_MIN: float32, int8, int32, bool inputs (LiteRT's list without uint8); int32 or int64
  indices; ties keep the first index.
- CUMSUM: float32, int32, int64 (LiteRT has no int8/int16 CUMSUM).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from . import _emit as e
from .base import CValue, EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/quant.h", "mtvm/reduction.h")
MAX_DIMS = 8  # MTVM_REDUCE_MAX_DIMS in mtvm/reduction.h

_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16", "int32": "s32", "int64": "s64", "bool": "b"}

# Input types per reduction (what LiteRT's reference kernel computes deterministically).
REDUCE_DTYPES: dict[str, tuple[str, ...]] = {
    "SUM": ("float32", "int8", "int32", "int64", "bool"),
    "REDUCE_PROD": ("float32", "int8", "int16", "int32", "int64", "bool"),
    "REDUCE_MAX": ("float32", "int8", "int16", "int32", "int64", "bool"),
    "REDUCE_MIN": ("float32", "int8", "int16", "int32", "int64", "bool"),
    "REDUCE_ANY": ("bool",),
    "REDUCE_ALL": ("bool",),
}
ARG_DTYPES = ("float32", "int8", "int32", "bool")
CUMSUM_DTYPES = ("float32", "int32", "int64")

# Which generic fold each reduction of bool is (LiteRT's reducers evaluated on bool).
_BOOL_FOLD = {"SUM": "any", "REDUCE_MAX": "any", "REDUCE_ANY": "any", "REDUCE_PROD": "all", "REDUCE_MIN": "all", "REDUCE_ALL": "all"}
_GENERIC_FOLD = {"SUM": "sum", "REDUCE_PROD": "prod", "REDUCE_MAX": "max", "REDUCE_MIN": "min"}
_GENERIC_SOURCE = {"sum": "reduce_sum.c", "prod": "reduce_prod.c", "max": "reduce_max.c", "min": "reduce_min.c"}


# ---------------------------------------------------------------------------------------------
# Axes and the walk


def reduce_axes(op: Operator, graph: Graph) -> tuple[int, ...]:
    """LiteRT's ResolveAxis: negative axes wrapped, duplicates dropped (sorted here)."""
    inp = graph.tensor(op.inputs[0])
    axis = graph.tensor(op.inputs[1])
    if axis.dtype != "int32":
        raise UnsupportedError(f"{op.opcode}: the axis operand must be int32 (as TFLite requires), got {axis.dtype}")
    rank = len(inp.shape)
    if rank == 0:
        return ()
    return tuple(sorted({e.normalize_axis(op, a, rank) for a in e.constant_ints(op, graph, 1, "axis")}))


def reduce_groups(shape: Sequence[int], axes: Sequence[int]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Kept and reduced groups (extent, input stride), outermost first: unit dimensions dropped,
    neighbours of the same kind merged (contiguous in memory, so one loop covers both)."""
    strides = [e.flat_size(shape[d + 1 :]) for d in range(len(shape))]
    groups: list[list] = []  # [reduced, extent, stride]
    for d, extent in enumerate(shape):
        if extent == 1:
            continue
        reduced = d in axes
        if groups and groups[-1][0] == reduced:
            groups[-1][1] *= extent
            groups[-1][2] = strides[d]
        else:
            groups.append([reduced, extent, strides[d]])
    outer = [(x, s) for r, x, s in groups if not r]
    inner = [(x, s) for r, x, s in groups if r]
    return outer, inner


def reduce_walk(shape: Sequence[int], axes: Sequence[int]) -> dict[str, CValue]:
    """The mtvm_reduce_walk_t fields of a reduction of `shape` over `axes` (resolved)."""
    outer, inner = reduce_groups(shape, axes)
    return {
        "num_outputs": e.flat_size([x for x, _ in outer]),
        "count": e.flat_size([x for x, _ in inner]),
        "seed_first": len(axes) == len(shape),
        "num_outer": len(outer),
        "outer_extent": [x for x, _ in outer],
        "outer_stride": [s for _, s in outer],
        "num_inner": len(inner),
        "inner_extent": [x for x, _ in inner],
        "inner_stride": [s for _, s in inner],
    }


def _same_quantization(a: Tensor, b: Tensor) -> bool:
    """LiteRT compares the float scales and zero points (absent quantization reads as 0, 0)."""
    def params(t: Tensor) -> tuple[float, int]:
        q = t.quant
        if q is None or not q.scale:
            return 0.0, 0
        return float(np.float32(q.scale[0])), (int(q.zero_point[0]) if q.zero_point else 0)

    return params(a) == params(b)


def prod_scaling(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """GetQuantProdScaling + QuantizeMultiplier: input_scale / output_scale^(1/count) in double."""
    return quant.quantize_multiplier(input_scale / math.pow(output_scale, 1.0 / count))


def _variant(op: Operator, graph: Graph) -> str:
    """Which kernel family runs this reduction: 'sum', 'prod', 'max', 'min', 'any', 'all',
    'sum_q8' or 'prod_q'."""
    inp, _ = e.io(op, graph)
    if inp.dtype == "bool":
        return _BOOL_FOLD[op.opcode]
    if op.opcode == "SUM" and inp.dtype == "int8":
        return "sum_q8"
    if op.opcode == "REDUCE_PROD" and inp.dtype in ("int8", "int16"):
        return "prod_q"
    return _GENERIC_FOLD[op.opcode]


def _check_reduce(op: Operator, graph: Graph) -> None:
    e.check_arity(op, 2)
    inp, out = e.io(op, graph)
    supported = REDUCE_DTYPES[op.opcode]
    e.check_dtype(op, inp, "input", supported)
    if out.dtype != inp.dtype:
        raise UnsupportedError(f"{op.opcode} with {inp.dtype} input and {out.dtype} output is not supported; they must match")
    if inp.num_elements == 0:
        raise UnsupportedError(f"{op.opcode} of an empty tensor is not supported")
    axes = reduce_axes(op, graph)
    outer, inner = reduce_groups(inp.shape, axes)
    if len(outer) > MAX_DIMS or len(inner) > MAX_DIMS:
        raise UnsupportedError(f"{op.opcode} over a rank-{len(inp.shape)} input with these axes is not supported")
    if out.num_elements != e.flat_size([x for x, _ in outer]):
        raise UnsupportedError(
            f"{op.opcode}: output shape {list(out.shape)} does not match input {list(inp.shape)} reduced over "
            f"axes {list(axes)}; the model is inconsistent"
        )
    variant = _variant(op, graph)
    if inp.dtype in ("int8", "int16") and variant in ("max", "min"):
        if not _same_quantization(inp, out):
            raise UnsupportedError(
                f"{op.opcode} with {inp.dtype} tensors needs equal input and output quantization (as TFLite requires)"
            )
        if inp.dtype == "int16" and e.is_quantized(inp) and e.per_tensor(op, inp, "input")[1] != 0:
            raise UnsupportedError(f"{op.opcode}: int16 tensors must have zero point 0 (as TFLite requires)")
    if variant == "sum_q8":
        s_in, _ = e.per_tensor(op, inp, "input")
        s_out, _ = e.per_tensor(op, out, "output")
        if not (s_in > 0 and s_out > 0):
            raise UnsupportedError(f"{op.opcode}: int8 scales must be positive")
        if quant.quantize_multiplier(s_in / s_out)[1] > 30:
            raise UnsupportedError(f"{op.opcode}: input_scale / output_scale is too large (at most 2^30 is supported)")
    if variant == "prod_q":
        if not e.is_quantized(inp):
            raise UnsupportedError(
                f"{op.opcode} of unquantized {inp.dtype} tensors is not supported; quantized {inp.dtype}, "
                "float32, int32, int64 and bool are"
            )
        s_in, zp_in = e.per_tensor(op, inp, "input")
        s_out, zp_out = e.per_tensor(op, out, "output")
        if inp.dtype == "int16" and (zp_in != 0 or zp_out != 0):
            raise UnsupportedError(f"{op.opcode}: int16 tensors must have zero point 0 (as TFLite requires)")
        if not (s_in > 0 and s_out > 0):
            raise UnsupportedError(f"{op.opcode}: scales must be positive")
        _, shift = prod_scaling(s_in, s_out, inp.num_elements // out.num_elements)
        if shift > 14:
            raise UnsupportedError(
                f"{op.opcode}: the per-step rescaling input_scale / output_scale^(1/n) is too large "
                "(TFLite's int64 MultiplyByQuantizedMultiplier supports a shift of at most 7)"
            )


def _emit_reduce(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, out = e.io(op, graph)
    walk = reduce_walk(inp.shape, reduce_axes(op, graph))
    variant = _variant(op, graph)
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    if variant in ("sum_q8", "prod_q"):
        s_in, zp_in = e.per_tensor(op, inp, "input")
        s_out, zp_out = e.per_tensor(op, out, "output")
        if variant == "sum_q8":
            multiplier, shift = quant.quantize_multiplier(s_in / s_out)  # PrepareMeanOrSum, in double
            kernel = "mtvm_reduce_sum_q8"
        else:
            multiplier, shift = prod_scaling(s_in, s_out, inp.num_elements // out.num_elements)
            kernel = f"mtvm_reduce_prod_{_SUFFIX[inp.dtype]}"
        fields: dict[str, CValue] = {
            "walk": walk, "input_zero_point": zp_in, "output_zero_point": zp_out,
            "multiplier": multiplier, "shift": shift,
        }
        name = ctx.params("mtvm_reduce_q_params_t", fields)
    else:
        suffix = "b" if variant in ("any", "all") else _SUFFIX[inp.dtype]
        kernel = f"mtvm_reduce_{variant}_{suffix}"
        name = ctx.params("mtvm_reduce_walk_t", walk)
    return EmittedOp(call=f"{kernel}(&{name}, {src}, {dst});")


def _reduce_sources(opcode: str) -> tuple[str, ...]:
    sources = {"reduce_logical.c"}
    if opcode in _GENERIC_FOLD:
        sources.add(_GENERIC_SOURCE[_GENERIC_FOLD[opcode]])
    if opcode == "SUM":
        sources.add("reduce_sum_q8.c")
    if opcode == "REDUCE_PROD":
        sources.add("reduce_prod_q.c")
    return tuple(sorted(sources))


# ---------------------------------------------------------------------------------------------
# ARG_MAX, ARG_MIN


def _single_axis(op: Operator, graph: Graph, rank: int, dtypes: Sequence[str]) -> int:
    axis = graph.tensor(op.inputs[1])
    if axis.dtype not in dtypes:
        raise UnsupportedError(f"{op.opcode}: the axis operand must be {' or '.join(dtypes)}, got {axis.dtype}")
    values = e.constant_ints(op, graph, 1, "axis")
    if len(values) != 1:
        raise UnsupportedError(f"{op.opcode} needs exactly one axis, got {len(values)}")
    return e.normalize_axis(op, values[0], rank)


def _outer_axis_inner(shape: Sequence[int], axis: int) -> tuple[int, int, int]:
    return e.flat_size(shape[:axis]), int(shape[axis]), e.flat_size(shape[axis + 1 :])


def _check_arg(op: Operator, graph: Graph) -> None:
    e.check_arity(op, 2)
    inp, out = e.io(op, graph)
    e.check_dtype(op, inp, "input", ARG_DTYPES)
    e.check_dtype(op, out, "output", ("int32", "int64"))
    wanted = op.options.get("output_type")
    if wanted is not None and wanted.lower() != out.dtype:
        raise UnsupportedError(f"{op.opcode}: output_type {wanted} does not match the {out.dtype} output tensor")
    if len(inp.shape) < 1 or inp.num_elements == 0:
        raise UnsupportedError(f"{op.opcode} needs a non-empty input of rank >= 1, got shape {list(inp.shape)}")
    axis = _single_axis(op, graph, len(inp.shape), ("int32", "int64"))
    expected = tuple(d for i, d in enumerate(inp.shape) if i != axis)
    if out.num_elements != e.flat_size(expected):
        raise UnsupportedError(f"{op.opcode}: output shape {list(out.shape)} does not match {list(expected)}")


def _emit_arg(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, out = e.io(op, graph)
    outer, size, inner = _outer_axis_inner(inp.shape, _single_axis(op, graph, len(inp.shape), ("int32", "int64")))
    fields = {"outer": outer, "axis_size": size, "inner": inner, "index_is_64": out.dtype == "int64"}
    name = ctx.params("mtvm_arg_minmax_params_t", fields)
    kernel = f"mtvm_{'arg_max' if op.opcode == 'ARG_MAX' else 'arg_min'}_{_SUFFIX[inp.dtype]}"
    return EmittedOp(call=f"{kernel}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});")


# ---------------------------------------------------------------------------------------------
# CUMSUM


def _check_cumsum(op: Operator, graph: Graph) -> None:
    e.check_arity(op, 2)
    inp, out = e.io(op, graph)
    e.check_dtype(op, inp, "input", CUMSUM_DTYPES)
    if out.dtype != inp.dtype or tuple(out.shape) != tuple(inp.shape):
        raise UnsupportedError(f"{op.opcode}: the output must have the input's type and shape")
    if len(inp.shape) < 1:
        raise UnsupportedError(f"{op.opcode} needs an input of rank >= 1")
    _single_axis(op, graph, len(inp.shape), ("int32",))


def _emit_cumsum(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, _ = e.io(op, graph)
    outer, depth, inner = _outer_axis_inner(inp.shape, _single_axis(op, graph, len(inp.shape), ("int32",)))
    fields = {
        "outer": outer, "depth": depth, "inner": inner,
        "exclusive": bool(op.options.get("exclusive", False)), "reverse": bool(op.options.get("reverse", False)),
    }
    name = ctx.params("mtvm_cumsum_params_t", fields)
    kernel = f"mtvm_cumsum_{_SUFFIX[inp.dtype]}"
    return EmittedOp(call=f"{kernel}(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});")


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    sources: tuple[str, ...],
    dtypes: tuple[str, ...],
) -> OpLowering:
    return OpLowering(opcode=opcode, check=check, emit=emit, headers=HEADERS, sources=sources, dtypes=dtypes)


LOWERINGS: list[OpLowering] = [
    *(_lowering(op, _check_reduce, _emit_reduce, _reduce_sources(op), dt) for op, dt in REDUCE_DTYPES.items()),
    _lowering("ARG_MAX", _check_arg, _emit_arg, ("arg_minmax.c",), ARG_DTYPES),
    _lowering("ARG_MIN", _check_arg, _emit_arg, ("arg_minmax.c",), ARG_DTYPES),
    _lowering("CUMSUM", _check_cumsum, _emit_cumsum, ("cumsum.c",), CUMSUM_DTYPES),
]
