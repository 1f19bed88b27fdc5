"""Small helpers shared by the passes."""
from __future__ import annotations

from ..ir import Operator


def is_alias_op(op: Operator) -> bool:
    """True for operators whose output reuses the input's storage (RESHAPE, SQUEEZE)."""
    from ..ops import LOWERINGS_BY_OPCODE  # late import: ops import the IR, not the passes

    lowering = LOWERINGS_BY_OPCODE.get(op.opcode)
    return lowering is not None and lowering.alias_input
