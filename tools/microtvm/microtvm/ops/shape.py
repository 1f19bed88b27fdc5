"""SHAPE, BROADCAST_ARGS, BROADCAST_TO, TILE and EXPAND_DIMS, and the folding of shape arithmetic.

Every tensor has a static shape here (the frontend rejects dynamic ones), so shape operators
are computed at generation time (passes/fold.py):
- SHAPE of any tensor is a constant int32/int64 vector (TFLite's out_type);
- BROADCAST_ARGS of constant shapes is the constant broadcast shape;
- EXPAND_DIMS with a constant axis is an alias like RESHAPE: the output is the input's bytes
  (no code), and a constant input folds into a constant;
- BROADCAST_TO with a constant shape is one strided copy whose source strides are 0 along the
  broadcast dimensions (a small constant input is folded instead);
- TILE with constant multiples is one strided copy too: output dimension k, of size m_k * d_k,
  is split into (m_k, d_k) whose source strides are (0, the input's stride), so the rank-2r
  loop nest reads the input again for every repetition; like TFLite's kernel it copies bytes
  (int8/int16 values keep their bytes whatever the output's quantization parameters).
The shape vectors of exported models are often computed (SHAPE -> STRIDED_SLICE -> PACK ->
RESHAPE); SHAPE, the data-movement operators (ops/slicing.py, gather.py, space.py) and, through
FOLDS_FOR_OTHER_FAMILIES, STRIDED_SLICE and CONCATENATION fold when their operands are
constant, so such a chain disappears before any operator is checked. What remains computed at
run time (an axis, a shape or a block operand that depends on the model's input values) would
make an output shape depend on run-time data and is rejected with UnsupportedError.

Data types: SHAPE and EXPAND_DIMS of all of float32, int8, int16, int32, int64, bool; SHAPE and
BROADCAST_ARGS give int32 or int64; BROADCAST_TO and TILE copy all six.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from . import movement
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
    data_inputs,
    emit_copies,
    fold_when_constant,
    itemsize,
)

SHAPE_DTYPES = ("int32", "int64")
MAX_BROADCAST_RANK = 8  # TFLite's BROADCAST_TO


def _emit_constant(op: Operator, ctx: LowerContext, values: np.ndarray) -> EmittedOp:
    """Copy a generation-time constant into the output. Only reached when the folding pass kept
    the operator (e.g. its output is also read by nothing else and the graph is not folded)."""
    source = ctx.const("values", values.reshape(-1))
    name = ctx.params("mtvm_copy_params_t", {"rank": 0, "run_bytes": values.nbytes}, name="copy")
    return EmittedOp(call=f"mtvm_strided_copy(&{name}, {source}, {ctx.buf(op.outputs[0])});")


# --------------------------------------------------------------------------------------------
# SHAPE


def _shape_values(op: Operator, graph: Graph) -> np.ndarray:
    (source,) = data_inputs(op, 1)
    output = graph.tensor(op.outputs[0])
    out_type = str(op.options.get("out_type", "FLOAT32")).lower()  # the schema's default
    if output.dtype not in SHAPE_DTYPES or out_type != output.dtype:
        raise UnsupportedError(
            f"out_type {op.options.get('out_type')} with a {output.dtype} output is not supported; TFLite's kernel "
            f"takes out_type INT32 or INT64, matching the output"
        )
    values = np.array(graph.tensor(source).shape, dtype=output.dtype)
    check_shape(graph, op.outputs[0], [values.size])
    return values


def _check_shape_op(op: Operator, graph: Graph) -> None:
    _shape_values(op, graph)


def _fold_shape(op: Operator, graph: Graph) -> Optional[list[np.ndarray]]:
    try:
        return [_shape_values(op, graph)]
    except UnsupportedError:
        return None


def _emit_shape(op: Operator, ctx: LowerContext) -> EmittedOp:
    return _emit_constant(op, ctx, _shape_values(op, ctx.graph))


# --------------------------------------------------------------------------------------------
# BROADCAST_ARGS


def broadcast_shapes(a: list[int], b: list[int]) -> list[int]:
    """NumPy/TFLite broadcasting of two shapes (right-aligned; 1 stretches)."""
    rank = max(len(a), len(b))
    a, b = [1] * (rank - len(a)) + a, [1] * (rank - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise UnsupportedError(f"shapes {a} and {b} do not broadcast")
        out.append(y if x == 1 else x)
    return out


def _broadcast_args_values(op: Operator, graph: Graph) -> np.ndarray:
    first, second = data_inputs(op, 2)
    check_dtypes(graph, [first, second, op.outputs[0]], SHAPE_DTYPES)
    for index in (first, second):
        if len(graph.tensor(index).shape) != 1:
            raise UnsupportedError("both inputs must be shape vectors (rank 1)")
    a = [int(v) for v in constant_operand(op, graph, 0, "shapes", SHAPE_DTYPES)]
    b = [int(v) for v in constant_operand(op, graph, 1, "shapes", SHAPE_DTYPES)]
    values = np.array(broadcast_shapes(a, b), dtype=graph.tensor(op.outputs[0]).dtype)
    check_shape(graph, op.outputs[0], [values.size])
    return values


def _check_broadcast_args(op: Operator, graph: Graph) -> None:
    _broadcast_args_values(op, graph)


def _fold_broadcast_args(op: Operator, graph: Graph) -> Optional[list[np.ndarray]]:
    try:
        return [_broadcast_args_values(op, graph)]
    except UnsupportedError:
        return None


def _emit_broadcast_args(op: Operator, ctx: LowerContext) -> EmittedOp:
    return _emit_constant(op, ctx, _broadcast_args_values(op, ctx.graph))


# --------------------------------------------------------------------------------------------
# BROADCAST_TO


def _broadcast_to_shape(op: Operator, graph: Graph) -> list[int]:
    (source,) = data_inputs(op, 1)
    shape = [int(v) for v in constant_operand(op, graph, 1, "shape", SHAPE_DTYPES).reshape(-1)]
    in_shape = list(graph.tensor(source).shape)
    if len(shape) > MAX_BROADCAST_RANK or len(in_shape) > len(shape):
        raise UnsupportedError(
            f"broadcasting {in_shape} to {shape} is not supported; the target rank must be at least the input's "
            f"and at most {MAX_BROADCAST_RANK}"
        )
    padded = [1] * (len(shape) - len(in_shape)) + in_shape
    if any(n != m and n != 1 for n, m in zip(padded, shape)):
        raise UnsupportedError(f"{in_shape} does not broadcast to {shape}")
    return shape


def _check_broadcast_to(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    check_shape(graph, op.outputs[0], _broadcast_to_shape(op, graph))


def _emit_broadcast_to(op: Operator, ctx: LowerContext) -> EmittedOp:
    source = op.inputs[0]
    shape = _broadcast_to_shape(op, ctx.graph)
    in_shape = list(ctx.graph.tensor(source).shape)
    padded = [1] * (len(shape) - len(in_shape)) + in_shape
    strides = [0 if n == 1 else s for n, s in zip(padded, contiguous_strides(padded))]
    copy = block_copy(shape, strides, 0, itemsize(ctx.graph, source))
    return emit_copies(ctx, [(copy, source, op.outputs[0])])


def _eval_broadcast_to(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [np.broadcast_to(arrays[0], _broadcast_to_shape(op, graph)).copy()]


# --------------------------------------------------------------------------------------------
# TILE


def _tile_multiples(op: Operator, graph: Graph) -> list[int]:
    (source,) = data_inputs(op, 1)
    multiples = [int(v) for v in constant_operand(op, graph, 1, "multiples", SHAPE_DTYPES).reshape(-1)]
    rank = len(graph.tensor(source).shape)
    if len(multiples) != rank:
        raise UnsupportedError(f"{len(multiples)} multiples for an input of rank {rank}; TILE needs one per dimension")
    if any(m < 0 for m in multiples):
        raise UnsupportedError(f"the multiples {multiples} must not be negative")
    return multiples


def _check_tile(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    multiples = _tile_multiples(op, graph)
    in_shape = graph.tensor(op.inputs[0]).shape
    check_shape(graph, op.outputs[0], [m * d for m, d in zip(multiples, in_shape)])
    _tile_copy(op, graph)  # the loop nest must fit the copy kernel


def _tile_copy(op: Operator, graph: Graph) -> movement.StridedCopy:
    in_shape = list(graph.tensor(op.inputs[0]).shape)
    multiples = _tile_multiples(op, graph)
    shape, strides = [], []
    for m, d, stride in zip(multiples, in_shape, contiguous_strides(in_shape)):
        shape += [m, d]
        strides += [0, stride]
    return block_copy(shape, strides, 0, itemsize(graph, op.inputs[0]))


def _emit_tile(op: Operator, ctx: LowerContext) -> EmittedOp:
    return emit_copies(ctx, [(_tile_copy(op, ctx.graph), op.inputs[0], op.outputs[0])])


def _eval_tile(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [np.tile(arrays[0], _tile_multiples(op, graph))]


# --------------------------------------------------------------------------------------------
# EXPAND_DIMS (an alias: see ops/reshape.py)


def _check_expand_dims(op: Operator, graph: Graph) -> None:
    (source,) = data_inputs(op, 1)
    check_dtypes(graph, [source, op.outputs[0]], ALL_DTYPES)
    check_same_quantization(graph, [source, op.outputs[0]])
    axis = constant_operand(op, graph, 1, "axis", SHAPE_DTYPES).reshape(-1)
    if axis.size != 1:
        raise UnsupportedError(f"the axis operand has {axis.size} values; expected one")
    shape = list(graph.tensor(source).shape)
    value = int(axis[0])
    if not -len(shape) - 1 <= value <= len(shape):
        raise UnsupportedError(f"axis {value} is out of range for rank {len(shape)} (valid: {-len(shape) - 1}..{len(shape)})")
    if value < 0:
        value += len(shape) + 1
    check_shape(graph, op.outputs[0], shape[:value] + [1] + shape[value:])


def _emit_alias(op: Operator, ctx: LowerContext) -> EmittedOp:
    raise AssertionError(f"{op.opcode} is an alias and generates no code")


# --------------------------------------------------------------------------------------------
# Folding of shape arithmetic done by operators of other families (ops/__init__.py attaches
# these to lowerings that have no fold of their own).


def _fold_strided_slice(op: Operator, graph: Graph) -> Optional[list[np.ndarray]]:
    if len(op.inputs) < 4 or any(i < 0 or not graph.tensor(i).is_constant for i in op.inputs[:4]):
        return None
    source, result = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if source.dtype != result.dtype or any(graph.tensor(i).dtype != "int32" for i in op.inputs[1:4]):
        return None
    begin, end, strides = (np.asarray(graph.tensor(i).data).reshape(-1).astype(np.int64) for i in op.inputs[1:4])
    if not len(begin) == len(end) == len(strides):
        return None
    try:
        axes = movement.slice_axes(source.shape, begin, end, strides, op.options)
    except ValueError:
        return None
    if any(axis.shrink and axis.count != 1 for axis in axes):
        return None
    dims = [axis for axis in axes if axis.input_dim is not None]
    if [axis.input_dim for axis in dims] != list(range(len(source.shape))):
        return None
    shape = [axis.count for axis in axes if not axis.shrink]
    if list(result.shape) != shape:
        return None
    data = np.asarray(source.data).reshape(source.shape)
    picked = data[np.ix_(*[np.arange(a.start, a.stop, a.stride, dtype=np.int64) for a in dims])] if dims else data
    return [picked.reshape(shape)]


def _fold_concatenation(op: Operator, graph: Graph) -> Optional[list[np.ndarray]]:
    inputs = [graph.tensor(i) for i in op.inputs if i >= 0]
    result = graph.tensor(op.outputs[0])
    if not inputs or not all(t.is_constant for t in inputs) or op.options.get("fused_activation_function", "NONE") != "NONE":
        return None
    if any(t.dtype != result.dtype or t.quant != result.quant or len(t.shape) != len(result.shape) for t in inputs):
        return None  # a change of quantization parameters would need requantization
    rank = len(result.shape)
    axis = int(op.options.get("axis", 0))
    if not -rank <= axis < rank:
        return None
    try:
        values = np.concatenate([np.asarray(t.data).reshape(t.shape) for t in inputs], axis=axis)
    except ValueError:
        return None
    return [values] if list(values.shape) == list(result.shape) else None


FOLDS_FOR_OTHER_FAMILIES = {"STRIDED_SLICE": _fold_strided_slice, "CONCATENATION": _fold_concatenation}


LOWERINGS: list[OpLowering] = [
    OpLowering(
        opcode="SHAPE", check=_check_shape_op, emit=_emit_shape, headers=COPY_HEADERS, sources=COPY_SOURCES,
        fold=_fold_shape, dtypes=ALL_DTYPES,
    ),
    OpLowering(
        opcode="BROADCAST_ARGS", check=_check_broadcast_args, emit=_emit_broadcast_args, headers=COPY_HEADERS,
        sources=COPY_SOURCES, fold=_fold_broadcast_args, dtypes=SHAPE_DTYPES,
    ),
    OpLowering(
        opcode="BROADCAST_TO", check=_check_broadcast_to, emit=_emit_broadcast_to, headers=COPY_HEADERS,
        sources=COPY_SOURCES, fold=fold_when_constant(_check_broadcast_to, _eval_broadcast_to), dtypes=ALL_DTYPES,
    ),
    OpLowering(
        opcode="TILE", check=_check_tile, emit=_emit_tile, headers=COPY_HEADERS,
        sources=COPY_SOURCES, fold=fold_when_constant(_check_tile, _eval_tile), dtypes=ALL_DTYPES,
    ),
    OpLowering(opcode="EXPAND_DIMS", check=_check_expand_dims, emit=_emit_alias, alias_input=True, dtypes=ALL_DTYPES),
]
