"""BATCH_MATMUL: float32, int8, int16 (16x16 and 16x8), int8 x int8 -> int32 and hybrid (float32
LHS, int8 constant RHS), as LiteRT 2.3.0's reference kernel computes them (C kernels:
runtime/src/batch_matmul_*.c, declared in runtime/include/mtvm/batch_matmul.h).

out[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n] over operands of rank 2-5 whose batch
dimensions broadcast (a dimension of 1 repeats), adj_x / adj_y naming an operand stored
transposed, the RHS constant or not (hybrid: constant).

- float32: a float sum from 0 in rising k, no fused activation: within 1e-5 / 1e-6 of LiteRT.
- int8: per-tensor scales and zero points on all three tensors; the int32 sum of
  (lhs - lhs_zp) * (rhs - rhs_zp) requantized with lhs_scale * rhs_scale / out_scale (double,
  QuantizeMultiplier, MultiplyByQuantizedMultiplier): equal to LiteRT byte for byte.
- int16: zero points 0 (LiteRT requires them), an int64 sum and TFLite's int64
  MultiplyByQuantizedMultiplier: equal byte for byte; the same with an int8 RHS (16x8,
  batch_matmul_s16_s8.c).
- int8 x int8 -> int32: the int32 sum of the stored values (LiteRT ignores the quantization
  parameters of this variant), batch_matmul_s8_s32.c. (LiteRT also accepts int16 x int8 -> int32
  but writes int16 results into the int32 buffer, so that is rejected.)
- hybrid: each LHS row quantized on the fly (symmetric, or asymmetric with
  asymmetric_quantize_inputs) as ops/hybrid.py's kernels do, per-tensor or per-output-column RHS
  scales; LiteRT's own order of float operations and its indexing of the row factors (see
  batch_matmul_hybrid.c): within 1e-6 relative / 1e-6 absolute of LiteRT (in practice equal).

Like LiteRT, when the RHS has a batch dimension of 1 right before its matrix and adj_x is off,
the LHS's last batch dimension is folded into its rows first (this changes nothing but the
hybrid row-factor indexing, which we reproduce).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import CValue, EmittedOp, LowerContext, OpLowering

_HEADERS = ("mtvm/batch_matmul.h",)
_TYPES = (
    "float32 x float32, int8 x int8 (int8 or int32 output), int16 x int16 or int16 x int8 (zero points 0, "
    "int16 output), or float32 x constant int8 (hybrid)"
)


@dataclass(frozen=True)
class _Plan:
    """Everything the kernels need, after LiteRT's shape handling."""

    batch: tuple[int, int, int]
    lhs_batch: tuple[int, int, int]  # LHS batch dims (extended to 3)
    rhs_batch: tuple[int, int, int]
    rows: int
    cols: int
    depth: int


def _operands(op: Operator, graph: Graph) -> tuple[Tensor, Tensor, Tensor]:
    return graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])


def _adj(op: Operator) -> tuple[bool, bool]:
    return bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))


def _plan(op: Operator, graph: Graph) -> _Plan:
    lhs, rhs, out = _operands(op, graph)
    adj_x, adj_y = _adj(op)
    for name, t in (("LHS", lhs), ("RHS", rhs)):
        if not 2 <= len(t.shape) <= 5:
            raise UnsupportedError(f"the {name} has rank {len(t.shape)}; supported: ranks 2 to 5")
    lhs_shape, rhs_shape = list(lhs.shape), list(rhs.shape)
    rank = max(len(lhs_shape), len(rhs_shape))
    ext_l = [1] * (rank - len(lhs_shape)) + lhs_shape
    ext_r = [1] * (rank - len(rhs_shape)) + rhs_shape
    batch_out = []
    for a, b in zip(ext_l[:-2], ext_r[:-2]):
        if a != b and a != 1 and b != 1:
            raise UnsupportedError(f"batch dimensions {lhs_shape[:-2]} and {rhs_shape[:-2]} do not broadcast")
        batch_out.append(b if a == 1 else a)
    rows = ext_l[-1] if adj_x else ext_l[-2]
    depth_l = ext_l[-2] if adj_x else ext_l[-1]
    depth_r = ext_r[-1] if adj_y else ext_r[-2]
    cols = ext_r[-2] if adj_y else ext_r[-1]
    if depth_l != depth_r:
        raise UnsupportedError(f"the LHS rows have {depth_l} values but the RHS columns {depth_r}")
    expected = [*batch_out, rows, cols]
    if list(out.shape) != expected:
        raise UnsupportedError(f"output shape {list(out.shape)} is not the product's {expected}")
    # LiteRT's Eval: RHS [..., 1, X, Y] with LHS [..., Q, R, S] (rank > 2, no adj_x) is computed
    # as RHS [..., X, Y] by LHS [..., Q * R, S].
    if not adj_x and len(rhs_shape) > 2 and len(lhs_shape) > 2 and rhs_shape[-3] == 1:
        lhs_shape = [*lhs_shape[:-3], lhs_shape[-3] * lhs_shape[-2], lhs_shape[-1]]
        rhs_shape = [*rhs_shape[:-3], rhs_shape[-2], rhs_shape[-1]]
    lhs_b = ([1] * 5 + lhs_shape[:-2])[-3:]
    rhs_b = ([1] * 5 + rhs_shape[:-2])[-3:]
    batch = tuple(b if a == 1 else a for a, b in zip(lhs_b, rhs_b))
    rows = lhs_shape[-1] if adj_x else lhs_shape[-2]
    return _Plan(batch, tuple(lhs_b), tuple(rhs_b), rows, cols, depth_l)


def _batch_strides(dims: tuple[int, int, int], matrix: int) -> list[int]:
    """LiteRT's `extent`: elements per step of each batch dimension, 0 where it is 1."""
    strides = []
    for i, d in enumerate(dims):
        inner = int(np.prod(dims[i + 1:], dtype=np.int64)) * matrix
        strides.append(0 if d == 1 else inner)
    return strides


def _shape_init(op: Operator, plan: _Plan, hybrid: bool = False) -> dict[str, CValue]:
    """The fields of the shape struct every BATCH_MATMUL parameter struct starts with."""
    adj_x, adj_y = _adj(op)
    m, n, k = plan.rows, plan.cols, plan.depth
    lhs_rs, lhs_ds = (k, 1) if (hybrid or not adj_x) else (1, m)
    rhs_ds, rhs_cs = (1, k) if adj_y else (n, 1)
    return {
        "batch": list(plan.batch),
        "lhs_batch_stride": list(_batch_strides(plan.lhs_batch, m * k)),
        "rhs_batch_stride": list(_batch_strides(plan.rhs_batch, k * n)),
        "rows": m, "cols": n, "depth": k,
        "lhs_row_stride": lhs_rs, "lhs_depth_stride": lhs_ds,
        "rhs_depth_stride": rhs_ds, "rhs_col_stride": rhs_cs,
    }


def _kind(lhs: Tensor, rhs: Tensor, out: Tensor) -> str:
    if lhs.dtype == "float32" and rhs.dtype == "int8" and out.dtype == "float32":
        return "hybrid"
    if lhs.dtype == rhs.dtype == out.dtype and lhs.dtype in ("float32", "int8", "int16"):
        return lhs.dtype
    if lhs.dtype == out.dtype == "int16" and rhs.dtype == "int8":
        return "int16x8"
    if lhs.dtype == rhs.dtype == "int8" and out.dtype == "int32":
        return "int8_to_int32"
    raise UnsupportedError(
        f"LHS {lhs.dtype}, RHS {rhs.dtype} and output {out.dtype} are not supported; supported: {_TYPES}"
    )


def _per_tensor(t: Tensor, name: str) -> tuple[float, int]:
    if t.quant is None or len(t.quant.scale) != 1:
        raise UnsupportedError(f"the quantized {name} needs one (per-tensor) scale and zero point")
    return float(np.float32(t.quant.scale[0])), int(t.quant.zero_point[0])


def _check(op: Operator, graph: Graph) -> None:
    lhs, rhs, out = _operands(op, graph)
    kind = _kind(lhs, rhs, out)
    plan = _plan(op, graph)
    if kind in ("int8", "int16", "int16x8"):
        zero_points = [_per_tensor(t, name)[1] for t, name in ((lhs, "LHS"), (rhs, "RHS"), (out, "output"))]
        if kind in ("int16", "int16x8") and any(zero_points):
            raise UnsupportedError("int16 BATCH_MATMUL needs zero points of 0 (as LiteRT requires)")
    if kind == "hybrid":
        _check_hybrid(op, rhs, plan)


def _check_hybrid(op: Operator, rhs: Tensor, plan: _Plan) -> None:
    if not rhs.is_constant:
        raise UnsupportedError("a hybrid BATCH_MATMUL needs a constant int8 RHS")
    q = rhs.quant
    if q is None or not q.scale:
        raise UnsupportedError("the int8 RHS of a hybrid BATCH_MATMUL has no quantization scale")
    if any(z != 0 for z in q.zero_point):
        raise UnsupportedError("hybrid int8 weights must be symmetric (zero point 0); re-quantize the model")
    _, adj_y = _adj(op)
    col_axis = len(rhs.shape) - (2 if adj_y else 1)
    if len(q.scale) > 1 and (len(q.scale) != plan.cols or q.axis != col_axis):
        raise UnsupportedError(
            f"per-channel RHS scales must be one per output column ({plan.cols}) along axis {col_axis}; "
            f"got {len(q.scale)} along axis {q.axis}"
        )
    if bool(op.options.get("asymmetric_quantize_inputs", False)):
        # LiteRT computes the RHS row sums of batch dimensions 1-2 only, then reads them at
        # (b0 + b1 + b2) * cols: beyond what it computed it would read uninitialized memory.
        computed = plan.rhs_batch[1] * plan.rhs_batch[2]
        needed = sum(d - 1 for d, dim in zip(plan.batch, plan.rhs_batch) if dim != 1) + 1
        if needed > computed:
            raise UnsupportedError(
                "asymmetric hybrid BATCH_MATMUL with this RHS batch layout reads weight sums LiteRT never "
                "computes; supported: an RHS without a leading batch dimension above 1 in rank 5"
            )


def _scratch(op: Operator, graph: Graph) -> int:
    lhs, rhs, out = _operands(op, graph)
    if _kind(lhs, rhs, out) != "hybrid":
        return 0
    plan = _plan(op, graph)
    lhs_rows = lhs.num_elements // plan.depth
    return (lhs_rows * plan.depth + 3) // 4 * 4 + lhs_rows * 8 + plan.depth * 4


def _emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    lhs, rhs, out = _operands(op, graph)
    kind = _kind(lhs, rhs, out)
    plan = _plan(op, graph)
    operands = f"{ctx.buf(op.inputs[0])}, {ctx.buf(op.inputs[1])}, {ctx.buf(op.outputs[0])}"
    if kind == "float32":
        name = ctx.params("mtvm_batch_matmul_f32_params_t", {"s": _shape_init(op, plan)})
        call = f"mtvm_batch_matmul_f32(&{name}, {operands});"
        return EmittedOp(call, headers=_HEADERS, sources=("batch_matmul_f32.c",))
    if kind == "int8_to_int32":
        name = ctx.params("mtvm_batch_matmul_f32_params_t", {"s": _shape_init(op, plan)})
        call = f"mtvm_batch_matmul_s8_s32(&{name}, {operands});"
        return EmittedOp(call, headers=_HEADERS, sources=("batch_matmul_s8_s32.c",))
    if kind in ("int8", "int16", "int16x8"):
        (ls, lz), (rs, rz), (os_, oz) = _per_tensor(lhs, "LHS"), _per_tensor(rhs, "RHS"), _per_tensor(out, "output")
        multiplier, shift = quant.quantize_multiplier(ls * rs / os_)  # double, as LiteRT
        info = np.iinfo(np.int8 if kind == "int8" else np.int16)
        fields = [("s", _shape_init(op, plan)), ("lhs_offset", -lz), ("rhs_offset", -rz), ("output_offset", oz),
                  ("multiplier", multiplier), ("shift", shift), ("act_min", int(info.min)), ("act_max", int(info.max))]
        name = ctx.params("mtvm_batch_matmul_quantized_params_t", dict(fields))
        suffix = {"int8": "s8", "int16": "s16", "int16x8": "s16_s8"}[kind]
        call = f"mtvm_batch_matmul_{suffix}(&{name}, {operands});"
        return EmittedOp(call, headers=_HEADERS, sources=(f"batch_matmul_{suffix}.c",))
    return _emit_hybrid(op, ctx, plan, operands)


def _emit_hybrid(op: Operator, ctx: LowerContext, plan: _Plan, operands: str) -> EmittedOp:
    lhs, rhs, _ = _operands(op, ctx.graph)
    adj_x, adj_y = _adj(op)
    m, n, k = plan.rows, plan.cols, plan.depth
    asymmetric = bool(op.options.get("asymmetric_quantize_inputs", False))
    q = rhs.quant
    channel_scales = "NULL"
    if len(q.scale) > 1:
        channel_scales = ctx.const("bmm_channel_scales", np.asarray(q.scale, dtype=np.float32))
    row_sums = "NULL"
    rhs_matrices = np.asarray(rhs.data, dtype=np.int32).reshape(-1, *rhs.shape[-2:])
    if asymmetric:
        # Each RHS matrix's sums over depth, per output column, in memory order (as LiteRT).
        sums = rhs_matrices.sum(axis=2) if adj_y else rhs_matrices.sum(axis=1)
        row_sums = ctx.const("bmm_row_sums", sums.astype(np.int32).reshape(-1))
    scale_stride = [m if d != 1 else 0 for d in plan.lhs_batch]
    row_sum_stride = [n if d != 1 else 0 for d in plan.rhs_batch]
    fields = [
        ("s", _shape_init(op, plan, hybrid=True)),
        ("lhs_rows", lhs.num_elements // k),
        ("lhs_in_row_stride", 1 if adj_x else k),
        ("lhs_in_depth_stride", m if adj_x else 1),
        ("scale_stride", scale_stride),
        ("row_sum_stride", row_sum_stride),
        ("asymmetric", asymmetric),
        ("weight_scale", float(q.scale[0])),
        ("channel_scales", channel_scales),
        ("row_sums", row_sums),
    ]
    name = ctx.params("mtvm_batch_matmul_hybrid_params_t", dict(fields))
    return EmittedOp(f"mtvm_batch_matmul_hybrid(&{name}, {operands}, {ctx.scratch()});",
                     headers=(*_HEADERS, "mtvm/hybrid.h"), sources=("batch_matmul_hybrid.c", "hybrid_quantize.c"))


def _macs(op: Operator, graph: Graph) -> int:
    plan = _plan(op, graph)
    return int(np.prod(plan.batch)) * plan.rows * plan.cols * plan.depth


LOWERINGS: list[OpLowering] = [
    OpLowering("BATCH_MATMUL", _check, _emit, scratch_bytes=_scratch, macs=_macs,
               dtypes=("float32", "int8", "int16", "int32", "hybrid")),
]
