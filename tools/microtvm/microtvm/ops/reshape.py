"""RESHAPE and SQUEEZE: the output is the input's bytes with another shape.

Both are pure aliases (`alias_input=True`): the memory planner gives the output the storage of
its input, so no code is generated and nothing is copied. LiteRT's kernels copy the bytes
unchanged (quantization parameters are not applied), so aliasing is bit-exact by construction.
"""
from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Graph, Operator
from .base import EmittedOp, LowerContext, OpLowering


def _check(op: Operator, graph: Graph) -> None:
    source = graph.tensor(op.inputs[0])
    result = graph.tensor(op.outputs[0])
    if source.dtype != result.dtype:
        raise UnsupportedError(
            f"the output changes the element type from {source.dtype} to {result.dtype}; "
            f"a reshape must keep the element type"
        )
    if source.num_elements != result.num_elements:
        raise UnsupportedError(
            f"the output maps {source.num_elements} elements {list(source.shape)} to "
            f"{result.num_elements} elements {list(result.shape)}; only static shapes with the "
            f"same number of elements are supported"
        )


def _emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    # Never called: the code generator skips operators whose lowering has alias_input=True.
    raise AssertionError(f"{op.opcode} is an alias and generates no code")


_DTYPES = ("int8", "int16", "float32")  # what tests/test_reshape.py and test_ops_int16.py cover

LOWERINGS: list[OpLowering] = [
    OpLowering(opcode="RESHAPE", check=_check, emit=_emit, alias_input=True, dtypes=_DTYPES),
    OpLowering(opcode="SQUEEZE", check=_check, emit=_emit, alias_input=True, dtypes=_DTYPES),
]
