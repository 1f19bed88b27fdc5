"""SLICE, SPLIT, SPLIT_V, PACK, UNPACK, REVERSE_V2 and DYNAMIC_UPDATE_SLICE.

Pure data movement, generic over the element size: every operator but DYNAMIC_UPDATE_SLICE is
one `mtvm_strided_copy` per output (SPLIT, SPLIT_V, UNPACK) or per input (PACK) whose loops,
strides (negative for REVERSE_V2) and offsets are resolved here from the constant operands;
int8 bytes are copied unchanged, like LiteRT (no requantization, whatever the output's
parameters). Operands that LiteRT's kernels reject are rejected at generation time:
- SLICE: constant begin and size of one type (int32 or int64), 0 <= begin, size -1 (to the end)
  or begin + size <= the dimension;
- SPLIT: a constant int32 axis, the dimension divisible by the number of outputs;
- SPLIT_V: constant int32/int64 sizes (one may be -1) adding up to the dimension;
- REVERSE_V2: constant int32 axes forming one contiguous run of dimensions (TFLite's kernel);
- PACK and UNPACK: int8/int16 tensors with one scale and zero point (TFLite's checks);
- computed begin/size/axis operands: the output shape would depend on run-time data.

DYNAMIC_UPDATE_SLICE takes its start indices at run time (int32 or int64, constant or
computed): `mtvm_dynamic_update_slice` clamps each start into [0, dim - update dim] as TFLite
does, copies the operand and writes the update there (runtime/src/dynamic_update_slice.c).

Data types (what LiteRT's reference kernels accept, among float32, int8, int16, int32, int64 and
bool): SLICE, REVERSE_V2 and DYNAMIC_UPDATE_SLICE all six; SPLIT, SPLIT_V and PACK all but bool;
UNPACK all but int64.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from .base import EmittedOp, LowerContext, OpLowering
from .copies import (
    ALL_DTYPES,
    COPY_HEADERS,
    COPY_SOURCES,
    block_copy,
    check_dtypes,
    check_same_quantization,
    check_shape,
    constant_operand,
    contiguous_strides,
    copy_fields,
    data_inputs,
    emit_copies,
    fold_when_constant,
    itemsize,
    normalize_axis,
)

NO_BOOL = ("float32", "int8", "int16", "int32", "int64")
NO_INT64 = ("float32", "int8", "int16", "int32", "bool")
MAX_RANK = 8  # mtvm_copy_params_t loops; TFLite's kernels stop at 5 to 8 depending on the operator


def _check_rank(graph: Graph, tensor: int) -> int:
    rank = len(graph.tensor(tensor).shape)
    if rank > MAX_RANK:
        raise UnsupportedError(f"rank {rank} is not supported; at most {MAX_RANK} dimensions")
    return rank


# --------------------------------------------------------------------------------------------
# SLICE


def _slice_ranges(op: Operator, graph: Graph) -> list[tuple[int, int]]:
    """(begin, size) per dimension, checked like TFLite's Prepare."""
    (source,) = data_inputs(op, 1)
    shape = graph.tensor(source).shape
    begin = constant_operand(op, graph, 1, "begin indices", ("int32", "int64")).reshape(-1)
    size = constant_operand(op, graph, 2, "sizes", ("int32", "int64")).reshape(-1)
    if graph.tensor(op.inputs[1]).dtype != graph.tensor(op.inputs[2]).dtype:
        raise UnsupportedError("begin and size have different types; TFLite needs both int32 or both int64")
    if len(begin) != len(shape) or len(size) != len(shape):
        raise UnsupportedError(f"begin and size need {len(shape)} entries (the input rank), got {len(begin)} and {len(size)}")
    ranges = []
    for d, (b, n, dim) in enumerate(zip(begin, size, shape)):
        b, n = int(b), int(n)
        if n == -1:
            n = dim - b
        if b < 0 or n < 0 or b + n > dim:
            raise UnsupportedError(
                f"begin {b} and size {int(size[d])} leave dimension {d} (size {dim}); TFLite requires "
                f"0 <= begin and begin + size <= size of the dimension (size -1: to the end)"
            )
        ranges.append((b, n))
    return ranges


def _check_slice(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    _check_rank(graph, op.inputs[0])
    check_shape(graph, op.outputs[0], [n for _, n in _slice_ranges(op, graph)])


def _emit_slice(op: Operator, ctx: LowerContext) -> EmittedOp:
    source, result = op.inputs[0], op.outputs[0]
    strides = contiguous_strides(ctx.graph.tensor(source).shape)
    ranges = _slice_ranges(op, ctx.graph)
    offset = sum(b * s for (b, _), s in zip(ranges, strides))
    copy = block_copy([n for _, n in ranges], strides, offset, itemsize(ctx.graph, source))
    return emit_copies(ctx, [(copy, source, result)])


def _eval_slice(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    ranges = _slice_ranges(op, graph)
    return [arrays[0][tuple(slice(b, b + n) for b, n in ranges)]]


# --------------------------------------------------------------------------------------------
# SPLIT, SPLIT_V, UNPACK: one copy per output, each a block of the input along the axis.


def _split_axis(op: Operator, graph: Graph, position: int, rank: int) -> int:
    axis = constant_operand(op, graph, position, "axis", ("int32",)).reshape(-1)
    if axis.size != 1:
        raise UnsupportedError(f"the axis operand has {axis.size} values; expected one")
    return normalize_axis(int(axis[0]), rank)


def _split_sizes(op: Operator, graph: Graph) -> tuple[int, list[int]]:
    """(axis, extent of each output along it) for SPLIT and SPLIT_V."""
    if op.opcode == "SPLIT":
        (source,) = data_inputs(op, 2)[1:]
        rank = _check_rank(graph, source)
        axis = _split_axis(op, graph, 0, rank)
        dim, count = graph.tensor(source).shape[axis], len(op.outputs)
        if count == 0 or dim % count:
            raise UnsupportedError(f"dimension {axis} (size {dim}) does not split into {count} equal parts")
        return axis, [dim // count] * count
    (source,) = data_inputs(op, 1)
    rank = _check_rank(graph, source)
    axis = _split_axis(op, graph, 2, rank)
    dim = graph.tensor(source).shape[axis]
    sizes = [int(s) for s in constant_operand(op, graph, 1, "split sizes", ("int32", "int64")).reshape(-1)]
    if len(sizes) != len(op.outputs):
        raise UnsupportedError(f"{len(sizes)} split sizes for {len(op.outputs)} outputs")
    unknown = [k for k, s in enumerate(sizes) if s == -1]
    if len(unknown) > 1 or any(s < -1 for s in sizes):
        raise UnsupportedError("split sizes must be >= 0, with at most one -1 (the rest of the dimension)")
    if unknown:
        sizes[unknown[0]] = dim - (sum(sizes) + 1)
    if sum(sizes) != dim or any(s < 0 for s in sizes):
        raise UnsupportedError(f"split sizes {sizes} do not add up to dimension {axis} (size {dim})")
    return axis, sizes


def _source(op: Operator) -> int:
    return op.inputs[1] if op.opcode == "SPLIT" else op.inputs[0]


def _check_split(op: Operator, graph: Graph) -> None:
    source = _source(op)
    check_dtypes(graph, [source, *op.outputs], NO_BOOL)
    axis, sizes = _split_sizes(op, graph)
    shape = list(graph.tensor(source).shape)
    for output, size in zip(op.outputs, sizes):
        check_shape(graph, output, shape[:axis] + [size] + shape[axis + 1 :], f"output {op.outputs.index(output)}")


def _emit_split(op: Operator, ctx: LowerContext) -> EmittedOp:
    source = _source(op)
    shape = list(ctx.graph.tensor(source).shape)
    strides = contiguous_strides(shape)
    axis, sizes = _split_sizes(op, ctx.graph)
    copies, start = [], 0
    for output, size in zip(op.outputs, sizes):
        block = shape[:axis] + [size] + shape[axis + 1 :]
        copies.append((block_copy(block, strides, start * strides[axis], itemsize(ctx.graph, source)), source, output))
        start += size
    return emit_copies(ctx, copies)


def _eval_split(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    axis, sizes = _split_sizes(op, graph)
    return list(np.split(arrays[1] if op.opcode == "SPLIT" else arrays[0], np.cumsum(sizes)[:-1], axis=axis))


def _unpack_axis(op: Operator, graph: Graph) -> int:
    (source,) = data_inputs(op, 1)
    rank = _check_rank(graph, source)
    return normalize_axis(int(op.options.get("axis", 0)), rank)


def _check_unpack(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], *op.outputs], NO_INT64)
    check_same_quantization(graph, [op.inputs[0], *op.outputs])
    axis = _unpack_axis(op, graph)
    shape = list(graph.tensor(op.inputs[0]).shape)
    if shape[axis] != len(op.outputs):
        raise UnsupportedError(f"dimension {axis} has size {shape[axis]} but there are {len(op.outputs)} outputs")
    for k, output in enumerate(op.outputs):
        check_shape(graph, output, shape[:axis] + shape[axis + 1 :], f"output {k}")


def _emit_unpack(op: Operator, ctx: LowerContext) -> EmittedOp:
    source = op.inputs[0]
    shape = list(ctx.graph.tensor(source).shape)
    strides = list(contiguous_strides(shape))
    axis = _unpack_axis(op, ctx.graph)
    block, block_strides = shape[:axis] + shape[axis + 1 :], strides[:axis] + strides[axis + 1 :]
    item = itemsize(ctx.graph, source)
    copies = [(block_copy(block, block_strides, k * strides[axis], item), source, out) for k, out in enumerate(op.outputs)]
    return emit_copies(ctx, copies)


def _eval_unpack(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    axis = _unpack_axis(op, graph)
    return [np.take(arrays[0], k, axis=axis) for k in range(len(op.outputs))]


# --------------------------------------------------------------------------------------------
# PACK: one copy per input into its slot of the output.


def _pack_axis(op: Operator, graph: Graph) -> int:
    inputs = [i for i in op.inputs]
    if not inputs or any(i < 0 for i in inputs):
        raise UnsupportedError("every input must be present")
    rank = _check_rank(graph, op.outputs[0])
    return normalize_axis(int(op.options.get("axis", 0)), rank)


def _check_pack(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [*op.inputs, op.outputs[0]], NO_BOOL)
    check_same_quantization(graph, [*op.inputs, op.outputs[0]])
    axis = _pack_axis(op, graph)
    shape = list(graph.tensor(op.inputs[0]).shape)
    for index in op.inputs:
        if list(graph.tensor(index).shape) != shape:
            raise UnsupportedError(f"inputs have different shapes {shape} and {list(graph.tensor(index).shape)}")
    check_shape(graph, op.outputs[0], shape[:axis] + [len(op.inputs)] + shape[axis:])


def _emit_pack(op: Operator, ctx: LowerContext) -> EmittedOp:
    axis = _pack_axis(op, ctx.graph)
    output = op.outputs[0]
    out_strides = list(contiguous_strides(ctx.graph.tensor(output).shape))
    dst_strides = out_strides[:axis] + out_strides[axis + 1 :]
    copies = []
    for k, source in enumerate(op.inputs):
        shape = ctx.graph.tensor(source).shape
        copy = block_copy(shape, contiguous_strides(shape), 0, itemsize(ctx.graph, source), dst_strides, k * out_strides[axis])
        copies.append((copy, source, output))
    return emit_copies(ctx, copies)


def _eval_pack(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [np.stack([a.reshape(graph.tensor(op.inputs[0]).shape) for a in arrays], axis=_pack_axis(op, graph))]


# --------------------------------------------------------------------------------------------
# REVERSE_V2: one copy walking the reversed axes backwards.


def _reverse_axes(op: Operator, graph: Graph) -> list[int]:
    (source,) = data_inputs(op, 1)
    rank = _check_rank(graph, source)
    values = constant_operand(op, graph, 1, "axes", ("int32",)).reshape(-1)
    axes = sorted(normalize_axis(int(a), rank) for a in values)
    if axes and axes != list(range(axes[0], axes[0] + len(axes))):
        raise UnsupportedError(
            f"axes {[int(a) for a in values]} are not one contiguous run of distinct dimensions; TFLite's kernel "
            f"reverses one dimension or several adjacent ones"
        )
    return axes


def _check_reverse(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    _reverse_axes(op, graph)
    check_shape(graph, op.outputs[0], graph.tensor(op.inputs[0]).shape)


def _emit_reverse(op: Operator, ctx: LowerContext) -> EmittedOp:
    source = op.inputs[0]
    shape = list(ctx.graph.tensor(source).shape)
    strides = list(contiguous_strides(shape))
    offset = 0
    for axis in _reverse_axes(op, ctx.graph):
        offset += (shape[axis] - 1) * strides[axis]
        strides[axis] = -strides[axis]
    return emit_copies(ctx, [(block_copy(shape, strides, offset, itemsize(ctx.graph, source)), source, op.outputs[0])])


def _eval_reverse(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    axes = _reverse_axes(op, graph)
    return [np.flip(arrays[0], axis=tuple(axes)) if axes else arrays[0]]


# --------------------------------------------------------------------------------------------
# DYNAMIC_UPDATE_SLICE


def _check_dynamic_update_slice(op: Operator, graph: Graph) -> None:
    operand, update = data_inputs(op, 3)[:2]
    check_dtypes(graph, [operand, update, op.outputs[0]], ALL_DTYPES)
    rank = _check_rank(graph, operand)
    indices = graph.tensor(op.inputs[2])
    if indices.dtype not in ("int32", "int64"):
        raise UnsupportedError(f"{indices.dtype} start indices are not supported; use int32 or int64")
    if indices.num_elements != rank or len(indices.shape) != 1:
        raise UnsupportedError(f"the start indices must be a vector of {rank} values (the operand rank)")
    operand_shape, update_shape = graph.tensor(operand).shape, graph.tensor(update).shape
    if len(update_shape) != rank or any(u > n for u, n in zip(update_shape, operand_shape)):
        raise UnsupportedError(
            f"the update {list(update_shape)} must have the operand's rank and fit inside the operand {list(operand_shape)}"
        )
    check_shape(graph, op.outputs[0], operand_shape)


def _start_indices(graph: Graph, op: Operator, indices: np.ndarray) -> list[int]:
    """TFLite clamps each start into [0, dim - update dim] (so the update always fits)."""
    operand_shape, update_shape = graph.tensor(op.inputs[0]).shape, graph.tensor(op.inputs[1]).shape
    return [min(max(int(i), 0), n - u) for i, n, u in zip(indices.reshape(-1), operand_shape, update_shape)]


def _emit_dynamic_update_slice(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    operand, update, indices = op.inputs[:3]
    operand_shape, update_shape = graph.tensor(operand).shape, graph.tensor(update).shape
    item = itemsize(graph, operand)
    strides = contiguous_strides(operand_shape)
    copy = block_copy(update_shape, contiguous_strides(update_shape), 0, item, strides, 0)
    rank = len(operand_shape)
    fields = {
        "rank": rank,
        "operand_bytes": graph.tensor(operand).nbytes,
        "index_bytes": itemsize(graph, indices),
        "max_start": [n - u for n, u in zip(operand_shape, update_shape)],
        "stride_bytes": [s * item for s in strides],
        "update": copy_fields(copy),
    }
    name = ctx.params("mtvm_dynamic_update_slice_params_t", fields)
    call = (
        f"mtvm_dynamic_update_slice(&{name}, {ctx.buf(operand)}, {ctx.buf(update)}, {ctx.buf(indices)}, "
        f"{ctx.buf(op.outputs[0])});"
    )
    return EmittedOp(call=call)


def _eval_dynamic_update_slice(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    result = np.array(arrays[0], copy=True)
    start = _start_indices(graph, op, arrays[2])
    result[tuple(slice(s, s + u) for s, u in zip(start, arrays[1].shape))] = arrays[1]
    return [result]


# --------------------------------------------------------------------------------------------


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    evaluate: Callable[[Operator, Graph, list[np.ndarray]], list[np.ndarray]],
    dtypes: Sequence[str],
    **extra,
) -> OpLowering:
    return OpLowering(
        opcode=opcode, check=check, emit=emit, fold=fold_when_constant(check, evaluate), dtypes=tuple(dtypes), **extra
    )


LOWERINGS: list[OpLowering] = [
    _lowering("SLICE", _check_slice, _emit_slice, _eval_slice, ALL_DTYPES, headers=COPY_HEADERS, sources=COPY_SOURCES),
    _lowering("SPLIT", _check_split, _emit_split, _eval_split, NO_BOOL, headers=COPY_HEADERS, sources=COPY_SOURCES),
    _lowering("SPLIT_V", _check_split, _emit_split, _eval_split, NO_BOOL, headers=COPY_HEADERS, sources=COPY_SOURCES),
    _lowering("PACK", _check_pack, _emit_pack, _eval_pack, NO_BOOL, headers=COPY_HEADERS, sources=COPY_SOURCES),
    _lowering("UNPACK", _check_unpack, _emit_unpack, _eval_unpack, NO_INT64, headers=COPY_HEADERS, sources=COPY_SOURCES),
    _lowering(
        "REVERSE_V2", _check_reverse, _emit_reverse, _eval_reverse, ALL_DTYPES, headers=COPY_HEADERS, sources=COPY_SOURCES
    ),
    _lowering(
        "DYNAMIC_UPDATE_SLICE",
        _check_dynamic_update_slice,
        _emit_dynamic_update_slice,
        _eval_dynamic_update_slice,
        ALL_DTYPES,
        headers=(*COPY_HEADERS, "mtvm/slicing.h"),
        sources=(*COPY_SOURCES, "dynamic_update_slice.c"),
    ),
]
