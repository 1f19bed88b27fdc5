"""GATHER, GATHER_ND and EMBEDDING_LOOKUP: rows of bytes chosen by an index tensor.

Each operator becomes whole rows of bytes (runtime/src/gather.c, gather_nd.c), so one kernel
serves every element type; int8 bytes are copied unchanged, as LiteRT does.

- GATHER: any axis (negative counts from the end), batch_dims (negative counts from the end of
  the indices), int16/int32/int64 indices, constant or computed.
- GATHER_ND: index tuples of depth 1 .. rank of the params (at most 8), int16/int32/int64.
- EMBEDDING_LOOKUP: int32 row indices into a table of rank >= 2, output of the table's type;
  or hybrid, LiteRT's dequantizing lookup: an int8 table (uint8 read as int8, as LiteRT does)
  with zero point 0 and one scale or one per row, to a float32 output (gather_hybrid.c).

Out-of-range indices (LiteRT, like TFLite Micro, fails the inference):
- constant indices are checked at generation time: an index outside its dimension (negative
  ones included) is rejected with UnsupportedError, since the model could never run;
- computed indices cannot be checked before run time and a generated kernel cannot fail, so a
  row selected by an out-of-range index is filled with zero bytes (0.0f, 0, false), the
  convention TensorFlow documents for GATHER on GPUs. In range, the result equals LiteRT's.

Data types (what LiteRT's reference kernels accept among float32, int8, int16, int32, int64 and
bool): all six for the three operators.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from .base import EmittedOp, LowerContext, OpLowering
from .copies import ALL_DTYPES, check_dtypes, check_shape, data_inputs, fold_when_constant, itemsize, normalize_axis

INDEX_DTYPES = ("int16", "int32", "int64")
MAX_ND_DEPTH = 8  # MTVM_GATHER_ND_MAX_DEPTH in runtime/include/mtvm/gather.h
_HEADERS = ("mtvm/gather.h",)


def _prod(values: Sequence[int]) -> int:
    return int(np.prod([int(v) for v in values], dtype=np.int64))


def _check_index_dtype(graph: Graph, tensor: int, dtypes: Sequence[str] = INDEX_DTYPES) -> None:
    dtype = graph.tensor(tensor).dtype
    if dtype not in dtypes:
        raise UnsupportedError(f"{dtype} indices are not supported; use {' or '.join(dtypes)}")


def _check_constant_range(graph: Graph, tensor: int, sizes: Sequence[int]) -> None:
    """Constant indices, whose last dimension cycles through `sizes` (one size: every index)."""
    indices = graph.tensor(tensor)
    if not indices.is_constant:
        return
    values = np.asarray(indices.data).astype(np.int64).reshape(-1, len(sizes))
    for j, size in enumerate(sizes):
        bad = values[(values[:, j] < 0) | (values[:, j] >= size), j]
        if bad.size:
            raise UnsupportedError(
                f"constant index {int(bad[0])} is out of range for a dimension of size {size} (valid: 0..{size - 1}); "
                f"LiteRT fails every inference of this model"
            )


def _index_operand(ctx: LowerContext, tensor: int) -> tuple[str, int]:
    """(C expression, bytes per index): constant indices become an int32 array (checked in range),
    computed ones are read in their own type."""
    indices = ctx.graph.tensor(tensor)
    if indices.is_constant:
        values = np.asarray(indices.data).astype(np.int32).reshape(-1)
        return ctx.const("indices", values if values.size else np.zeros(1, np.int32)), 4
    return ctx.buf(tensor), itemsize(ctx.graph, tensor)


# --------------------------------------------------------------------------------------------
# GATHER


def _gather_geometry(op: Operator, graph: Graph) -> tuple[int, int, list[int]]:
    """(axis, batch_dims, output shape) with TFLite's checks."""
    params, indices = data_inputs(op, 2)
    params_shape, indices_shape = list(graph.tensor(params).shape), list(graph.tensor(indices).shape)
    axis = normalize_axis(int(op.options.get("axis", 0)), len(params_shape))
    batch_dims = int(op.options.get("batch_dims", 0))
    if batch_dims < 0:
        batch_dims += len(indices_shape)
    if not 0 <= batch_dims <= axis or batch_dims > len(indices_shape):
        raise UnsupportedError(
            f"batch_dims {op.options.get('batch_dims', 0)} is not supported with axis {axis} and indices of rank "
            f"{len(indices_shape)}; it must be between 0 and both the axis and the indices rank"
        )
    if params_shape[:batch_dims] != indices_shape[:batch_dims]:
        raise UnsupportedError(
            f"the first {batch_dims} (batch) dimensions of params {params_shape} and indices {indices_shape} differ"
        )
    shape = params_shape[:axis] + indices_shape[batch_dims:] + params_shape[axis + 1 :]
    return axis, batch_dims, shape


def _check_gather(op: Operator, graph: Graph) -> None:
    params, indices = data_inputs(op, 2)
    check_dtypes(graph, [params, op.outputs[0]], ALL_DTYPES)
    _check_index_dtype(graph, indices)
    axis, _, shape = _gather_geometry(op, graph)
    check_shape(graph, op.outputs[0], shape)
    _check_constant_range(graph, indices, [graph.tensor(params).shape[axis]])


def _gather_struct(ctx: LowerContext, batches: int, outer: int, axis_size: int, coords: int, row_bytes: int,
                   index_bytes: int) -> str:
    fields = {
        "batches": batches, "outer": outer, "axis_size": axis_size, "coords": coords, "row_bytes": row_bytes,
        "index_bytes": index_bytes,
    }
    return ctx.params("mtvm_gather_params_t", fields)


def _emit_gather(op: Operator, ctx: LowerContext) -> EmittedOp:
    params, indices = op.inputs[:2]
    shape = list(ctx.graph.tensor(params).shape)
    axis, batch_dims, _ = _gather_geometry(op, ctx.graph)
    index_expr, index_bytes = _index_operand(ctx, indices)
    name = _gather_struct(
        ctx,
        batches=_prod(shape[:batch_dims]),
        outer=_prod(shape[batch_dims:axis]),
        axis_size=shape[axis],
        coords=_prod(ctx.graph.tensor(indices).shape[batch_dims:]),
        row_bytes=_prod(shape[axis + 1 :]) * itemsize(ctx.graph, params),
        index_bytes=index_bytes,
    )
    call = f"mtvm_gather(&{name}, {ctx.buf(params)}, {index_expr}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _eval_gather(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    params, indices = arrays[0], arrays[1].astype(np.int64)
    axis, batch_dims, shape = _gather_geometry(op, graph)
    batches = _prod(params.shape[:batch_dims])
    view = params.reshape(batches, _prod(params.shape[batch_dims:axis]), params.shape[axis], -1)
    index = indices.reshape(batches, -1)
    out = np.stack([view[b][:, index[b], :] for b in range(batches)])
    return [out.reshape(shape)]


# --------------------------------------------------------------------------------------------
# GATHER_ND


def _gather_nd_geometry(op: Operator, graph: Graph) -> tuple[int, list[int]]:
    params, indices = data_inputs(op, 2)
    params_shape, indices_shape = list(graph.tensor(params).shape), list(graph.tensor(indices).shape)
    if not indices_shape:
        raise UnsupportedError("the indices must have rank 1 or more (the last dimension is the index depth)")
    depth = indices_shape[-1]
    if not 1 <= depth <= min(len(params_shape), MAX_ND_DEPTH):
        raise UnsupportedError(
            f"index depth {depth} is not supported for params of rank {len(params_shape)}; use 1 to "
            f"{min(len(params_shape), MAX_ND_DEPTH)}"
        )
    return depth, indices_shape[:-1] + params_shape[depth:]


def _check_gather_nd(op: Operator, graph: Graph) -> None:
    params, indices = data_inputs(op, 2)
    check_dtypes(graph, [params, op.outputs[0]], ALL_DTYPES)
    _check_index_dtype(graph, indices)
    depth, shape = _gather_nd_geometry(op, graph)
    check_shape(graph, op.outputs[0], shape)
    _check_constant_range(graph, indices, graph.tensor(params).shape[:depth])


def _emit_gather_nd(op: Operator, ctx: LowerContext) -> EmittedOp:
    params, indices = op.inputs[:2]
    shape = list(ctx.graph.tensor(params).shape)
    depth, _ = _gather_nd_geometry(op, ctx.graph)
    item = itemsize(ctx.graph, params)
    slice_elements = _prod(shape[depth:])
    strides = [_prod(shape[j + 1 : depth]) * slice_elements * item for j in range(depth)]
    index_expr, index_bytes = _index_operand(ctx, indices)
    fields = {
        "tuples": _prod(ctx.graph.tensor(indices).shape[:-1]),
        "depth": depth,
        "slice_bytes": slice_elements * item,
        "index_bytes": index_bytes,
        "dims": [int(n) for n in shape[:depth]],
        "stride_bytes": [int(s) for s in strides],
    }
    name = ctx.params("mtvm_gather_nd_params_t", fields)
    call = f"mtvm_gather_nd(&{name}, {ctx.buf(params)}, {index_expr}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _eval_gather_nd(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    depth, shape = _gather_nd_geometry(op, graph)
    tuples = arrays[1].astype(np.int64).reshape(-1, depth)
    return [arrays[0][tuple(tuples.T)].reshape(shape)]


# --------------------------------------------------------------------------------------------
# EMBEDDING_LOOKUP


def _is_hybrid_lookup(op: Operator, graph: Graph) -> bool:
    return graph.tensor(op.outputs[0]).dtype == "float32" and graph.tensor(op.inputs[1]).dtype in ("int8", "uint8")


def _row_scales(op: Operator, graph: Graph) -> np.ndarray:
    """The hybrid table's scales, float32: one per row (per-channel along dimension 0) or one."""
    return np.asarray(graph.tensor(op.inputs[1]).quant.scale, dtype=np.float32).reshape(-1)


def _check_hybrid_table(op: Operator, graph: Graph) -> None:
    table = graph.tensor(op.inputs[1])
    q = table.quant
    if q is None or not q.scale:
        raise UnsupportedError(f"the {table.dtype} table of a hybrid lookup (float32 output) has no quantization scale")
    if any(int(z) != 0 for z in q.zero_point):
        raise UnsupportedError("the hybrid table needs zero point 0 (LiteRT requires it)")
    if len(q.scale) > 1 and (int(q.axis) != 0 or len(q.scale) != table.shape[0]):
        raise UnsupportedError(
            f"the hybrid table has {len(q.scale)} scales along dimension {q.axis}; supported: one, or one per row"
        )


def _check_embedding_lookup(op: Operator, graph: Graph) -> None:
    lookup, table = data_inputs(op, 2)
    _check_index_dtype(graph, lookup, ("int32",))
    if _is_hybrid_lookup(op, graph):
        _check_hybrid_table(op, graph)
    elif graph.tensor(table).dtype != graph.tensor(op.outputs[0]).dtype:
        raise UnsupportedError(
            f"a {graph.tensor(table).dtype} table with a {graph.tensor(op.outputs[0]).dtype} output is not "
            "supported; the output must have the table's type, or be float32 for an int8/uint8 table (hybrid)"
        )
    else:
        check_dtypes(graph, [table, op.outputs[0]], ALL_DTYPES)
    lookup_shape, table_shape = graph.tensor(lookup).shape, list(graph.tensor(table).shape)
    if len(lookup_shape) != 1 or len(table_shape) < 2:
        raise UnsupportedError(
            f"lookup {list(lookup_shape)} must be a vector and the table {table_shape} of rank 2 or more (TFLite's kernel)"
        )
    check_shape(graph, op.outputs[0], [lookup_shape[0]] + table_shape[1:])
    _check_constant_range(graph, lookup, [table_shape[0]])


def _emit_embedding_lookup_hybrid(op: Operator, ctx: LowerContext) -> EmittedOp:
    lookup, table = op.inputs[:2]
    shape = list(ctx.graph.tensor(table).shape)
    scales = _row_scales(op, ctx.graph)
    row_scales = ctx.const(f"{ctx.prefix}_row_scales", scales) if scales.size > 1 else "NULL"
    fields = {
        "rows": shape[0],
        "cols": _prod(shape[1:]),
        "count": ctx.graph.tensor(lookup).num_elements,
        "scale": float(scales[0]),
    }
    name = ctx.params("mtvm_embedding_lookup_hybrid_params_t", fields)
    table_ptr = f"(const int8_t*){ctx.buf(table)}"  # a uint8 table is read as int8, as LiteRT does
    call = (
        f"mtvm_embedding_lookup_hybrid(&{name}, {table_ptr}, {row_scales}, {ctx.buf(lookup)}, "
        f"{ctx.buf(op.outputs[0])});"
    )
    return EmittedOp(call=call, sources=("gather_hybrid.c",))


def _emit_embedding_lookup(op: Operator, ctx: LowerContext) -> EmittedOp:
    if _is_hybrid_lookup(op, ctx.graph):
        return _emit_embedding_lookup_hybrid(op, ctx)
    lookup, table = op.inputs[:2]
    shape = list(ctx.graph.tensor(table).shape)
    index_expr, index_bytes = _index_operand(ctx, lookup)
    name = _gather_struct(
        ctx, 1, 1, shape[0], ctx.graph.tensor(lookup).num_elements, _prod(shape[1:]) * itemsize(ctx.graph, table),
        index_bytes,
    )
    call = f"mtvm_gather(&{name}, {ctx.buf(table)}, {index_expr}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _eval_embedding_lookup(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    rows = arrays[0].astype(np.int64).reshape(-1)
    if not _is_hybrid_lookup(op, graph):
        return [arrays[1][rows]]
    values = arrays[1].view(np.int8)[rows].astype(np.float64)
    scales = _row_scales(op, graph)
    scale = (scales[rows] if scales.size > 1 else scales[:1]).astype(np.float64)
    scale = scale.reshape((-1,) + (1,) * (values.ndim - 1))
    return [(values * scale).astype(np.float32)]  # exact in double, rounded once (as LiteRT)


# --------------------------------------------------------------------------------------------


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    evaluate: Callable[[Operator, Graph, list[np.ndarray]], list[np.ndarray]],
    source: str,
) -> OpLowering:
    return OpLowering(
        opcode=opcode,
        check=check,
        emit=emit,
        headers=_HEADERS,
        sources=(source,),
        fold=fold_when_constant(check, evaluate),
        dtypes=ALL_DTYPES,
    )


LOWERINGS: list[OpLowering] = [
    _lowering("GATHER", _check_gather, _emit_gather, _eval_gather, "gather.c"),
    _lowering("GATHER_ND", _check_gather_nd, _emit_gather_nd, _eval_gather_nd, "gather_nd.c"),
    _lowering("EMBEDDING_LOOKUP", _check_embedding_lookup, _emit_embedding_lookup, _eval_embedding_lookup, "gather.c"),
]
# The hybrid (dequantizing) lookup: validation lets its int8 table and float32 output through.
LOWERINGS[-1] = dataclasses.replace(LOWERINGS[-1], dtypes=(*ALL_DTYPES, "hybrid"))
