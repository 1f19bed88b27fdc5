"""A small TFLite flatbuffer writer for test models, so tests never need TensorFlow.

    build_model(tensors, ops, inputs, outputs) -> bytes        any graph
    build_model(..., subgraphs=[SubgraphSpec(...), ...])       plus subgraphs 1, 2, ... (control flow)
    single_op_model(opcode, inputs, outputs, options) -> bytes  the common one-operator case

Operator options follow the IR's convention (ir.py, frontend/options.py): schema snake_case field
names, enum values as schema names. Options not given take the schema default, except strides,
which default to 1 (the schema's 0 is never a valid stride and would only make tests noisier).

The files follow what the TFLite converter writes: identifier "TFL3", schema version 3, buffer 0
empty (non-constant tensors point at it), operator codes carrying both deprecated_builtin_code
(clamped to 127, PLACEHOLDER_FOR_GREATER_OP_CODES) and builtin_code.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

import flatbuffers
import numpy as np
import tflite
from flatbuffers import flexbuffers
from microtvm.frontend.dtypes import TENSOR_TYPE_BY_NUMPY_DTYPE
from microtvm.frontend.options import BOOL, ENUMS, FLOAT32, INT32, INT32_VECTOR, OPTIONS_BY_OPCODE, STRING, union_type

_FILE_IDENTIFIER = b"TFL3"
_SCHEMA_VERSION = 3
_DATA_ALIGNMENT = 16  # constant data aligned like the converter does, so any kernel may read it
_OPCODE_BY_NAME: dict[str, int] = {name: code for code, name in tflite.BUILTIN_OPCODE2NAME.items()}
_WRITER_DEFAULTS: dict[str, Any] = {"stride_w": 1, "stride_h": 1}
# Operator versions other than 1 that LiteRT needs to find a kernel (BROADCAST_TO starts at 2).
_OPERATOR_VERSIONS: dict[str, int] = {"BROADCAST_TO": 2}


@dataclass
class TensorSpec:
    """One tensor. `data` makes it a constant; scale/zero_point make it quantized.

    scale and zero_point are a number (per-tensor) or a sequence (per-channel along
    quantized_dimension); zero_point defaults to zeros. shape_signature is only for tests of
    dynamic shapes (-1 entries).
    """

    shape: Sequence[int]
    dtype: str
    scale: Union[float, Sequence[float], None] = None
    zero_point: Union[int, Sequence[int], None] = None
    quantized_dimension: int = 0
    data: Optional[np.ndarray] = None
    name: str = ""
    shape_signature: Optional[Sequence[int]] = None
    is_variable: bool = False


@dataclass
class OpSpec:
    """One operator: opcode is a BuiltinOperator name ("CONV_2D", or "CUSTOM" with custom_code).

    inputs/outputs are indices into build_model's tensor list; -1 marks an absent optional input.
    """

    opcode: str
    inputs: Sequence[int]
    outputs: Sequence[int]
    options: dict[str, Any] = field(default_factory=dict)
    custom_code: str = ""
    intermediates: Sequence[int] = ()  # tensors carrying quantization of values inside the operator


@dataclass
class SubgraphSpec:
    """A subgraph besides the main one (run by IF, WHILE or CALL_ONCE). Indices in `ops`,
    `inputs` and `outputs` refer to this subgraph's own `tensors`."""

    tensors: Sequence[TensorSpec]
    ops: Sequence[OpSpec]
    inputs: Sequence[int]
    outputs: Sequence[int]
    name: str = ""


def build_model(
    tensors: Sequence[TensorSpec],
    ops: Sequence[OpSpec],
    inputs: Sequence[int],
    outputs: Sequence[int],
    *,
    extra_subgraphs: int = 0,
    subgraphs: Sequence[SubgraphSpec] = (),
) -> bytes:
    """Serialize the main subgraph, then `subgraphs` as subgraphs 1, 2, ..., then
    `extra_subgraphs` empty ones."""
    b = flatbuffers.Builder(1024)
    parts = [SubgraphSpec(tensors, ops, inputs, outputs, "main"), *subgraphs]
    parts += [SubgraphSpec([], [], [], [], f"sub{len(parts) + k}") for k in range(extra_subgraphs)]

    # Buffers: 0 is the conventional empty buffer; each constant gets its own.
    buffer_data: list[Optional[bytes]] = [None]
    tensor_offsets: list[list[int]] = []
    for part in parts:
        offsets = []
        for i, spec in enumerate(part.tensors):
            buffer = 0
            if spec.data is not None:
                buffer = len(buffer_data)
                buffer_data.append(_constant_bytes(spec))
            offsets.append(_write_tensor(b, spec, buffer, i))
        tensor_offsets.append(offsets)

    # Operator codes: one per distinct (opcode, custom code), in first-use order.
    code_keys: list[tuple[str, str]] = []
    for part in parts:
        for op in part.ops:
            key = (op.opcode, op.custom_code)
            if key not in code_keys:
                code_keys.append(key)
    subgraph_offsets = []
    for k, part in enumerate(parts):
        op_offsets = [_write_operator(b, op, code_keys.index((op.opcode, op.custom_code))) for op in part.ops]
        name = part.name or f"sub{k}"
        subgraph_offsets.append(_write_subgraph(b, tensor_offsets[k], op_offsets, part.inputs, part.outputs, name))

    code_offsets = [_write_operator_code(b, opcode, custom) for opcode, custom in code_keys]
    buffer_offsets = [_write_buffer(b, data) for data in buffer_data]
    description = b.CreateString("microtvm test model")

    model = _fb("Model")
    code_vec = _vector_of_offsets(b, model.StartOperatorCodesVector, code_offsets)
    subgraph_vec = _vector_of_offsets(b, model.StartSubgraphsVector, subgraph_offsets)
    buffer_vec = _vector_of_offsets(b, model.StartBuffersVector, buffer_offsets)
    model.Start(b)
    model.AddVersion(b, _SCHEMA_VERSION)
    model.AddOperatorCodes(b, code_vec)
    model.AddSubgraphs(b, subgraph_vec)
    model.AddDescription(b, description)
    model.AddBuffers(b, buffer_vec)
    b.Finish(model.End(b), file_identifier=_FILE_IDENTIFIER)
    return bytes(b.Output())


def single_op_model(
    opcode: str,
    inputs: Sequence[Optional[TensorSpec]],
    outputs: Sequence[TensorSpec],
    options: Optional[dict[str, Any]] = None,
    *,
    custom_code: str = "",
) -> bytes:
    """A model of one operator. Inputs without `data` become the graph inputs, in order;
    a `None` input is an absent optional operand (-1); variable tensors are operands, not graph
    inputs. Trailing `None`s are dropped instead:
    LiteRT's CONV_2D rejects a bias of -1 but reads two inputs as "no bias".
    Unnamed tensors get readable names."""
    inputs = list(inputs)
    while inputs and inputs[-1] is None:
        inputs.pop()
    tensors: list[TensorSpec] = []
    op_inputs: list[int] = []
    graph_inputs: list[int] = []
    for k, spec in enumerate(inputs):
        if spec is None:
            op_inputs.append(-1)
            continue
        is_input = spec.data is None and not spec.is_variable
        default_name = f"input_{len(graph_inputs)}" if is_input else f"state_{k}" if spec.is_variable else f"const_{k}"
        if is_input:
            graph_inputs.append(len(tensors))
        op_inputs.append(len(tensors))
        tensors.append(_named(spec, default_name))
    op_outputs = []
    for k, spec in enumerate(outputs):
        op_outputs.append(len(tensors))
        tensors.append(_named(spec, f"output_{k}"))
    op = OpSpec(opcode, op_inputs, op_outputs, dict(options or {}), custom_code)
    return build_model(tensors, [op], graph_inputs, op_outputs)


# ---------------------------------------------------------------------------------------------
# Flatbuffer tables, children first (flatbuffers are built back to front).


def _fb(module: str) -> Any:
    """A generated module of the tflite package (its builder functions: Start, AddX, End, ...).
    importlib is needed because the package re-exports the classes under the module names."""
    return importlib.import_module(f"tflite.{module}")


def _named(spec: TensorSpec, default_name: str) -> TensorSpec:
    if spec.name:
        return spec
    return dataclasses.replace(spec, name=default_name)


def _constant_bytes(spec: TensorSpec) -> bytes:
    dtype = np.dtype(spec.dtype).newbyteorder("<")  # TFLite stores data little-endian
    array = np.asarray(spec.data).astype(dtype)
    expected = int(np.prod(spec.shape, dtype=np.int64))
    if array.size != expected:
        raise ValueError(f"tensor {spec.name!r}: data has {array.size} elements, shape {tuple(spec.shape)} needs {expected}")
    return array.tobytes(order="C")


def _int_vector(b: flatbuffers.Builder, values: Sequence[int], dtype: str = "<i4") -> int:
    return b.CreateNumpyVector(np.asarray(list(values), dtype=dtype))


def _vector_of_offsets(b: flatbuffers.Builder, start: Any, offsets: Sequence[int]) -> int:
    start(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _write_buffer(b: flatbuffers.Builder, data: Optional[bytes]) -> int:
    buf = _fb("Buffer")
    data_vec = None
    if data:
        b.StartVector(1, len(data), _DATA_ALIGNMENT)
        b.head -= len(data)
        b.Bytes[b.head : b.head + len(data)] = data
        data_vec = b.EndVector()
    buf.Start(b)
    if data_vec is not None:
        buf.AddData(b, data_vec)
    return buf.End(b)


def _write_quantization(b: flatbuffers.Builder, spec: TensorSpec) -> Optional[int]:
    if spec.scale is None:
        return None
    scales = np.atleast_1d(np.asarray(spec.scale, dtype="<f4"))
    if spec.zero_point is None:
        zero_points = np.zeros(scales.shape, dtype="<i8")
    else:
        zero_points = np.atleast_1d(np.asarray(spec.zero_point, dtype="<i8"))
    if zero_points.size != scales.size:
        raise ValueError(f"tensor {spec.name!r}: {scales.size} scales but {zero_points.size} zero points")
    q = _fb("QuantizationParameters")
    scale_vec = b.CreateNumpyVector(scales)
    zp_vec = b.CreateNumpyVector(zero_points)
    q.Start(b)
    q.AddScale(b, scale_vec)
    q.AddZeroPoint(b, zp_vec)
    q.AddQuantizedDimension(b, spec.quantized_dimension)
    return q.End(b)


def _write_tensor(b: flatbuffers.Builder, spec: TensorSpec, buffer: int, index: int) -> int:
    tensor_type = tflite.TensorType.RESOURCE if spec.dtype == "resource" else TENSOR_TYPE_BY_NUMPY_DTYPE.get(spec.dtype)
    if tensor_type is None:
        raise ValueError(f"tensor {spec.name!r}: dtype {spec.dtype!r} is not a TFLite tensor type here")
    t = _fb("Tensor")
    name = b.CreateString(spec.name or f"tensor_{index}")
    shape = _int_vector(b, spec.shape)
    signature = None if spec.shape_signature is None else _int_vector(b, spec.shape_signature)
    quant = _write_quantization(b, spec)
    t.Start(b)
    t.AddShape(b, shape)
    if signature is not None:
        t.AddShapeSignature(b, signature)
    t.AddType(b, tensor_type)
    t.AddBuffer(b, buffer)
    t.AddName(b, name)
    if quant is not None:
        t.AddQuantization(b, quant)
    if spec.is_variable:
        t.AddIsVariable(b, True)
    return t.End(b)


def _write_options(b: flatbuffers.Builder, opcode: str, options: dict[str, Any]) -> Optional[tuple[int, int]]:
    """Write the builtin options table of `opcode`; return (union type, offset) or None."""
    spec = OPTIONS_BY_OPCODE.get(opcode)
    if spec is None:
        if options:
            raise ValueError(f"{opcode} has no options in frontend/options.py, got {sorted(options)}")
        return None
    known = {f.name for f in spec.fields}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"{opcode}: unknown options {unknown}; known: {sorted(known)}")
    module = _fb(spec.table)

    # Vectors must be finished before the table starts.
    vectors = {
        f.name: _int_vector(b, options[f.name])
        for f in spec.fields
        if f.kind == INT32_VECTOR and options.get(f.name) is not None
    }
    strings = {f.name: b.CreateString(str(options[f.name])) for f in spec.fields if f.kind == STRING and options.get(f.name)}
    module.Start(b)
    for f in spec.fields:
        add = getattr(module, "Add" + f.accessor)
        if f.kind == INT32_VECTOR:
            if f.name in vectors:
                add(b, vectors[f.name])
            continue
        if f.kind == STRING:
            if f.name in strings:
                add(b, strings[f.name])
            continue
        value = options.get(f.name, _WRITER_DEFAULTS.get(f.name, f.default))
        if f.kind in ENUMS:
            by_name = {name: v for v, name in ENUMS[f.kind].items()}
            if value not in by_name:
                raise ValueError(f"{opcode}.{f.name}: {value!r} is not one of {sorted(by_name)}")
            value = by_name[value]
        elif f.kind == BOOL:
            value = bool(value)
        elif f.kind == FLOAT32:
            value = float(value)
        elif f.kind == INT32:
            value = int(value)
        add(b, value)
    return union_type(spec), module.End(b)


def _write_operator(b: flatbuffers.Builder, op: OpSpec, opcode_index: int) -> int:
    o = _fb("Operator")
    inputs = _int_vector(b, op.inputs)
    outputs = _int_vector(b, op.outputs)
    custom_options = None
    if op.opcode == "CUSTOM":
        options = None
        if op.options:  # a custom operator's options are a flexbuffer map
            custom_options = b.CreateByteVector(bytes(flexbuffers.Dumps(dict(op.options))))
    else:
        options = _write_options(b, op.opcode, op.options)
    intermediates = _int_vector(b, op.intermediates) if op.intermediates else None
    o.Start(b)
    if custom_options is not None:
        o.AddCustomOptions(b, custom_options)
    o.AddOpcodeIndex(b, opcode_index)
    o.AddInputs(b, inputs)
    o.AddOutputs(b, outputs)
    if intermediates is not None:
        o.AddIntermediates(b, intermediates)
    if options is not None:
        o.AddBuiltinOptionsType(b, options[0])
        o.AddBuiltinOptions(b, options[1])
    return o.End(b)


def _write_operator_code(b: flatbuffers.Builder, opcode: str, custom_code: str) -> int:
    if opcode not in _OPCODE_BY_NAME:
        raise ValueError(f"unknown TFLite builtin operator {opcode!r}")
    code = _OPCODE_BY_NAME[opcode]
    oc = _fb("OperatorCode")
    custom = b.CreateString(custom_code) if custom_code else None
    oc.Start(b)
    oc.AddDeprecatedBuiltinCode(b, min(code, tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES))
    if custom is not None:
        oc.AddCustomCode(b, custom)
    oc.AddVersion(b, _OPERATOR_VERSIONS.get(opcode, 1))
    oc.AddBuiltinCode(b, code)
    return oc.End(b)


def _write_subgraph(
    b: flatbuffers.Builder,
    tensor_offsets: Sequence[int],
    op_offsets: Sequence[int],
    inputs: Sequence[int],
    outputs: Sequence[int],
    name: str,
) -> int:
    sg = _fb("SubGraph")
    tensors = _vector_of_offsets(b, sg.StartTensorsVector, tensor_offsets)
    operators = _vector_of_offsets(b, sg.StartOperatorsVector, op_offsets)
    input_vec = _int_vector(b, inputs)
    output_vec = _int_vector(b, outputs)
    name_off = b.CreateString(name)
    sg.Start(b)
    sg.AddTensors(b, tensors)
    sg.AddInputs(b, input_vec)
    sg.AddOutputs(b, output_vec)
    sg.AddOperators(b, operators)
    sg.AddName(b, name_off)
    return sg.End(b)
