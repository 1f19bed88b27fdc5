"""The persistent state of stateful models (TFLite variable tensors: LSTM/SVDF state).

What the interface promises (DESIGN.md "State"): TVMGEN_<M>_STATE_SIZE, struct tvmgen_<m>_state,
tvmgen_<m>_reset_state, the state as the last argument of tvmgen_<m>_run; stateless models keep
their API unchanged. The state pool is separate from the (shareable) workspace, reported in
metadata.json, `microtvmc inspect` and the model metadata struct, and reset_state sets every
variable tensor to its initial value as TFLite does. The host driver (testing/host.py) resets the
state on garbage and runs every sequence twice, so each run here also checks reset_state.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from microtvm.cli import main
from microtvm.compiler import CompileOptions, compile_model, read_model
from microtvm.errors import UnsupportedError, UserError
from microtvm.testing.host import assert_matches_reference, build
from microtvm.testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

Q = dict(dtype="int8", scale=0.05, zero_point=-3)


def _add_state_model(dtype: str = "int8", data=None) -> bytes:
    """output = input + state, the state a variable tensor no operator writes (it keeps its reset value)."""
    q = Q if dtype == "int8" else dict(dtype=dtype)
    return single_op_model(
        "ADD",
        [TensorSpec([1, 5], **q), TensorSpec([1, 5], **q, is_variable=True, data=data, name="state")],
        [TensorSpec([1, 5], **q)],
        {"fused_activation_function": "NONE"},
    )


def _svdf_model(dtype: str = "float32") -> bytes:
    """A float SVDF (batch 2, 3 inputs, 4 units, rank 2, memory 3): state that changes every run."""
    rng = np.random.default_rng(5)
    batch, n_in, units, rank, memory = 2, 3, 4, 2, 3
    return single_op_model(
        "SVDF",
        [
            TensorSpec([batch, n_in], dtype),
            TensorSpec([units * rank, n_in], dtype, data=rng.standard_normal((units * rank, n_in)).astype("f4")),
            TensorSpec([units * rank, memory], dtype, data=rng.standard_normal((units * rank, memory)).astype("f4")),
            TensorSpec([units], dtype, data=rng.standard_normal(units).astype(np.float32)),
            TensorSpec([batch, memory * units * rank], dtype, is_variable=True, name="svdf_state"),
        ],
        [TensorSpec([batch, units], dtype)],
        {"rank": rank, "fused_activation_function": "NONE"},
    )


def test_reader_and_writer_keep_is_variable():
    graph = read_model(_add_state_model(), "m.tflite")
    state = next(t for t in graph.tensors if t.name == "state")
    assert state.is_variable and not state.is_constant and state.data is None
    assert graph.inputs == (0,)  # a variable tensor is an operand, not a graph input
    plain = next(t for t in graph.tensors if t.name != "state")
    assert not plain.is_variable


def test_int8_state_resets_to_its_zero_point_over_a_sequence(tmp_path):
    """TFLite resets an int8 variable tensor to its zero point (the real value 0)."""
    assert_matches_reference(_add_state_model(), steps=3, workdir=tmp_path)


def test_float_state_resets_to_zero(tmp_path):
    assert_matches_reference(_add_state_model("float32"), steps=3, workdir=tmp_path)


def test_state_with_initial_data_starts_from_it(tmp_path):
    """LiteRT refuses variable tensors with data; we start from the data (TFLite's stated intent)."""
    init = np.arange(5, dtype=np.float32).reshape(1, 5) - 2.5
    host = build(_add_state_model("float32", data=init), tmp_path)
    x = np.random.default_rng(0).standard_normal((1, 5)).astype(np.float32)
    for outputs in host.run_sequence([[x], [x]]):
        np.testing.assert_allclose(outputs[0], x + init, rtol=1e-6)


def test_stateless_models_keep_their_interface():
    files = compile_model(single_op_model("ADD", [TensorSpec([4], **Q)] * 2, [TensorSpec([4], **Q)]), "m.tflite")
    header = files["codegen/host/include/tvmgen_default.h"].decode()
    assert "STATE_SIZE" not in header and "_state" not in header.replace("state_size", "")
    run = "int32_t tvmgen_default_run(struct tvmgen_default_inputs* inputs, struct tvmgen_default_outputs* outputs);"
    assert run in header
    assert json.loads(files["metadata.json"])["modules"]["default"]["memory"]["state_size_bytes"] == 0


def test_variable_tensor_as_model_output_is_rejected():
    tensors = [
        TensorSpec([1, 4], **Q, name="x"), TensorSpec([1, 4], **Q, is_variable=True, name="state"),
        TensorSpec([1, 4], **Q, name="y"),
    ]
    add = OpSpec("ADD", [0, 1], [2], {"fused_activation_function": "NONE"})
    model = build_model(tensors, [add], inputs=[0], outputs=[2, 1])
    with pytest.raises(UnsupportedError, match="'state' is a variable tensor"):
        compile_model(model, "m.tflite")


def test_io_tensor_named_state_does_not_collide_with_the_state_macro():
    q = {"dtype": "float32"}
    model = single_op_model(
        "ADD",
        [TensorSpec([1, 5], **q, name="STATE"), TensorSpec([1, 5], **q, is_variable=True, name="s")],
        [TensorSpec([1, 5], **q, name="y")],
    )
    header = compile_model(model, "m.tflite")["codegen/host/include/tvmgen_default.h"].decode()
    assert header.count("#define TVMGEN_DEFAULT_STATE_SIZE ") == 1
    assert "void* STATE_1;" in header


def test_state_size_reported_and_pool_name_reserved(tmp_path, capsys):
    files = compile_model(_add_state_model(), "m.tflite", CompileOptions(module_name="kws"))
    header = files["codegen/host/include/tvmgen_kws.h"].decode()
    assert "#define TVMGEN_KWS_STATE_SIZE 16" in header  # 5 bytes, aligned to 16
    assert "int32_t tvmgen_kws_reset_state(struct tvmgen_kws_state* state);" in header
    memory = json.loads(files["metadata.json"])["modules"]["kws"]["memory"]
    assert memory["state_size_bytes"] == 16 and memory["functions"]["main"][0]["state_size_bytes"] == 16
    path = tmp_path / "m.tflite"
    path.write_bytes(_add_state_model())
    assert main(["inspect", str(path)]) == 0
    assert "state: 16 bytes in 1 variable tensor" in capsys.readouterr().out
    with pytest.raises(UserError, match="reserved for the state"):
        compile_model(_add_state_model(), "m.tflite", CompileOptions(workspace_pools=("state",)))
