"""Shapes the converter left dynamic, worked out from the input shapes as LiteRT's Prepare does.

A Keras model without a fixed batch size converts with shape_signature -1 in its first
dimension. Most tensors then still have a static `shape` (batch 1). But where the converter could
not propagate the sizes (e.g. a RESHAPE to `(batch, -1, 4)` whose shape operand is computed by
SHAPE -> STRIDED_SLICE -> PACK, as Keras' Reshape layer writes it), the tensor's signature has -1
beyond the batch and its `shape` holds placeholder 1s: LiteRT computes the real shape when it
prepares the operator. The reader marks those dimensions -1 (frontend/reader.py); this module
computes them, operator by operator in graph order, inside the constant-folding walk
(passes/fold.py: the shape operand is folded by then). A shape it cannot work out (an operator
without a rule here, a shape that depends on run-time data) stays dynamic and the model is
refused (`check_no_dynamic_shapes`).

The rules mirror the output shapes of TFLite's kernels (each kernel's Prepare/ResizeOutput):
same shape as the input for element-wise unary operators; NumPy broadcasting for the binary
ones; RESHAPE's shape operand (or new_shape option) with one -1 resolved from the element count;
CONCATENATION's sum along the axis; TRANSPOSE's permutation; TILE's multiples; SQUEEZE, EXPAND_DIMS; the reductions
with keep_dims; FULLY_CONNECTED with and without keep_num_dims.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor

Shape = tuple[int, ...]

_SAME_AS_INPUT = frozenset({
    "ABS", "CAST", "CEIL", "COS", "DEQUANTIZE", "ELU", "EXP", "FLOOR", "GELU", "HARD_SWISH", "L2_NORMALIZATION",
    "LEAKY_RELU", "LOG", "LOGICAL_NOT", "LOGISTIC", "LOG_SOFTMAX", "NEG", "QUANTIZE", "RELU", "RELU6",
    "RELU_0_TO_1", "RELU_N1_TO_1", "ROUND", "RSQRT", "SIN", "SOFTMAX", "SQRT", "SQUARE", "TANH", "ZEROS_LIKE",
})
_BROADCAST = frozenset({
    "ADD", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL",
    "LOGICAL_AND", "LOGICAL_OR", "MAXIMUM", "MINIMUM", "MUL", "NOT_EQUAL", "POW", "PRELU", "SQUARED_DIFFERENCE",
    "SUB",
})
_REDUCTIONS = frozenset({"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL"})


def is_dynamic(shape: Sequence[int]) -> bool:
    return any(d < 0 for d in shape)


def infer_output_shapes(op: Operator, tensors: list[Tensor]) -> None:
    """Give `op`'s outputs whose shapes are dynamic the shape TFLite computes for them, when
    every input shape is known and there is a rule for the operator; otherwise leave them."""
    outputs = [tensors[k] for k in op.outputs if k >= 0]
    if not any(is_dynamic(t.shape) for t in outputs):
        return
    inputs = [tensors[k] if k >= 0 else None for k in op.inputs]
    if any(t is not None and is_dynamic(t.shape) for t in inputs):
        return
    rule = _rule(op.opcode)
    if rule is None or len(outputs) != 1:
        return
    try:
        shape = rule(op, inputs)
    except (ValueError, IndexError, TypeError):
        return
    out = outputs[0]
    if shape is None or len(shape) != len(out.shape) or any(d < 0 for d in shape):
        return
    if any(declared >= 0 and declared != inferred for declared, inferred in zip(out.shape, shape)):
        return  # contradicts the dimensions the converter fixed: leave it (refused later)
    tensors[out.index] = dataclasses.replace(out, shape=tuple(int(d) for d in shape))


def check_no_dynamic_shapes(graph: Graph) -> None:
    """Refuse a model with a tensor whose shape stayed dynamic, naming the tensor and its user."""
    operators = list(graph.operators) + [op for sub in graph.subgraphs.values() for op in sub.operators]
    for op in operators:
        for k in (*op.inputs, *op.outputs):
            if k >= 0 and is_dynamic(graph.tensors[k].shape):
                raise _dynamic(graph, graph.tensors[k], f"; operator {op.location} ({op.opcode}) uses it")
    for k in (*graph.inputs, *graph.outputs):
        if is_dynamic(graph.tensors[k].shape):
            raise _dynamic(graph, graph.tensors[k], "")


def _dynamic(graph: Graph, tensor: Tensor, where: str) -> UnsupportedError:
    return UnsupportedError(
        f"{graph.source_name}: tensor {tensor.index} ({tensor.name!r}) has a dynamic shape (shape_signature "
        f"{list(tensor.shape)}) that does not follow from the input shapes{where}; only static shapes are "
        "supported. Export the model with fixed input sizes."
    )


def _rule(opcode: str) -> Optional[Callable[[Operator, list[Optional[Tensor]]], Optional[Shape]]]:
    if opcode in _SAME_AS_INPUT:
        return _same_as_input
    if opcode in _BROADCAST:
        return _broadcast
    if opcode in _REDUCTIONS:
        return _reduction
    return _RULES.get(opcode)


def _same_as_input(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    return None if inputs[0] is None else inputs[0].shape


def _broadcast(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    if len(inputs) != 2 or inputs[0] is None or inputs[1] is None:
        return None
    return tuple(np.broadcast_shapes(inputs[0].shape, inputs[1].shape))


def _constant_ints(tensor: Optional[Tensor]) -> Optional[list[int]]:
    if tensor is None or not tensor.is_constant:
        return None
    return [int(v) for v in np.asarray(tensor.data).reshape(-1)]


def _reshape(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    # TFLite's reshape.cc: a 1-D shape operand wins over the new_shape option; one -1 takes
    # whatever the element count leaves.
    source = inputs[0]
    if source is None:
        return None
    operand = inputs[1] if len(inputs) > 1 else None
    if operand is not None and len(operand.shape) == 1:
        new_shape = _constant_ints(operand)
    else:
        option = op.options.get("new_shape")
        new_shape = None if option is None else [int(d) for d in option]
    if new_shape is None or sum(d == -1 for d in new_shape) > 1:
        return None
    known = int(np.prod([d for d in new_shape if d != -1], dtype=np.int64))
    if -1 in new_shape:
        if known == 0 or source.num_elements % known:
            return None
        new_shape = [source.num_elements // known if d == -1 else d for d in new_shape]
    return tuple(new_shape) if int(np.prod(new_shape, dtype=np.int64)) == source.num_elements else None


def _concatenation(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    if not inputs or any(t is None for t in inputs):
        return None
    rank = len(inputs[0].shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    shape = list(inputs[0].shape)
    for t in inputs[1:]:
        if len(t.shape) != rank or any(a != b for k, (a, b) in enumerate(zip(t.shape, shape)) if k != axis):
            return None
        shape[axis] += t.shape[axis]
    return tuple(shape)


def _transpose(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    perm = _constant_ints(inputs[1]) if len(inputs) > 1 else None
    if inputs[0] is None or perm is None or sorted(perm) != list(range(len(inputs[0].shape))):
        return None
    return tuple(inputs[0].shape[p] for p in perm)


def _squeeze(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    shape = inputs[0].shape
    dims = [int(d) for d in op.options.get("squeeze_dims") or []]
    axes = {d + len(shape) if d < 0 else d for d in dims} if dims else {k for k, d in enumerate(shape) if d == 1}
    return tuple(d for k, d in enumerate(shape) if k not in axes)


def _expand_dims(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    axis = _constant_ints(inputs[1]) if len(inputs) > 1 else None
    if axis is None or len(axis) != 1:
        return None
    shape = list(inputs[0].shape)
    position = axis[0] + len(shape) + 1 if axis[0] < 0 else axis[0]
    return tuple(shape[:position] + [1] + shape[position:])


def _reduction(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    axes = _constant_ints(inputs[1]) if len(inputs) > 1 else None
    if inputs[0] is None or axes is None:
        return None
    shape = inputs[0].shape
    reduced = {a + len(shape) if a < 0 else a for a in axes}
    if op.options.get("keep_dims"):
        return tuple(1 if k in reduced else d for k, d in enumerate(shape))
    return tuple(d for k, d in enumerate(shape) if k not in reduced)


def _tile(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    multiples = _constant_ints(inputs[1]) if len(inputs) > 1 else None
    if inputs[0] is None or multiples is None or len(multiples) != len(inputs[0].shape):
        return None
    return tuple(m * d for m, d in zip(multiples, inputs[0].shape))


def _fully_connected(op: Operator, inputs: list[Optional[Tensor]]) -> Optional[Shape]:
    source, weights = inputs[0], inputs[1]
    if source is None or weights is None or len(weights.shape) != 2:
        return None
    units, depth = weights.shape
    if op.options.get("keep_num_dims"):
        return (*source.shape[:-1], units)
    if depth == 0 or source.num_elements % depth:
        return None
    return (source.num_elements // depth, units)


_RULES: dict[str, Callable[[Operator, list[Optional[Tensor]]], Optional[Shape]]] = {
    "RESHAPE": _reshape,
    "CONCATENATION": _concatenation,
    "TRANSPOSE": _transpose,
    "SQUEEZE": _squeeze,
    "EXPAND_DIMS": _expand_dims,
    "FULLY_CONNECTED": _fully_connected,
    "TILE": _tile,
}
