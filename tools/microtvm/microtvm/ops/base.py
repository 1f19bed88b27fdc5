"""The contract between the code generator and the operator lowerings.

Each operator family (ops/conv.py, ops/reduce.py, ...) exports LOWERINGS, a list of OpLowering.
For one operator the generator calls, in order:
  check(op, graph)          -> raise UnsupportedError(reason) if these operands are not supported
  scratch_bytes(op, graph)  -> bytes of kernel scratch the memory planner must provide
  emit(op, ctx)             -> EmittedOp: the C call (in _run); parameter structs through ctx.params

C kernels live in runtime/include/mtvm/<family>.h (+ runtime/src/<family>*.c); a lowering names
the headers and sources it needs so the MLF ships exactly those (OpLowering.sources for every
operator, plus EmittedOp.sources for the files only some operands need).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence, Union

import numpy as np

from ..ir import Graph, Operator

# A C initializer value (codegen/params.py): str is C as it is (an enum name, an identifier),
# bool, int and float are written as C literals, a sequence as an array initializer and a mapping
# as a nested struct initializer (their items again CValues).
CValue = Union[str, bool, int, float, np.integer, np.floating, Sequence[Any], Mapping[str, Any]]


class LowerContext(Protocol):
    """What emit() may ask the code generator for. All returned strings are C expressions."""

    graph: Graph
    prefix: str  # unique C identifier prefix for this operator's file-scope declarations, e.g. "op3"

    def buf(self, tensor_index: int) -> str:
        """Typed pointer to a tensor's data, e.g. "((int8_t*)(pool + 1024))". For a constant tensor
        the generator emits it once as a const array and returns that array's name."""

    def const(self, hint: str, array: np.ndarray) -> str:
        """Emit `array` as an aligned `const` array in the constants section; return its identifier.
        Only arrays registered here end up in the binary (shape operands need not be)."""

    def scratch(self) -> str:
        """`(void*)` pointer to this operator's scratch buffer (scratch_bytes() bytes, 16-aligned)."""

    def call_subgraph(self, index: int) -> str:
        """A C expression (int32_t, 0 on success) running the model's subgraph `index` (its C
        function). For control-flow operators (ops/control.py)."""

    def state(self, key: str) -> str:
        """`(uint8_t*)` pointer to a state buffer that is not a tensor (passes/variables.py: a
        resource variable "var<k>", a CALL_ONCE flag "once<op>" or an operator's own state
        "op<op>", see OpLowering.state_init), persistent between runs."""

    def params(self, c_type: str, fields: Mapping[str, object], name: str = "params") -> str:
        """Declare `static const <c_type> <prefix>_<name> = {.field = value, ...};` at file scope
        (in flash) and return its identifier: the one way a lowering emits C parameters (see
        codegen/params.py for how values are written). Enumerated fields take their enum names
        as str (e.g. "MTVM_CONV_PAIRS"), never numbers."""


@dataclass(frozen=True)
class EmittedOp:
    call: str  # one or more C statements executed in order inside tvmgen_<name>_run
    # File-scope C declarations other than parameter structs (those go through ctx.params),
    # placed before them.
    decls: str = ""
    # Runtime files this call needs beyond OpLowering.headers/sources (a lowering with several
    # kernel variants names each call's own files here, so a model ships only what it calls).
    headers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def _no_scratch(op: Operator, graph: Graph) -> int:
    return 0


def _no_macs(op: Operator, graph: Graph) -> int:
    return 0


def _no_in_place(op: Operator, graph: Graph) -> Mapping[int, int]:
    return {}


@dataclass(frozen=True)
class OpLowering:
    opcode: str
    check: Callable[[Operator, Graph], None]
    emit: Callable[[Operator, LowerContext], EmittedOp]
    headers: tuple[str, ...] = ()  # e.g. ("mtvm/conv.h",), relative to runtime/include
    sources: tuple[str, ...] = ()  # e.g. ("conv.c",), relative to runtime/src
    scratch_bytes: Callable[[Operator, Graph], int] = _no_scratch
    macs: Callable[[Operator, Graph], int] = _no_macs
    # True when the output is the input's bytes reinterpreted (RESHAPE, SQUEEZE): the planner
    # gives the output the input's storage and emit() is not called.
    alias_input: bool = False
    # In-place execution: which inputs the output (op.outputs[0]) may overlap, as a map from a
    # position in op.inputs to D, the largest allowed (output address - input address) in bytes
    # when the two overlap. The kernel must guarantee: once it has written output byte j, it
    # reads no input byte below j + D + 1. D = 0: the output may start at the input's address
    # or before it (a kernel that reads element i before writing element i and never goes back);
    # D = -d: the output must start at least d bytes before the input (a kernel that still
    # reads up to d bytes behind what it writes, e.g. a window of rows). Positions not in the
    # map must not overlap the output. The memory planner uses it only when the input is dead
    # after this operator. Declare only what the C kernel is proven to allow.
    in_place_inputs: Callable[[Operator, Graph], Mapping[int, int]] = _no_in_place
    # Tensor types this lowering compiles, as SUPPORTED_OPS.md lists them: "int8", "int16" (16x8:
    # int16 activations, int8 weights), "float32", "int32", "int64", "bool", "uint8", "hybrid"
    # (float32 activations, int8 weights). List only what tests cover against LiteRT.
    dtypes: tuple[str, ...] = ()
    # Constant folding (passes/fold.py): the output arrays, in op.outputs order, when they can be
    # computed at generation time (every data input constant, or a shape-only operator such as
    # SHAPE of a static-shaped tensor); None keeps the operator. The folded operator is dropped and
    # its outputs become constants, so fold() must reproduce TFLite exactly and return None for
    # anything check() would reject (it runs before check()).
    fold: Optional[Callable[[Operator, Graph], Optional[Sequence[np.ndarray]]]] = None
    # Optional: the runtime/src files this operator needs, when they depend on its operands (e.g.
    # an int16 variant in its own file). None: `sources` for every operator.
    sources_for: Optional[Callable[[Operator, Graph], tuple[str, ...]]] = None
    # Optional: state the operator owns and keeps between runs (TFLite Micro's persistent
    # buffers: a framer's sample queue, a noise estimate), as the initial bytes of its state
    # buffer (uint8, any length > 0), which tvmgen_<m>_reset_state restores; None or empty: no
    # state. The buffer lives in the state pool (memory/graph_plan.py); emit() gets a pointer to it
    # with ctx.state(passes.variables.operator_state_key(op.index)), aligned like the pool. It may
    # raise UnsupportedError for operands check() rejects (such an operator then owns no state).
    state_init: Optional[Callable[[Operator, Graph], Optional[np.ndarray]]] = None

    def sources_of(self, op: Operator, graph: Graph) -> tuple[str, ...]:
        """The runtime/src files the generated code for `op` calls into."""
        return self.sources if self.sources_for is None else self.sources_for(op, graph)
