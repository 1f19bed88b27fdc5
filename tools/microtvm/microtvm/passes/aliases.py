"""Storage sharing: which tensor's buffer holds each tensor's bytes.

RESHAPE and SQUEEZE outputs share their input's storage, so chains of them form groups with
one "home" tensor that owns the buffer. Normally the home is the group's first tensor. When a
group reaches a graph output, the output buffer (given by the caller) must hold the bytes:
- if the group starts at an intermediate tensor, the whole group moves into that output buffer,
  so the producing operator writes straight into it;
- if the group starts at a graph input, at another graph output, at a constant or at a variable
  (state) tensor, the bytes
  already live in a buffer we cannot move, so the output gets a copy (a `Copy`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..ir import Graph
from .inplace import InPlace, in_place_candidates
from .timeline import timeline
from .util import Lowerings, is_alias_op
from .variables import OperatorState, operator_states


@dataclass(frozen=True)
class Copy:
    """memcpy of a graph output's bytes from the storage of `src`, after operator step `step`."""

    step: int
    dst: int  # a graph output tensor
    src: int  # the tensor whose storage holds the bytes (input, output or constant)


@dataclass(frozen=True)
class Storage:
    home: dict[int, int]  # tensor -> tensor whose buffer holds its bytes (itself if it owns one)
    copies: tuple[Copy, ...]
    alias_steps: frozenset[int]  # operator steps (positions) that generate no code
    # Outputs that may overlap an input (OpLowering.in_place_inputs), for the memory planner.
    in_place: tuple[InPlace, ...] = ()
    # Buffers operators own in the state pool (OpLowering.state_init), by operator index.
    operator_state: tuple[OperatorState, ...] = ()


def resolve_storage(graph: Graph, lowerings: Lowerings) -> Storage:
    """Storage groups over every subgraph; Copy.step counts on the timeline (passes/timeline.py).
    `lowerings`: opcode -> OpLowering (which operators are aliases, which may run in place)."""
    graph = timeline(graph)
    outputs = set(graph.outputs)
    inputs = set(graph.inputs)
    home: dict[int, int] = {}
    copies: list[Copy] = []
    alias_steps: set[int] = set()

    def home_of(tensor: int) -> int:
        return home.get(tensor, tensor)

    def is_fixed(tensor: int) -> bool:
        """Buffers we cannot move: caller-owned I/O, constants and state (variable tensors)."""
        t = graph.tensor(tensor)
        return tensor in inputs or tensor in outputs or t.is_constant or t.is_variable

    for step, op in enumerate(graph.operators):
        if not is_alias_op(op, lowerings):
            continue
        alias_steps.add(step)
        source, result = op.inputs[0], op.outputs[0]
        root = home_of(source)
        if result not in outputs:
            home[result] = root
        elif is_fixed(root):
            copies.append(Copy(step=step, dst=result, src=root))
        else:
            for tensor, tensor_home in list(home.items()):
                if tensor_home == root:
                    home[tensor] = result
            home[root] = result

    last = len(graph.operators) - 1
    for tensor in graph.outputs:
        if graph.tensor(tensor).is_constant:  # e.g. a folded reshape of a constant
            copies.append(Copy(step=max(last, 0), dst=tensor, src=tensor))

    full = {t.index: home_of(t.index) for t in graph.tensors}
    storage = Storage(home=full, copies=tuple(copies), alias_steps=frozenset(alias_steps))
    return dataclasses.replace(
        storage,
        in_place=in_place_candidates(graph, storage, lowerings),
        operator_state=operator_states(graph, lowerings),
    )
