"""ONE_HOT: indices (int32 or int64, any rank) become one-hot rows along a new axis.

LiteRT's one_hot.cc: inputs indices, depth (an int32 scalar; constant here, since it sets the
output shape), on_value and off_value (one element each, of the output's type); option axis, -1
meaning after the last dimension of the indices, otherwise 0 <= axis <= rank(indices). The
output has the indices' shape with `depth` inserted at the axis, and holds on_value where the
index (an int64 truncated to int first) equals the position along the axis, off_value elsewhere:
an index outside [0, depth) gives a row of off_value. Values are copied, never requantized
(int8/uint8 outputs keep on/off's stored bytes, as LiteRT does). Types: float32, int32, int64,
int8, uint8 and bool outputs (LiteRT's Prepare accepts int16 but its Eval has no int16 case).
Every operand constant: folded at generation time.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from ._emit import check_arity, flat_size
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/one_hot.h",)
SOURCES = ("one_hot.c",)
VALUE_DTYPES = ("float32", "int32", "int64", "int8", "uint8", "bool")
INDEX_DTYPES = ("int32", "int64")


def _geometry(op: Operator, graph: Graph) -> tuple[int, int, int]:
    """(outer, depth, inner): the output viewed as [outer][depth][inner]."""
    indices = graph.tensor(op.inputs[0])
    rank = len(indices.shape)
    axis = int(op.options.get("axis", 0))
    axis = rank if axis == -1 else axis
    depth = int(np.asarray(graph.tensor(op.inputs[1]).data).reshape(-1)[0])
    return flat_size(indices.shape[:axis]), depth, flat_size(indices.shape[axis:])


def _check(op: Operator, graph: Graph) -> None:
    check_arity(op, 4)
    indices, depth_t, on, off = (graph.tensor(i) for i in op.inputs)
    output = graph.tensor(op.outputs[0])
    if indices.dtype not in INDEX_DTYPES:
        raise UnsupportedError(f"ONE_HOT with {indices.dtype} indices is not supported; supported: int32, int64")
    if output.dtype not in VALUE_DTYPES:
        raise UnsupportedError(
            f"ONE_HOT with a {output.dtype} output is not supported (LiteRT has no kernel for it); supported: "
            + ", ".join(VALUE_DTYPES)
        )
    if on.dtype != output.dtype or off.dtype != output.dtype:
        raise UnsupportedError(
            f"ONE_HOT: on_value ({on.dtype}) and off_value ({off.dtype}) must have the output's type ({output.dtype})"
        )
    if on.num_elements != 1 or off.num_elements != 1:
        raise UnsupportedError("ONE_HOT: on_value and off_value must have one element each")
    if depth_t.dtype != "int32" or depth_t.num_elements != 1:
        raise UnsupportedError(f"ONE_HOT: depth must be one int32 value, got {depth_t.dtype}{list(depth_t.shape)}")
    if not depth_t.is_constant:
        raise UnsupportedError("ONE_HOT with a depth computed at run time is not supported (a dynamic shape)")
    depth = int(np.asarray(depth_t.data).reshape(-1)[0])
    if depth < 0:
        raise UnsupportedError(f"ONE_HOT: depth {depth} is negative")
    rank = len(indices.shape)
    axis = int(op.options.get("axis", 0))
    if axis != -1 and not 0 <= axis <= rank:
        raise UnsupportedError(
            f"ONE_HOT: axis {axis} is not supported for rank-{rank} indices; use -1 or 0..{rank} (as LiteRT)"
        )
    axis = rank if axis == -1 else axis
    expected = (*indices.shape[:axis], depth, *indices.shape[axis:])
    if tuple(output.shape) != expected:
        raise UnsupportedError(f"ONE_HOT: the output shape {list(output.shape)} should be {list(expected)}")


def _one_hot(indices: np.ndarray, outer: int, depth: int, inner: int, on: np.ndarray, off: np.ndarray) -> np.ndarray:
    low = indices.astype(np.int64).reshape(outer, 1, inner).astype(np.uint32)  # static_cast<int>: low 32 bits
    hot = low == np.arange(depth, dtype=np.uint32).reshape(1, depth, 1)
    return np.where(hot, on.reshape(-1)[0], off.reshape(-1)[0]).astype(on.dtype)


def _fold(op: Operator, graph: Graph) -> Optional[Sequence[np.ndarray]]:
    if len(op.inputs) != 4 or any(i < 0 or not graph.tensor(i).is_constant for i in op.inputs):
        return None
    try:
        _check(op, graph)
    except UnsupportedError:
        return None
    outer, depth, inner = _geometry(op, graph)
    indices, _, on, off = (np.asarray(graph.tensor(i).data) for i in op.inputs)
    output = graph.tensor(op.outputs[0])
    return [_one_hot(indices, outer, depth, inner, on, off).reshape(output.shape)]


def _emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    outer, depth, inner = _geometry(op, graph)
    indices, _, on, off = op.inputs
    fields = {
        "outer": outer,
        "depth": depth,
        "inner": inner,
        "index_bytes": np.dtype(graph.tensor(indices).dtype).itemsize,
        "value_bytes": np.dtype(graph.tensor(op.outputs[0]).dtype).itemsize,
    }
    name = ctx.params("mtvm_one_hot_params_t", fields)
    call = (
        f"mtvm_one_hot(&{name}, {ctx.buf(indices)}, {ctx.buf(on)}, {ctx.buf(off)}, {ctx.buf(op.outputs[0])});"
    )
    return EmittedOp(call=call)


LOWERINGS: list[OpLowering] = [
    OpLowering("ONE_HOT", _check, _emit, HEADERS, SOURCES, fold=_fold, dtypes=VALUE_DTYPES),
]
