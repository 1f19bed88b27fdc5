"""Resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE), CALL_ONCE flags and the
state operators own (OpLowering.state_init): the model state that is not a tensor of the graph.

TFLite keeps resource variables in the interpreter, named by (container, shared_name): every
VAR_HANDLE with the same pair, in any subgraph, refers to the same variable (LiteRT's
var_handle.cc maps the pair to a resource id), ASSIGN_VARIABLE stores a copy of a tensor in it and
READ_VARIABLE copies it out. Likewise each CALL_ONCE remembers whether its init subgraph has run.
Both persist from one invocation to the next, so here they live in the state pool (memory/graph_plan.py,
next to the variable tensors of stateful models), and tvmgen_<m>_reset_state clears them (a new
interpreter: no variable holds a value, no init subgraph has run).

A variable's type and shape are static: the ones of the first value assigned to it (in model order:
the main subgraph, then the subgraphs by index); every assignment and read must agree (ops/variables.py
checks that). This module only collects; it raises nothing (an operator whose lowering cannot
say its state, because the operator is unsupported, owns none here: check() reports it).

Operator state: TFLite Micro's stateful kernels keep persistent buffers of their own (the Signal
library's framer, stacker, delay, overlap-add and noise estimate). A lowering declares one such
buffer with OpLowering.state_init (its initial bytes); it is the state buffer "op<index>" of that
operator, restored to those bytes by tvmgen_<m>_reset_state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..ir import Graph, Operator
from .util import Lowerings

VARIABLE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE")


@dataclass(frozen=True)
class ResourceVariable:
    key: str  # state buffer key: "var<k>", k in order of first VAR_HANDLE
    container: str
    shared_name: str
    dtype: str  # "" when nothing assigns the variable
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize if self.dtype else 0

    @property
    def label(self) -> str:
        return f"{self.container}/{self.shared_name}" if self.container else self.shared_name


@dataclass(frozen=True)
class OperatorState:
    key: str  # state buffer key: operator_state_key(op)
    op: int  # operator index
    initial: bytes  # the buffer's bytes after tvmgen_<m>_reset_state (its size)


@dataclass(frozen=True)
class ModelState:
    variables: tuple[ResourceVariable, ...]
    # handle tensor -> its variable: VAR_HANDLE outputs and the handles they are copied into by
    # control flow (subgraph inputs, loop variables)
    by_handle: dict[int, ResourceVariable]
    once: tuple[int, ...]  # CALL_ONCE operator indices; their flags have state keys once_key(index)


def once_key(op_index: int) -> str:
    return f"once{op_index}"


def operator_state_key(op_index: int) -> str:
    return f"op{op_index}"


def model_state(graph: Graph) -> ModelState:
    operators = graph.all_operators()
    names: dict[tuple[str, str], str] = {}
    handle_names: dict[int, tuple[str, str]] = {}
    for op in operators:
        if op.opcode == "VAR_HANDLE" and op.outputs:
            pair = (str(op.options.get("container", "")), str(op.options.get("shared_name", "")))
            names.setdefault(pair, f"var{len(names)}")
            handle_names[op.outputs[0]] = pair
    _propagate(graph, handle_names)
    signature: dict[tuple[str, str], tuple[str, tuple[int, ...]]] = {}
    for op in operators:
        if (
            op.opcode == "ASSIGN_VARIABLE"
            and len(op.inputs) == 2
            and op.inputs[0] in handle_names
            and op.inputs[1] >= 0
        ):
            value = graph.tensor(op.inputs[1])
            signature.setdefault(handle_names[op.inputs[0]], (value.dtype, tuple(value.shape)))
    variables = {
        pair: ResourceVariable(key, pair[0], pair[1], *signature.get(pair, ("", ()))) for pair, key in names.items()
    }
    return ModelState(
        variables=tuple(variables.values()),
        by_handle={tensor: variables[pair] for tensor, pair in handle_names.items()},
        once=tuple(op.index for op in operators if op.opcode == "CALL_ONCE"),
    )


def operator_states(graph: Graph, lowerings: Lowerings) -> tuple[OperatorState, ...]:
    """The state buffers operators own (OpLowering.state_init), by operator index; they come with
    the storage groups (passes.resolve_storage(graph, lowerings).operator_state)."""
    states = {}
    for op in graph.all_operators():  # an operator may appear several times on a timeline (passes/timeline.py)
        lowering = lowerings.get(op.opcode)
        if op.index < 0 or op.index in states or lowering is None or lowering.state_init is None:
            continue
        try:
            initial = lowering.state_init(op, graph)
        except UserError:  # unsupported operands: check() says why
            continue
        if initial is not None and np.asarray(initial).size:
            data = np.asarray(initial, np.uint8).tobytes()
            states[op.index] = OperatorState(operator_state_key(op.index), op.index, data)
    return tuple(states[index] for index in sorted(states))


def _propagate(graph: Graph, handle_names: dict[int, tuple[str, str]]) -> None:
    """Handles passed into subgraphs (IF operands, WHILE loop variables) name the variable of the
    handle passed, when every way into the tensor passes the same one; a tensor reached by
    handles of different variables names none (its readers are rejected)."""
    flows = [flow for op in graph.all_operators() for flow in handle_flows(graph, op)]
    conflicting: set[int] = set()
    changed = True
    while changed:
        changed = False
        for dst, src in flows:
            if src not in handle_names or dst in conflicting:
                continue
            if dst not in handle_names:
                handle_names[dst] = handle_names[src]
                changed = True
            elif handle_names[dst] != handle_names[src]:
                conflicting.add(dst)
                del handle_names[dst]
                changed = True


def handle_flows(graph: Graph, op: Operator) -> list[tuple[int, int]]:
    """(destination, source) tensor pairs whose bytes a control-flow operator copies."""
    if op.opcode == "IF":
        pairs = []
        for field in ("then_subgraph_index", "else_subgraph_index"):
            branch = graph.subgraphs.get(int(op.options.get(field, 0)))
            if branch is not None:
                pairs += list(zip(branch.inputs, op.inputs[1:])) + list(zip(op.outputs, branch.outputs))
        return pairs
    if op.opcode == "WHILE":
        cond = graph.subgraphs.get(int(op.options.get("cond_subgraph_index", 0)))
        body = graph.subgraphs.get(int(op.options.get("body_subgraph_index", 0)))
        pairs = list(zip(op.outputs, op.inputs))
        if body is not None:
            pairs += list(zip(body.inputs, op.outputs)) + list(zip(op.outputs, body.outputs))
        if cond is not None:
            pairs += list(zip(cond.inputs, op.outputs))
        return pairs
    return []
