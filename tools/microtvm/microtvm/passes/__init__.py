"""Graph-level passes, run between the frontend and the memory planner.

Per-operator constant preparation (requantization multipliers, bias folding, lookup tables)
happens inside each operator's lowering; the passes here only look at the graph as a whole:
  fold_constant_aliases: operators computable at generation time (a RESHAPE of a constant, a
    SHAPE, data movement of constants) become constants (no operator);
  resolve_storage: which tensors share storage (aliases) and which outputs need a copy;
  in_place_candidates: which operator outputs may overlap which inputs (for the planner);
  timeline: the operators of every subgraph on one line, in execution order (for the planner).

The passes never import the lowerings (ops/): the caller (compiler.py) passes the table in.
"""
from __future__ import annotations

from ..ir import Graph
from .aliases import Copy, Storage, resolve_storage
from .fold import fold_constant_aliases
from .inplace import InPlace, in_place_candidates
from .shapes import check_no_dynamic_shapes
from .timeline import TIMELINE_MARK, timeline
from .util import Lowerings


def run_all(graph: Graph, lowerings: Lowerings) -> Graph:
    """The graph rewrites, in order. Pure: the input graph is not modified. Folding also works
    out the shapes the converter left dynamic (passes/shapes.py); a model with one it cannot is
    refused here."""
    graph = fold_constant_aliases(graph, lowerings)
    check_no_dynamic_shapes(graph)
    return graph


__all__ = [
    "TIMELINE_MARK", "Copy", "InPlace", "Lowerings", "Storage", "fold_constant_aliases", "in_place_candidates",
    "resolve_storage", "run_all", "timeline",
]
