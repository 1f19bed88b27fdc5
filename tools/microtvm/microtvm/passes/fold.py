"""Fold RESHAPE/SQUEEZE of constants into constants, so the operator disappears."""
from __future__ import annotations

import dataclasses

from ..ir import Graph
from .util import is_alias_op


def fold_constant_aliases(graph: Graph) -> Graph:
    """A reshape of a constant is the same bytes under another shape: make the output a constant
    with that data and drop the operator (its lowering would otherwise alias a flash array)."""
    tensors = list(graph.tensors)
    kept = []
    for op in graph.operators:
        source = tensors[op.inputs[0]] if is_alias_op(op) else None
        if source is not None and source.is_constant:
            result = tensors[op.outputs[0]]
            tensors[result.index] = dataclasses.replace(result, data=source.data.reshape(result.shape))
        else:
            kept.append(op)
    if len(kept) == len(graph.operators):
        return graph
    return dataclasses.replace(graph, tensors=tensors, operators=kept)
