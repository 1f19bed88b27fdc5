"""Operator lowerings, by family. LOWERINGS_BY_OPCODE is the single table the generator uses."""
from __future__ import annotations

from . import control, conv, elementwise, movement, recurrent, reduce, reshape, variables
from .base import EmittedOp, LowerContext, OpLowering

_FAMILIES = (conv, reduce, elementwise, movement, reshape, recurrent, control, variables)

LOWERINGS_BY_OPCODE: dict[str, OpLowering] = {
    lowering.opcode: lowering for family in _FAMILIES for lowering in family.LOWERINGS
}

SUPPORTED_OPCODES: tuple[str, ...] = tuple(sorted(LOWERINGS_BY_OPCODE))

__all__ = ["EmittedOp", "LowerContext", "OpLowering", "LOWERINGS_BY_OPCODE", "SUPPORTED_OPCODES"]
