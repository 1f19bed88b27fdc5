"""Operator lowerings, by family. LOWERINGS_BY_OPCODE is the single table the generator uses."""
from __future__ import annotations

import dataclasses

from . import (
    arith,
    batch_matmul,
    compare,
    control,
    conv,
    detection,
    elementwise,
    gather,
    hybrid,
    hybrid_recurrent,
    math,
    movement,
    normalize,
    one_hot,
    recurrent,
    reduce,
    reduction,
    reshape,
    resize,
    shape,
    signal,
    slicing,
    space,
    transpose_conv,
    variables,
)
from .base import EmittedOp, LowerContext, OpLowering

# One line per family (see DESIGN.md for which operators each holds).
_FAMILIES = (
    conv,
    reduce,
    elementwise,
    movement,
    reshape,
    slicing,
    gather,
    space,
    shape,
    reduction,
    resize,
    transpose_conv,
    normalize,
    arith,
    math,
    compare,
    batch_matmul,
    recurrent,
    control,
    variables,
    signal,
    detection,
    one_hot,
)

# CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED dispatch hybrid operands to ops/hybrid.py, SVDF and
# UNIDIRECTIONAL_SEQUENCE_LSTM to ops/hybrid_recurrent.py.
LOWERINGS_BY_OPCODE: dict[str, OpLowering] = hybrid_recurrent.with_hybrid_recurrent(
    hybrid.with_hybrid_kernels({lowering.opcode: lowering for family in _FAMILIES for lowering in family.LOWERINGS})
)
# Shape arithmetic on constants (SHAPE -> STRIDED_SLICE -> ...) folds through operators whose own
# family defines no fold: ops/shape.py supplies one (passes/fold.py).
for _opcode, _fold in shape.FOLDS_FOR_OTHER_FAMILIES.items():
    if _opcode in LOWERINGS_BY_OPCODE and LOWERINGS_BY_OPCODE[_opcode].fold is None:
        LOWERINGS_BY_OPCODE[_opcode] = dataclasses.replace(LOWERINGS_BY_OPCODE[_opcode], fold=_fold)

SUPPORTED_OPCODES: tuple[str, ...] = tuple(sorted(LOWERINGS_BY_OPCODE))

__all__ = ["EmittedOp", "LowerContext", "OpLowering", "LOWERINGS_BY_OPCODE", "SUPPORTED_OPCODES"]
