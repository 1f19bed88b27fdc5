"""In-place candidates: operator outputs that may share bytes with one of their inputs.

Each lowering declares, through OpLowering.in_place_inputs, which of its inputs its C kernel
lets the output overlap and how far (see ops/base.py). This pass only collects those
declarations in terms of storage groups; the memory planner decides whether to use them, and
only does so when the input's group is dead after the operator (see memory/graph_plan.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ir import Graph
from .timeline import timeline
from .util import Lowerings

if TYPE_CHECKING:
    from .aliases import Storage


@dataclass(frozen=True)
class InPlace:
    """At operator step `step`, the buffer of `output` may overlap the buffer of `input` if
    (output offset) - (input offset) <= max_delta. Both are home tensors of storage groups."""

    step: int
    output: int
    input: int
    max_delta: int


def in_place_candidates(graph: Graph, storage: Storage, lowerings: Lowerings) -> tuple[InPlace, ...]:
    """Every declared (output, input) overlap, by step; the smallest D when an input repeats.
    `graph` is on the timeline (passes/timeline.py), as for resolve_storage."""
    graph = timeline(graph)
    found: dict[tuple[int, int, int], int] = {}
    for step, op in enumerate(graph.operators):
        lowering = lowerings.get(op.opcode)
        if lowering is None or lowering.alias_input or step in storage.alias_steps or not op.outputs:
            continue
        output = storage.home[op.outputs[0]]
        for position, delta in lowering.in_place_inputs(op, graph).items():
            tensor = op.inputs[position]
            if tensor < 0 or graph.tensor(tensor).is_constant:
                continue  # constants live in flash
            source = storage.home[tensor]
            if source == output:
                continue
            key = (step, output, source)
            found[key] = min(found.get(key, delta), int(delta))
    return tuple(InPlace(step, output, source, delta) for (step, output, source), delta in sorted(found.items()))
