"""Fold RESHAPE/SQUEEZE of constants into constants, so the operator disappears."""
from __future__ import annotations

import dataclasses

from ..ir import Graph, Operator, Tensor
from .util import is_alias_op


def fold_constant_aliases(graph: Graph) -> Graph:
    """A reshape of a constant is the same bytes under another shape: make the output a constant
    with that data and drop the operator (its lowering would otherwise alias a flash array).
    Done in every subgraph (all tensors are in graph.tensors)."""
    tensors = list(graph.tensors)
    kept = _fold(graph.operators, tensors)
    subgraphs = {
        k: dataclasses.replace(sub, operators=_fold(sub.operators, tensors)) for k, sub in graph.subgraphs.items()
    }
    changed = len(kept) != len(graph.operators) or any(
        len(subgraphs[k].operators) != len(sub.operators) for k, sub in graph.subgraphs.items()
    )
    if not changed:
        return graph
    return dataclasses.replace(graph, tensors=tensors, operators=kept, subgraphs=subgraphs)


def _fold(operators: list[Operator], tensors: list[Tensor]) -> list[Operator]:
    kept = []
    for op in operators:
        source = tensors[op.inputs[0]] if is_alias_op(op) else None
        if source is not None and source.is_constant:
            result = tensors[op.outputs[0]]
            tensors[result.index] = dataclasses.replace(result, data=source.data.reshape(result.shape))
        else:
            kept.append(op)
    return kept
