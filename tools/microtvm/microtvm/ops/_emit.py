"""Small helpers shared by the reduction, normalization and resize lowerings (ops/reduction.py,
ops/normalize.py, ops/resize.py, ...): operand checks and the reading of constant axis operands.
Pure functions, no state. (Parameter structs are emitted with `ctx.params`, ops/base.py.)"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor


def io(op: Operator, graph: Graph) -> tuple[Tensor, Tensor]:
    return graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])


def check_arity(op: Operator, inputs: int) -> None:
    if len(op.inputs) != inputs or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise UnsupportedError(f"{op.opcode} needs {inputs} input(s) and 1 output")


def check_dtype(op: Operator, t: Tensor, role: str, supported: Sequence[str]) -> None:
    if t.dtype not in supported:
        raise UnsupportedError(
            f"{op.opcode} with a {t.dtype} {role} ({t.name!r}) is not supported; supported types: "
            + ", ".join(supported)
        )


def per_tensor(op: Operator, t: Tensor, role: str) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor quantized tensor, or UnsupportedError."""
    if t.quant is None or not t.quant.scale:
        raise UnsupportedError(
            f"{op.opcode}: {t.dtype} {role} {t.name!r} has no quantization parameters; "
            "quantized tensors must carry a scale and zero point"
        )
    if t.quant.per_channel:
        raise UnsupportedError(f"{op.opcode}: {role} {t.name!r} is quantized per channel; only per-tensor is supported")
    zero_point = int(t.quant.zero_point[0]) if t.quant.zero_point else 0
    return float(t.quant.scale[0]), zero_point


def is_quantized(t: Tensor) -> bool:
    return t.quant is not None and bool(t.quant.scale)


def constant_ints(op: Operator, graph: Graph, position: int, what: str) -> list[int]:
    """The values of a constant integer operand (e.g. axes), flattened."""
    t = graph.tensor(op.inputs[position])
    if t.num_elements == 0:
        return []
    if t.data is None:
        raise UnsupportedError(f"{op.opcode} with a non-constant {what} ({t.name!r}) is not supported; it must be constant")
    return [int(v) for v in np.asarray(t.data).reshape(-1).tolist()]


def normalize_axis(op: Operator, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise UnsupportedError(f"{op.opcode}: axis {axis} is out of range for a rank-{rank} input")
    return axis % rank


def flat_size(shape: Sequence[int]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
