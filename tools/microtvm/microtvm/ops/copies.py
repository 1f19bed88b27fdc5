"""Helpers shared by the data-movement families (slicing, gather, space, shape); no lowerings.

These operators never change a value: every element is copied as bytes, so one kernel serves
every element size (1, 2, 4 or 8 bytes) and int8 outputs keep their input's bytes (LiteRT does
not requantize them either). Most of them are one or a few calls of `mtvm_strided_copy`
(runtime/include/mtvm/movement.h), planned here with `movement.plan_copy`; the C kernels of
their own are for what a strided copy cannot express (gathers, mirror padding, run-time
offsets).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from . import movement
from .base import EmittedOp, LowerContext
from .movement import StridedCopy, contiguous_strides, copy_fields, plan_copy

__all__ = ["StridedCopy", "contiguous_strides", "copy_fields", "plan_copy"]

# The dtypes this round covers; each lowering lists those LiteRT's reference kernel accepts.
ALL_DTYPES = ("float32", "int8", "int16", "int32", "int64", "bool")

# mtvm_strided_copy ships with whatever STRIDED_SLICE ships (runtime/src/strided_copy.c).
_STRIDED_SLICE = next(lowering for lowering in movement.LOWERINGS if lowering.opcode == "STRIDED_SLICE")
COPY_HEADERS: tuple[str, ...] = tuple(_STRIDED_SLICE.headers)
COPY_SOURCES: tuple[str, ...] = tuple(_STRIDED_SLICE.sources)
MAX_COPY_RANK = movement.MAX_COPY_RANK

# Folding never makes the constants much bigger than what they replace (see fold_when_constant).
FOLD_MIN_BYTES = 1024


def itemsize(graph: Graph, tensor: int) -> int:
    return np.dtype(graph.tensor(tensor).dtype).itemsize


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    """TFLite's convention: a negative axis counts from the end; raise when out of range."""
    if not -rank <= axis < rank:
        raise UnsupportedError(f"{what} {axis} is out of range for rank {rank} (valid: {-rank}..{rank - 1})")
    return axis + rank if axis < 0 else axis


def data_inputs(op: Operator, count: int) -> list[int]:
    if len(op.inputs) < count or any(i < 0 for i in op.inputs[:count]):
        raise UnsupportedError(f"expected {count} input(s), got {len([i for i in op.inputs if i >= 0])}")
    return list(op.inputs[:count])


def check_dtypes(graph: Graph, tensors: Sequence[int], supported: Sequence[str]) -> str:
    """All `tensors` have one element type, one of `supported`; returns it."""
    dtypes = sorted({graph.tensor(t).dtype for t in tensors})
    if len(dtypes) != 1:
        raise UnsupportedError(
            f"the data tensors have different types ({', '.join(dtypes)}); inputs and outputs must share one type"
        )
    if dtypes[0] not in supported:
        raise UnsupportedError(
            f"{dtypes[0]} tensors are not supported (TFLite's kernel takes none); supported: {', '.join(supported)}"
        )
    return dtypes[0]


def check_same_quantization(graph: Graph, tensors: Sequence[int]) -> None:
    """int8/int16: TFLite's kernel (PACK, UNPACK, MIRROR_PAD, BATCH_TO_SPACE_ND, ...) only
    copies bytes and requires every tensor to have the same scale and zero point."""
    first = graph.tensor(tensors[0])
    if first.dtype not in ("int8", "int16"):
        return

    def params(index: int) -> tuple[tuple[float, ...], tuple[int, ...]]:
        quant = graph.tensor(index).quant
        if quant is None:
            return (), ()
        return tuple(float(np.float32(s)) for s in quant.scale), tuple(int(z) for z in quant.zero_point)

    for index in tensors[1:]:
        if params(index) != params(tensors[0]):
            (scale_a, zp_a), (scale_b, zp_b) = params(tensors[0]), params(index)
            raise UnsupportedError(
                f"{first.dtype} tensors with different quantization (scale {list(scale_a)}, zero point {list(zp_a)} "
                f"vs scale {list(scale_b)}, zero point {list(zp_b)}) are not supported: TFLite's kernel does not "
                f"requantize and requires equal parameters"
            )


def constant_operand(op: Operator, graph: Graph, position: int, what: str, dtypes: Sequence[str]) -> np.ndarray:
    """The values of a shape operand (as int64), which must be a constant of one of `dtypes`.

    A computed operand would make the output shape depend on run-time data (a dynamic shape);
    shape arithmetic on static shapes (SHAPE, ...) is folded into constants before this runs."""
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise UnsupportedError(f"the {what} operand is missing")
    tensor = graph.tensor(op.inputs[position])
    if tensor.dtype not in dtypes:
        raise UnsupportedError(f"{tensor.dtype} {what} are not supported; use {' or '.join(dtypes)}")
    if not tensor.is_constant:
        raise UnsupportedError(
            f"the {what} are computed at run time, so the output shape depends on run-time data (a dynamic "
            f"shape), which is not supported; the {what} must be a constant or computed from static shapes"
        )
    return np.asarray(tensor.data).astype(np.int64)


def check_shape(graph: Graph, tensor: int, expected: Sequence[int], what: str = "output") -> None:
    actual = [int(n) for n in graph.tensor(tensor).shape]
    expected = [int(n) for n in expected]
    if actual != expected:
        raise UnsupportedError(
            f"the model declares {what} shape {actual} but the operands give {expected}; re-export the model "
            f"with static shapes"
        )


# --------------------------------------------------------------------------------------------
# Strided copies in C


def emit_copies(ctx: LowerContext, copies: Sequence[tuple[StridedCopy, int, int]], prologue: str = "") -> EmittedOp:
    """One mtvm_strided_copy per (copy, source tensor, destination tensor), in order."""
    calls = [prologue] if prologue else []
    for k, (copy, source, dest) in enumerate(copies):
        if copy.shape == (0,):
            continue  # an empty tensor: nothing to copy
        name = ctx.params("mtvm_copy_params_t", copy_fields(copy), name=f"copy{k}")
        calls.append(f"mtvm_strided_copy(&{name}, {ctx.buf(source)}, {ctx.buf(dest)});")
    return EmittedOp(call="\n".join(calls) or "/* empty output: nothing to copy */")


def block_copy(
    shape: Sequence[int], src_strides: Sequence[int], src_offset: int, item: int,
    dst_strides: Optional[Sequence[int]] = None, dst_offset: int = 0,
) -> StridedCopy:
    """Copy every index of `shape` from element strides `src_strides` into a destination laid out
    contiguously in that order (or at `dst_strides`)."""
    dst = contiguous_strides(shape) if dst_strides is None else dst_strides
    return plan_copy(shape, src_strides, dst, src_offset, dst_offset, item)


# --------------------------------------------------------------------------------------------
# Folding


Evaluate = Callable[[Operator, Graph, list[np.ndarray]], list[np.ndarray]]


def fold_when_constant(check: Callable[[Operator, Graph], None], evaluate: Evaluate) -> Callable:
    """A fold() for a data-movement operator: when every present input is a constant that
    check() accepts, `evaluate` computes the outputs with numpy (exact: values are only moved).
    Not when the outputs would take more than FOLD_MIN_BYTES and more than the constants they
    replace (a BROADCAST_TO of a small constant stays a kernel rather than a large table)."""

    def fold(op: Operator, graph: Graph) -> Optional[list[np.ndarray]]:
        inputs = [graph.tensor(i) for i in op.inputs if i >= 0]
        if not inputs or not all(t.is_constant for t in inputs):
            return None
        out_bytes = sum(graph.tensor(i).nbytes for i in op.outputs)
        if out_bytes > max(FOLD_MIN_BYTES, sum(t.nbytes for t in inputs)):
            return None
        try:
            check(op, graph)
        except UnsupportedError:
            return None
        arrays = [np.asarray(graph.tensor(i).data) if i >= 0 else np.zeros(0) for i in op.inputs]
        return evaluate(op, graph, arrays)

    return fold
