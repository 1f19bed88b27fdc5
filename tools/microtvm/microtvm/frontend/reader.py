"""Read a .tflite flatbuffer into the graph IR (the main subgraph and the subgraphs it runs).

The tflite package's generated accessors trust the file: on a truncated or corrupt file they
raise whatever the flatbuffers library happens to hit (struct.error, IndexError, ValueError,
TypeError, ...) or silently read garbage. So every read happens inside `_reading(...)`, which
turns any such exception into a one-line ModelFormatError naming the file and the part being
read, and the values read are checked (indices in range, sizes consistent, enums known).

Valid files that use things the compiler does not handle (custom operators, recursive
subgraphs, the deprecated CALL, sparse tensors, dynamic shapes, string/complex types) raise
UnsupportedError. Builtin operators without a lowering are read normally: passes/validate.py
reports those, all at once.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import math
import struct
from pathlib import PurePath
from typing import Any, Iterator, Optional, Sequence

import numpy as np
import tflite
from flatbuffers import flexbuffers

from .. import ir
from ..errors import ModelFormatError, UnsupportedError, UserError
from ..limits import (
    MAX_CUSTOM_OPTION_DEPTH,
    MAX_CUSTOM_OPTION_VALUES,
    MAX_MODEL_BYTES,
    MAX_OPERATORS,
    MAX_RANK,
    MAX_SUBGRAPHS,
    MAX_TENSOR_BYTES,
    MAX_TENSOR_ELEMENTS,
    MAX_TENSORS,
    MAX_TOTAL_TENSOR_BYTES,
)
from .dtypes import NUMPY_DTYPE_BY_TENSOR_TYPE, UNSUPPORTED_TENSOR_TYPES
from .options import (
    BOOL,
    CUSTOM_OPERATORS,
    ENUMS,
    FLOAT32,
    INT32,
    INT32_VECTOR,
    OPTIONS_BY_OPCODE,
    STRING,
    OptionsSpec,
    union_type,
)
from .tensorlist import rewrite_set_items

_FILE_IDENTIFIER = b"TFL3"
_SCHEMA_VERSION = 3
_CUSTOM = "CUSTOM"
# schema.fbs field numbers of the strings we read (see _string).
_TENSOR_NAME_SLOT = 3
_OPERATOR_CODE_CUSTOM_CODE_SLOT = 1
_SUBGRAPH_NAME_SLOT = 4
# Operators whose trailing optional inputs may be left out of the file instead of given as -1;
# the IR always has them, as -1 when absent, so lowerings can index op.inputs directly.
_INPUT_COUNT = {"CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 3}


def read_tflite(data: bytes, source_name: str) -> ir.Graph:
    """Parse TFLite flatbuffer `data`; `source_name` (the file name) is used in messages."""
    name = PurePath(source_name).name or source_name
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFormatError(
            f"{name}: the file has {len(data):,} bytes; models over {MAX_MODEL_BYTES:,} bytes are refused "
            "(far more than a microcontroller's memory: the file is not a model for one)"
        )
    data = bytes(data)
    _check_header(data, name)
    model = _root(data, name)
    graph = _read_subgraphs(data, model, name)
    graph.source_name = name
    graph.source_sha256 = hashlib.sha256(data).hexdigest()
    return graph


# ---------------------------------------------------------------------------------------------
# Structure


@contextlib.contextmanager
def _reading(name: str, what: str) -> Iterator[None]:
    """Convert anything the flatbuffer accessors raise into one clear line about the file."""
    try:
        yield
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - the flatbuffers library raises arbitrary types
        raise ModelFormatError(
            f"{name}: corrupt TFLite file: cannot read {what}; the file is truncated or damaged "
            "(re-export or re-download it)"
        ) from exc


def _check_header(data: bytes, name: str) -> None:
    if not data:
        raise ModelFormatError(f"{name}: empty file; expected a TFLite model (.tflite flatbuffer)")
    if len(data) < 8:
        raise ModelFormatError(f"{name}: only {len(data)} bytes, too short to be a TFLite model")
    identifier = data[4:8]
    if identifier != _FILE_IDENTIFIER:
        raise ModelFormatError(
            f"{name}: not a TFLite model: file identifier is {identifier!r}, expected b'TFL3' "
            "(is this a .tflite file?)"
        )
    (root,) = struct.unpack_from("<I", data, 0)
    if not 8 <= root < len(data):
        raise ModelFormatError(f"{name}: corrupt TFLite file: root table offset {root} is outside the {len(data)}-byte file")


def _root(data: bytes, name: str) -> Any:
    with _reading(name, "the model header"):
        model = tflite.Model.GetRootAs(data, 0)
        version = model.Version()
    if version != _SCHEMA_VERSION:
        raise ModelFormatError(
            f"{name}: TFLite schema version {version}, expected {_SCHEMA_VERSION}; "
            "convert the model again with a current TFLite converter"
        )
    return model


def _count(data: bytes, n: int, name: str, what: str, elem_size: int = 4) -> int:
    """A vector length read from the file, checked against the file size (garbage lengths would
    otherwise make us loop for billions of elements before failing)."""
    if n < 0 or n * elem_size > len(data):
        raise ModelFormatError(f"{name}: corrupt TFLite file: {what} claims {n} entries in a {len(data)}-byte file")
    return n


def _int_vector(obj: Any, field: str) -> Optional[np.ndarray]:
    """An integer vector field as numpy, or None when the file does not store it.
    (The generated XAsNumpy() returns the int 0 for an absent vector.)"""
    if getattr(obj, field + "IsNone")():
        return None
    return getattr(obj, field + "AsNumpy")()


def _string(obj: Any, slot: int) -> str:
    """A string field, checked to lie inside the file. (The generated accessors slice the bytes,
    so a string cut off by truncation would come back short instead of failing.)"""
    tab = obj._tab
    field_offset = tab.Offset(4 + 2 * slot)  # vtable entries start after two uint16 headers
    if field_offset == 0:
        return ""
    start = tab.Indirect(tab.Pos + field_offset)
    (length,) = struct.unpack_from("<I", tab.Bytes, start)
    end = start + 4 + length
    if end >= len(tab.Bytes):  # the terminating NUL must be inside the file too
        raise ValueError(f"string of {length} bytes at {start} runs past the end of the file")
    return bytes(tab.Bytes[start + 4 : end]).decode("utf-8", errors="replace")


def _indices(values: Optional[np.ndarray], limit: int, name: str, what: str, allow_absent: bool) -> tuple[int, ...]:
    if values is None:
        return ()
    result = tuple(int(v) for v in values)
    low = -1 if allow_absent else 0
    for v in result:
        if not low <= v < limit:
            raise ModelFormatError(f"{name}: corrupt TFLite file: {what} refers to tensor {v}, but there are {limit} tensors")
    return result


def _read_subgraphs(data: bytes, model: Any, name: str) -> ir.Graph:
    """The main subgraph and every subgraph it runs (directly or nested), numbered globally
    (ir.py): the main subgraph's tensors and operators first, then each called subgraph's, by
    subgraph index. Subgraphs nothing runs are not read."""
    with _reading(name, "the model tables"):
        n_subgraphs = _count(data, model.SubgraphsLength(), name, "the subgraph list")
        n_buffers = _count(data, model.BuffersLength(), name, "the buffer list")
        n_codes = _count(data, model.OperatorCodesLength(), name, "the operator code list")
        if n_subgraphs == 0:
            raise ModelFormatError(f"{name}: not a usable TFLite model: it has no subgraphs")
    opcodes = [_read_opcode(model, k, name) for k in range(n_codes)]

    tensors: list[ir.Tensor] = []
    parts: dict[int, ir.Subgraph] = {}
    calls: dict[int, tuple[int, ...]] = {}
    pending = [0]
    while pending:
        index = min(pending)
        pending = [k for k in pending if k != index]
        _limit(len(parts) + 1, MAX_SUBGRAPHS, f"{name}: the model runs more than {MAX_SUBGRAPHS} subgraphs")
        part = _read_subgraph(data, model, index, tensors, opcodes, n_buffers, n_subgraphs, name)
        parts[index] = part
        calls[index] = tuple(sorted({k for op in part.operators for k in ir.called_subgraphs(op)}))
        pending += [k for k in calls[index] if k not in parts and k not in pending]
    _check_no_recursion(calls, parts, name)
    _check_program_size(calls, parts, name)

    # Renumber: tensors were numbered in reading order (already global); operators get global
    # indices in subgraph order, keeping the main subgraph's file positions.
    next_index = 0
    for k in sorted(parts):
        for op in parts[k].operators:
            op.index = next_index
            next_index += 1
    main = parts.pop(0)
    return ir.Graph(
        tensors=tensors, operators=main.operators, inputs=main.inputs, outputs=main.outputs,
        subgraphs=dict(sorted(parts.items())),
    )


def _read_subgraph(
    data: bytes, model: Any, index: int, tensors: list[ir.Tensor], opcodes: list[tuple[str, str]],
    n_buffers: int, n_subgraphs: int, name: str,
) -> ir.Subgraph:
    """Subgraph `index`; its tensors are appended to `tensors` (global indices)."""
    with _reading(name, f"subgraph {index}"):
        subgraph = model.Subgraphs(index)
        n_tensors = _count(data, subgraph.TensorsLength(), name, f"the tensor list of subgraph {index}")
        n_ops = _count(data, subgraph.OperatorsLength(), name, f"the operator list of subgraph {index}")
        sub_name = "" if index == 0 else _string(subgraph, _SUBGRAPH_NAME_SLOT)
    base = len(tensors)
    _limit(base + n_tensors, MAX_TENSORS, f"{name}: the model declares more than {MAX_TENSORS:,} tensors")
    _limit(n_ops, MAX_OPERATORS, f"{name}: subgraph {index} has {n_ops:,} operators; at most {MAX_OPERATORS:,}")
    total_bytes = sum(_declared_bytes(t) for t in tensors)
    dynamic: dict[int, str] = {}  # tensors with a run-time shape -> the error, raised if still used
    for i in range(n_tensors):
        t = _read_tensor(data, model, subgraph, i, n_buffers, name, index, dynamic)
        t.index = base + i
        tensors.append(t)
        total_bytes += _declared_bytes(t)
        _limit(
            total_bytes, MAX_TOTAL_TENSOR_BYTES,
            f"{name}: the model's tensors add up to more than {MAX_TOTAL_TENSOR_BYTES:,} bytes (far more than a "
            "microcontroller's memory: the model is damaged or not meant for one)",
        )
    operators = [_read_operator(subgraph, i, opcodes, n_tensors, n_subgraphs, name, index) for i in range(n_ops)]
    with _reading(name, f"the inputs and outputs of subgraph {index}"):
        what = "the model" if index == 0 else f"subgraph {index}"
        inputs = _indices(_int_vector(subgraph, "Inputs"), n_tensors, name, f"{what} inputs", False)
        outputs = _indices(_int_vector(subgraph, "Outputs"), n_tensors, name, f"{what} outputs", False)

    def shift(indices: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(t if t < 0 else t + base for t in indices)

    for i in inputs:  # nothing computes an input's shape: a dynamic one stays unknown
        t = tensors[base + i] if i >= 0 else None
        if t is not None and any(d < 0 for d in t.shape):
            in_sub = "" if index == 0 else f" in subgraph {index}"
            raise _dynamic_shape_error(t.shape, f"tensor {i} ({t.name!r}){in_sub}", name)

    for op in operators:
        op.inputs, op.outputs, op.intermediates = shift(op.inputs), shift(op.outputs), shift(op.intermediates)
    # The converter's lowered TensorArray writes have dynamic intermediates but a static result.
    operators = rewrite_set_items(tensors, operators, shift(outputs))
    # What stays dynamic after that is worked out from the input shapes, or refused, by
    # passes/shapes.py (check_no_dynamic_shapes).
    return ir.Subgraph(index=index, operators=operators, inputs=shift(inputs), outputs=shift(outputs), name=sub_name)


def _check_no_recursion(calls: dict[int, tuple[int, ...]], parts: dict[int, ir.Subgraph], name: str) -> None:
    """Subgraphs may not run themselves, directly or through others (a static program needs a
    finite call tree: each subgraph is one C function with fixed buffers)."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done

    def visit(k: int, path: list[int]) -> None:
        state[k] = 1
        for callee in calls[k]:
            if state.get(callee) == 1:
                cycle = " -> ".join(f"subgraph {j}" for j in [*path[path.index(callee):], callee])
                op = next(op for op in parts[k].operators if callee in ir.called_subgraphs(op))
                raise UnsupportedError(
                    f"{name}: {op.location} ({op.opcode}) runs subgraph {callee} recursively ({cycle}); "
                    "recursive subgraphs are not supported, only call trees without cycles (IF, WHILE and "
                    "CALL_ONCE of subgraphs that do not run their callers)"
                )
            if state.get(callee) is None:
                visit(callee, [*path, callee])
        state[k] = 2

    visit(0, [0])


def _limit(value: int, limit: int, message: str) -> None:
    if value > limit:
        raise ModelFormatError(f"{message}; the model is damaged or not meant for a microcontroller")


def _declared_bytes(t: ir.Tensor) -> int:
    itemsize = 4 if t.dtype == ir.RESOURCE else np.dtype(t.dtype).itemsize
    return math.prod(max(d, 1) for d in t.shape) * itemsize


def _check_program_size(calls: dict[int, tuple[int, ...]], parts: dict[int, ir.Subgraph], name: str) -> None:
    """The operators run by one invocation, each subgraph counted once per place that runs it (as
    the memory planner lays them out, passes/timeline.py): a few subgraphs that each run the next
    twice would otherwise make an exponential program out of a small file."""
    runs: dict[int, int] = {}  # memoized: each subgraph's size is computed once

    def size(k: int) -> int:
        if k not in runs:
            total = 0
            for op in parts[k].operators:
                total += 1 + sum(2 + size(callee) for callee in ir.called_subgraphs(op))
                if total > MAX_OPERATORS:
                    break
            runs[k] = total
        return runs[k]

    _limit(
        size(0), MAX_OPERATORS,
        f"{name}: one invocation runs more than {MAX_OPERATORS:,} operators (counting each subgraph every "
        "time it is run)",
    )


# ---------------------------------------------------------------------------------------------
# Operators


def _read_opcode(model: Any, k: int, name: str) -> tuple[str, str]:
    """(builtin operator name, custom code). The schema split the code in two when it outgrew an
    int8: old files fill only deprecated_builtin_code, new ones clamp it to 127 and fill
    builtin_code; the larger of the two is the real one either way."""
    with _reading(name, f"operator code {k}"):
        code_table = model.OperatorCodes(k)
        code = max(int(code_table.DeprecatedBuiltinCode()), int(code_table.BuiltinCode()))
        custom = _string(code_table, _OPERATOR_CODE_CUSTOM_CODE_SLOT)
    if code < 0:
        raise ModelFormatError(f"{name}: corrupt TFLite file: operator code {k} is {code}")
    opcode = tflite.BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_OPERATOR_{code}")
    return opcode, custom


def _read_operator(
    subgraph: Any, i: int, opcodes: list[tuple[str, str]], n_tensors: int, n_subgraphs: int, name: str, sub: int
) -> ir.Operator:
    where = f"operator {i}" if sub == 0 else f"operator {i} in subgraph {sub}"
    with _reading(name, where):
        op = subgraph.Operators(i)
        code_index = int(op.OpcodeIndex())
        if not 0 <= code_index < len(opcodes):
            raise ModelFormatError(
                f"{name}: corrupt TFLite file: {where} uses operator code {code_index}, but there are {len(opcodes)}"
            )
        opcode, custom_code = opcodes[code_index]
        if opcode == _CUSTOM and custom_code not in CUSTOM_OPERATORS:
            raise UnsupportedError(
                f"{name}: operator {i} in subgraph {sub} is the custom operator {custom_code!r}, which is not "
                f"supported; the supported custom operators are {', '.join(sorted(CUSTOM_OPERATORS))}. Replace it "
                "with builtin operators (or remove it) when exporting the model."
            )
        if opcode == "CALL":
            raise UnsupportedError(
                f"{name}: operator {i} in subgraph {sub} is CALL, the deprecated operator that runs another "
                "subgraph; it is not supported. Control flow is supported as IF, WHILE and CALL_ONCE."
            )
        inputs = _indices(_int_vector(op, "Inputs"), n_tensors, name, f"the inputs of {where}", True)
        outputs = _indices(_int_vector(op, "Outputs"), n_tensors, name, f"the outputs of {where}", False)
        inputs += (-1,) * max(0, _INPUT_COUNT.get(opcode, 0) - len(inputs))
        intermediates = _indices(
            _int_vector(op, "Intermediates"), n_tensors, name, f"the intermediates of {where}", False
        )
        if opcode == _CUSTOM:
            opcode = custom_code
            options = _read_custom_options(op, f"{where} ({opcode})", name)
        else:
            options = _read_options(op, opcode, f"{where} ({opcode})", name)
    result = ir.Operator(
        index=i,
        opcode=opcode,
        inputs=inputs,
        outputs=outputs,
        options=options,
        intermediates=intermediates,
        subgraph=sub,
        local_index=i,
    )
    for callee in ir.called_subgraphs(result):
        if not 0 <= callee < n_subgraphs:
            raise ModelFormatError(
                f"{name}: corrupt TFLite file: {where} ({opcode}) runs subgraph {callee}, "
                f"but there are {n_subgraphs} subgraphs"
            )
    return result


def _read_options(op: Any, opcode: str, where: str, name: str) -> dict[str, Any]:
    spec: Optional[OptionsSpec] = OPTIONS_BY_OPCODE.get(opcode)
    if spec is None:
        return {}
    table = None
    stored_type = int(op.BuiltinOptionsType())
    # 0 = NONE: the operator relies on the defaults. Options of another operator's type are
    # ignored too: LiteRT reads them with builtin_options_as_<Type>(), which gives nothing for
    # another type, and then takes the defaults.
    if stored_type == union_type(spec):
        stored = op.BuiltinOptions()
        if stored is not None:
            table = getattr(importlib.import_module(f"tflite.{spec.table}"), spec.table)()
            table.Init(stored.Bytes, stored.Pos)

    options: dict[str, Any] = {}
    for field in spec.fields:
        if field.kind == INT32_VECTOR:
            values = None if table is None else _int_vector(table, field.accessor)
            if values is not None:
                options[field.name] = tuple(int(v) for v in values)
            continue
        value = field.default if table is None else getattr(table, field.accessor)()
        if field.kind in ENUMS and table is not None:
            names = ENUMS[field.kind]
            if value not in names:
                # A value from a newer schema (or garbage): LiteRT would quietly read a default.
                raise UnsupportedError(
                    f"{name}: {where} has {field.name} = {value}, which is not a value of {field.kind} this compiler "
                    f"knows ({', '.join(names.values())}); was the model written with a newer TFLite schema?"
                )
            value = names[value]
        elif field.kind == BOOL:
            value = bool(value)
        elif field.kind == FLOAT32:
            value = float(value)
        elif field.kind == INT32:
            value = int(value)
        elif field.kind == STRING:
            value = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else (value or "")
        options[field.name] = value
    return options


def _read_custom_options(op: Any, where: str, name: str) -> dict[str, Any]:
    """A custom operator's flexbuffer options map as plain Python values ({} when absent)."""
    if op.CustomOptionsIsNone() or op.CustomOptionsLength() == 0:
        return {}
    raw = op.CustomOptionsAsNumpy().tobytes()
    try:
        value = _flex_value(flexbuffers.GetRoot(raw), [MAX_CUSTOM_OPTION_VALUES], 0)
    except Exception as exc:  # noqa: BLE001 - the flexbuffers decoder raises arbitrary types
        raise ModelFormatError(f"{name}: corrupt TFLite file: {where} has unreadable custom options") from exc
    if not isinstance(value, dict):
        raise ModelFormatError(f"{name}: corrupt TFLite file: {where} has custom options that are not a map")
    return {str(k): _plain(v) for k, v in sorted(value.items())}


def _flex_value(ref: Any, budget: list[int], depth: int) -> Any:
    """flexbuffers' Loads with limits: a vector may hold the same offset many times, so a few
    hundred bytes could otherwise unfold into billions of values (each level doubling)."""
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_CUSTOM_OPTION_DEPTH:
        raise ValueError("custom options nest too deep or hold too many values")
    if ref.IsMap:
        m = ref.AsMap
        keys, values = m.Keys, m.Values
        budget[0] -= len(keys)
        if budget[0] < 0:
            raise ValueError("custom options hold too many values")
        return {k.AsKey: _flex_value(v, budget, depth + 1) for k, v in zip(keys, values)}
    if ref.IsVector:
        vector = ref.AsVector
        budget[0] -= len(vector)
        if budget[0] < 0:
            raise ValueError("custom options hold too many values")
        return [_flex_value(v, budget, depth + 1) for v in vector]
    if ref.IsTypedVector or ref.IsFixedTypedVector:
        vector = ref.AsTypedVector if ref.IsTypedVector else ref.AsFixedTypedVector
        budget[0] -= len(vector)
        if budget[0] < 0:
            raise ValueError("custom options hold too many values")
        return vector.Value
    return ref.Value  # a scalar, string, key or blob (bounded by the options' bytes)


def _plain(value: Any) -> Any:
    """flexbuffer values as tuples instead of lists (the IR's options are compared and hashed)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return value


# ---------------------------------------------------------------------------------------------
# Tensors


def _read_tensor(
    data: bytes, model: Any, subgraph: Any, i: int, n_buffers: int, name: str, sub: int = 0,
    dynamic: Optional[dict[int, str]] = None,
) -> ir.Tensor:
    """Tensor i of a subgraph. A dynamic shape raises UnsupportedError, or, given `dynamic`, is
    recorded there (i -> the error message) for the caller to decide."""
    in_sub = "" if sub == 0 else f" in subgraph {sub}"
    with _reading(name, f"tensor {i}{in_sub}"):
        t = subgraph.Tensors(i)
        tensor_name = _string(t, _TENSOR_NAME_SLOT)
        what = f"tensor {i} ({tensor_name!r}){in_sub}"
        dtype = _dtype(int(t.Type()), what, name)
        shape_array = _int_vector(t, "Shape")
        shape = () if shape_array is None else tuple(int(d) for d in shape_array)
        if len(shape) > MAX_RANK:
            raise ModelFormatError(
                f"{name}: corrupt TFLite file: {what} has {len(shape)} dimensions (at most {MAX_RANK} are accepted)"
            )
        if any(d < 0 for d in shape):
            raise ModelFormatError(
                f"{name}: corrupt TFLite file: {what} has a negative dimension in shape {list(shape)}"
            )
        itemsize = 4 if dtype == ir.RESOURCE else np.dtype(dtype).itemsize
        elements = math.prod(shape)
        if elements > MAX_TENSOR_ELEMENTS or elements * itemsize > MAX_TENSOR_BYTES:
            raise ModelFormatError(
                f"{name}: {what} has shape {list(shape)}: {elements:,} elements of {dtype}, {elements * itemsize:,} "
                f"bytes; tensors over {MAX_TENSOR_BYTES:,} bytes (or {MAX_TENSOR_ELEMENTS:,} elements) are refused "
                "(far more than a microcontroller's memory: the model is damaged or not meant for one)"
            )
        problem = _dynamic_shape_problem(_int_vector(t, "ShapeSignature"), what, name)
        if problem is not None and dynamic is None:
            raise UnsupportedError(problem)
        if problem is not None and dynamic is not None:
            dynamic[i] = problem
        shape = _with_dynamic_dims(shape, _int_vector(t, "ShapeSignature"), what, name)
        if t.Sparsity() is not None:
            raise UnsupportedError(
                f"{name}: {what} is stored sparse (TFLite sparsity); sparse tensors are not supported. "
                "Convert the model without sparsity."
            )
        quant = _read_quantization(t.Quantization(), shape, what, name)
        buffer_index = int(t.Buffer())
        if not 0 <= buffer_index < n_buffers:
            raise ModelFormatError(
                f"{name}: corrupt TFLite file: {what} uses buffer {buffer_index}, but there are {n_buffers} buffers"
            )
        raw = _buffer_bytes(data, model, buffer_index, name)
        is_variable = bool(t.IsVariable())
        if any(d < 0 for d in shape) and (raw or is_variable):
            raise _dynamic_shape_error(shape, what, name)
    constant = None
    if raw and dtype != ir.RESOURCE:  # buffer 0 and empty buffers mean "no data": filled at run time
        constant = _constant(raw, dtype, shape, what, name)
    return ir.Tensor(
        index=i, name=tensor_name, shape=shape, dtype=dtype, quant=quant, data=constant, is_variable=is_variable
    )


def _dtype(tensor_type: int, what: str, name: str) -> str:
    if tensor_type == tflite.TensorType.RESOURCE:
        return ir.RESOURCE
    if tensor_type in NUMPY_DTYPE_BY_TENSOR_TYPE:
        return NUMPY_DTYPE_BY_TENSOR_TYPE[tensor_type]
    if tensor_type in UNSUPPORTED_TENSOR_TYPES:
        raise UnsupportedError(
            f"{name}: {what} has type {UNSUPPORTED_TENSOR_TYPES[tensor_type]}, which is not supported; "
            "supported tensor types are the plain numeric types (float32, int8, int16, int32, uint8, bool, ...)"
        )
    raise ModelFormatError(f"{name}: corrupt TFLite file: {what} has unknown tensor type {tensor_type}")


def _dynamic_shape_problem(signature: Optional[np.ndarray], what: str, name: str) -> Optional[str]:
    """The converter marks a free batch size with -1 in the first dimension of shape_signature;
    `shape` then holds the batch size to compile for (1), so that is fine. -1 elsewhere means
    the size is known only at run time: the error message for that."""
    if signature is None:
        return None
    dims = [int(d) for d in signature]
    if any(d < 0 for d in dims[1:]):
        return (
            f"{name}: {what} has a dynamic shape (shape_signature {dims}); only static shapes are "
            "supported. Export the model with fixed input sizes."
        )
    return None


def _with_dynamic_dims(
    shape: tuple[int, ...], signature: Optional[np.ndarray], what: str, name: str
) -> tuple[int, ...]:
    """The converter marks a free batch size with -1 in the first dimension of shape_signature;
    `shape` then holds the batch size to compile for (1), so that is fine. -1 elsewhere means
    the converter did not work the size out: `shape` then holds placeholders, and LiteRT
    computes the real sizes when it prepares the operators. Such a tensor gets -1 in every
    dimension its signature leaves free, for passes/shapes.py to compute from the input shapes
    (a model input, constant or variable tensor like that is refused here)."""
    if signature is None:
        return shape
    dims = tuple(int(d) for d in signature)
    if not any(d < 0 for d in dims[1:]):
        return shape
    if len(dims) != len(shape):
        raise _dynamic_shape_error(dims, what, name)
    return tuple(-1 if s < 0 else d for d, s in zip(shape, dims))


def _dynamic_shape_error(dims: Sequence[int], what: str, name: str) -> UnsupportedError:
    return UnsupportedError(
        f"{name}: {what} has a dynamic shape (shape_signature {list(dims)}); only static shapes are "
        "supported. Export the model with fixed input sizes."
    )


def _read_quantization(q: Any, shape: tuple[int, ...], what: str, name: str) -> Optional[ir.Quantization]:
    if q is None:
        return None
    if int(q.DetailsType()) != 0:
        raise UnsupportedError(
            f"{name}: {what} uses custom quantization details, which are not supported; "
            "use TFLite's standard (affine) int8 quantization"
        )
    scales = q.ScaleAsNumpy() if not q.ScaleIsNone() else np.zeros(0, np.float32)
    zero_points = q.ZeroPointAsNumpy() if not q.ZeroPointIsNone() else np.zeros(0, np.int64)
    if len(scales) == 0:
        return None  # e.g. only min/max recorded: not quantized
    if len(zero_points) == 0:
        zero_points = np.zeros(len(scales), np.int64)
    if len(zero_points) != len(scales):
        raise ModelFormatError(
            f"{name}: corrupt TFLite file: {what} has {len(scales)} scales but {len(zero_points)} zero points"
        )
    axis = int(q.QuantizedDimension())
    if len(scales) > 1 and not (0 <= axis < len(shape) and shape[axis] == len(scales)):
        if len(shape) == 1 and shape[0] == len(scales):
            # Older converters gave a bias the weights' quantized_dimension (e.g. 3) with its one
            # scale per element. TFLite Micro reads such files, and no kernel uses a bias's scales
            # (they take input scale x weight scale): it is the only axis a 1-D tensor has.
            axis = 0
        # Otherwise keep the file's axis: TFLite's kernels check the per-channel layout they need
        # (the count along their own channel axis), and so do our lowerings, which say what they
        # support. (LiteRT's interpreter refuses both at load time; TFLite Micro accepts both.)
    return ir.Quantization(
        scale=tuple(float(s) for s in scales),
        zero_point=tuple(int(z) for z in zero_points),
        axis=axis,
    )


def _buffer_bytes(data: bytes, model: Any, index: int, name: str) -> bytes:
    """The bytes of buffer `index`: inline in the flatbuffer, or (models over 2 GB) at an offset
    in the file after the flatbuffer."""
    buffer = model.Buffers(index)
    offset = int(buffer.Offset())
    if offset > 1:  # 0 and 1 are the schema's "not used" markers
        size = int(buffer.Size())
        if offset + size > len(data):
            raise ModelFormatError(
                f"{name}: corrupt TFLite file: buffer {index} lies at bytes {offset}..{offset + size}, "
                f"past the end of the {len(data)}-byte file"
            )
        return data[offset : offset + size]
    if buffer.DataIsNone():
        return b""
    _count(data, buffer.DataLength(), name, f"buffer {index}", elem_size=1)
    return buffer.DataAsNumpy().tobytes()


def _constant(raw: bytes, dtype: str, shape: tuple[int, ...], what: str, name: str) -> np.ndarray:
    expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if len(raw) != expected:
        raise ModelFormatError(
            f"{name}: corrupt TFLite file: {what} is {dtype}{list(shape)} ({expected} bytes) "
            f"but its buffer holds {len(raw)} bytes"
        )
    # TFLite stores data little-endian; convert to the native byte order the rest of the code uses.
    array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype, copy=False)
    array = array.reshape(shape)
    array.setflags(write=False)
    return array
