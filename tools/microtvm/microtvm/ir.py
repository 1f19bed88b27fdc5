"""Graph IR: what the frontend produces and every later stage consumes.

Conventions (shared by the frontend, the test-model writer and the operator lowerings):
- Tensor.dtype is a numpy dtype name: "int8", "uint8", "int16", "int32", "int64", "float32", "bool".
- Operator.options holds the TFLite builtin options of the operator, keyed by the snake_case field
  names of TFLite's schema.fbs (e.g. "stride_w", "dilation_h_factor", "fused_activation_function",
  "depth_multiplier", "keep_num_dims"); enum values are their schema names as strings
  ("SAME"/"VALID", "NONE"/"RELU"/"RELU_N1_TO_1"/"RELU6"/"TANH"/"SIGN_BIT"). Options the operator
  does not have are absent.
- Operator.inputs uses -1 for an optional input that is not given (e.g. a convolution without bias).
- Models with control flow (IF, WHILE, CALL_ONCE) have several subgraphs. `Graph` is the main one
  (subgraph 0); the subgraphs it calls, directly or nested, are `Graph.subgraphs` (by their index
  in the model file). Tensor and operator indices are unique over the whole model: the main
  subgraph's keep their file positions, the called subgraphs' follow them, and every tensor lives
  in `Graph.tensors`. `Operator.subgraph` / `Operator.local_index` say where an operator is in the
  file (for messages). Lowerings always get the main `Graph`, whichever subgraph the operator is in.
- Resource tensors (VAR_HANDLE's output) have dtype RESOURCE ("resource"): a compile-time handle
  to a resource variable, with no storage of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

RESOURCE = "resource"  # dtype of resource handles (TFLite TensorType RESOURCE); not a numpy dtype

# The C type of each dtype a tensor may have in generated code (model inputs and outputs too).
C_TYPES: dict[str, str] = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "uint16": "uint16_t",
    "int32": "int32_t",
    "uint32": "uint32_t",
    "int64": "int64_t",
    "uint64": "uint64_t",
    "float32": "float",
    "float64": "double",
    "bool": "uint8_t",
}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point). One entry per channel if per-channel."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0  # TFLite's quantized_dimension; meaningful only when per-channel

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Optional[Quantization] = None
    data: Optional[np.ndarray] = None  # set for constants (weights, biases, shape operands)
    # TFLite's Tensor.is_variable: state that persists across invocations (LSTM/SVDF state).
    # Such a tensor lives in the state pool; `data`, if set, is its initial value, not a constant.
    is_variable: bool = False

    @property
    def is_constant(self) -> bool:
        return self.data is not None and not self.is_variable

    @property
    def num_elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        if self.dtype == RESOURCE:
            return 0  # a handle resolved at generation time: nothing stored at run time
        return self.num_elements * np.dtype(self.dtype).itemsize


@dataclass
class Operator:
    index: int
    opcode: str  # TFLite BuiltinOperator name, e.g. "CONV_2D"
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)
    # TFLite's Operator.intermediates: tensors that only carry quantization parameters of values
    # inside the operator (the integer LSTM's gate and hidden scales).
    intermediates: tuple[int, ...] = ()
    subgraph: int = 0  # index in the model file of the subgraph holding the operator
    local_index: int = -1  # position in that subgraph in the file; -1: same as `index`

    @property
    def location(self) -> str:
        """"operator 3 in subgraph 0", for messages (positions as in the file)."""
        position = self.index if self.local_index < 0 else self.local_index
        return f"operator {position} in subgraph {self.subgraph}"


# Operators that run other subgraphs: opcode -> the option fields holding the subgraph indices.
SUBGRAPH_OPTIONS: dict[str, tuple[str, ...]] = {
    "IF": ("then_subgraph_index", "else_subgraph_index"),
    "WHILE": ("cond_subgraph_index", "body_subgraph_index"),
    "CALL_ONCE": ("init_subgraph_index",),
}


def called_subgraphs(op: Operator) -> tuple[int, ...]:
    """The model subgraph indices `op` runs (empty for ordinary operators)."""
    return tuple(int(op.options.get(name, 0)) for name in SUBGRAPH_OPTIONS.get(op.opcode, ()))


@dataclass
class Subgraph:
    """A subgraph run by a control-flow operator. Its tensors are in the main Graph's `tensors`."""

    index: int  # in the model file (>= 1)
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    name: str = ""


@dataclass
class Graph:
    """The main TFLite subgraph with its tensors (and those of every called subgraph), in
    execution order."""

    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    source_name: str = ""  # file name of the model (no directory), for messages and metadata
    source_sha256: str = ""
    subgraphs: dict[int, Subgraph] = field(default_factory=dict)  # called subgraphs by file index

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def producers(self) -> dict[int, int]:
        """tensor index -> index of the operator that writes it."""
        return {t: op.index for op in self.operators for t in op.outputs}

    def subgraph(self, index: int) -> Subgraph:
        """A called subgraph by its index in the model file."""
        return self.subgraphs[index]

    def all_operators(self) -> list[Operator]:
        """The operators of the main subgraph, then those of each called subgraph (by index)."""
        return [*self.operators, *(op for k in sorted(self.subgraphs) for op in self.subgraphs[k].operators)]
