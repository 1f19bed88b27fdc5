"""Operator lowerings, by family. LOWERINGS_BY_OPCODE is the single table the generator uses."""
from __future__ import annotations

from . import batch_matmul, conv, elementwise, hybrid, movement, reduce, reshape
from .base import EmittedOp, LowerContext, OpLowering

_FAMILIES = (conv, reduce, elementwise, movement, reshape, batch_matmul)

# CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED dispatch hybrid operands to ops/hybrid.py.
LOWERINGS_BY_OPCODE: dict[str, OpLowering] = hybrid.with_hybrid_kernels(
    {lowering.opcode: lowering for family in _FAMILIES for lowering in family.LOWERINGS}
)

SUPPORTED_OPCODES: tuple[str, ...] = tuple(sorted(LOWERINGS_BY_OPCODE))

__all__ = ["EmittedOp", "LowerContext", "OpLowering", "LOWERINGS_BY_OPCODE", "SUPPORTED_OPCODES"]
