"""The timeline: every operator of every subgraph in one sequence, as the memory planner sees it.

A model with control flow runs its subgraphs from inside operators of the main subgraph (IF,
WHILE, CALL_ONCE; see ops/control.py). Each subgraph is one C function whose tensors live at
fixed places in the workspace, and the control-flow operator copies its operands into the
subgraph's input tensors and the subgraph's outputs back (TFLite's semantics: the subgraphs have
tensors of their own). For planning, the control-flow operator is replaced by what it executes,
in order, so that every tensor gets a lifetime in one sequence of steps:

    IF      the IF itself (reads the condition), then for each branch:
            [copy-in: operands -> branch inputs] branch operators [copy-out: branch outputs -> results]
    WHILE   the WHILE itself (copies the operands into its results, the loop variables), then
            [results -> cond inputs] cond operators [cond output read]
            [results -> body inputs] body operators [body outputs -> results]
    CALL_ONCE  the CALL_ONCE itself, then the init subgraph's operators

Nested control flow expands recursively. Why lifetimes on this line are enough although a loop
runs its subgraphs many times: every tensor of a subgraph is written before it is read within
each run of the subgraph (its inputs by the copy-in), so nothing of a subgraph needs to survive
from one run to the next; what does (the loop variables, the operands of later branches, tensors
the caller still needs) is touched at both ends of the expansion and so is live across all of it.
A subgraph run from several places appears several times, and its tensors are then live from the
first to the last appearance (wasteful, never wrong). The two branches of an IF take turns on
the line, so their tensors may share memory: only one of them runs.

Copy markers are operators with opcode TIMELINE_MARK and index -1 (no lowering, no scratch, no
code): they only touch tensors.
"""

from __future__ import annotations

import dataclasses

from ..ir import Graph, Operator

TIMELINE_MARK = "MTVM_TIMELINE_MARK"


def timeline(graph: Graph) -> Graph:
    """`graph` with its operators replaced by the expanded sequence and no subgraphs left (the
    same graph when it runs none, so timeline(timeline(g)) == timeline(g)). Operators keep their
    (global) indices; markers have index -1. Step numbers of the memory plan count on this line."""
    if not graph.subgraphs:
        return graph
    sequence: list[Operator] = []
    for op in graph.operators:
        _expand(graph, op, sequence)
    return dataclasses.replace(graph, operators=sequence, subgraphs={})


def _mark(reads: tuple[int, ...], writes: tuple[int, ...], subgraph: int) -> Operator:
    return Operator(index=-1, opcode=TIMELINE_MARK, inputs=tuple(reads), outputs=tuple(writes), subgraph=subgraph)


def _expand(graph: Graph, op: Operator, sequence: list[Operator]) -> None:
    sequence.append(op)
    if op.opcode == "IF":
        for branch in (op.options["then_subgraph_index"], op.options["else_subgraph_index"]):
            _run(graph, branch, op.inputs[1:], op.outputs, sequence)
    elif op.opcode == "WHILE":
        _run(graph, op.options["cond_subgraph_index"], op.outputs, (), sequence)
        _run(graph, op.options["body_subgraph_index"], op.outputs, op.outputs, sequence)
    elif op.opcode == "CALL_ONCE":
        _run(graph, op.options["init_subgraph_index"], (), (), sequence)


def _run(
    graph: Graph, index: int, sources: tuple[int, ...], targets: tuple[int, ...], sequence: list[Operator]
) -> None:
    sub = graph.subgraph(index)
    sequence.append(_mark(sources, sub.inputs, index))
    for op in sub.operators:
        _expand(graph, op, sequence)
    sequence.append(_mark(sub.outputs, targets, index))
