"""RESHAPE and SQUEEZE: aliases of their input's storage, bit-exact against LiteRT.

Covers each way an alias group can meet the caller's buffers (see passes/aliases.py): a graph
input reshaped straight to a graph output (a copy), an operator's result reshaped to an output
(the operator writes into the output buffer), two outputs sharing one result (one copy), a
reshaped input feeding an operator, and a reshape of a constant (folded away).
"""
from __future__ import annotations

import numpy as np
import pytest

from microtvm_testing.host import alias_chain_model, assert_matches_reference, run_compiled
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

I8 = dict(dtype="int8", scale=0.05, zero_point=-3)


def _shape(values) -> TensorSpec:
    return TensorSpec([len(values)], "int32", data=np.array(values, dtype=np.int32))


def _fc(in_features: int, out_features: int, seed: int) -> list[TensorSpec]:
    """FULLY_CONNECTED weights and bias (int8 per-tensor, int32 bias)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(-127, 128, size=(out_features, in_features), dtype=np.int8)
    bias = rng.integers(-2000, 2000, size=(out_features,), dtype=np.int32)
    return [
        TensorSpec([out_features, in_features], "int8", scale=0.02, zero_point=0, data=weights, name="weights"),
        TensorSpec([out_features], "int32", scale=0.05 * 0.02, zero_point=0, data=bias, name="bias"),
    ]


@pytest.mark.parametrize("opcode", ["RESHAPE", "SQUEEZE"])
def test_input_straight_to_output(opcode, tmp_path):
    """The output aliases a caller-owned input: the generated code must copy the bytes."""
    if opcode == "RESHAPE":
        model = single_op_model(
            "RESHAPE", [TensorSpec([1, 2, 3, 4], **I8), _shape([4, 6])], [TensorSpec([4, 6], **I8)], {"new_shape": [4, 6]}
        )
    else:
        model = single_op_model(
            "SQUEEZE", [TensorSpec([1, 5, 1, 3], "float32")], [TensorSpec([5, 3], "float32")], {"squeeze_dims": [0, 2]}
        )
    assert_matches_reference(model, workdir=tmp_path)


def test_inputs_outputs_values_exact(tmp_path):
    """A direct check with known values (not only the LiteRT comparison)."""
    model = single_op_model("RESHAPE", [TensorSpec([2, 3], **I8), _shape([3, 2])], [TensorSpec([3, 2], **I8)], {"new_shape": [3, 2]})
    x = np.array([[1, -2, 3], [-128, 127, 0]], dtype=np.int8)
    (y,) = run_compiled(model, [x], workdir=tmp_path)
    np.testing.assert_array_equal(y, x.reshape(3, 2))


def test_chain_of_aliases_around_an_operator(tmp_path):
    assert_matches_reference(alias_chain_model(), workdir=tmp_path)


@pytest.mark.parametrize(
    "options",
    [dict(use_workspace_io=True), dict(workspace_pools=("sram",)), dict(workspace_pools=("sram",), use_workspace_io=True)],
    ids=["workspace_io", "external_pool", "external_pool_workspace_io"],
)
def test_chain_in_other_memory_modes(options, tmp_path):
    assert_matches_reference(alias_chain_model(), seeds=(0,), workdir=tmp_path, **options)


def test_reshape_of_constant_is_folded(tmp_path):
    """ADD(input, RESHAPE(constant)): the reshape disappears, the constant gets the new shape."""
    constant = np.arange(-6, 6, dtype=np.int8).reshape(12)
    tensors = [
        TensorSpec([3, 4], **I8, name="input"),
        TensorSpec([12], **I8, data=constant, name="table"),
        _shape([3, 4]),
        TensorSpec([3, 4], **I8, name="table_2d"),
        TensorSpec([3, 4], dtype="int8", scale=0.1, zero_point=1, name="sum"),
    ]
    ops = [
        OpSpec("RESHAPE", [1, 2], [3], {"new_shape": [3, 4]}),
        OpSpec("ADD", [0, 3], [4], {"fused_activation_function": "NONE"}),
    ]
    model = build_model(tensors, ops, inputs=[0], outputs=[4])
    assert_matches_reference(model, workdir=tmp_path)
