"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR for float32, int8 and int16 (NHWC, constant size).
Kernels: runtime/include/mtvm/resize.h (resize_nearest.c, resize_bilinear_f32.c,
resize_bilinear_int.c).

Which source rows and columns each output row and column reads, and the interpolation weights,
depend only on the sizes and the options, so they are computed here with LiteRT's reference
arithmetic and emitted as small tables (one entry per output row and column):
- nearest neighbour (GetNearestNeighbor): scale = in / out, or (in - 1) / (out - 1) with
  align_corners, in float32; source = floor((x + offset) * scale), or std::round of it with
  align_corners; offset 0.5 with half_pixel_centers (then also clamped at 0); at most in - 1.
- float32 bilinear (ComputeInterpolationValues): the same scales; input_y = y * scale, or
  (y + 0.5) * scale - 0.5 with half_pixel_centers, in float32; y0 = max(floor, 0),
  y1 = min(ceil, in - 1); the weights 1 - (input_y - y0) and input_y - y0 in float32.
- int8/int16 bilinear (ResizeBilinearInteger): the scale in 10-bit fixed point,
  scale_10 = (1024 * in + out / 2) / out (or with in - 1, out - 1 under align_corners), input_y =
  y * scale_10 (+ scale_10 / 2 - 512 with half-pixel centers), y0 = max(input_y / 1024, 0) and
  y1 = min((input_y + 1023) / 1024, in - 1) with C's truncating division, fraction
  input_y - 1024 * y0. The kernel blends in int64 and rounds half away from zero. Input and
  output quantization are not used (LiteRT ignores them: it interpolates the stored values).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from . import _emit as e
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/resize.h",)
DTYPES = ("float32", "int8", "int16")
F32 = np.float32
INT32_MAX = (1 << 31) - 1


def _trunc_div(a: int, b: int) -> int:
    """C's integer division (toward zero), b > 0."""
    q = abs(a) // b
    return q if a >= 0 else -q


def _round_half_away(x: float) -> int:
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def _float_scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    if align_corners and out_size > 1:
        return F32(in_size - 1) / F32(out_size - 1)
    return F32(in_size) / F32(out_size)


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """GetNearestNeighbor for every output coordinate, in float32 as LiteRT computes it."""
    scale = _float_scale(in_size, out_size, align_corners)
    offset = F32(0.5) if half_pixel else F32(0.0)
    result = []
    for v in range(out_size):
        value = float((F32(v) + offset) * scale)
        index = _round_half_away(value) if align_corners else math.floor(value)
        index = min(int(index), in_size - 1)
        if half_pixel:
            index = max(0, index)
        result.append(index)
    return np.array(result, dtype=np.int32)


def bilinear_float_axis(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> tuple[np.ndarray, np.ndarray]:
    """(int32 [out, 2] = (lower, upper), float32 [out, 2] = (1 - d, d)): ComputeInterpolationValues."""
    scale = _float_scale(in_size, out_size, align_corners)
    index = np.zeros((out_size, 2), np.int32)
    weight = np.zeros((out_size, 2), np.float32)
    for v in range(out_size):
        scaled = (F32(v) + F32(0.5)) * scale - F32(0.5) if half_pixel else F32(v) * scale
        lower = max(math.floor(float(scaled)), 0)
        upper = min(math.ceil(float(scaled)), in_size - 1)
        d = F32(scaled - F32(lower))
        index[v] = (lower, upper)
        weight[v] = (F32(1.0) - d, d)
    return index, weight


def bilinear_int_axis(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """int32 [out, 3] = (lower, upper, 10-bit fraction): ComputeInterpolationValuesInteger."""
    if align_corners and out_size > 1:
        scale_10 = ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale_10 = ((1 << 10) * in_size + out_size // 2) // out_size
    table = np.zeros((out_size, 3), np.int32)
    for v in range(out_size):
        scaled = v * scale_10 + scale_10 // 2 - (1 << 9) if half_pixel else v * scale_10
        lower = max(_trunc_div(scaled, 1 << 10), 0)
        upper = min(_trunc_div(scaled + (1 << 10) - 1, 1 << 10), in_size - 1)
        table[v] = (lower, upper, scaled - (1 << 10) * lower)
    return table


def _size(op: Operator, graph: Graph) -> tuple[int, int]:
    size = graph.tensor(op.inputs[1])
    if size.dtype != "int32" or tuple(size.shape) != (2,):
        raise UnsupportedError(f"{op.opcode}: the size operand must be an int32 tensor of shape [2]")
    values = e.constant_ints(op, graph, 1, "size")
    return values[0], values[1]


def _check(op: Operator, graph: Graph) -> None:
    e.check_arity(op, 2)
    inp, out = e.io(op, graph)
    e.check_dtype(op, inp, "input", DTYPES)
    if out.dtype != inp.dtype:
        raise UnsupportedError(f"{op.opcode} with {inp.dtype} input and {out.dtype} output is not supported; they must match")
    if len(inp.shape) != 4:
        raise UnsupportedError(f"{op.opcode} needs a 4-D NHWC input (as TFLite), got shape {list(inp.shape)}")
    out_h, out_w = _size(op, graph)
    if out_h <= 0 or out_w <= 0:
        raise UnsupportedError(f"{op.opcode}: the output size must be positive, got {[out_h, out_w]}")
    expected = (inp.shape[0], out_h, out_w, inp.shape[3])
    if tuple(out.shape) != expected:
        raise UnsupportedError(f"{op.opcode}: output shape {list(out.shape)} does not match {list(expected)}")
    if inp.num_elements == 0:
        raise UnsupportedError(f"{op.opcode} of an empty tensor is not supported")
    align, half = bool(op.options.get("align_corners", False)), bool(op.options.get("half_pixel_centers", False))
    if op.opcode == "RESIZE_BILINEAR" and align and half:
        raise UnsupportedError(
            f"{op.opcode} with both align_corners and half_pixel_centers is not supported (TFLite rejects it)"
        )
    if op.opcode == "RESIZE_BILINEAR" and inp.dtype != "float32":
        for in_size, out_size in ((inp.shape[1], out_h), (inp.shape[2], out_w)):
            if (1 << 10) * in_size + out_size > INT32_MAX or out_size * ((1 << 10) * in_size + out_size) > INT32_MAX:
                raise UnsupportedError(f"{op.opcode}: sizes this large overflow TFLite's 10-bit fixed-point coordinates")


def _params(op: Operator, graph: Graph) -> dict:
    inp, out = e.io(op, graph)
    return {
        "batches": inp.shape[0], "in_h": inp.shape[1], "in_w": inp.shape[2], "depth": inp.shape[3],
        "out_h": out.shape[1], "out_w": out.shape[2], "elem_bytes": np.dtype(inp.dtype).itemsize,
    }


def _options(op: Operator) -> tuple[bool, bool]:
    return bool(op.options.get("align_corners", False)), bool(op.options.get("half_pixel_centers", False))


def _emit_nearest(op: Operator, ctx: LowerContext) -> EmittedOp:
    p = _params(op, ctx.graph)
    align, half = _options(op)
    in_y = ctx.const(f"{ctx.prefix}_in_y", nearest_indices(p["in_h"], p["out_h"], align, half))
    in_x = ctx.const(f"{ctx.prefix}_in_x", nearest_indices(p["in_w"], p["out_w"], align, half))
    name = ctx.params("mtvm_resize_params_t", p)
    call = f"mtvm_resize_nearest(&{name}, {in_y}, {in_x}, {ctx.buf(op.inputs[0])}, {ctx.buf(op.outputs[0])});"
    return EmittedOp(call=call)


def _emit_bilinear(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    inp, _ = e.io(op, graph)
    p = _params(op, graph)
    align, half = _options(op)
    name = ctx.params("mtvm_resize_params_t", p)
    src, dst = ctx.buf(op.inputs[0]), ctx.buf(op.outputs[0])
    if inp.dtype == "float32":
        rows, wy = bilinear_float_axis(p["in_h"], p["out_h"], align, half)
        cols, wx = bilinear_float_axis(p["in_w"], p["out_w"], align, half)
        args = [
            ctx.const(f"{ctx.prefix}_rows", rows.reshape(-1)), ctx.const(f"{ctx.prefix}_wy", wy.reshape(-1)),
            ctx.const(f"{ctx.prefix}_cols", cols.reshape(-1)), ctx.const(f"{ctx.prefix}_wx", wx.reshape(-1)),
        ]
        kernel = "mtvm_resize_bilinear_f32"
    else:
        rows = bilinear_int_axis(p["in_h"], p["out_h"], align, half)
        cols = bilinear_int_axis(p["in_w"], p["out_w"], align, half)
        args = [ctx.const(f"{ctx.prefix}_rows", rows.reshape(-1)), ctx.const(f"{ctx.prefix}_cols", cols.reshape(-1))]
        kernel = "mtvm_resize_bilinear_s8" if inp.dtype == "int8" else "mtvm_resize_bilinear_s16"
    return EmittedOp(call=f"{kernel}(&{name}, {', '.join(args)}, {src}, {dst});")


def _lowering(opcode: str, emit: Callable[[Operator, LowerContext], EmittedOp], sources: tuple[str, ...]) -> OpLowering:
    return OpLowering(opcode=opcode, check=_check, emit=emit, headers=HEADERS, sources=sources, dtypes=DTYPES)


LOWERINGS: list[OpLowering] = [
    _lowering("RESIZE_NEAREST_NEIGHBOR", _emit_nearest, ("resize_nearest.c",)),
    _lowering("RESIZE_BILINEAR", _emit_bilinear, ("resize_bilinear_f32.c", "resize_bilinear_int.c")),
]
