"""Small helpers shared by the passes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..ir import Operator

if TYPE_CHECKING:  # the passes get the lowering table from their caller (compiler.py)
    from ..ops.base import OpLowering

Lowerings = Mapping[str, "OpLowering"]  # opcode -> lowering, e.g. ops.LOWERINGS_BY_OPCODE


def is_alias_op(op: Operator, lowerings: Lowerings) -> bool:
    """True for operators whose output reuses the input's storage (RESHAPE, SQUEEZE)."""
    lowering = lowerings.get(op.opcode)
    return lowering is not None and lowering.alias_input
