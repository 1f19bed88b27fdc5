"""Resource variables: VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE.

The variables live in the state pool (passes/variables.py, memory/graph_plan.py): one buffer per
(container, shared_name), of the static type and shape of what is assigned to it, cleared by
tvmgen_<m>_reset_state. As LiteRT's kernels (var_handle.cc, read_variable.cc,
assign_variable.cc) do, ASSIGN_VARIABLE copies the value's bytes into the variable and
READ_VARIABLE copies them out (no requantization: quantization parameters are not looked at).
VAR_HANDLE generates no code: which variable a handle names is known at generation time.

What LiteRT does dynamically and this rejects: a variable whose type or shape changes between
assignments (or that is read with another type or shape), a variable read but never assigned
(LiteRT fails at run time), handles that do not name one variable at generation time (a
handle comes from VAR_HANDLE, possibly passed into subgraphs by IF/WHILE; a subgraph input that
receives handles of different variables names none). A variable is read as zero bytes until first assigned after a
reset (LiteRT would fail); models initialise their variables in a CALL_ONCE init subgraph first.
"""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import RESOURCE, Graph, Operator, Tensor
from ..passes.variables import ResourceVariable, model_state
from .base import EmittedOp, LowerContext, OpLowering

DTYPES = ("int8", "float32")
_VALUE_DTYPES = ("int8", "uint8", "int16", "int32", "int64", "float32", "bool")


def _describe(dtype: str, shape: tuple[int, ...]) -> str:
    return f"{dtype}{list(shape)}"


def _variable(op: Operator, graph: Graph) -> ResourceVariable:
    handle = op.inputs[0] if op.inputs else -1
    variable = model_state(graph).by_handle.get(handle) if handle >= 0 else None
    if variable is None:
        name = graph.tensor(handle).name if handle >= 0 else "(absent)"
        raise UnsupportedError(
            f"the resource handle {name!r} does not name one variable known at generation time; handles must "
            "come from VAR_HANDLE, directly or passed into subgraphs, always for the same variable"
        )
    return variable


def _check_value(value: Tensor, variable: ResourceVariable, verb: str) -> None:
    if value.dtype not in _VALUE_DTYPES:
        raise UnsupportedError(f"{verb} a {value.dtype} tensor is not supported; use {', '.join(_VALUE_DTYPES)}")
    if (value.dtype, tuple(value.shape)) != (variable.dtype, variable.shape):
        raise UnsupportedError(
            f"{verb} {value.name!r} ({_describe(value.dtype, tuple(value.shape))}) but variable "
            f"{variable.label!r} is first assigned {_describe(variable.dtype, variable.shape)}; a variable must keep "
            "one static type and shape (dynamic shapes are not supported)"
        )


def _check_var_handle(op: Operator, graph: Graph) -> None:
    if op.inputs or len(op.outputs) != 1:
        raise UnsupportedError("VAR_HANDLE takes no inputs and gives one handle")
    handle = graph.tensor(op.outputs[0])
    if handle.dtype not in (RESOURCE, "int32") or handle.num_elements != 1:
        raise UnsupportedError(
            f"the handle {handle.name!r} is {handle.dtype}{list(handle.shape)}; expected one resource"
        )


def _emit_var_handle(op: Operator, ctx: LowerContext) -> EmittedOp:
    return EmittedOp(call="")  # the handle is resolved at generation time


def _check_assign(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 2 or op.outputs or op.inputs[1] < 0:
        raise UnsupportedError("ASSIGN_VARIABLE takes a handle and a value and gives no output")
    _check_value(graph.tensor(op.inputs[1]), _variable(op, graph), "assigning")


def _emit_assign(op: Operator, ctx: LowerContext) -> EmittedOp:
    variable = _variable(op, ctx.graph)
    value = op.inputs[1]
    return EmittedOp(
        call=f"memcpy({ctx.state(variable.key)}, {ctx.buf(value)}, {variable.nbytes});  /* {variable.label} */"
    )


def _check_read(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        raise UnsupportedError("READ_VARIABLE takes a handle and gives one value")
    variable = _variable(op, graph)
    if not variable.dtype:
        raise UnsupportedError(
            f"variable {variable.label!r} is read but no ASSIGN_VARIABLE in the model assigns it "
            "(LiteRT would fail at run time)"
        )
    _check_value(graph.tensor(op.outputs[0]), variable, "reading into")


def _emit_read(op: Operator, ctx: LowerContext) -> EmittedOp:
    variable = _variable(op, ctx.graph)
    return EmittedOp(
        call=f"memcpy({ctx.buf(op.outputs[0])}, {ctx.state(variable.key)}, {variable.nbytes});  /* {variable.label} */"
    )


LOWERINGS: list[OpLowering] = [
    OpLowering(opcode="VAR_HANDLE", check=_check_var_handle, emit=_emit_var_handle, dtypes=DTYPES),
    OpLowering(opcode="READ_VARIABLE", check=_check_read, emit=_emit_read, dtypes=DTYPES),
    OpLowering(opcode="ASSIGN_VARIABLE", check=_check_assign, emit=_emit_assign, dtypes=DTYPES),
]
