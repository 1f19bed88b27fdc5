"""Graph IR: what the frontend produces and every later stage consumes.

Conventions (shared by the frontend, the test-model writer and the operator lowerings):
- Tensor.dtype is a numpy dtype name: "int8", "uint8", "int16", "int32", "int64", "float32", "bool".
- Operator.options holds the TFLite builtin options of the operator, keyed by the snake_case field
  names of TFLite's schema.fbs (e.g. "stride_w", "dilation_h_factor", "fused_activation_function",
  "depth_multiplier", "keep_num_dims"); enum values are their schema names as strings
  ("SAME"/"VALID", "NONE"/"RELU"/"RELU_N1_TO_1"/"RELU6"/"TANH"/"SIGN_BIT"). Options the operator
  does not have are absent.
- Operator.inputs uses -1 for an optional input that is not given (e.g. a convolution without bias).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np


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


@dataclass
class Graph:
    """One TFLite subgraph (the main one) with its tensors, in execution order."""

    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    source_name: str = ""  # file name of the model (no directory), for messages and metadata
    source_sha256: str = ""

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def producers(self) -> dict[int, int]:
        """tensor index -> index of the operator that writes it."""
        return {t: op.index for op in self.operators for t in op.outputs}
