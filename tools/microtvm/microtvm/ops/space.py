"""DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and MIRROR_PAD.

Pure data movement, generic over the element size, with every index computed here:
- DEPTH_TO_SPACE / SPACE_TO_DEPTH (NHWC, TFLite's DCR order: depth index (i * block + j) * C + c)
  are one strided copy over a six-dimensional view;
- BATCH_TO_SPACE_ND is one strided copy per position (i, j) inside the block: input batch
  (i * block_w + j) * batches + b lands on output rows i, i + block_h, ..., less the crops;
- SPACE_TO_BATCH_ND fills the output with the padding value, then does the inverse copies.
  LiteRT pads int8 with the zero point (it requires the input's to equal the output's), int16
  with 0 (it requires a zero point of 0), other types with zero bytes (0.0f, 0, false);
- MIRROR_PAD (REFLECT excludes the border element, SYMMETRIC repeats it) reads every output
  row through a per-dimension table of source offsets (runtime/src/mirror_pad.c); paddings up
  to the dimension size minus 1 (REFLECT) or the dimension size (SYMMETRIC), as TFLite allows.
BATCH_TO_SPACE_ND and SPACE_TO_BATCH_ND take rank 4 (NHWC, 2 spatial dimensions) or rank 3 (one
spatial dimension), as TFLite does, with constant int32 block shapes, crops and paddings.
BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and MIRROR_PAD require int8/int16 input and output to share
scale and zero point, as TFLite's kernels do.

Data types (what LiteRT's reference kernels accept among float32, int8, int16, int32, int64 and
bool): DEPTH_TO_SPACE and SPACE_TO_DEPTH float32, int8, int32, int64; the other three all six.
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
    StridedCopy,
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

DEPTH_DTYPES = ("float32", "int8", "int32", "int64")
MAX_MIRROR_RANK = 8  # MTVM_MIRROR_PAD_MAX_RANK in runtime/include/mtvm/space.h


# --------------------------------------------------------------------------------------------
# DEPTH_TO_SPACE and SPACE_TO_DEPTH


def _block_size(op: Operator, graph: Graph) -> tuple[list[int], int]:
    (source,) = data_inputs(op, 1)
    shape = list(graph.tensor(source).shape)
    if len(shape) != 4:
        raise UnsupportedError(f"the input has rank {len(shape)}; TFLite's kernel takes rank 4 (NHWC)")
    block = int(op.options.get("block_size", 0))
    if block < 1:
        raise UnsupportedError(f"block_size {block} is not supported; it must be 1 or more")
    return shape, block


def _depth_to_space_shape(op: Operator, graph: Graph) -> list[int]:
    (n, h, w, d), block = _block_size(op, graph)
    if d % (block * block):
        raise UnsupportedError(f"depth {d} is not a multiple of block_size^2 = {block * block}")
    return [n, h * block, w * block, d // (block * block)]


def _space_to_depth_shape(op: Operator, graph: Graph) -> list[int]:
    (n, h, w, c), block = _block_size(op, graph)
    if h % block or w % block:
        raise UnsupportedError(f"height {h} and width {w} must be multiples of block_size {block}")
    return [n, h // block, w // block, c * block * block]


def _check_depth(shape_of: Callable[[Operator, Graph], list[int]]) -> Callable[[Operator, Graph], None]:
    def check(op: Operator, graph: Graph) -> None:
        check_dtypes(graph, [op.inputs[0], op.outputs[0]], DEPTH_DTYPES)
        check_shape(graph, op.outputs[0], shape_of(op, graph))

    return check


def _depth_to_space_copy(op: Operator, graph: Graph) -> StridedCopy:
    """Output order (b, h, i, w, j, c) reads input[b, h, w, (i * block + j) * C + c]."""
    (n, h, w, d), block = _block_size(op, graph)
    c = d // (block * block)
    shape = [n, h, block, w, block, c]
    src = [h * w * d, w * d, block * c, d, c, 1]
    return block_copy(shape, src, 0, itemsize(graph, op.inputs[0]))


def _space_to_depth_copy(op: Operator, graph: Graph) -> StridedCopy:
    """Output order (b, h, w, i, j, c) reads input[b, h * block + i, w * block + j, c]."""
    (n, h, w, c), block = _block_size(op, graph)
    shape = [n, h // block, w // block, block, block, c]
    src = [h * w * c, block * w * c, block * c, w * c, c, 1]
    return block_copy(shape, src, 0, itemsize(graph, op.inputs[0]))


def _emit_depth(plan: Callable[[Operator, Graph], StridedCopy]) -> Callable[[Operator, LowerContext], EmittedOp]:
    def emit(op: Operator, ctx: LowerContext) -> EmittedOp:
        return emit_copies(ctx, [(plan(op, ctx.graph), op.inputs[0], op.outputs[0])])

    return emit


def _eval_depth_to_space(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    (n, h, w, d), block = _block_size(op, graph)
    x = arrays[0].reshape(n, h, w, block, block, d // (block * block)).transpose(0, 1, 3, 2, 4, 5)
    return [x.reshape(_depth_to_space_shape(op, graph))]


def _eval_space_to_depth(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    (n, h, w, c), block = _block_size(op, graph)
    x = arrays[0].reshape(n, h // block, block, w // block, block, c).transpose(0, 1, 3, 2, 4, 5)
    return [x.reshape(_space_to_depth_shape(op, graph))]


# --------------------------------------------------------------------------------------------
# BATCH_TO_SPACE_ND and SPACE_TO_BATCH_ND, on a 4-D view [batch, height, width, channels]


def _batch_space_operands(op: Operator, graph: Graph, what: str) -> tuple[list[int], list[int], list[list[int]]]:
    """(4-D input view, block [bh, bw], crops or paddings [[top, bottom], [left, right]])."""
    (source,) = data_inputs(op, 1)
    shape = list(graph.tensor(source).shape)
    if len(shape) not in (3, 4):
        raise UnsupportedError(f"the input has rank {len(shape)}; TFLite's kernel takes rank 3 or 4")
    spatial = len(shape) - 2
    block = [int(b) for b in constant_operand(op, graph, 1, "block shape", ("int32",)).reshape(-1)]
    amounts = constant_operand(op, graph, 2, what, ("int32",))
    if len(block) != spatial or amounts.shape != (spatial, 2):
        raise UnsupportedError(
            f"a rank-{len(shape)} input needs a block shape of {spatial} values and {what} of shape [{spatial}, 2]"
        )
    if any(b < 1 for b in block) or (amounts < 0).any():
        raise UnsupportedError(f"block shape {block} must be positive and the {what} non-negative")
    pairs = [[int(a), int(b)] for a, b in amounts]
    if spatial == 1:  # [batch, height, channels] is [batch, height, 1, channels]
        shape, block, pairs = [shape[0], shape[1], 1, shape[2]], block + [1], pairs + [[0, 0]]
    return shape, block, pairs


def _declared(graph: Graph, op: Operator, shape4: Sequence[int]) -> list[int]:
    """The 4-D view of an output shape in the input's rank."""
    if len(graph.tensor(op.inputs[0]).shape) == 3:
        return [shape4[0], shape4[1], shape4[3]]
    return list(shape4)


def _batch_to_space_shape(op: Operator, graph: Graph) -> list[int]:
    (n, h, w, c), (bh, bw), ((top, bottom), (left, right)) = _batch_space_operands(op, graph, "crops")
    if n % (bh * bw):
        raise UnsupportedError(f"batch {n} is not a multiple of the block size {bh * bw}")
    out_h, out_w = h * bh - top - bottom, w * bw - left - right
    if out_h < 0 or out_w < 0:
        raise UnsupportedError("the crops are larger than the output")
    return [n // (bh * bw), out_h, out_w, c]


def _space_to_batch_shape(op: Operator, graph: Graph) -> list[int]:
    (n, h, w, c), (bh, bw), ((top, bottom), (left, right)) = _batch_space_operands(op, graph, "paddings")
    padded_h, padded_w = h + top + bottom, w + left + right
    if padded_h % bh or padded_w % bw:
        raise UnsupportedError(f"the padded size {padded_h}x{padded_w} is not a multiple of the block {bh}x{bw}")
    return [n * bh * bw, padded_h // bh, padded_w // bw, c]


def _valid_range(count: int, block: int, shift: int, offset: int, limit: int) -> tuple[int, int]:
    """Indices k in [0, count) with 0 <= k * block + shift - offset < limit: (first, number)."""
    first = max(0, -(-(offset - shift) // block))
    last = min(count - 1, (limit - 1 + offset - shift) // block)
    return first, max(0, last - first + 1)


def _batch_space_copies(op: Operator, graph: Graph, to_space: bool) -> list[StridedCopy]:
    """One copy per block position (i, j) between the batch-major side [n * bh * bw, sh, sw, c]
    and the space side [n, height, width, c] (offset by the crops or paddings)."""
    what = "crops" if to_space else "paddings"
    shape, (bh, bw), ((top, _), (left, _)) = _batch_space_operands(op, graph, what)
    if to_space:
        n, out_h, out_w, c = _batch_to_space_shape(op, graph)
        _, sh, sw, _ = shape  # batch side = input
    else:
        n, out_h, out_w, c = shape  # space side = input
        _, sh, sw, _ = _space_to_batch_shape(op, graph)
    item = itemsize(graph, op.inputs[0])
    copies = []
    for i in range(bh):
        for j in range(bw):
            h0, nh = _valid_range(sh, bh, i, top, out_h)
            w0, nw = _valid_range(sw, bw, j, left, out_w)
            # Batch side element (b, k, l, ch) at batch (i * bw + j) * n + b, row k, column l.
            batch_strides = [sh * sw * c, sw * c, c, 1]
            batch_offset = (i * bw + j) * n * sh * sw * c + h0 * sw * c + w0 * c
            # Space side: row k * bh + i - top, column l * bw + j - left.
            space_strides = [out_h * out_w * c, bh * out_w * c, bw * c, 1]
            space_offset = (h0 * bh + i - top) * out_w * c + (w0 * bw + j - left) * c
            block = [n, nh, nw, c]
            if to_space:
                copy = block_copy(block, batch_strides, batch_offset, item, space_strides, space_offset)
            else:
                copy = block_copy(block, space_strides, space_offset, item, batch_strides, batch_offset)
            copies.append(copy)
    return copies


def _check_batch_to_space(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    check_same_quantization(graph, [op.inputs[0], op.outputs[0]])
    check_shape(graph, op.outputs[0], _declared(graph, op, _batch_to_space_shape(op, graph)))


def _pad_byte(op: Operator, graph: Graph) -> int:
    """LiteRT's padding value as a byte: the zero point for int8, zero bytes otherwise."""
    result = graph.tensor(op.outputs[0])
    if result.dtype != "int8" or result.quant is None:
        return 0
    return int(result.quant.zero_point[0]) & 0xFF


def _zero_point(graph: Graph, tensor: int) -> int:
    quant = graph.tensor(tensor).quant
    return 0 if quant is None else int(quant.zero_point[0])


def _check_space_to_batch(op: Operator, graph: Graph) -> None:
    dtype = check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    check_shape(graph, op.outputs[0], _declared(graph, op, _space_to_batch_shape(op, graph)))
    check_same_quantization(graph, [op.inputs[0], op.outputs[0]])
    if dtype == "int16" and _zero_point(graph, op.inputs[0]):
        raise UnsupportedError("int16 tensors must have zero point 0 (TFLite's kernel requires it)")


def _emit_batch_to_space(op: Operator, ctx: LowerContext) -> EmittedOp:
    copies = _batch_space_copies(op, ctx.graph, to_space=True)
    return emit_copies(ctx, [(copy, op.inputs[0], op.outputs[0]) for copy in copies])


def _emit_space_to_batch(op: Operator, ctx: LowerContext) -> EmittedOp:
    output = ctx.graph.tensor(op.outputs[0])
    fill = _pad_byte(op, ctx.graph)
    note = f" /* zero point {_zero_point(ctx.graph, op.outputs[0])} */" if output.dtype == "int8" else ""
    prologue = f"mtvm_fill_bytes({ctx.buf(op.outputs[0])}, {fill}, {output.nbytes});{note}"
    copies = _batch_space_copies(op, ctx.graph, to_space=False)
    return emit_copies(ctx, [(copy, op.inputs[0], op.outputs[0]) for copy in copies], prologue=prologue)


def _eval_batch_to_space(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    shape, (bh, bw), ((top, _), (left, _)) = _batch_space_operands(op, graph, "crops")
    n, out_h, out_w, c = _batch_to_space_shape(op, graph)
    _, h, w, _ = shape
    x = arrays[0].reshape(bh, bw, n, h, w, c).transpose(2, 3, 0, 4, 1, 5).reshape(n, h * bh, w * bw, c)
    return [x[:, top : top + out_h, left : left + out_w, :].reshape(graph.tensor(op.outputs[0]).shape)]


def _eval_space_to_batch(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    shape, (bh, bw), ((top, bottom), (left, right)) = _batch_space_operands(op, graph, "paddings")
    n, h, w, c = shape
    fill = np.array(_pad_byte(op, graph) if arrays[0].dtype == np.int8 else 0).astype(arrays[0].dtype)
    padded = np.full((n, h + top + bottom, w + left + right, c), fill, arrays[0].dtype)
    padded[:, top : top + h, left : left + w, :] = arrays[0].reshape(shape)
    sh, sw = padded.shape[1] // bh, padded.shape[2] // bw
    x = padded.reshape(n, sh, bh, sw, bw, c).transpose(2, 4, 0, 1, 3, 5)
    return [x.reshape(graph.tensor(op.outputs[0]).shape)]


# --------------------------------------------------------------------------------------------
# MIRROR_PAD


def _mirror_operands(op: Operator, graph: Graph) -> tuple[list[int], list[tuple[int, int]], bool]:
    (source,) = data_inputs(op, 1)
    shape = list(graph.tensor(source).shape)
    if len(shape) > MAX_MIRROR_RANK:
        raise UnsupportedError(f"rank {len(shape)} is not supported; at most {MAX_MIRROR_RANK} dimensions")
    mode = op.options.get("mode", "REFLECT")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise UnsupportedError(f"mode {mode} is not supported; use REFLECT or SYMMETRIC")
    paddings = constant_operand(op, graph, 1, "paddings", ("int32", "int64"))
    if paddings.shape != (len(shape), 2):
        raise UnsupportedError(f"paddings have shape {list(paddings.shape)}; expected [{len(shape)}, 2]")
    reflect = mode == "REFLECT"
    pairs = [(int(a), int(b)) for a, b in paddings]
    for d, ((before, after), n) in enumerate(zip(pairs, shape)):
        limit = n - 1 if reflect else n
        if min(before, after) < 0 or max(before, after) > limit:
            raise UnsupportedError(
                f"paddings {[before, after]} of dimension {d} (size {n}) are not supported; {mode} allows 0 to {limit}"
            )
    return shape, pairs, reflect


def _mirror_index(o: int, n: int, before: int, reflect: bool) -> int:
    """The input index that output index o of a padded dimension copies."""
    i = o - before
    if i < 0:
        return -i if reflect else -i - 1
    if i >= n:
        return 2 * n - 2 - i if reflect else 2 * n - 1 - i
    return i


def _mirror_maps(op: Operator, graph: Graph) -> list[list[int]]:
    shape, pairs, reflect = _mirror_operands(op, graph)
    return [[_mirror_index(o, n, b, reflect) for o in range(n + b + a)] for n, (b, a) in zip(shape, pairs)]


def _check_mirror_pad(op: Operator, graph: Graph) -> None:
    check_dtypes(graph, [op.inputs[0], op.outputs[0]], ALL_DTYPES)
    check_same_quantization(graph, [op.inputs[0], op.outputs[0]])
    shape, pairs, _ = _mirror_operands(op, graph)
    check_shape(graph, op.outputs[0], [n + b + a for n, (b, a) in zip(shape, pairs)])


def mirror_pad_plan(op: Operator, graph: Graph) -> tuple[list[int], int, np.ndarray, list[int]]:
    """(loop extents, run bytes, offset table, table start per loop): innermost dimensions without
    padding become the contiguous run, extents of 1 are dropped, each other dimension gets a
    table of source byte offsets."""
    shape, pairs, _ = _mirror_operands(op, graph)
    maps = _mirror_maps(op, graph)
    item = itemsize(graph, op.inputs[0])
    strides = contiguous_strides(shape)
    run = item
    rank = len(shape)
    while rank and pairs[rank - 1] == (0, 0):
        rank -= 1
        run *= shape[rank]
    extents, tables, starts = [], [], []
    for d in range(rank):
        if len(maps[d]) == 1:
            continue  # a single row: offset 0 (its only input index is 0)
        starts.append(sum(len(t) for t in tables))
        tables.append([m * strides[d] * item for m in maps[d]])
        extents.append(len(maps[d]))
    table = np.array([v for t in tables for v in t] or [0], np.int32)
    return extents, run, table, starts


def _emit_mirror_pad(op: Operator, ctx: LowerContext) -> EmittedOp:
    extents, run, table, starts = mirror_pad_plan(op, ctx.graph)
    if ctx.graph.tensor(op.outputs[0]).num_elements == 0:
        return EmittedOp(call="/* empty output: nothing to copy */")
    fields = {"rank": len(extents), "run_bytes": run, "shape": list(extents), "table_start": list(starts)}
    name = ctx.params("mtvm_mirror_pad_params_t", fields)
    offsets = ctx.const("mirror_offsets", table)
    call = f"mtvm_mirror_pad(&{name}, {offsets}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _eval_mirror_pad(op: Operator, graph: Graph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    maps = _mirror_maps(op, graph)
    return [arrays[0][np.ix_(*[np.array(m, np.int64) for m in maps])]]


# --------------------------------------------------------------------------------------------


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    evaluate: Callable[[Operator, Graph, list[np.ndarray]], list[np.ndarray]],
    dtypes: Sequence[str],
    headers: Sequence[str] = COPY_HEADERS,
    sources: Sequence[str] = COPY_SOURCES,
) -> OpLowering:
    return OpLowering(
        opcode=opcode,
        check=check,
        emit=emit,
        headers=tuple(headers),
        sources=tuple(sources),
        fold=fold_when_constant(check, evaluate),
        dtypes=tuple(dtypes),
    )


LOWERINGS: list[OpLowering] = [
    _lowering(
        "DEPTH_TO_SPACE", _check_depth(_depth_to_space_shape), _emit_depth(_depth_to_space_copy),
        _eval_depth_to_space, DEPTH_DTYPES,
    ),
    _lowering(
        "SPACE_TO_DEPTH", _check_depth(_space_to_depth_shape), _emit_depth(_space_to_depth_copy),
        _eval_space_to_depth, DEPTH_DTYPES,
    ),
    _lowering("BATCH_TO_SPACE_ND", _check_batch_to_space, _emit_batch_to_space, _eval_batch_to_space, ALL_DTYPES),
    _lowering(
        "SPACE_TO_BATCH_ND", _check_space_to_batch, _emit_space_to_batch, _eval_space_to_batch, ALL_DTYPES,
        headers=(*COPY_HEADERS, "mtvm/space.h"),
    ),
    _lowering(
        "MIRROR_PAD", _check_mirror_pad, _emit_mirror_pad, _eval_mirror_pad, ALL_DTYPES,
        headers=("mtvm/space.h",), sources=("mirror_pad.c",),
    ),
]
