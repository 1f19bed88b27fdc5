"""Control flow: IF, WHILE and CALL_ONCE, which run other subgraphs of the model.

Every subgraph a model runs becomes a static C function in the generated lib1.c
(`tvmgen_<m>_subgraph<k>`, see codegen), whose tensors have fixed places in the workspace
(passes/timeline.py says how they are planned). The operators here only move bytes and call
those functions, with TFLite's semantics (LiteRT's kernels/if.cc and while.cc copy tensors
between subgraphs the same way):

- IF: the first input is the condition, a bool tensor of one element (LiteRT's IF accepts bool
  only). The other inputs are copied into the inputs of the chosen branch subgraph, the branch
  runs, and its outputs are copied into the IF's outputs.
- WHILE: the inputs are copied into the outputs, which then hold the loop variables. Each
  iteration copies them into the inputs of the cond subgraph and runs it; if its one output (a
  bool of one element) is false the loop ends; otherwise the loop variables are copied into the
  inputs of the body subgraph, the body runs and its outputs become the new loop variables. The
  trip count is whatever the data make it.
- CALL_ONCE: runs its init subgraph (no inputs, no outputs: typically VAR_HANDLE +
  ASSIGN_VARIABLE of initial values) the first time it executes after tvmgen_<m>_reset_state,
  and does nothing afterwards (LiteRT: once per interpreter). The "has run" flag is one byte of
  the state pool (passes/variables.py).

Resource handles may be passed into subgraphs (ops/variables.py resolves them statically; they
are never copied). Shapes must be static: TFLite would resize a subgraph's inputs to the operands' shapes and let
shapes change from one iteration to the next; here every operand must have exactly the shape and
type of the subgraph tensor it is copied to or from, or the operator is rejected.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import UnsupportedError
from ..ir import RESOURCE, Graph, Operator, Subgraph, Tensor
from ..passes.variables import model_state, once_key
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ()
SOURCES = ()


def _describe(t: Tensor) -> str:
    return f"{t.dtype}{list(t.shape)}"


def _subgraph(op: Operator, graph: Graph, field: str) -> Subgraph:
    index = int(op.options.get(field, 0))
    if index == op.subgraph or index not in graph.subgraphs:  # the reader rejects recursion first
        raise UnsupportedError(f"{field} {index} is not a subgraph this operator can run")
    return graph.subgraph(index)


def _check_no_absent(op: Operator) -> None:
    if any(t < 0 for t in (*op.inputs, *op.outputs)):
        raise UnsupportedError("an operand is absent (-1); every input and output must be a tensor")


def _check_same(outer: Tensor, inner: Tensor, what: str) -> None:
    """The bytes are copied as they are, so the two tensors must hold the same type and shape
    (resource handles: the same type; they are resolved at generation time, ops/variables.py)."""
    if outer.dtype == RESOURCE and inner.dtype == RESOURCE:
        return
    if outer.dtype != inner.dtype or tuple(outer.shape) != tuple(inner.shape):
        raise UnsupportedError(
            f"{what}: {outer.name!r} is {_describe(outer)} but {inner.name!r} is {_describe(inner)}; the shape or "
            "type would change at run time (dynamic shapes), which is not supported: every operand must have "
            "exactly the static shape and type of the subgraph tensor it is passed to or from"
        )


def _check_bool_scalar(t: Tensor, what: str) -> None:
    if t.dtype != "bool" or t.num_elements != 1:
        raise UnsupportedError(
            f"{what} {t.name!r} is {_describe(t)}; it must be a bool tensor of one element "
            "(TFLite's IF and WHILE take no other condition type)"
        )


# ---------------------------------------------------------------------------------------------
# IF


def _check_if(op: Operator, graph: Graph) -> None:
    _check_no_absent(op)
    if not op.inputs:
        raise UnsupportedError("IF needs its condition as the first input")
    _check_bool_scalar(graph.tensor(op.inputs[0]), "the condition")
    operands = [graph.tensor(t) for t in op.inputs[1:]]
    results = [graph.tensor(t) for t in op.outputs]
    for field in ("then_subgraph_index", "else_subgraph_index"):
        branch = _subgraph(op, graph, field)
        name = f"subgraph {branch.index} ({field[:4]} branch)"
        if len(branch.inputs) != len(operands) or len(branch.outputs) != len(results):
            raise UnsupportedError(
                f"{name} has {len(branch.inputs)} inputs and {len(branch.outputs)} outputs, but the IF passes "
                f"{len(operands)} inputs (after the condition) and takes {len(results)} outputs"
            )
        for k, (outer, inner) in enumerate(zip(operands, branch.inputs)):
            _check_same(outer, graph.tensor(inner), f"input {k + 1} to {name}")
        for k, (outer, inner) in enumerate(zip(results, branch.outputs)):
            _check_same(outer, graph.tensor(inner), f"output {k} of {name}")


def _copies(ctx: LowerContext, pairs: Sequence[tuple[int, int]], indent: str) -> list[str]:
    """memcpy(dst, src) for each (dst, src) tensor pair of equal size. Resource handles are not
    copied: which variable they name is known at generation time (passes/variables.py)."""
    handles = model_state(ctx.graph).by_handle
    lines = []
    for dst, src in pairs:
        nbytes = ctx.graph.tensor(dst).nbytes
        if nbytes and dst not in handles:
            lines.append(f"{indent}memcpy({ctx.buf(dst)}, {ctx.buf(src)}, {nbytes});")
    return lines


def _run_subgraph(ctx: LowerContext, index: int, indent: str) -> list[str]:
    return [f"{indent}if ({ctx.call_subgraph(index)} != 0) return -1;"]


def _emit_if(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    cond = ctx.buf(op.inputs[0])
    lines = [f"if ({cond}[0] != 0) {{"]
    for position, field in enumerate(("then_subgraph_index", "else_subgraph_index")):
        branch = graph.subgraph(int(op.options[field]))
        if position == 1:
            lines.append("} else {")
        lines.append(f"  /* subgraph {branch.index} */")
        lines += _copies(ctx, list(zip(branch.inputs, op.inputs[1:])), "  ")
        lines += _run_subgraph(ctx, branch.index, "  ")
        lines += _copies(ctx, list(zip(op.outputs, branch.outputs)), "  ")
    lines.append("}")
    return EmittedOp(call="\n".join(lines))


# ---------------------------------------------------------------------------------------------
# WHILE


def _check_while(op: Operator, graph: Graph) -> None:
    _check_no_absent(op)
    cond = _subgraph(op, graph, "cond_subgraph_index")
    body = _subgraph(op, graph, "body_subgraph_index")
    if cond.index == body.index:
        raise UnsupportedError(f"the cond and body subgraphs are the same (subgraph {cond.index}); TFLite requires two")
    n = len(op.inputs)
    if len(op.outputs) != n:
        raise UnsupportedError(f"WHILE has {n} inputs but {len(op.outputs)} outputs; TFLite requires as many of each")
    operands = [graph.tensor(t) for t in op.inputs]
    results = [graph.tensor(t) for t in op.outputs]
    if len(cond.inputs) != n or len(cond.outputs) != 1:
        raise UnsupportedError(
            f"the cond subgraph {cond.index} has {len(cond.inputs)} inputs and {len(cond.outputs)} outputs; "
            f"it must take the {n} loop variables and give one bool"
        )
    if len(body.inputs) != n or len(body.outputs) != n:
        raise UnsupportedError(
            f"the body subgraph {body.index} has {len(body.inputs)} inputs and {len(body.outputs)} outputs; "
            f"it must take and give the {n} loop variables"
        )
    _check_bool_scalar(graph.tensor(cond.outputs[0]), f"the output of the cond subgraph {cond.index}")
    for k, outer in enumerate(operands):
        _check_same(outer, results[k], f"loop variable {k}")
        _check_same(outer, graph.tensor(cond.inputs[k]), f"loop variable {k} into the cond subgraph {cond.index}")
        _check_same(outer, graph.tensor(body.inputs[k]), f"loop variable {k} into the body subgraph {body.index}")
        _check_same(outer, graph.tensor(body.outputs[k]), f"loop variable {k} out of the body subgraph {body.index}")


def _emit_while(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    cond = graph.subgraph(int(op.options["cond_subgraph_index"]))
    body = graph.subgraph(int(op.options["body_subgraph_index"]))
    lines = ["/* the outputs hold the loop variables */"]
    lines += _copies(ctx, list(zip(op.outputs, op.inputs)), "")
    lines.append("for (;;) {")
    lines.append(f"  /* cond: subgraph {cond.index} */")
    lines += _copies(ctx, list(zip(cond.inputs, op.outputs)), "  ")
    lines += _run_subgraph(ctx, cond.index, "  ")
    lines.append(f"  if ({ctx.buf(cond.outputs[0])}[0] == 0) break;")
    lines.append(f"  /* body: subgraph {body.index} */")
    lines += _copies(ctx, list(zip(body.inputs, op.outputs)), "  ")
    lines += _run_subgraph(ctx, body.index, "  ")
    lines += _copies(ctx, list(zip(op.outputs, body.outputs)), "  ")
    lines.append("}")
    return EmittedOp(call="\n".join(lines))


# ---------------------------------------------------------------------------------------------
# CALL_ONCE


def _check_call_once(op: Operator, graph: Graph) -> None:
    if op.inputs or op.outputs:
        raise UnsupportedError("CALL_ONCE takes no inputs and gives no outputs")
    init = _subgraph(op, graph, "init_subgraph_index")
    if init.inputs or init.outputs:
        raise UnsupportedError(
            f"the init subgraph {init.index} has {len(init.inputs)} inputs and {len(init.outputs)} outputs; "
            "TFLite requires none"
        )


def _emit_call_once(op: Operator, ctx: LowerContext) -> EmittedOp:
    init = int(op.options["init_subgraph_index"])
    lines = [
        f"uint8_t* const done = {ctx.state(once_key(op.index))};  /* set once subgraph {init} has run */",
        "if (done[0] == 0) {",
        *_run_subgraph(ctx, init, "  "),
        "  done[0] = 1;",
        "}",
    ]
    return EmittedOp(call="\n".join(lines))


LOWERINGS: list[OpLowering] = [
    OpLowering(
        opcode="IF",
        check=_check_if,
        emit=_emit_if,
        headers=HEADERS,
        sources=SOURCES,
        dtypes=("int8", "float32", "int32", "bool"),
    ),
    OpLowering(
        opcode="WHILE",
        check=_check_while,
        emit=_emit_while,
        headers=HEADERS,
        sources=SOURCES,
        dtypes=("int8", "float32", "int32", "bool"),
    ),
    OpLowering(
        opcode="CALL_ONCE",
        check=_check_call_once,
        emit=_emit_call_once,
        headers=HEADERS,
        sources=SOURCES,
        dtypes=("int8", "float32"),
    ),
]
