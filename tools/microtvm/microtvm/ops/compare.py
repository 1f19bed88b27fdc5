"""Comparisons (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL), logical operators
(LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT), SELECT and SELECT_V2, with numpy/TFLite broadcasting of every
operand (up to MAX_BROADCAST_DIMS dimensions after merging, i.e. any 5-D or 6-D shape).

Semantics follow LiteRT (tflite/kernels/comparisons.cc, logical.cc, select.cc):

- float32, int32, int64 and bool compare stored values (bool: EQUAL and NOT_EQUAL only);
  float comparisons are IEEE (NaN is unequal to everything, -0 equals 0).
- int8 (per-tensor quantized) rescales both operands before comparing, exactly as LiteRT's
  ComparisonWithScaling: (q - zero_point) << 8, times the input's own scale as a Q31
  multiplier (MultiplyByQuantizedMultiplierSmallerThanOneExp). The comparison is of these
  integers, so two different stored values may compare equal when a scale is small; scales of 1
  or more are not supported (LiteRT's arithmetic is undefined there).
- int16: quantized EQUAL/NOT_EQUAL rescale like int8; every other int16 comparison compares stored
  values (as LiteRT does, even for quantized tensors). NOT_EQUAL of unquantized int16 is not
  supported (LiteRT writes no output for it).
- the output is bool: one uint8_t 0/1 per element.
- SELECT_V2 picks x where the condition is true, else y, for any element type (stored values:
  quantized tensors must share the output's parameters, which LiteRT does not check either).
- SELECT (version 1, what tf.where on equal shapes converts to) does not broadcast: x and y have
  one shape, the output's; the condition has that shape too, or is a scalar (picks all of x or
  all of y), or is a vector of x's first dimension (picks whole rows: LiteRT's RankOneSelect).
  Those are broadcasts of the condition viewed as [n, 1, ..., 1], so SELECT_V2's kernel runs it.
"""
from __future__ import annotations

from typing import Optional, Sequence

import dataclasses

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering
from .elementwise import MAX_BROADCAST_DIMS, _tensors, _where

HEADERS = ("mtvm/compare.h",)
COMPARISONS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
COMPARE_DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool")
SELECT_DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool", "uint8")
_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16", "int32": "s32", "int64": "s64", "bool": "b", "uint8": "u8"}
COMPARE_LEFT_SHIFT = 8  # LiteRT's headroom bits for quantized comparisons


# ---------------------------------------------------------------------------------------------
# Broadcasting of any number of operands
# ---------------------------------------------------------------------------------------------


def broadcast_shape_n(shapes: Sequence[Sequence[int]]) -> Optional[tuple[int, ...]]:
    rank = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for extents in zip(*padded):
        sizes = {e for e in extents if e != 1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else (0 if 0 in extents else 1))
    return tuple(out)


def broadcast_plan_n(shapes: Sequence[Sequence[int]], out_shape: Sequence[int]) -> tuple[list[int], list[list[int]]]:
    """elementwise.broadcast_plan for any number of operands: merged output extents and each
    operand's element strides (0 where it is broadcast); empty when no operand is broadcast."""
    rank = len(out_shape)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    dims: list[list] = []  # [extent, (full flags...)]
    for d, extent in enumerate(out_shape):
        if extent == 1:
            continue
        full = tuple(p[d] == extent for p in padded)
        if dims and dims[-1][1] == full:
            dims[-1][0] *= extent
        else:
            dims.append([extent, full])
    if all(all(full) for _, full in dims):
        return [], [[] for _ in shapes]
    strides = []
    for k in range(len(shapes)):
        result, stride = [], 1
        for extent, full in reversed(dims):
            result.append(stride if full[k] else 0)
            stride *= extent if full[k] else 1
        strides.append(result[::-1])
    return [extent for extent, _ in dims], strides


def _check_broadcast(op: Operator, inputs: Sequence[Tensor], output: Tensor) -> None:
    expected = broadcast_shape_n([t.shape for t in inputs])
    if expected is None:
        raise UnsupportedError(
            f"{_where(op)}: input shapes {', '.join(str(list(t.shape)) for t in inputs)} do not broadcast"
        )
    if tuple(output.shape) != expected:
        raise UnsupportedError(
            f"{_where(op)}: output shape {list(output.shape)} is not the broadcast shape {list(expected)}"
        )
    shape, _ = broadcast_plan_n([t.shape for t in inputs], output.shape)
    if len(shape) > MAX_BROADCAST_DIMS:
        raise UnsupportedError(
            f"{_where(op)}: this broadcast needs {len(shape)} dimensions; at most {MAX_BROADCAST_DIMS} are supported"
        )


def _bcast_fields(inputs: Sequence[Tensor], output: Tensor) -> dict:
    """size + the mtvm_bcast_t (2 operands) or mtvm_bcast3_t (3 operands) initializer."""
    fields: dict = {"size": output.num_elements}
    shape, strides = ([], []) if output.num_elements == 0 else broadcast_plan_n([t.shape for t in inputs], output.shape)
    if not shape:
        fields["bcast"] = {"rank": 0}
    elif len(inputs) == 2:
        fields["bcast"] = {"rank": len(shape), "shape": shape, "stride1": strides[0], "stride2": strides[1]}
    else:
        fields["bcast"] = {"rank": len(shape), "shape": shape, "stride": strides}
    return fields


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------


def _is_quantized(t: Tensor) -> bool:
    return t.quant is not None and bool(t.quant.scale)


def _compare_dtypes(opcode: str) -> tuple[str, ...]:
    """bool compares for (in)equality only."""
    return COMPARE_DTYPES if opcode in ("EQUAL", "NOT_EQUAL") else tuple(d for d in COMPARE_DTYPES if d != "bool")


def _scaled(op: Operator, dtype: str, quantized: bool) -> bool:
    """Whether LiteRT rescales the operands (ComparisonWithScaling) for this operator and type."""
    if dtype == "int8":
        return True
    return dtype == "int16" and quantized and op.opcode in ("EQUAL", "NOT_EQUAL")


def _check_compare(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 2 or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected 2 inputs and 1 output")
    (a, b), output = _tensors(op, graph)
    supported = _compare_dtypes(op.opcode)
    if a.dtype != b.dtype or a.dtype not in supported:
        raise UnsupportedError(
            f"{_where(op)}: comparing {a.dtype} with {b.dtype} is not supported; both inputs must be one of "
            + ", ".join(supported)
        )
    if output.dtype != "bool":
        raise UnsupportedError(f"{_where(op)}: the output must be bool, got {output.dtype}")
    _check_broadcast(op, [a, b], output)
    quantized = _is_quantized(a)
    if a.dtype == "int16" and op.opcode == "NOT_EQUAL" and not quantized:
        raise UnsupportedError(
            f"{_where(op)}: NOT_EQUAL of unquantized int16 is not supported (LiteRT computes nothing for it); "
            "supported: float32, int8, quantized int16, int32, int64, bool"
        )
    if _scaled(op, a.dtype, quantized):
        for t in (a, b):
            if not _is_quantized(t) or t.quant.per_channel:
                raise UnsupportedError(
                    f"{_where(op)}: {a.dtype} input '{t.name}' must be quantized per tensor"
                )
            if not 0.0 < float(t.quant.scale[0]) < 1.0:
                raise UnsupportedError(
                    f"{_where(op)}: the scale {float(t.quant.scale[0]):g} of '{t.name}' is not supported; "
                    "quantized comparisons need scales between 0 and 1"
                )


def _scaling_fields(a: Tensor, b: Tensor) -> dict:
    """ComparisonQuantized: -zero point and QuantizeMultiplier(scale) (shift <= 0) per input."""
    m1, s1 = quant.quantize_multiplier(float(a.quant.scale[0]))
    m2, s2 = quant.quantize_multiplier(float(b.quant.scale[0]))
    return {
        "input1_offset": -int(a.quant.zero_point[0]), "input1_multiplier": m1, "input1_shift": s1,
        "input2_offset": -int(b.quant.zero_point[0]), "input2_multiplier": m2, "input2_shift": s2,
        "left_shift": COMPARE_LEFT_SHIFT,
    }


def _emit_compare(op: Operator, ctx: LowerContext) -> EmittedOp:
    (a, b), output = _tensors(op, ctx.graph)
    fields = _bcast_fields([a, b], output)
    name = op.opcode.lower()
    if _scaled(op, a.dtype, _is_quantized(a)):
        fields.update(_scaling_fields(a, b))
        c_type, kernel = "mtvm_compare_scaled_params_t", f"mtvm_{name}_{_SUFFIX[a.dtype]}_scaled"
    else:
        c_type, kernel = "mtvm_compare_params_t", f"mtvm_{name}_{_SUFFIX[a.dtype]}"
    params = ctx.params(c_type, fields)
    x, y, out = ctx.buf(op.inputs[0]), ctx.buf(op.inputs[1]), ctx.buf(op.outputs[0])
    return EmittedOp(call=f"{kernel}(&{params}, {x}, {y}, {out});")


# ---------------------------------------------------------------------------------------------
# Logical operators
# ---------------------------------------------------------------------------------------------


def _check_logical(op: Operator, graph: Graph) -> None:
    arity = 1 if op.opcode == "LOGICAL_NOT" else 2
    if len(op.inputs) != arity or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected {arity} input(s) and 1 output")
    inputs, output = _tensors(op, graph)
    for t in (*inputs, output):
        if t.dtype != "bool":
            raise UnsupportedError(f"{_where(op)}: {t.dtype} tensor '{t.name}' is not supported; supported: bool")
    if arity == 2:
        _check_broadcast(op, inputs, output)
    elif inputs[0].num_elements != output.num_elements:
        raise UnsupportedError(f"{_where(op)}: input and output must have the same number of elements")


def _emit_logical(op: Operator, ctx: LowerContext) -> EmittedOp:
    inputs, output = _tensors(op, ctx.graph)
    out = ctx.buf(op.outputs[0])
    name = op.opcode.lower()
    if op.opcode == "LOGICAL_NOT":
        params = ctx.params("mtvm_logical_not_params_t", {"size": output.num_elements})
        return EmittedOp(call=f"mtvm_{name}(&{params}, {ctx.buf(op.inputs[0])}, {out});")
    params = ctx.params("mtvm_compare_params_t", _bcast_fields(inputs, output))
    a, b = ctx.buf(op.inputs[0]), ctx.buf(op.inputs[1])
    return EmittedOp(call=f"mtvm_{name}(&{params}, {a}, {b}, {out});")


# ---------------------------------------------------------------------------------------------
# SELECT_V2
# ---------------------------------------------------------------------------------------------


def _check_select(op: Operator, graph: Graph) -> None:
    _check_select_types(op, graph)
    (cond, x, y), output = _tensors(op, graph)
    _check_broadcast(op, [cond, x, y], output)


def _check_select_types(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 3 or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{_where(op)}: expected 3 inputs and 1 output")
    (cond, x, y), output = _tensors(op, graph)
    if cond.dtype != "bool":
        raise UnsupportedError(f"{_where(op)}: the condition must be bool, got {cond.dtype}")
    if not x.dtype == y.dtype == output.dtype or output.dtype not in SELECT_DTYPES:
        raise UnsupportedError(
            f"{_where(op)}: selecting between {x.dtype} and {y.dtype} into {output.dtype} is not supported; "
            "x, y and the output must share one of " + ", ".join(SELECT_DTYPES)
        )


def _emit_select(op: Operator, ctx: LowerContext) -> EmittedOp:
    inputs, output = _tensors(op, ctx.graph)
    params = ctx.params("mtvm_select_params_t", _bcast_fields(inputs, output))
    width = np.dtype(output.dtype).itemsize * 8
    c, x, y = (ctx.buf(i) for i in op.inputs)
    return EmittedOp(call=f"mtvm_select_{width}(&{params}, {c}, {x}, {y}, {ctx.buf(op.outputs[0])});")


def _select_v1_condition(op: Operator, graph: Graph) -> Tensor:
    """SELECT's condition as the broadcast operand SELECT_V2's kernel takes (module docstring)."""
    cond, x = (graph.tensor(i) for i in op.inputs[:2])
    if cond.shape == x.shape or not cond.shape:
        return cond
    return dataclasses.replace(cond, shape=(cond.shape[0],) + (1,) * (len(x.shape) - 1))


def _check_select_v1(op: Operator, graph: Graph) -> None:
    _check_select_types(op, graph)
    (cond, x, y), output = _tensors(op, graph)
    if not x.shape == y.shape == output.shape:
        raise UnsupportedError(
            f"{_where(op)}: x {list(x.shape)}, y {list(y.shape)} and the output {list(output.shape)} must have one "
            "shape (SELECT does not broadcast; SELECT_V2 does)"
        )
    rows = len(cond.shape) == 1 and len(x.shape) >= 1 and cond.shape[0] == x.shape[0]
    if cond.shape != x.shape and cond.shape != () and not rows:
        raise UnsupportedError(
            f"{_where(op)}: a condition of shape {list(cond.shape)} is not supported for x of shape {list(x.shape)}; "
            "SELECT takes a condition of x's shape, a scalar, or a vector of x's first dimension"
        )


def _emit_select_v1(op: Operator, ctx: LowerContext) -> EmittedOp:
    (_, x, y), output = _tensors(op, ctx.graph)
    inputs = [_select_v1_condition(op, ctx.graph), x, y]
    params = ctx.params("mtvm_select_params_t", _bcast_fields(inputs, output))
    width = np.dtype(output.dtype).itemsize * 8
    c, xb, yb = (ctx.buf(i) for i in op.inputs)
    return EmittedOp(call=f"mtvm_select_{width}(&{params}, {c}, {xb}, {yb}, {ctx.buf(op.outputs[0])});")


def _binary_macs(op: Operator, graph: Graph) -> int:
    return graph.tensor(op.outputs[0]).num_elements


def _compare_lowering(opcode: str) -> OpLowering:
    dtypes = _compare_dtypes(opcode)
    sources = ("compare_f32.c", "compare_int.c", "compare_scaled.c")
    return OpLowering(opcode, _check_compare, _emit_compare, HEADERS, sources, macs=_binary_macs, dtypes=dtypes)


LOWERINGS: list[OpLowering] = [
    *[_compare_lowering(opcode) for opcode in COMPARISONS],
    *[OpLowering(opcode, _check_logical, _emit_logical, HEADERS, ("logical.c",), dtypes=("bool",))
      for opcode in ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")],
    OpLowering(
        "SELECT_V2", _check_select, _emit_select, HEADERS, ("select.c",), macs=_binary_macs, dtypes=SELECT_DTYPES
    ),
    OpLowering(
        "SELECT", _check_select_v1, _emit_select_v1, HEADERS, ("select.c",), macs=_binary_macs, dtypes=SELECT_DTYPES
    ),
]
