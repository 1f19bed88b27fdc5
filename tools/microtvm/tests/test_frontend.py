"""The TFLite frontend, our test-model writer and the LiteRT reference runner.

- writer -> reader round trips: every operator's options, quantization, constant data;
- the writer's files are real TFLite: LiteRT (reference kernels) loads and runs them;
- random_inputs reproduces the inputs of the shared goldens (skipped when ../shared is absent);
- malformed files give one-line ModelFormatErrors, valid-but-unsupported ones UnsupportedErrors.
"""
from __future__ import annotations

import hashlib
import pathlib
import struct
from typing import Any

import flatbuffers
import numpy as np
import pytest
import tflite

from microtvm.errors import ModelFormatError, UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.frontend.options import ENUMS, OPTIONS_BY_OPCODE
from microtvm_testing.reference import random_inputs, run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

# ../shared next to the repository (not resolve()d: under Bazel the test stays in its runfiles).
_SHARED_MODELS = pathlib.Path(__file__).absolute().parents[3].parent / "shared" / "models"


def _q(shape: tuple[int, ...], scale: float = 0.05, zp: int = 3) -> TensorSpec:
    return TensorSpec(shape, "int8", scale, zp)


def _weights(shape: tuple[int, ...], scales: list[float], axis: int = 0, seed: int = 0) -> TensorSpec:
    data = np.random.default_rng(seed).integers(-127, 128, size=shape)
    return TensorSpec(shape, "int8", scales, [0] * len(scales), quantized_dimension=axis, data=data)


def _bias(n: int, scale: float) -> TensorSpec:
    return TensorSpec((n,), "int32", [scale] * n, [0] * n, data=np.arange(n) * 100 - 50)


def _i32(values: list[int]) -> TensorSpec:
    return TensorSpec((len(values),), "int32", data=np.array(values))


# ---------------------------------------------------------------------------------------------
# Options round trip: a non-default value for every field of every operator in the table.


def _non_default(kind: str, default: Any, k: int) -> Any:
    if kind in ENUMS:
        names = sorted(ENUMS[kind].values())
        return next(n for n in names[k % len(names) :] + names if n != default)
    if kind == "bool":
        return not default
    if kind == "float32":
        return 0.25 + k  # exactly representable in float32
    if kind == "int32":
        return 2 + k
    if kind == "string":
        return f"name{k}"
    return (1, -1, 3 + k)  # int32 vector


@pytest.mark.parametrize("opcode", sorted(OPTIONS_BY_OPCODE))
def test_options_round_trip(opcode: str) -> None:
    spec = OPTIONS_BY_OPCODE[opcode]
    options = {f.name: _non_default(f.kind, f.default, k) for k, f in enumerate(spec.fields)}
    # Control-flow operators run subgraphs 2 and 3 (their non-default indices): give the model
    # empty ones, which the reader reads (test_control_flow checks what they may hold).
    model = build_model([_q((1, 4)), _q((1, 4))], [OpSpec(opcode, [0], [1], options)], [0], [1], extra_subgraphs=3)
    op = read_tflite(model, "m.tflite").operators[0]
    assert op.opcode == opcode
    assert op.options == options


def test_options_defaults_when_not_given() -> None:
    model = single_op_model("CONV_2D", [_q((1, 3, 3, 1)), _weights((1, 1, 1, 1), [0.1]), _bias(1, 0.005)], [_q((1, 3, 3, 1))])
    op = read_tflite(model, "m.tflite").operators[0]
    # Strides default to 1 in the writer (the schema's 0 is never valid); the rest are schema defaults.
    assert op.options == {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "fused_activation_function": "NONE",
        "dilation_w_factor": 1, "dilation_h_factor": 1, "quantized_bias_type": "FLOAT32",
    }


def test_operators_without_options_and_absent_vectors() -> None:
    graph = read_tflite(single_op_model("RELU6", [_q((2, 2))], [_q((2, 2))]), "m.tflite")
    assert graph.operators[0].options == {}
    # RESHAPE without new_shape: the field is left out, not given as ().
    model = single_op_model("RESHAPE", [_q((1, 4)), _i32([4])], [_q((4,))])
    assert read_tflite(model, "m.tflite").operators[0].options == {}


def test_writer_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="stride"):
        single_op_model("CONV_2D", [_q((1, 1))], [_q((1, 1))], {"strides": 2})
    with pytest.raises(ValueError, match="SAMEISH"):
        single_op_model("CONV_2D", [_q((1, 1))], [_q((1, 1))], {"padding": "SAMEISH"})


# ---------------------------------------------------------------------------------------------
# Tensors, quantization, constants, graph structure


def test_per_channel_quantization_and_constants_round_trip() -> None:
    scales = [0.01, 0.02, 0.03, 0.04]
    w = _weights((1, 3, 3, 4), scales, axis=3)
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((1, 5, 5, 2), "int8", 0.5, -7), w, _bias(4, 0.001)],
        [TensorSpec((1, 3, 3, 4), "int8", 0.25, 11)],
        {"padding": "VALID", "depth_multiplier": 2},
    )
    graph = read_tflite(model, "dw.tflite")
    x, wt, b, y = graph.tensors
    assert (x.name, x.shape, x.dtype, x.data) == ("input_0", (1, 5, 5, 2), "int8", None)
    assert x.quant.scale == (0.5,) and x.quant.zero_point == (-7,) and not x.quant.per_channel
    assert wt.quant.per_channel and wt.quant.axis == 3 and wt.quant.zero_point == (0, 0, 0, 0)
    assert np.allclose(wt.quant.scale, scales, rtol=1e-7)  # stored as float32
    assert wt.data.dtype == np.int8 and wt.data.shape == (1, 3, 3, 4)
    assert np.array_equal(wt.data, w.data)
    assert not wt.data.flags.writeable
    assert b.data.dtype == np.int32 and list(b.data) == [-50, 50, 150, 250]
    assert y.quant.zero_point == (11,)
    assert graph.inputs == (0,) and graph.outputs == (3,)
    assert graph.operators[0].inputs == (0, 1, 2) and graph.operators[0].outputs == (3,)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "float32", "float16", "bool"])
def test_constant_dtypes_round_trip(dtype: str) -> None:
    values = np.arange(-3, 3).reshape(2, 3).astype(dtype)
    model = build_model(
        [TensorSpec((2, 3), dtype, data=values), TensorSpec((2, 3), dtype)],
        [OpSpec("RELU", [0], [1])], [], [1],
    )
    const = read_tflite(model, "m.tflite").tensors[0]
    assert const.dtype == dtype and const.data.dtype == np.dtype(dtype)
    assert np.array_equal(const.data, values) and not const.data.flags.writeable


def test_absent_optional_inputs_are_minus_one() -> None:
    conv = OpSpec("CONV_2D", [0, 1], [2], {"padding": "VALID"})  # no bias input at all
    fc = OpSpec("FULLY_CONNECTED", [0, 3, -1], [4])  # bias given as -1
    tensors = [
        TensorSpec((1, 2, 2, 1), "float32"), TensorSpec((1, 1, 1, 1), "float32", data=np.ones(1)),
        TensorSpec((1, 2, 2, 1), "float32"), TensorSpec((2, 4), "float32", data=np.ones(8)),
        TensorSpec((1, 2), "float32"),
    ]
    graph = read_tflite(build_model(tensors, [conv, fc], [0], [2, 4]), "m.tflite")
    assert graph.operators[0].inputs == (0, 1, -1)
    assert graph.operators[1].inputs == (0, 3, -1)


def test_file_layout_follows_the_converter() -> None:
    # CUMSUM (128) does not fit deprecated_builtin_code; RELU (19) does.
    model = build_model(
        [TensorSpec((4,), "float32"), TensorSpec((1,), "int32", data=np.zeros(1)), TensorSpec((4,), "float32"),
         TensorSpec((4,), "float32")],
        [OpSpec("CUMSUM", [0, 1], [2]), OpSpec("RELU", [2], [3])], [0], [3],
    )
    assert model[4:8] == b"TFL3"
    fb = tflite.Model.GetRootAs(model, 0)
    assert fb.Version() == 3
    assert fb.Buffers(0).DataLength() == 0
    codes = [(fb.OperatorCodes(k).DeprecatedBuiltinCode(), fb.OperatorCodes(k).BuiltinCode()) for k in range(2)]
    assert codes == [(127, 128), (19, 19)]
    graph = read_tflite(model, "dir/sub/model.tflite")
    assert [op.opcode for op in graph.operators] == ["CUMSUM", "RELU"]
    assert graph.source_name == "model.tflite"
    assert graph.source_sha256 == hashlib.sha256(model).hexdigest()


def test_leading_dynamic_batch_is_accepted() -> None:
    # The converter writes shape_signature [-1, ...] for a free batch size; shape has the batch.
    x = TensorSpec((1, 4), "int8", 0.1, 0, shape_signature=(-1, 4))
    graph = read_tflite(single_op_model("RELU", [x], [_q((1, 4))]), "m.tflite")
    assert graph.tensors[0].shape == (1, 4)


# ---------------------------------------------------------------------------------------------
# LiteRT loads and runs what the writer writes


def _litert_cases() -> dict[str, tuple[str, list, list, dict]]:
    f32 = lambda shape: TensorSpec(shape, "float32")  # noqa: E731
    rng = np.random.default_rng(1)
    return {
        "CONV_2D": ("CONV_2D", [_q((1, 5, 5, 2)), _weights((3, 3, 3, 2), [0.01, 0.02, 0.03]), _bias(3, 0.001)],
                    [_q((1, 3, 3, 3))], {"padding": "VALID", "fused_activation_function": "RELU6"}),
        "DEPTHWISE_CONV_2D": ("DEPTHWISE_CONV_2D", [_q((1, 5, 5, 2)), _weights((1, 3, 3, 4), [0.01] * 4, axis=3),
                              _bias(4, 0.001)], [_q((1, 5, 5, 4))], {"padding": "SAME", "depth_multiplier": 2}),
        "FULLY_CONNECTED": ("FULLY_CONNECTED", [_q((2, 6)), _weights((4, 6), [0.01]), _bias(4, 0.0005)],
                            [_q((2, 4))], {}),
        "AVERAGE_POOL_2D": ("AVERAGE_POOL_2D", [_q((1, 4, 4, 2))], [_q((1, 2, 2, 2))],
                            {"padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2}),
        "MAX_POOL_2D": ("MAX_POOL_2D", [_q((1, 4, 4, 2))], [_q((1, 2, 2, 2))],
                        {"padding": "SAME", "stride_w": 2, "stride_h": 2, "filter_width": 3, "filter_height": 3}),
        "SOFTMAX": ("SOFTMAX", [_q((1, 10))], [TensorSpec((1, 10), "int8", 1 / 256, -128)], {"beta": 1.0}),
        "RESHAPE": ("RESHAPE", [_q((1, 2, 3)), _i32([3, 2])], [_q((3, 2))], {"new_shape": [3, 2]}),
        "SQUEEZE": ("SQUEEZE", [_q((1, 2, 1, 3))], [_q((2, 3))], {"squeeze_dims": [0, 2]}),
        "ADD": ("ADD", [_q((1, 2, 3)), _q((1, 1, 3), 0.02, -5)], [_q((1, 2, 3), 0.07, 1)], {}),
        "SUB": ("SUB", [_q((1, 2, 3)), _q((1, 2, 3), 0.02, -5)], [_q((1, 2, 3), 0.07, 1)], {}),
        "MUL": ("MUL", [_q((1, 2, 3)), _q((1, 2, 3), 0.02, -5)], [_q((1, 2, 3), 0.07, 1)], {}),
        "CONCATENATION": ("CONCATENATION", [_q((1, 2, 3)), _q((1, 2, 2))], [_q((1, 2, 5))], {"axis": -1}),
        "PAD": ("PAD", [_q((1, 2, 3)), TensorSpec((3, 2), "int32", data=np.array([[0, 0], [1, 1], [2, 0]]))],
                [_q((1, 4, 5))], {}),
        "MEAN": ("MEAN", [_q((1, 4, 4, 3)), _i32([1, 2])], [_q((1, 1, 1, 3))], {"keep_dims": True}),
        "STRIDED_SLICE": ("STRIDED_SLICE", [_q((1, 6, 3)), _i32([0, 1, 0]), _i32([1, 6, 3]), _i32([1, 2, 1])],
                          [_q((1, 3, 3))], {}),
        "TRANSPOSE": ("TRANSPOSE", [_q((2, 3, 4)), _i32([2, 0, 1])], [_q((4, 2, 3))], {}),
        "QUANTIZE": ("QUANTIZE", [f32((2, 3))], [_q((2, 3))], {}),
        "DEQUANTIZE": ("DEQUANTIZE", [_q((2, 3))], [f32((2, 3))], {}),
        "LOGISTIC": ("LOGISTIC", [_q((2, 3))], [TensorSpec((2, 3), "int8", 1 / 256, -128)], {}),
        "TANH": ("TANH", [_q((2, 3))], [TensorSpec((2, 3), "int8", 1 / 128, 0)], {}),
        "RELU": ("RELU", [_q((2, 3))], [_q((2, 3))], {}),
        "RELU6": ("RELU6", [_q((2, 3))], [_q((2, 3))], {}),
        "LEAKY_RELU": ("LEAKY_RELU", [_q((2, 3))], [_q((2, 3))], {"alpha": 0.2}),
        "HARD_SWISH": ("HARD_SWISH", [_q((2, 3))], [_q((2, 3))], {}),
        "MAXIMUM": ("MAXIMUM", [_q((2, 3)), _q((2, 3))], [_q((2, 3))], {}),
        "MINIMUM": ("MINIMUM", [_q((2, 3)), _q((2, 3))], [_q((2, 3))], {}),
        "CONV_2D float": ("CONV_2D", [f32((1, 4, 4, 2)), TensorSpec((2, 3, 3, 2), "float32", data=rng.standard_normal((2, 3, 3, 2))),
                          TensorSpec((2,), "float32", data=rng.standard_normal(2))], [f32((1, 2, 2, 2))],
                          {"padding": "VALID", "fused_activation_function": "RELU"}),
        "FULLY_CONNECTED hybrid": ("FULLY_CONNECTED", [f32((2, 6)), _weights((4, 6), [0.01]),
                                   TensorSpec((4,), "float32", data=np.ones(4))], [f32((2, 4))], {}),
    }


_LITERT_CASES = _litert_cases()


@pytest.mark.parametrize("case", sorted(_LITERT_CASES))
def test_litert_runs_written_models(case: str) -> None:
    opcode, inputs, outputs, options = _LITERT_CASES[case]
    model = single_op_model(opcode, inputs, outputs, options)
    graph = read_tflite(model, "m.tflite")
    xs = random_inputs(model, seed=3)
    assert [x.shape for x in xs] == [graph.tensor(t).shape for t in graph.inputs]
    ys = run_reference(model, xs)
    assert [(y.shape, y.dtype.name) for y in ys] == [(graph.tensor(t).shape, graph.tensor(t).dtype) for t in graph.outputs]


def test_litert_matches_a_hand_computed_model() -> None:
    # float MAXIMUM with a constant: the reference runner returns real values in model order.
    model = build_model(
        [TensorSpec((3,), "float32"), TensorSpec((3,), "float32", data=np.zeros(3)), TensorSpec((3,), "float32"),
         TensorSpec((3,), "float32")],
        [OpSpec("MAXIMUM", [0, 1], [2]), OpSpec("MINIMUM", [0, 1], [3])], [0], [3, 2],
    )
    x = np.array([-1.5, 0.0, 2.0], np.float32)
    low, high = run_reference(model, [x])
    assert list(low) == [-1.5, 0.0, 0.0] and list(high) == [0.0, 0.0, 2.0]


def test_random_inputs_convention() -> None:
    model = build_model(
        [TensorSpec((2, 3), "float32"), TensorSpec((50,), "int8", 0.1, 0), TensorSpec((50,), "int8", 0.1, 0)],
        [OpSpec("QUANTIZE", [1], [2])], [0, 1], [2],
    )
    a, b = random_inputs(model, seed=7)
    assert np.array_equal(a, np.random.default_rng([7, 0]).standard_normal((2, 3)).astype(np.float32))
    assert b.dtype == np.int8 and np.array_equal(b, np.random.default_rng([7, 1]).integers(-128, 128, 50, np.int8))


@pytest.mark.skipif(not _SHARED_MODELS.is_dir(), reason="../shared/models is not available (CI-only data)")
@pytest.mark.parametrize("name", ["kws_ref_model", "hello_world_float", "hello_world_int8", "ad01_int8"])
def test_random_inputs_reproduce_shared_goldens(name: str) -> None:
    model = (_SHARED_MODELS / f"{name}.tflite").read_bytes()
    read_tflite(model, f"{name}.tflite")  # real converter output reads cleanly
    for seed in (0, 4):
        golden = np.load(_SHARED_MODELS / "golden" / name / f"seed{seed}.npz")
        (x,) = random_inputs(model, seed)
        assert x.dtype == golden["input_0"].dtype and np.array_equal(x, golden["input_0"])
        assert np.array_equal(run_reference(model, [x])[0], golden["output_0"])


# ---------------------------------------------------------------------------------------------
# Malformed files: one-line ModelFormatError naming the file


def _small_model() -> bytes:
    return single_op_model(
        "FULLY_CONNECTED", [_q((1, 8)), _weights((4, 8), [0.01]), _bias(4, 0.0005)], [_q((1, 4))],
        {"fused_activation_function": "RELU"},
    )


def _format_error(data: bytes) -> str:
    with pytest.raises(ModelFormatError) as info:
        read_tflite(data, "path/to/bad.tflite")
    message = str(info.value)
    assert message.startswith("bad.tflite: ") and "\n" not in message
    return message


def test_empty_and_tiny_files() -> None:
    assert "empty file" in _format_error(b"")
    assert "too short" in _format_error(b"\x00TFL")


def test_not_a_tflite_file() -> None:
    assert "b'TFL3'" in _format_error(b"PK\x03\x04" + bytes(100))  # a zip file
    # A valid flatbuffer, but not a TFLite one (other identifier).
    b = flatbuffers.Builder(64)
    b.StartObject(1)
    b.PrependInt32Slot(0, 42, 0)
    b.Finish(b.EndObject(), file_identifier=b"ABCD")
    assert "b'ABCD'" in _format_error(bytes(b.Output()))
    # The TFL3 identifier, but a different table as root.
    b = flatbuffers.Builder(64)
    name = b.CreateString("x" * 40)
    b.StartObject(3)
    b.PrependUOffsetTRelativeSlot(0, name, 0)
    b.PrependInt32Slot(1, 7, 0)
    b.Finish(b.EndObject(), file_identifier=b"TFL3")
    _format_error(bytes(b.Output()))


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated_file(fraction: float) -> None:
    model = _small_model()
    message = _format_error(model[: int(len(model) * fraction)])
    assert "corrupt" in message or "too short" in message


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, size=int(rng.integers(8, 4096)), dtype=np.uint8).tobytes()
    _format_error(noise)
    # Random bytes behind a plausible header get past the identifier check and fail deeper in.
    _format_error(struct.pack("<I", 16 + seed * 4) + b"TFL3" + noise)


@pytest.mark.parametrize("seed", range(6))
def test_corrupted_model_never_crashes(seed: int) -> None:
    """Flipping bytes of a real model either still reads or fails with a UserError, never with
    a Python exception from the flatbuffers library."""
    model = bytearray(_small_model())
    rng = np.random.default_rng(seed)
    for pos in rng.integers(8, len(model), size=8):
        model[pos] = int(rng.integers(0, 256))
    try:
        read_tflite(bytes(model), "flipped.tflite")
    except (ModelFormatError, UnsupportedError) as exc:
        assert "\n" not in str(exc) and str(exc).startswith("flipped.tflite: ")


def _patch_tensor_field(model: bytes, tensor: int, slot: int, fmt: str, value: int) -> bytes:
    """Overwrite a stored scalar field of a tensor table (slot numbers as in schema.fbs)."""
    t = tflite.Model.GetRootAs(model, 0).Subgraphs(0).Tensors(tensor)
    offset = t._tab.Offset(4 + 2 * slot)
    assert offset, "field not stored"
    patched = bytearray(model)
    struct.pack_into(fmt, patched, t._tab.Pos + offset, value)
    return bytes(patched)


def test_buffer_index_out_of_range() -> None:
    model = _patch_tensor_field(_small_model(), 1, 2, "<I", 1000)  # Tensor.buffer
    message = _format_error(model)
    assert "buffer 1000" in message and "tensor 1" in message


def test_unknown_tensor_type() -> None:
    message = _format_error(_patch_tensor_field(_small_model(), 0, 1, "<b", 99))  # Tensor.type
    assert "unknown tensor type 99" in message


def test_constant_size_mismatch() -> None:
    model = build_model(
        [TensorSpec((2,), "int32", data=np.zeros(2)), TensorSpec((2,), "int32")], [OpSpec("RELU", [0], [1])], [], [1]
    )
    t = tflite.Model.GetRootAs(model, 0).Subgraphs(0).Tensors(0)
    first_dim = t._tab.Vector(t._tab.Offset(4))  # Tensor.shape[0]
    patched = bytearray(model)
    struct.pack_into("<i", patched, first_dim, 3)
    assert "holds 8 bytes" in _format_error(bytes(patched))


def test_wrong_schema_version() -> None:
    model = bytearray(_small_model())
    root = tflite.Model.GetRootAs(bytes(model), 0)
    struct.pack_into("<I", model, root._tab.Pos + root._tab.Offset(4), 2)
    assert "schema version 2" in _format_error(bytes(model))


# ---------------------------------------------------------------------------------------------
# Valid but unsupported: UnsupportedError with the facts


def _unsupported(data: bytes) -> str:
    with pytest.raises(UnsupportedError) as info:
        read_tflite(data, "m.tflite")
    message = str(info.value)
    assert message.startswith("m.tflite: ") and "\n" not in message
    return message


def test_unknown_custom_operator() -> None:
    model = single_op_model("CUSTOM", [_q((1, 4))], [_q((1, 4))], custom_code="MyOwnOp")
    message = _unsupported(model)
    assert "'MyOwnOp'" in message and "operator 0" in message and "subgraph 0" in message
    assert "builtin" in message and "TFLite_Detection_PostProcess" in message


def test_known_custom_operator_is_read_with_its_flexbuffer_options() -> None:
    options = {"max_detections": 10, "nms_iou_threshold": 0.5, "use_regular_nms": False, "y_scale": 10.0}
    model = single_op_model("CUSTOM", [_q((1, 4))], [_q((1, 4))], options, custom_code="TFLite_Detection_PostProcess")
    (op,) = read_tflite(model, "m.tflite").operators
    assert op.opcode == "TFLite_Detection_PostProcess"
    assert op.options == options


def test_recursive_control_flow() -> None:
    tensors = [TensorSpec((), "bool"), TensorSpec((2,), "float32"), TensorSpec((2,), "float32")]
    model = build_model(tensors, [OpSpec("IF", [0, 1], [2])], [0, 1], [2], extra_subgraphs=2)  # runs subgraph 0
    message = _unsupported(model)
    assert "IF" in message and "recursive" in message and "subgraph 0 -> subgraph 0" in message


def test_extra_subgraphs_without_control_flow_are_ignored() -> None:
    model = build_model([_q((2,)), _q((2,))], [OpSpec("RELU", [0], [1])], [0], [1], extra_subgraphs=1)
    assert [op.opcode for op in read_tflite(model, "m.tflite").operators] == ["RELU"]


def test_dynamic_shape() -> None:
    x = TensorSpec((1, 4), "float32", shape_signature=(-1, -1))
    message = _unsupported(single_op_model("RELU", [x], [TensorSpec((1, 4), "float32")]))
    assert "dynamic shape" in message and "input_0" in message


def test_string_tensor() -> None:
    model = _patch_tensor_field(_small_model(), 0, 1, "<b", tflite.TensorType.STRING)
    assert "STRING" in _unsupported(model)


def test_unsupported_builtin_reads_fine() -> None:
    # Builtins without a lowering are read; passes/validate.py reports them.
    model = single_op_model("RESIZE_BILINEAR", [_q((1, 2, 2, 1)), _i32([4, 4])], [_q((1, 4, 4, 1))])
    assert read_tflite(model, "m.tflite").operators[0].opcode == "RESIZE_BILINEAR"


# ---------------------------------------------------------------------------------------------
# Accept what TFLite accepts: files older converters wrote, read as TFLite reads them.


def _stale_bias_conv(bias_axis: int) -> bytes:
    """An int8 CONV_2D whose int32 bias lists one scale per element with quantized_dimension
    `bias_axis` (older converters wrote the weights' 3 there)."""
    scales = [0.01, 0.02, 0.03]
    bias = TensorSpec((3,), "int32", [0.05 * s for s in scales], [0] * 3, quantized_dimension=bias_axis,
                      data=np.array([100, -50, 7]))
    return single_op_model("CONV_2D", [_q((1, 4, 4, 2), 0.05, 0), _weights((3, 1, 1, 2), scales), bias],
                           [_q((1, 4, 4, 3), 0.1, -2)], {"padding": "VALID"})


def test_bias_with_a_stale_quantized_dimension_is_accepted() -> None:
    from microtvm_testing.host import build

    stale, clean = _stale_bias_conv(3), _stale_bias_conv(0)
    bias = read_tflite(stale, "stale.tflite").tensor(2)
    assert bias.quant.axis == 0 and len(bias.quant.scale) == 3  # the only axis a 1-D tensor has
    # LiteRT 2.3.0's interpreter refuses to load this file (TFLite Micro runs it); the bias's own
    # scales play no part in the arithmetic (input scale x weight scale does), so it computes
    # what the same model with quantized_dimension 0 computes in LiteRT.
    host = build(stale)
    for seed in range(3):
        xs = random_inputs(clean, seed)
        np.testing.assert_array_equal(host.run(xs)[0], run_reference(clean, xs)[0])


def test_a_stale_weight_axis_is_the_lowerings_verdict_not_corrupt() -> None:
    from microtvm.ops import LOWERINGS_BY_OPCODE
    from microtvm.passes.validate import validate

    scales = [0.01, 0.02, 0.03]
    model = single_op_model("CONV_2D", [_q((1, 4, 4, 2), 0.05, 0), _weights((3, 1, 1, 2), scales, axis=3),
                                        TensorSpec((3,), "int32", 0.0005, 0, data=np.zeros(3))],
                            [_q((1, 4, 4, 3), 0.1, 0)], {"padding": "VALID"})
    graph = read_tflite(model, "w.tflite")  # reads: per-channel layout is each kernel's business
    with pytest.raises(UnsupportedError, match="per output channel .3. along axis 0; got 3 scales along axis 3"):
        validate(graph, LOWERINGS_BY_OPCODE)


def _patch_operator_options_type(model: bytes, value: int) -> bytes:
    op = tflite.Model.GetRootAs(model, 0).Subgraphs(0).Operators(0)
    offset = op._tab.Offset(4 + 2 * 3)  # Operator.builtin_options_type
    assert offset, "field not stored"
    patched = bytearray(model)
    struct.pack_into("<B", patched, op._tab.Pos + offset, value)
    return bytes(patched)


def test_options_of_another_type_mean_the_defaults_as_in_litert() -> None:
    from microtvm_testing.host import build

    spec = TensorSpec((2, 3), "float32")
    model = single_op_model("ADD", [spec, spec], [spec], {"fused_activation_function": "RELU"})
    patched = _patch_operator_options_type(model, tflite.BuiltinOptions.MulOptions)
    assert read_tflite(patched, "p.tflite").operators[0].options["fused_activation_function"] == "NONE"
    host = build(patched)
    xs = random_inputs(patched, 0)
    np.testing.assert_allclose(host.run(xs)[0], run_reference(patched, xs)[0], rtol=1e-6)
    assert (run_reference(patched, xs)[0] < 0).any()  # LiteRT, too, dropped the RELU


def test_unknown_enum_value_is_unsupported_not_corrupt() -> None:
    spec = TensorSpec((2, 3), "float32")
    model = single_op_model("ADD", [spec, spec], [spec], {"fused_activation_function": "RELU"})
    opts = tflite.Model.GetRootAs(model, 0).Subgraphs(0).Operators(0).BuiltinOptions()
    add = tflite.AddOptions()
    add.Init(opts.Bytes, opts.Pos)
    offset = add._tab.Offset(4)  # AddOptions.fused_activation_function
    patched = bytearray(model)
    struct.pack_into("<b", patched, add._tab.Pos + offset, 42)
    with pytest.raises(UnsupportedError, match="fused_activation_function = 42, which is not a value of Activation"):
        read_tflite(bytes(patched), "e.tflite")
