"""The converter's lowering of TensorListSetItem, turned back into DYNAMIC_UPDATE_SLICE.

A Keras RNN returning sequences (GRU, SimpleRNN, any LSTM the converter does not fuse) writes
step t's output into a TensorArray inside its WHILE body. TensorFlow's converter lowers that
write (`tf.TensorListSetItem(list, i, item)`, lower_static_tensor_list.cc) to

    head = SLICE(list, begin = [0, 0, ...],                 size = CONCATENATION(RESHAPE(i), [-1, ...]))
    tail = SLICE(list, begin = CONCATENATION(RESHAPE(i + 1), [0, ...]), size = [-1, -1, ...])
    out  = CONCATENATION(head, item[1, ...], tail)     (axis 0)

`head` and `tail` have run-time sizes (i rows and n - i - 1 rows), so the file marks them with a
dynamic shape_signature, but `out` always has the list's shape: for 0 <= i < n it is
list with row i replaced by item, which is DYNAMIC_UPDATE_SLICE(list, item, [i, 0, ...]).
`rewrite_set_items` makes that replacement (reusing the size CONCATENATION, with a new constant
of zeros, to compute the start [i, 0, ...]), so the dynamic tensors are no longer used. An index
outside [0, n) (where LiteRT fails the inference) is clamped into range by DYNAMIC_UPDATE_SLICE.

Only the exact pattern is rewritten: same dtype and quantization throughout (CONCATENATION
would otherwise requantize), constant begin/size parts with the values above, `i + 1` an ADD of
the same index and the constant 1, and head/tail used by nothing else.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from .. import ir


def rewrite_set_items(
    tensors: list[ir.Tensor], operators: list[ir.Operator], outputs: tuple[int, ...]
) -> list[ir.Operator]:
    """`operators` (one subgraph's, whose outputs are `outputs`) with every lowered
    TensorListSetItem replaced (see the module docstring); may append constant tensors to
    `tensors`. Operators are not modified in place."""
    producer = {t: op for op in operators for t in op.outputs}
    uses: dict[int, int] = {}
    for t in [*outputs, *(t for op in operators for t in op.inputs)]:
        uses[t] = uses.get(t, 0) + 1
    replaced: dict[int, ir.Operator] = {}  # id(op) -> replacement
    removed: set[int] = set()
    for op in operators:
        match = _match(op, tensors, producer, uses)
        if match is None:
            continue
        head, tail, size_concat, index_ref = match
        zeros = ir.Tensor(
            index=len(tensors),
            name=f"{tensors[size_concat.outputs[0]].name}/set_item_start",
            shape=tensors[size_concat.inputs[1]].shape,
            dtype="int32",
            data=np.zeros(tensors[size_concat.inputs[1]].shape, np.int32),
        )
        tensors.append(zeros)
        replaced[id(size_concat)] = dataclasses.replace(size_concat, inputs=(index_ref, zeros.index))
        replaced[id(op)] = dataclasses.replace(
            op, opcode="DYNAMIC_UPDATE_SLICE", inputs=(head.inputs[0], op.inputs[1], size_concat.outputs[0]), options={}
        )
        removed |= {id(head), id(tail)}
        begin_concat = producer[tail.inputs[1]]
        if uses.get(begin_concat.outputs[0]) == 1:
            removed.add(id(begin_concat))
            reshaped = producer.get(begin_concat.inputs[0])
            if reshaped is not None and reshaped.opcode == "RESHAPE" and uses.get(reshaped.outputs[0]) == 1:
                removed.add(id(reshaped))
    return [replaced.get(id(op), op) for op in operators if id(op) not in removed]


def _const(tensors: list[ir.Tensor], t: int) -> Optional[np.ndarray]:
    tensor = tensors[t] if t >= 0 else None
    if tensor is None or not tensor.is_constant or tensor.dtype not in ("int32", "int64"):
        return None
    return np.asarray(tensor.data).reshape(-1)


def _index_of(tensors: list[ir.Tensor], producer: dict[int, ir.Operator], t: int) -> Optional[int]:
    """The index tensor behind a one-element int32 vector: RESHAPE(i) (i scalar or [1]), or t."""
    if tensors[t].dtype != "int32" or tensors[t].shape != (1,):
        return None
    op = producer.get(t)
    if op is not None and op.opcode == "RESHAPE" and tensors[op.inputs[0]].dtype == "int32" \
            and tensors[op.inputs[0]].num_elements == 1:
        return op.inputs[0]
    return t


def _match(
    op: ir.Operator, tensors: list[ir.Tensor], producer: dict[int, ir.Operator], uses: dict[int, int]
) -> Optional[tuple[ir.Operator, ir.Operator, ir.Operator, int]]:
    """(head SLICE, tail SLICE, the CONCATENATION making head's size, the tensor [i]) if `op` is
    the final CONCATENATION of a lowered TensorListSetItem."""
    if op.opcode != "CONCATENATION" or len(op.inputs) != 3 or len(op.outputs) != 1:
        return None
    out = tensors[op.outputs[0]]
    rank = len(out.shape)
    if rank < 1 or op.options.get("axis", 0) not in (0, -rank):
        return None
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        return None
    head, tail = producer.get(op.inputs[0]), producer.get(op.inputs[2])
    if head is None or tail is None or head.opcode != "SLICE" or tail.opcode != "SLICE":
        return None
    if head.inputs[0] != tail.inputs[0] or uses.get(op.inputs[0]) != 1 or uses.get(op.inputs[2]) != 1:
        return None
    source, item = tensors[head.inputs[0]], tensors[op.inputs[1]]
    if source.shape != out.shape or item.shape != (1, *out.shape[1:]):
        return None
    if len({source.dtype, item.dtype, out.dtype}) != 1 or len({source.quant, item.quant, out.quant}) != 1:
        return None
    # head = SLICE(list, [0, ...], CONCATENATION([i], [-1, ...]))
    head_begin = _const(tensors, head.inputs[1])
    size_concat = producer.get(head.inputs[2])
    if head_begin is None or head_begin.shape != (rank,) or np.any(head_begin != 0) or size_concat is None:
        return None
    if size_concat.opcode != "CONCATENATION" or len(size_concat.inputs) != 2 or uses.get(head.inputs[2]) != 1:
        return None
    if size_concat.options.get("fused_activation_function", "NONE") != "NONE":
        return None
    size_rest = _const(tensors, size_concat.inputs[1])
    index = _index_of(tensors, producer, size_concat.inputs[0])
    if size_rest is None or size_rest.shape != (rank - 1,) or np.any(size_rest != -1) or index is None:
        return None
    if tensors[size_concat.inputs[1]].dtype != "int32":
        return None
    # tail = SLICE(list, CONCATENATION([i + 1], [0, ...]), [-1, ...])
    tail_size = _const(tensors, tail.inputs[2])
    begin_concat = producer.get(tail.inputs[1])
    if tail_size is None or tail_size.shape != (rank,) or np.any(tail_size != -1) or begin_concat is None:
        return None
    if begin_concat.opcode != "CONCATENATION" or len(begin_concat.inputs) != 2:
        return None
    if begin_concat.options.get("fused_activation_function", "NONE") != "NONE":
        return None
    begin_rest = _const(tensors, begin_concat.inputs[1])
    next_ref = _index_of(tensors, producer, begin_concat.inputs[0])
    if begin_rest is None or begin_rest.shape != (rank - 1,) or np.any(begin_rest != 0) or next_ref is None:
        return None
    if not _is_plus_one(tensors, producer, next_ref, index):
        return None
    return head, tail, size_concat, size_concat.inputs[0]


def _is_plus_one(tensors: list[ir.Tensor], producer: dict[int, ir.Operator], t: int, i: int) -> bool:
    """Whether tensor t is ADD(i, 1) (either order, no activation) with i the index tensor."""
    op = producer.get(t)
    if op is None or op.opcode != "ADD" or op.options.get("fused_activation_function", "NONE") != "NONE":
        return False
    a, b = op.inputs[:2]
    for x, one in ((a, b), (b, a)):
        value = _const(tensors, one)
        if x == i and value is not None and value.size == 1 and int(value[0]) == 1 and tensors[x].dtype == "int32":
            return True
    return False
