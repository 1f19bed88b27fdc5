"""passes/validate.py: what is rejected before lowering, and what the messages say.

The operator lowerings are tested by their own families; here a fake lowering table stands in
for microtvm.ops.LOWERINGS_BY_OPCODE, so these tests do not depend on which lowerings exist.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import microtvm.ops
from microtvm.errors import ModelFormatError, UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ir import Graph, Operator
from microtvm.ops.base import EmittedOp, OpLowering
from microtvm.passes.validate import validate
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

_FAKE_OPCODES = ("ADD", "CONV_2D", "FULLY_CONNECTED", "QUANTIZE", "RELU", "RESHAPE")


def _accept(op: Operator, graph: Graph) -> None:
    pass


def _fake_table(check=_accept) -> dict[str, OpLowering]:
    emit = lambda op, ctx: EmittedOp(call="")  # noqa: E731 - never called here
    return {code: OpLowering(opcode=code, check=check, emit=emit) for code in _FAKE_OPCODES}


def _q(shape: tuple[int, ...], dtype: str = "int8", scale: float = 0.05, zp: int = 0) -> TensorSpec:
    return TensorSpec(shape, dtype, scale, zp)


def _graph(model: bytes, name: str = "net.tflite") -> Graph:
    return read_tflite(model, name)


def _rejected(graph: Graph, table=None) -> str:
    with pytest.raises(UnsupportedError) as info:
        validate(graph, _fake_table() if table is None else table)
    message = str(info.value)
    assert "\n" not in message and message.startswith("net.tflite: ")
    return message


def _fc(x: TensorSpec, weights_dtype: str, out: TensorSpec) -> bytes:
    w = TensorSpec((4, 6), weights_dtype, 0.01, 0, data=np.ones((4, 6)))
    bias = TensorSpec((4,), "float32", data=np.zeros(4)) if x.dtype == "float32" else TensorSpec((4,), "int32", 0.0005, 0, data=np.zeros(4))
    return single_op_model("FULLY_CONNECTED", [x, w, bias], [out])


def test_supported_model_passes_and_every_check_runs() -> None:
    seen: list[tuple[int, str]] = []
    table = _fake_table(check=lambda op, graph: seen.append((op.index, op.opcode)))
    tensors = [_q((1, 6)), TensorSpec((4, 6), "int8", 0.01, 0, data=np.ones((4, 6))),
               TensorSpec((4,), "int32", 0.0005, 0, data=np.zeros(4)), _q((1, 4)), _q((1, 4))]
    ops = [OpSpec("FULLY_CONNECTED", [0, 1, 2], [3]), OpSpec("RELU", [3], [4])]
    validate(_graph(build_model(tensors, ops, [0], [4])), table)
    assert seen == [(0, "FULLY_CONNECTED"), (1, "RELU")]


def test_unsupported_operator_message() -> None:
    model = single_op_model("RESIZE_BILINEAR", [_q((1, 2, 2, 1)), TensorSpec((2,), "int32", data=np.array([4, 4]))],
                            [_q((1, 4, 4, 1))])
    message = _rejected(_graph(model))
    assert "unsupported operator RESIZE_BILINEAR (operator 0 in subgraph 0)" in message
    assert "Supported operators: " + ", ".join(sorted(_FAKE_OPCODES)) + "." in message
    assert "Replace or remove RESIZE_BILINEAR" in message and "open an issue" in message


def test_all_unsupported_operators_in_one_message() -> None:
    tensors = [_q((1, 4)), _q((1, 4)), _q((1, 4)), _q((1, 4))]
    ops = [OpSpec("RELU", [0], [1]), OpSpec("FLOOR", [1], [2]), OpSpec("ABS", [2], [3])]
    message = _rejected(_graph(build_model(tensors, ops, [0], [3])))
    assert "FLOOR (operator 1 in subgraph 0), ABS (operator 2 in subgraph 0)" in message
    assert "Replace or remove ABS, FLOOR" in message


def test_default_table_is_looked_up_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = _graph(single_op_model("RELU", [_q((2,))], [_q((2,))]))
    monkeypatch.setattr(microtvm.ops, "LOWERINGS_BY_OPCODE", {})
    with pytest.raises(UnsupportedError, match=r"Supported operators: \(none\)"):
        validate(graph)
    monkeypatch.setattr(microtvm.ops, "LOWERINGS_BY_OPCODE", _fake_table())
    validate(graph)


def test_hybrid_model() -> None:
    graph = _graph(_fc(TensorSpec((1, 6), "float32"), "int8", TensorSpec((1, 4), "float32")))
    message = _rejected(graph)
    assert "operator 0 (FULLY_CONNECTED) in subgraph 0 is hybrid" in message
    assert "int8 weights" in message and "float32 activations" in message
    assert "full-integer int8 quantization" in message and "int8 inputs and outputs" in message
    assert "float32 model" in message
    assert "FULLY_CONNECTED has no hybrid kernel" in message


def test_hybrid_is_each_lowerings_decision() -> None:
    # A lowering whose dtypes list "hybrid" gets the operator (and its own check decides).
    graph = _graph(_fc(TensorSpec((1, 6), "float32"), "int8", TensorSpec((1, 4), "float32")))
    table = _fake_table()
    table["FULLY_CONNECTED"] = dataclasses.replace(table["FULLY_CONNECTED"], dtypes=("float32", "hybrid"))
    validate(graph, table)
    # With the real table, FULLY_CONNECTED has a hybrid kernel; MUL has none and says so.
    validate(graph)
    weights = TensorSpec((4,), "int8", 0.1, 0, data=np.ones(4))
    mul = _graph(single_op_model("MUL", [TensorSpec((1, 4), "float32"), weights], [TensorSpec((1, 4), "float32")]))
    message = _rejected(mul, microtvm.ops.LOWERINGS_BY_OPCODE)
    assert "operator 0 (MUL) in subgraph 0 is hybrid" in message and "MUL has no hybrid kernel" in message
    assert "CONV_2D" in message and "FULLY_CONNECTED" in message


def test_float_and_int8_models_are_not_hybrid() -> None:
    validate(_graph(_fc(TensorSpec((1, 6), "float32"), "float32", TensorSpec((1, 4), "float32"))), _fake_table())
    validate(_graph(_fc(_q((1, 6)), "int8", _q((1, 4)))), _fake_table())


def test_uint8_legacy_activations() -> None:
    graph = _graph(single_op_model("ADD", [_q((4,), "uint8", zp=128), _q((4,), "uint8", zp=128)], [_q((4,), "uint8")]))
    message = _rejected(graph)
    assert "operator 0 (ADD) in subgraph 0 has uint8 quantized activations" in message and "legacy" in message


def test_type_conversions_are_left_to_their_lowering() -> None:
    # A uint8 camera input quantized to int8 is a normal full-integer model.
    graph = _graph(single_op_model("QUANTIZE", [_q((4,), "uint8", zp=128)], [_q((4,))]))
    validate(graph, _fake_table())


def test_lowering_check_messages_get_the_operator_context() -> None:
    def refuse(op: Operator, graph: Graph) -> None:
        raise UnsupportedError("dilation 3 is not supported; use 1 or 2")

    graph = _graph(single_op_model("RELU", [_q((2,))], [_q((2,))]))
    message = _rejected(graph, _fake_table(check=refuse))
    assert message == "net.tflite: operator 0 (RELU) in subgraph 0: dilation 3 is not supported; use 1 or 2"


def test_unsupported_operator_is_reported_before_dtype_problems() -> None:
    graph = _graph(single_op_model("FLOOR", [TensorSpec((2,), "int16")], [TensorSpec((2,), "int16")]))
    assert "unsupported operator FLOOR" in _rejected(graph)


# ---------------------------------------------------------------------------------------------
# Damaged models (../shared/fuzz-crashes: found by a mutation fuzzer): one line, exit 2.


def test_operator_without_outputs_is_a_damaged_model() -> None:
    model = build_model([_q((4,)), _q((4,))], [OpSpec("RELU", [0], [])], [0], [1])
    with pytest.raises(ModelFormatError, match="operator 0 \\(RELU\\) in subgraph 0 has no outputs"):
        validate(read_tflite(model, "m.tflite"))


@pytest.mark.parametrize("scale", [float("nan"), float("inf")])
def test_non_finite_scale_is_a_damaged_model(scale: float) -> None:
    model = single_op_model("RELU", [TensorSpec((4,), "int8", scale, 0)], [_q((4,))])
    with pytest.raises(ModelFormatError, match="non-finite quantization scale"):
        validate(read_tflite(model, "m.tflite"))


def test_zero_activation_scale_and_out_of_range_zero_point_are_damaged_models() -> None:
    zero = single_op_model("RELU", [TensorSpec((4,), "int8", 0.0, 0)], [_q((4,))])
    with pytest.raises(ModelFormatError, match="must be positive"):
        validate(read_tflite(zero, "m.tflite"))
    far = single_op_model("RELU", [TensorSpec((4,), "int8", 0.5, 300)], [_q((4,))])
    with pytest.raises(ModelFormatError, match="zero point outside"):
        validate(read_tflite(far, "m.tflite"))


def test_legacy_all_uint8_model_is_refused_in_one_line() -> None:
    """A legacy asymmetric-uint8 model (CONV_2D -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX, uint8
    throughout, uint8 weights, int32 biases): the whole pipeline refuses it with one sentence that
    names the first operator and says to re-convert with int8 quantization."""
    from microtvm.compiler import CompileOptions, compile_model

    rng = np.random.default_rng(0)
    u8 = lambda shape, scale=0.05, zp=128, data=None: TensorSpec(shape, "uint8", scale=scale, zero_point=zp, data=data)  # noqa: E731
    tensors = [
        u8((1, 4, 4, 2)),
        u8((3, 3, 3, 2), scale=0.01, zp=120, data=rng.integers(0, 256, (3, 3, 3, 2), dtype=np.uint8)),
        TensorSpec((3,), "int32", scale=0.0005, zero_point=0, data=rng.integers(-100, 100, 3, dtype=np.int32)),
        u8((1, 4, 4, 3), scale=0.1),
        TensorSpec((2,), "int32", data=np.array([1, 48], np.int32)),
        u8((1, 48), scale=0.1),
        u8((5, 48), scale=0.01, zp=130, data=rng.integers(0, 256, (5, 48), dtype=np.uint8)),
        TensorSpec((5,), "int32", scale=0.001, zero_point=0, data=rng.integers(-100, 100, 5, dtype=np.int32)),
        u8((1, 5), scale=0.2),
        u8((1, 5), scale=1 / 256, zp=0),
    ]
    ops = [
        OpSpec("CONV_2D", [0, 1, 2], [3], {"padding": "SAME", "stride_w": 1, "stride_h": 1}),
        OpSpec("RESHAPE", [3, 4], [5], {"new_shape": [1, 48]}),
        OpSpec("FULLY_CONNECTED", [5, 6, 7], [8]),
        OpSpec("SOFTMAX", [8], [9], {"beta": 1.0}),
    ]
    model = build_model(tensors, ops, inputs=[0], outputs=[9])
    with pytest.raises(UnsupportedError) as info:
        compile_model(model, "legacy.tflite", CompileOptions())
    message = str(info.value)
    assert "\n" not in message, message
    assert "operator 0 (CONV_2D)" in message and "uint8 quantized activations" in message, message
    assert "TFLite Micro does not run" in message and "Re-convert the model with full-integer int8" in message, message
