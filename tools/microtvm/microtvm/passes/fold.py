"""Constant folding: operators whose outputs are known at generation time become constants.

Two kinds of operator are folded, in graph order (so a chain folds from its first link):
- aliases (RESHAPE, SQUEEZE, EXPAND_DIMS) of a constant: the same bytes under another shape;
- operators whose lowering has a `fold` (ops/base.py): e.g. SHAPE of any tensor (every shape is
  static), BROADCAST_ARGS of constant shapes, and data movement (GATHER, SLICE, PACK, ...) of
  constant operands, which is how the shape arithmetic of exported models
  (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE) disappears before any operator is checked.

The pass runs before the per-operator checks: a folded operator is never lowered, so its
check() does not apply, and a fold() returns None for anything its check() would reject.
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np

from ..errors import ModelFormatError
from ..ir import Graph, Operator, Tensor
from .shapes import infer_output_shapes
from .util import Lowerings, is_alias_op


def fold_constant_aliases(graph: Graph, lowerings: Lowerings) -> Graph:
    """Fold every foldable operator (the name is historical: aliases were the first kind), in the
    main subgraph and in every subgraph it runs (all tensors are in graph.tensors)."""
    tensors = list(graph.tensors)
    current = dataclasses.replace(graph, tensors=tensors)  # sees the constants folded so far
    kept = _fold(graph.operators, graph.inputs, tensors, current, lowerings)
    subgraphs = {
        k: dataclasses.replace(sub, operators=_fold(sub.operators, sub.inputs, tensors, current, lowerings))
        for k, sub in graph.subgraphs.items()
    }
    changed = len(kept) != len(graph.operators) or any(
        len(subgraphs[k].operators) != len(sub.operators) for k, sub in graph.subgraphs.items()
    ) or any(new is not old for new, old in zip(tensors, graph.tensors))  # shapes inferred (passes/shapes.py)
    if not changed:
        return graph
    return dataclasses.replace(graph, tensors=tensors, operators=kept, subgraphs=subgraphs)


def _fold(
    operators: list[Operator], inputs: Sequence[int], tensors: list[Tensor], current: Graph, lowerings: Lowerings
) -> list[Operator]:
    """The operators that stay; the outputs of the others become constants in `tensors`."""
    kept = []
    for op in operators:
        try:
            arrays = _fold_one(op, inputs, tensors, current, lowerings)
        except (ArithmeticError, IndexError, KeyError, TypeError, ValueError) as exc:
            # As passes/validate.py does for check(): a fold (which runs before any check) that
            # trips over its operands met a model no converter writes. Say which operator.
            raise ModelFormatError(
                f"{current.source_name}: {op.location} ({op.opcode}) has operands it cannot have "
                f"({type(exc).__name__}: {exc}); the model is damaged or was not written by a TFLite converter"
            ) from exc
        if arrays is not None and _fits(op, tensors, arrays):
            for index, array in zip(op.outputs, arrays):
                tensors[index] = dataclasses.replace(tensors[index], data=_as_declared(tensors[index], array))
        else:
            kept.append(op)
    return kept


def _fold_one(
    op: Operator, inputs: Sequence[int], tensors: list[Tensor], current: Graph, lowerings: Lowerings
) -> Optional[Sequence[np.ndarray]]:
    """The output arrays of `op` when it folds, else None."""
    infer_output_shapes(op, tensors)  # shapes the converter left dynamic, before anything uses them
    lowering = lowerings.get(op.opcode)
    if is_alias_op(op, lowerings):
        source = tensors[op.inputs[0]]
        result = tensors[op.outputs[0]]
        if source.is_constant and source.num_elements == result.num_elements and source.dtype == result.dtype:
            return [np.asarray(source.data).reshape(result.shape)]
        return None
    if lowering is not None and lowering.fold is not None and not set(op.outputs) & set(inputs):
        return lowering.fold(op, current)
    return None


def _fits(op: Operator, tensors: list[Tensor], arrays: Sequence[np.ndarray]) -> bool:
    """The folded values have the element types and element counts the model declares."""
    if len(arrays) != len(op.outputs):
        return False
    for index, array in zip(op.outputs, arrays):
        tensor = tensors[index]
        if str(np.asarray(array).dtype) != tensor.dtype or np.asarray(array).size != tensor.num_elements:
            return False
    return True


def _as_declared(tensor: Tensor, array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(array).reshape(tensor.shape))
