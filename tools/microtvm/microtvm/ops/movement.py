"""CONCATENATION, PAD, STRIDED_SLICE, TRANSPOSE, QUANTIZE and DEQUANTIZE.

The four data-movement operators never change a value, so they are lowered to one C primitive,
`mtvm_strided_copy`: a loop nest over byte strides. All index arithmetic (masks, negative
indices, permutations, paddings) is done here, at generation time, from the constant shape
operands; the C side only loops. LiteRT copies the bytes of these operators unchanged (an int8
PAD, TRANSPOSE or STRIDED_SLICE whose output has other quantization parameters is not
requantized, and CONCATENATION requires equal parameters), so the copies are bit-exact.

The copies are generic by element size, so every element type these operators accept (int8,
int16, int32, float32; PAD and PADV2 also int64 and bool) shares one kernel. PAD and PADV2 fill
with an element-sized pattern.

QUANTIZE and DEQUANTIZE follow TFLite's reference arithmetic:
- float32 -> int8/int16: round(x / scale) + zero_point in float32, halves away from zero,
  saturated; per tensor or per channel (per_channel_s8.c, per_channel_s16.c);
- int8 -> int8, uint8 <-> int8: TFLite's Requantize (a q31 multiplier of in_scale / out_scale
  computed in double), precomputed here for all 256 inputs as a lookup table (int8 -> int8 runs
  the shared int8 table kernel mtvm_lut_s8, ops/lut.py);
- int16 -> int8/int16: the same Requantize per element (requantize_s16.c);
- int8/int16 -> float32: scale * (q - zero_point), per tensor or per channel.
- int8 -> int16: Requantize tabulated for the 256 inputs (requantize_s8_s16.c).
- uint8 (legacy model boundaries): float32 -> uint8 (quantize_u8.c), uint8 -> float32
  (dequantize_u8.c), uint8 <-> int8 and uint8 -> uint8 (byte tables, requantize_lut_8.c), and
  uint8 -> int16 (Requantize tabulated by input byte, requantize_u8_s16.c); per tensor.
"""
from __future__ import annotations

import dataclasses

import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import CValue, EmittedOp, LowerContext, OpLowering
from .lut import LUT_SOURCES, emit_lut_s8, int8_table

MAX_COPY_RANK = 8  # MTVM_COPY_MAX_RANK in runtime/include/mtvm/movement.h
_HEADERS = ("mtvm/movement.h",)
_COPY_SOURCES = ("strided_copy.c",)  # mtvm_strided_copy: every data-movement operator
_PAD_SOURCES = ("pad.c", "strided_copy.c")
_COPY_DTYPES = ("int8", "int16", "int32", "float32")  # element types the movement operators accept
_QUANTIZED_COPY_DTYPES = ("int8", "int16")
_PAD_DTYPES = (*_COPY_DTYPES[:-1], "int64", "bool", "float32")  # PAD/PADV2 also pad int64 and bool (as LiteRT)


# --------------------------------------------------------------------------------------------
# The strided copy: planning in Python, a static const parameter struct in C.


@dataclass(frozen=True)
class StridedCopy:
    """One call of mtvm_strided_copy; offsets and strides in bytes (see movement.h)."""

    shape: tuple[int, ...]
    src_strides: tuple[int, ...]
    dst_strides: tuple[int, ...]
    src_offset: int
    dst_offset: int
    run_bytes: int


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major element strides of `shape`."""
    strides = []
    step = 1
    for extent in reversed(shape):
        strides.append(step)
        step *= int(extent)
    return tuple(reversed(strides))


def plan_copy(
    shape: Sequence[int],
    src_strides: Sequence[int],
    dst_strides: Sequence[int],
    src_offset: int,
    dst_offset: int,
    itemsize: int,
) -> StridedCopy:
    """Describe copying every index of `shape` (element strides and offsets) with the fewest loops.

    Extents of 1 are dropped, neighbouring dimensions that are contiguous in both source and
    destination are merged, and an innermost dimension with unit stride on both sides becomes
    one contiguous run (a memcpy). An empty shape copies nothing: it is kept as a single loop of
    extent 0 so the kernel needs no special case.
    """
    dims = [(int(n), int(s), int(d)) for n, s, d in zip(shape, src_strides, dst_strides)]
    if any(n == 0 for n, _, _ in dims):
        return StridedCopy((0,), (0,), (0,), 0, 0, itemsize)
    dims = [dim for dim in dims if dim[0] != 1]
    merged: list[tuple[int, int, int]] = []
    for n, s, d in dims:
        if merged:
            outer_n, outer_s, outer_d = merged[-1]
            if outer_s == s * n and outer_d == d * n:
                merged[-1] = (outer_n * n, s, d)
                continue
        merged.append((n, s, d))
    run = 1
    if merged and merged[-1][1] == 1 and merged[-1][2] == 1:
        run = merged.pop()[0]
    if len(merged) > MAX_COPY_RANK:
        raise UnsupportedError(
            f"a copy needs {len(merged)} nested loops; at most {MAX_COPY_RANK} are supported"
        )
    return StridedCopy(
        shape=tuple(n for n, _, _ in merged),
        src_strides=tuple(s * itemsize for _, s, _ in merged),
        dst_strides=tuple(d * itemsize for _, _, d in merged),
        src_offset=int(src_offset) * itemsize,
        dst_offset=int(dst_offset) * itemsize,
        run_bytes=run * itemsize,
    )


def copy_fields(copy: StridedCopy) -> dict[str, CValue]:
    """The fields of an mtvm_copy_params_t (arrays of MTVM_COPY_MAX_RANK: C zero-fills the rest)."""
    return {
        "rank": len(copy.shape),
        "run_bytes": copy.run_bytes,
        "src_offset": copy.src_offset,
        "dst_offset": copy.dst_offset,
        "shape": list(copy.shape),
        "src_stride": list(copy.src_strides),
        "dst_stride": list(copy.dst_strides),
    }


def _emit_copies(ctx: LowerContext, copies: Sequence[tuple[StridedCopy, int]], output: int) -> EmittedOp:
    """One mtvm_strided_copy per (copy, source tensor) into the output tensor."""
    calls = []
    for k, (copy, source) in enumerate(copies):
        name = ctx.params("mtvm_copy_params_t", copy_fields(copy), name=f"copy{k}")
        calls.append(f"mtvm_strided_copy(&{name}, {ctx.buf(source)}, {ctx.buf(output)});")
    return EmittedOp(call="\n".join(calls))


# --------------------------------------------------------------------------------------------
# Shared checks. Messages say what is wrong and what is supported; passes.validate prefixes them
# with the model, the operator index and the opcode.


def _check_copy_dtypes(
    op: Operator, graph: Graph, data_inputs: Sequence[int], dtypes: Sequence[str] = _COPY_DTYPES
) -> None:
    """int8, int16, int32 or float32 data (or `dtypes`), the same type in and out, per-tensor
    quantization."""
    output = graph.tensor(op.outputs[0])
    for index in (*data_inputs, op.outputs[0]):
        tensor = graph.tensor(index)
        if tensor.dtype not in dtypes:
            raise UnsupportedError(
                f"{tensor.dtype} tensors are not supported; use {', '.join(dtypes[:-1])} or {dtypes[-1]}"
            )
        if tensor.dtype != output.dtype:
            raise UnsupportedError(f"input type {tensor.dtype} differs from output type {output.dtype}")
        if tensor.quant is not None and tensor.quant.per_channel:
            raise UnsupportedError(
                "per-channel quantized activations are not supported; use per-tensor quantization"
            )


def _constant_operand(
    op: Operator, graph: Graph, position: int, what: str, dtypes: Sequence[str]
) -> np.ndarray:
    """The data of a shape operand, which must be a constant of one of `dtypes`."""
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise UnsupportedError(f"the {what} operand is missing")
    tensor = graph.tensor(op.inputs[position])
    if not tensor.is_constant:
        raise UnsupportedError(
            f"the {what} must be constant (a tensor stored in the model); computed {what} are not supported"
        )
    if tensor.dtype not in dtypes:
        raise UnsupportedError(f"{tensor.dtype} {what} are not supported; use {' or '.join(dtypes)}")
    return np.asarray(tensor.data).astype(np.int64)


def _scale_and_zero_point(tensor: Tensor) -> tuple[float, int]:
    """Per-tensor parameters (scale 0 and zero point 0 when the tensor is not quantized)."""
    if tensor.quant is None:
        return 0.0, 0
    return float(tensor.quant.scale[0]), int(tensor.quant.zero_point[0])


def _check_output_shape(op: Operator, graph: Graph, expected: Sequence[int]) -> None:
    actual = tuple(graph.tensor(op.outputs[0]).shape)
    if actual != tuple(int(e) for e in expected):
        raise UnsupportedError(
            f"the model declares output shape {list(actual)} but the operands give "
            f"{[int(e) for e in expected]}; re-export the model with static shapes"
        )


# --------------------------------------------------------------------------------------------
# CONCATENATION


def _concat_axis(op: Operator, graph: Graph) -> int:
    rank = len(graph.tensor(op.outputs[0]).shape)
    axis = int(op.options.get("axis", 0))
    return axis + rank if axis < 0 else axis


def _check_concatenation(op: Operator, graph: Graph) -> None:
    inputs = [i for i in op.inputs if i >= 0]
    if not inputs:
        raise UnsupportedError("the operator has no inputs")
    _check_copy_dtypes(op, graph, inputs)
    activation = op.options.get("fused_activation_function", "NONE")
    if activation != "NONE":
        raise UnsupportedError(
            f"fused activation {activation} is not supported (TFLite rejects it too); use NONE"
        )
    output = graph.tensor(op.outputs[0])
    rank = len(output.shape)
    axis = _concat_axis(op, graph)
    if not 0 <= axis < rank:
        raise UnsupportedError(f"axis {op.options.get('axis', 0)} is out of range for rank {rank}")
    total = 0
    for index in inputs:
        tensor = graph.tensor(index)
        if len(tensor.shape) != rank or any(
            tensor.shape[d] != output.shape[d] for d in range(rank) if d != axis
        ):
            raise UnsupportedError(
                f"input shape {list(tensor.shape)} does not fit output shape {list(output.shape)} "
                f"along axis {axis}"
            )
        total += tensor.shape[axis]
        if output.dtype == "int16" and (_scale_and_zero_point(tensor)[1] or _scale_and_zero_point(output)[1]):
            raise UnsupportedError(
                "int16 tensors must have zero point 0 (16x8 quantization is symmetric, as TFLite requires)"
            )
        if output.dtype == "int8" and _scale_and_zero_point(tensor) != _scale_and_zero_point(output):
            # TFLite's int8 kernel only copies; it refuses inputs that would need rescaling.
            raise UnsupportedError(
                "int8 inputs must have the output's scale and zero point (TFLite does not rescale "
                "int8 concatenation); requantize the inputs first"
            )
    if total != output.shape[axis]:
        raise UnsupportedError(
            f"inputs add up to {total} along axis {axis}, the output has {output.shape[axis]}"
        )


def concatenation_copies(op: Operator, graph: Graph) -> list[tuple[StridedCopy, int]]:
    """One copy per input: its whole block into the output, shifted along the axis."""
    output = graph.tensor(op.outputs[0])
    axis = _concat_axis(op, graph)
    out_strides = contiguous_strides(output.shape)
    itemsize = np.dtype(output.dtype).itemsize
    copies = []
    position = 0
    for index in (i for i in op.inputs if i >= 0):
        shape = graph.tensor(index).shape
        offset = position * out_strides[axis]
        copy = plan_copy(shape, contiguous_strides(shape), out_strides, 0, offset, itemsize)
        copies.append((copy, index))
        position += shape[axis]
    return copies


def _emit_concatenation(op: Operator, ctx: LowerContext) -> EmittedOp:
    return _emit_copies(ctx, concatenation_copies(op, ctx.graph), op.outputs[0])


# --------------------------------------------------------------------------------------------
# PAD

_PAD_MAX_RANK = 5  # TFLite's reference PAD kernel


def _paddings(op: Operator, graph: Graph) -> np.ndarray:
    return _constant_operand(op, graph, 1, "paddings", ("int32", "int64"))


def _check_pad(op: Operator, graph: Graph) -> None:
    _check_copy_dtypes(op, graph, op.inputs[:1], _PAD_DTYPES)
    if op.opcode == "PADV2":
        _pad_fill(op, graph)  # checks the constant value
    source = graph.tensor(op.inputs[0])
    rank = len(source.shape)
    if rank > _PAD_MAX_RANK:
        raise UnsupportedError(
            f"rank {rank} is not supported; TFLite pads at most {_PAD_MAX_RANK} dimensions"
        )
    paddings = _paddings(op, graph)
    if paddings.shape != (rank, 2):
        raise UnsupportedError(f"paddings have shape {list(paddings.shape)}; expected [{rank}, 2]")
    if (paddings < 0).any():
        raise UnsupportedError("negative paddings are not supported (TFLite rejects them too)")
    padded = [n + int(before) + int(after) for n, (before, after) in zip(source.shape, paddings)]
    _check_output_shape(op, graph, padded)


def pad_interior(op: Operator, graph: Graph) -> StridedCopy:
    """The copy of the input into the padded output's interior."""
    source = graph.tensor(op.inputs[0])
    output = graph.tensor(op.outputs[0])
    out_strides = contiguous_strides(output.shape)
    before = [int(p[0]) for p in _paddings(op, graph)]
    offset = sum(b * s for b, s in zip(before, out_strides))
    itemsize = np.dtype(output.dtype).itemsize
    return plan_copy(source.shape, contiguous_strides(source.shape), out_strides, 0, offset, itemsize)


def _pad_fill(op: Operator, graph: Graph) -> np.ndarray:
    """The padding value, as one element of the output's type.

    PAD (and PADV2 without a constant value) pads a quantized output with its zero point (the
    input bytes are copied unchanged) and anything else with 0. PADV2 pads with its constant
    value, which TFLite requires to share the output's scale and zero point.
    """
    output = graph.tensor(op.outputs[0])
    dtype = np.dtype(output.dtype)
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = graph.tensor(op.inputs[2])
        if value.dtype != output.dtype:
            raise UnsupportedError(f"the constant value is {value.dtype}; it must have the output's type {output.dtype}")
        if not value.is_constant:
            raise UnsupportedError("the constant value must be constant (a tensor stored in the model)")
        if value.num_elements != 1:
            raise UnsupportedError(f"the constant value has {value.num_elements} elements; it must be a scalar")
        if output.dtype in _QUANTIZED_COPY_DTYPES and _scale_and_zero_point(value) != _scale_and_zero_point(output):
            raise UnsupportedError(
                "the constant value must have the output's scale and zero point (TFLite requires it)"
            )
        return np.asarray(value.data).reshape(-1)[:1].astype(dtype)
    zero_point = _scale_and_zero_point(output)[1] if output.dtype in _QUANTIZED_COPY_DTYPES else 0
    return np.array([zero_point], dtype=dtype)


def _emit_pad(op: Operator, ctx: LowerContext) -> EmittedOp:
    output = ctx.graph.tensor(op.outputs[0])
    fill = _pad_fill(op, ctx.graph)
    pattern = list(fill.astype(fill.dtype.newbyteorder("<")).tobytes())  # the targets are little-endian
    fields = {
        "dst_bytes": output.nbytes,
        "elem_bytes": len(pattern),
        "fill": pattern,  # the bytes of one padding value
        "interior": copy_fields(pad_interior(op, ctx.graph)),
    }
    name = ctx.params("mtvm_pad_params_t", fields, name="pad")
    call = f"mtvm_pad(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


# --------------------------------------------------------------------------------------------
# STRIDED_SLICE

_SLICE_MAX_RANK = 5  # TFLite's reference STRIDED_SLICE kernel, including added axes


@dataclass(frozen=True)
class SliceAxis:
    """One dimension of the slice after ellipsis and new axes are expanded.

    input_dim is None for an axis inserted by new_axis_mask. The elements taken are
    range(start, stop, stride), like TFLite's loop; shrink axes are left out of the output shape.
    """

    input_dim: Optional[int]
    start: int
    stop: int
    stride: int
    shrink: bool

    @property
    def count(self) -> int:
        return len(range(self.start, self.stop, self.stride))


def _bit(mask: int, i: int) -> bool:
    return i >= 0 and bool((mask >> i) & 1)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def slice_axes(
    input_shape: Sequence[int],
    begin: Sequence[int],
    end: Sequence[int],
    strides: Sequence[int],
    options: dict,
) -> list[SliceAxis]:
    """TFLite's (2.3 runtime) interpretation of STRIDED_SLICE's operands, one entry per axis.

    Follows its kernel: first the ellipsis is expanded over the input dimensions the spec does
    not name and new_axis_mask inserts extents of 1 (masks are indexed by spec position), then
    every axis gets a start clamped into the dimension and an end clamped one past it; begin_mask
    and end_mask take the whole range, a shrink axis takes one element, and with `offset` the end
    is relative to the start. Raises ValueError for operands TFLite would reject.
    """
    begin_mask = int(options.get("begin_mask", 0))
    end_mask = int(options.get("end_mask", 0))
    ellipsis_mask = int(options.get("ellipsis_mask", 0))
    new_axis_mask = int(options.get("new_axis_mask", 0))
    shrink_mask = int(options.get("shrink_axis_mask", 0))
    offset = bool(options.get("offset", False))
    rank = len(input_shape)
    spec_count = len(begin)

    added = sum(1 for i in range(spec_count) if _bit(new_axis_mask, i) and not _bit(ellipsis_mask, i))
    dims = rank + added

    # Which expanded axes the ellipsis covers, and which are new axes.
    ellipsis_axes: set[int] = set()
    new_axes: set[int] = set()
    ellipsis_start = dims
    expanded = 0  # extra axes the ellipsis stands for, beyond its own spec position
    i = 0
    while i < dims:
        if _bit(ellipsis_mask, i):
            ellipsis_start = i
            ellipsis_end = max(i + 1, min(i + 1 + added + rank - spec_count, dims))
            expanded = ellipsis_end - ellipsis_start - 1
            ellipsis_axes.update(range(i, ellipsis_end))
            i = ellipsis_end
            continue
        if _bit(new_axis_mask, i - expanded):
            new_axes.add(i)
        i += 1

    axes: list[SliceAxis] = []
    skipped = 0  # spec positions the ellipsis consumed beyond its own
    inserted = 0  # new axes so far
    for i in range(dims):
        if i in ellipsis_axes:
            skipped = max(0, i - ellipsis_start)
            spec = None
        elif i in new_axes:
            axes.append(SliceAxis(None, 0, 1, 1, False))
            inserted += 1
            continue
        elif i >= spec_count + expanded:
            spec = None
        else:
            spec = i - skipped
        input_dim = i - inserted
        if not 0 <= input_dim < rank:
            raise ValueError(f"the masks address dimension {input_dim} of a rank-{rank} input")
        size = int(input_shape[input_dim])
        if spec is None:  # a dimension the spec leaves whole
            axes.append(SliceAxis(input_dim, 0, size, 1, False))
            continue
        stride = int(strides[spec])
        if stride == 0:
            raise ValueError("a stride is 0")
        start = _axis_start(int(begin[spec]), size, stride, _bit(begin_mask, spec))
        shrink = _bit(shrink_mask, spec)
        if shrink:
            stop = start if start >= size else start + 1
        else:
            stop = _axis_stop(int(end[spec]), start, size, stride, _bit(end_mask, spec), offset)
        axes.append(SliceAxis(input_dim, start, stop, stride, shrink))
    if len(axes) > _SLICE_MAX_RANK:
        raise ValueError(
            f"the slice has {len(axes)} dimensions; TFLite supports at most {_SLICE_MAX_RANK}"
        )
    if offset:
        _check_offset_sizes(axes, end)
    return axes


def _check_offset_sizes(axes: Sequence[SliceAxis], end: Sequence[int]) -> None:
    """With `offset`, TFLite sizes its output from the raw end values (by expanded axis index)
    but copies the clamped ranges; accept only slices where both agree, i.e. stay in bounds."""
    for i, axis in enumerate(axes):
        if axis.shrink:
            continue
        declared = max(0, math.ceil(int(end[i]) / axis.stride)) if i < len(end) else None
        if declared != axis.count:
            raise ValueError(
                f"with offset=true, dimension {i} takes {axis.count} elements but TFLite sizes it "
                f"{declared}; only offset slices that stay inside the input are supported"
            )


def _axis_start(begin: int, size: int, stride: int, masked: bool) -> int:
    if masked:
        return 0 if stride > 0 else size - 1
    if begin < 0:
        begin += size
    return _clamp(begin, 0, size) if stride > 0 else _clamp(begin, -1, size - 1)


def _axis_stop(end: int, start: int, size: int, stride: int, masked: bool, offset: bool) -> int:
    if masked:
        return size if stride > 0 else -1
    if offset:
        end += start
    if end < 0:
        end += size
    return _clamp(end, 0, size) if stride > 0 else _clamp(end, -1, size - 1)


def _slice_operands(op: Operator, graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(  # type: ignore[return-value]
        _constant_operand(op, graph, position, what, ("int32",))
        for position, what in ((1, "begin indices"), (2, "end indices"), (3, "strides"))
    )


def _slice_axes_of(op: Operator, graph: Graph) -> list[SliceAxis]:
    begin, end, strides = _slice_operands(op, graph)
    if not (begin.ndim == end.ndim == strides.ndim == 1 and len(begin) == len(end) == len(strides)):
        raise UnsupportedError("begin, end and strides must be vectors of the same length")
    try:
        return slice_axes(graph.tensor(op.inputs[0]).shape, begin, end, strides, op.options)
    except ValueError as error:
        raise UnsupportedError(str(error)) from None


def _check_strided_slice(op: Operator, graph: Graph) -> None:
    _check_copy_dtypes(op, graph, op.inputs[:1])
    rank = len(graph.tensor(op.inputs[0]).shape)
    if rank > _SLICE_MAX_RANK:
        raise UnsupportedError(
            f"rank {rank} is not supported; TFLite slices at most {_SLICE_MAX_RANK} dimensions"
        )
    axes = _slice_axes_of(op, graph)
    shape = [axis.count for axis in axes if not axis.shrink]
    for i, axis in enumerate(axes):
        if axis.shrink and axis.count != 1:
            # TFLite then writes no element at all (an index past the end, or a negative stride,
            # whose one-element range TFLite's loop never enters) and leaves the output unset.
            raise UnsupportedError(
                f"shrink_axis_mask selects no element along dimension {i} (begin out of range, or "
                f"a negative stride); use a begin index inside the dimension and stride 1"
            )
    _check_output_shape(op, graph, shape)


def strided_slice_copy(op: Operator, graph: Graph) -> StridedCopy:
    source = graph.tensor(op.inputs[0])
    in_strides = contiguous_strides(source.shape)
    axes = _slice_axes_of(op, graph)
    counts = [axis.count for axis in axes]
    src_strides = []
    src_offset = 0
    for axis in axes:
        if axis.input_dim is None:
            src_strides.append(0)
        else:
            src_strides.append(axis.stride * in_strides[axis.input_dim])
            src_offset += axis.start * in_strides[axis.input_dim]
    # The kernel writes the output sequentially in this loop order, as TFLite's does.
    itemsize = np.dtype(source.dtype).itemsize
    return plan_copy(counts, src_strides, contiguous_strides(counts), src_offset, 0, itemsize)


def _emit_strided_slice(op: Operator, ctx: LowerContext) -> EmittedOp:
    return _emit_copies(ctx, [(strided_slice_copy(op, ctx.graph), op.inputs[0])], op.outputs[0])


# --------------------------------------------------------------------------------------------
# TRANSPOSE

_TRANSPOSE_MAX_RANK = 8  # TFLite's TRANSPOSE


def _permutation(op: Operator, graph: Graph) -> list[int]:
    """The permutation, with negative entries counted from the end as TFLite does."""
    rank = len(graph.tensor(op.inputs[0]).shape)
    # int32 only: LiteRT 2.3 reads an int64 permutation's bytes as int32 values.
    perm = _constant_operand(op, graph, 1, "permutation", ("int32",)).reshape(-1)
    return [int(p) + rank if p < 0 else int(p) for p in perm]


def _check_transpose(op: Operator, graph: Graph) -> None:
    _check_copy_dtypes(op, graph, op.inputs[:1])
    source = graph.tensor(op.inputs[0])
    rank = len(source.shape)
    if rank > _TRANSPOSE_MAX_RANK:
        raise UnsupportedError(
            f"rank {rank} is not supported; TFLite transposes at most {_TRANSPOSE_MAX_RANK} dimensions"
        )
    perm = _permutation(op, graph)
    if sorted(perm) != list(range(rank)):
        raise UnsupportedError(f"{perm} is not a permutation of the {rank} input dimensions")
    _check_output_shape(op, graph, [source.shape[p] for p in perm])


def transpose_copy(op: Operator, graph: Graph) -> StridedCopy:
    source = graph.tensor(op.inputs[0])
    perm = _permutation(op, graph)
    in_strides = contiguous_strides(source.shape)
    out_shape = [source.shape[p] for p in perm]
    itemsize = np.dtype(source.dtype).itemsize
    src_strides = [in_strides[p] for p in perm]
    return plan_copy(out_shape, src_strides, contiguous_strides(out_shape), 0, 0, itemsize)


def _emit_transpose(op: Operator, ctx: LowerContext) -> EmittedOp:
    return _emit_copies(ctx, [(transpose_copy(op, ctx.graph), op.inputs[0])], op.outputs[0])


# --------------------------------------------------------------------------------------------
# QUANTIZE and DEQUANTIZE

_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-(1 << 15), (1 << 15) - 1)}
_QUANTIZE_PAIRS = (
    ("float32", "int8"), ("float32", "int16"), ("int8", "int8"), ("int8", "uint8"), ("uint8", "int8"),
    ("uint8", "uint8"), ("int8", "int16"), ("int16", "int8"), ("int16", "int16"), ("float32", "uint8"),
    ("uint8", "int16"),
)
_DEQUANTIZE_INPUTS = ("int8", "int16", "uint8")
_SUFFIX = {"int8": "s8", "int16": "s16", "uint8": "u8", "float32": "f32"}


def _check_quantized(tensor: Tensor, role: str, per_channel_ok: bool) -> None:
    if tensor.quant is None or not tensor.quant.scale:
        raise UnsupportedError(f"the {tensor.dtype} {role} has no quantization parameters")
    if tensor.quant.per_channel and not per_channel_ok:
        raise UnsupportedError(
            f"a per-channel quantized {role} is not supported here; per-channel quantization is supported "
            "for float32 -> int8/int16 QUANTIZE and int8 -> float32 DEQUANTIZE"
        )
    low, high = _INT_RANGES[tensor.dtype]
    if any(not low <= int(z) <= high for z in tensor.quant.zero_point):
        raise UnsupportedError(f"the {role}'s zero point is outside the {tensor.dtype} range")
    if tensor.quant.per_channel:
        axis = int(tensor.quant.axis)
        if not 0 <= axis < len(tensor.shape) or len(tensor.quant.scale) != tensor.shape[axis]:
            raise UnsupportedError(
                f"the {role} has {len(tensor.quant.scale)} scales along dimension {axis} of shape "
                f"{list(tensor.shape)}; per-channel quantization needs one per channel"
            )
        if len(tensor.quant.zero_point) not in (1, len(tensor.quant.scale)):
            raise UnsupportedError(f"the {role} has {len(tensor.quant.zero_point)} zero points for "
                                   f"{len(tensor.quant.scale)} scales")


def _check_quantize(op: Operator, graph: Graph) -> None:
    source = graph.tensor(op.inputs[0])
    result = graph.tensor(op.outputs[0])
    if (source.dtype, result.dtype) not in _QUANTIZE_PAIRS:
        raise UnsupportedError(
            f"{source.dtype} -> {result.dtype} is not supported; supported are "
            + ", ".join(f"{a} -> {b}" for a, b in _QUANTIZE_PAIRS)
        )
    _check_quantized(result, "output", per_channel_ok=source.dtype == "float32" and result.dtype != "uint8")
    if source.dtype != "float32":
        _check_quantized(source, "input", per_channel_ok=False)
    if source.dtype == result.dtype == "int16" and (_scale_and_zero_point(source)[1] or _scale_and_zero_point(result)[1]):
        raise UnsupportedError("int16 -> int16 needs zero points 0 (TFLite requires it)")
    if source.shape != result.shape:
        raise UnsupportedError(
            f"input shape {list(source.shape)} differs from output shape {list(result.shape)}"
        )


def requantize_multiplier(in_scale: float, out_scale: float) -> tuple[int, int]:
    """QUANTIZE's Prepare: QuantizeMultiplier(double(in_scale) / double(out_scale)) of float32 scales."""
    return quant.quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))


def requantize_table(
    in_scale: float, in_zero_point: int, out_scale: float, out_zero_point: int,
    in_dtype: str = "int8", out_dtype: str = "int8",
) -> np.ndarray:
    """TFLite's 8-bit Requantize for every input value, indexed by the input's raw byte for uint8
    inputs and by q + 128 for int8 inputs (the layout mtvm_lut_s8 expects).

    TFLite derives the multiplier from float32 scales divided in double precision, then applies
    MultiplyByQuantizedMultiplier to (q - in_zero_point), adds the output zero point and
    saturates to the output type. (Its xor-0x80 fast path for int8 <-> uint8 at equal scales
    computes the same values.)
    """
    multiplier, shift = requantize_multiplier(in_scale, out_scale)
    return int8_table(
        lambda q: quant.multiply_by_quantized_multiplier(q - in_zero_point, multiplier, shift) + out_zero_point,
        in_dtype, out_dtype,
    )


def _byte_table(source: Tensor, result: Tensor) -> np.ndarray:
    """A 256-entry table of output bytes indexed by the input's raw byte (uint8 view)."""
    table = requantize_table(*_scale_and_zero_point(source), *_scale_and_zero_point(result),
                             in_dtype=source.dtype, out_dtype=result.dtype)
    if source.dtype == "int8":  # reorder from q + 128 to the raw byte of q
        table = np.concatenate([table[128:], table[:128]])
    return table.view(np.uint8)


def _affine_params(ctx: LowerContext, tensor: Tensor, size: int) -> str:
    """The name of an mtvm_affine_params_t for `tensor`'s quantization."""
    assert tensor.quant is not None
    fields = {"size": size, "scale": float(tensor.quant.scale[0]), "zero_point": int(tensor.quant.zero_point[0])}
    return ctx.params("mtvm_affine_params_t", fields, name="affine")


def _per_channel_call(ctx: LowerContext, kernel: str, quantized: Tensor, op: Operator) -> EmittedOp:
    """A per-channel conversion: [outer, channels, inner] around the quantized dimension."""
    assert quantized.quant is not None
    axis = int(quantized.quant.axis)
    shape = [int(d) for d in quantized.shape]
    channels = shape[axis]
    scales = np.asarray(quantized.quant.scale, dtype=np.float32)
    zero_points = np.broadcast_to(np.asarray(quantized.quant.zero_point, dtype=np.int32), (channels,))
    fields = {
        "outer": int(np.prod(shape[:axis], dtype=np.int64)),
        "channels": channels,
        "inner": int(np.prod(shape[axis + 1:], dtype=np.int64)),
    }
    name = ctx.params("mtvm_per_channel_params_t", fields, name="channels")
    scale_array = ctx.const(f"{ctx.prefix}_scales", scales)
    zp_array = ctx.const(f"{ctx.prefix}_zero_points", np.ascontiguousarray(zero_points))
    call = f"{kernel}(&{name}, {scale_array}, {zp_array}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _is_identity_requantize(source: Tensor, result: Tensor) -> bool:
    return source.dtype == result.dtype == "int8" and np.array_equal(
        requantize_table(*_scale_and_zero_point(source), *_scale_and_zero_point(result)), np.arange(-128, 128)
    )


def _emit_quantize(op: Operator, ctx: LowerContext) -> EmittedOp:
    source = ctx.graph.tensor(op.inputs[0])
    result = ctx.graph.tensor(op.outputs[0])
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    assert result.quant is not None
    if source.dtype == "float32":
        if result.quant.per_channel:
            return _per_channel_call(ctx, f"mtvm_quantize_per_channel_f32_{_SUFFIX[result.dtype]}", result, op)
        name = _affine_params(ctx, result, result.num_elements)
        return EmittedOp(call=f"mtvm_quantize_f32_{_SUFFIX[result.dtype]}(&{name}, {src}, {dst});")
    assert source.quant is not None
    if source.dtype == "int16":
        multiplier, shift = requantize_multiplier(*(_scale_and_zero_point(t)[0] for t in (source, result)))
        fields = {
            "size": result.num_elements,
            "multiplier": multiplier,
            "shift": shift,
            "input_zero_point": _scale_and_zero_point(source)[1],
            "output_zero_point": _scale_and_zero_point(result)[1],
        }
        name = ctx.params("mtvm_requantize_params_t", fields, name="requantize")
        call = f"mtvm_requantize_s16_{_SUFFIX[result.dtype]}(&{name}, {src}, {dst});"
        return EmittedOp(call=call)
    if source.dtype == result.dtype == "int8":
        if _is_identity_requantize(source, result):
            # Same parameters: the values do not change, a plain copy is exact.
            copy = plan_copy([result.num_elements], [1], [1], 0, 0, 1)
            return _emit_copies(ctx, [(copy, op.inputs[0])], op.outputs[0])
        table = requantize_table(*_scale_and_zero_point(source), *_scale_and_zero_point(result))
        return emit_lut_s8(ctx, "requantize_lut", table, result.num_elements, src, dst)
    if result.dtype == "int16":
        table = requantize_table(*_scale_and_zero_point(source), *_scale_and_zero_point(result),
                                 in_dtype=source.dtype, out_dtype="int16")
        lut = ctx.const("requantize_lut", table)  # indexed by q + 128 (int8) or by the byte (uint8)
        kernel = f"mtvm_requantize_lut_{_SUFFIX[source.dtype]}_s16"
        return EmittedOp(call=f"{kernel}({lut}, {result.num_elements}, {src}, {dst});")
    lut = ctx.const("requantize_lut", _byte_table(source, result))
    return EmittedOp(call=f"mtvm_requantize_lut_8({lut}, {result.num_elements}, {src}, {dst});")


def _quantize_sources(op: Operator, graph: Graph) -> tuple[str, ...]:
    source, result = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if source.dtype == "float32" and result.quant is not None and result.quant.per_channel:
        return (f"per_channel_{_SUFFIX[result.dtype]}.c",)
    if (source.dtype, result.dtype) == ("float32", "int16"):
        return ("quantize_s16.c",)
    if (source.dtype, result.dtype) == ("float32", "uint8"):
        return ("quantize_u8.c",)
    if (source.dtype, result.dtype) == ("uint8", "int16"):
        return ("requantize_u8_s16.c",)
    if source.dtype == "int16":
        return ("requantize_s16.c",)
    if result.dtype == "int16":
        return ("requantize_s8_s16.c",)
    if "uint8" in (source.dtype, result.dtype):
        return ("requantize_lut_8.c",)
    if source.dtype == "float32":
        return ("quantize_s8.c",)
    return _COPY_SOURCES if _is_identity_requantize(source, result) else LUT_SOURCES


def _fold_dequantize(op: Operator, graph: Graph) -> Optional[list[np.ndarray]]:
    """float16 constants (the converter's float16 quantization: weights stored as float16, each
    dequantized by a DEQUANTIZE at the start of the graph) become float32 constants here; LiteRT
    converts them exactly the same way (float16 -> float32 is exact)."""
    source = graph.tensor(op.inputs[0])
    if source.dtype != "float16" or not source.is_constant or graph.tensor(op.outputs[0]).dtype != "float32":
        return None
    return [np.asarray(source.data, dtype=np.float16).astype(np.float32)]


def _check_dequantize(op: Operator, graph: Graph) -> None:
    source = graph.tensor(op.inputs[0])
    result = graph.tensor(op.outputs[0])
    if source.dtype == "float16":
        raise UnsupportedError(
            "float16 -> float32 is supported for constants only (float16-quantized weights, folded at "
            "generation time), and this input is computed at run time; supported at run time are int8, int16 "
            "and uint8 -> float32"
        )
    if source.dtype not in _DEQUANTIZE_INPUTS or result.dtype != "float32":
        raise UnsupportedError(
            f"{source.dtype} -> {result.dtype} is not supported; supported are int8, int16 and uint8 -> float32"
        )
    # LiteRT dequantizes per channel only int8 ("Type 7 not supported for per-channel" for int16).
    _check_quantized(source, "input", per_channel_ok=source.dtype == "int8")
    if source.shape != result.shape:
        raise UnsupportedError(
            f"input shape {list(source.shape)} differs from output shape {list(result.shape)}"
        )


def _emit_dequantize(op: Operator, ctx: LowerContext) -> EmittedOp:
    source = ctx.graph.tensor(op.inputs[0])
    assert source.quant is not None
    suffix = _SUFFIX[source.dtype]
    if source.quant.per_channel:
        return _per_channel_call(ctx, f"mtvm_dequantize_per_channel_{suffix}_f32", source, op)
    name = _affine_params(ctx, source, source.num_elements)
    call = f"mtvm_dequantize_{suffix}_f32(&{name}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _dequantize_sources(op: Operator, graph: Graph) -> tuple[str, ...]:
    source = graph.tensor(op.inputs[0])
    if source.quant is not None and source.quant.per_channel:
        return (f"per_channel_{_SUFFIX[source.dtype]}.c",)
    return (f"dequantize_{_SUFFIX[source.dtype]}.c",)


def _quantize_in_place(op: Operator, graph: Graph) -> dict[int, int]:
    """QUANTIZE may write over its input whenever it runs an elementwise loop that reads input[i]
    before writing output[i] and the output element is no wider than the input element (so the
    write never reaches an input element not yet read): every kernel here except the memcpy of
    an int8 -> int8 identity (overlapping memcpy is undefined behaviour)."""
    source, result = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if source.num_elements != result.num_elements or (source.dtype, result.dtype) not in _QUANTIZE_PAIRS:
        return {}
    if np.dtype(result.dtype).itemsize > np.dtype(source.dtype).itemsize:
        return {}
    if result.quant is None or (source.dtype != "float32" and source.quant is None):
        return {}
    if _is_identity_requantize(source, result):
        return {}
    return {0: 0}


def _lowering(
    opcode: str,
    check: Callable[[Operator, Graph], None],
    emit: Callable[[Operator, LowerContext], EmittedOp],
    in_place_inputs: Optional[Callable[[Operator, Graph], dict[int, int]]] = None,
    dtypes: tuple[str, ...] = ("int8", "int16", "int32", "float32"),
    sources_for: Optional[Callable[[Operator, Graph], tuple[str, ...]]] = None,
    sources: tuple[str, ...] = _COPY_SOURCES,
) -> OpLowering:
    extra: dict = {} if in_place_inputs is None else {"in_place_inputs": in_place_inputs}
    return OpLowering(
        opcode=opcode, check=check, emit=emit, headers=_HEADERS, sources=sources, dtypes=dtypes,
        sources_for=sources_for, **extra,
    )


LOWERINGS: list[OpLowering] = [
    _lowering("CONCATENATION", _check_concatenation, _emit_concatenation),
    _lowering("PAD", _check_pad, _emit_pad, dtypes=_PAD_DTYPES, sources=_PAD_SOURCES),
    _lowering("PADV2", _check_pad, _emit_pad, dtypes=_PAD_DTYPES, sources=_PAD_SOURCES),
    _lowering("STRIDED_SLICE", _check_strided_slice, _emit_strided_slice),
    _lowering("TRANSPOSE", _check_transpose, _emit_transpose),
    _lowering("QUANTIZE", _check_quantize, _emit_quantize, _quantize_in_place, ("int8", "int16", "uint8", "float32"),
              _quantize_sources),
    dataclasses.replace(
        _lowering("DEQUANTIZE", _check_dequantize, _emit_dequantize, None, ("int8", "int16", "uint8", "float32"),
                  _dequantize_sources),
        fold=_fold_dequantize,
    ),
]
