"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM against LiteRT's reference kernels, over sequences of
invocations (the state persisting on both sides, compared invocation by invocation), 3 seeds
per compiled model: int8 byte for byte, float32 within 1e-5 relative / 1e-6 absolute (TANH
activations and the LSTM's sigmoid/tanh gates go through the C library's expf/tanhf, which may
differ from LiteRT's std::exp/std::tanh by an ulp: 1e-5 relative / 1e-5 absolute there).

The host driver also resets the state on garbage and runs every sequence twice (testing/host.py),
so each case checks tvmgen_<m>_reset_state too.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pytest

from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm.testing.host import assert_matches_reference
from microtvm.testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

STEPS = 4  # invocations per seed


# ---------------------------------------------------------------------------------------------
# SVDF


def _svdf_float(
    batch: int, n_in: int, units: int, rank: int, memory: int, bias: bool, activation: str, seed: int
) -> bytes:
    rng = np.random.default_rng(seed)
    filters = units * rank
    return single_op_model(
        "SVDF",
        [
            TensorSpec([batch, n_in], "float32"),
            TensorSpec([filters, n_in], "float32", data=rng.standard_normal((filters, n_in)).astype("f4") * 0.5),
            TensorSpec([filters, memory], "float32", data=rng.standard_normal((filters, memory)).astype("f4") * 0.5),
            TensorSpec([units], "float32", data=rng.standard_normal(units).astype("f4")) if bias else None,
            TensorSpec([batch, memory * filters], "float32", is_variable=True),
        ],
        [TensorSpec([batch, units], "float32")],
        {"rank": rank, "fused_activation_function": activation},
    )


def _svdf_int8(
    batch: int,
    n_in: int,
    units: int,
    rank: int,
    memory: int,
    bias: bool,
    seed: int,
    activation: str = "RELU",
    state_headroom: float = 3.0,
) -> bytes:
    """Scales chosen like a converter would (the state spans the feature activations'
    range / state_headroom, so a small headroom saturates the int16 state)."""
    rng = np.random.default_rng(seed)
    filters = units * rank
    x_scale, x_zp = 0.02 + 0.01 * rng.random(), int(rng.integers(-20, 20))
    wf_scale = 0.004 + 0.004 * rng.random()
    wt_scale = 1.0 / 32767 * (0.5 + rng.random())
    feature_range = np.sqrt(n_in) * 128 * x_scale * 127 * wf_scale / 2
    state_scale = feature_range * state_headroom / 32767
    out_range = feature_range * np.sqrt(rank * memory) * 0.6
    out_scale, out_zp = out_range / 128, int(rng.integers(-30, 30))
    bias_scale = state_scale * wt_scale
    return single_op_model(
        "SVDF",
        [
            TensorSpec([batch, n_in], "int8", scale=x_scale, zero_point=x_zp),
            TensorSpec(
                [filters, n_in],
                "int8",
                scale=wf_scale,
                zero_point=0,
                data=rng.integers(-127, 128, (filters, n_in), dtype=np.int8),
            ),
            TensorSpec(
                [filters, memory],
                "int16",
                scale=wt_scale,
                zero_point=0,
                data=rng.integers(-32767, 32768, (filters, memory), dtype=np.int16),
            ),
            TensorSpec(
                [units],
                "int32",
                scale=bias_scale,
                zero_point=0,
                data=rng.integers(-(1 << 20), 1 << 20, units, dtype=np.int32),
            )
            if bias
            else None,
            TensorSpec([batch, memory * filters], "int16", scale=state_scale, zero_point=0, is_variable=True),
        ],
        [TensorSpec([batch, units], "int8", scale=out_scale, zero_point=out_zp)],
        {"rank": rank, "fused_activation_function": activation},
    )


SVDF_SHAPES = [
    # batch, input size, units, rank, memory, bias
    (1, 8, 4, 1, 5, True),
    (2, 5, 3, 2, 4, False),
    (3, 16, 8, 2, 10, True),
    (1, 1, 1, 1, 1, True),  # every dimension 1 (memory 1: the state is only the newest activation)
    (2, 7, 5, 3, 2, True),
]


@pytest.mark.parametrize("shape", SVDF_SHAPES, ids=lambda s: "x".join(map(str, s[:5])) + ("_bias" if s[5] else ""))
def test_svdf_float(tmp_path, shape):
    activation = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1", "NONE"][SVDF_SHAPES.index(shape)]
    assert_matches_reference(_svdf_float(*shape, activation, seed=3), steps=STEPS, workdir=tmp_path)


@pytest.mark.parametrize("activation", ["TANH", "SIGN_BIT"])
def test_svdf_float_transcendental_activations(tmp_path, activation):
    assert_matches_reference(
        _svdf_float(2, 6, 4, 2, 3, True, activation, seed=4), steps=STEPS, atol=1e-5, workdir=tmp_path
    )


@pytest.mark.parametrize("shape", SVDF_SHAPES, ids=lambda s: "x".join(map(str, s[:5])) + ("_bias" if s[5] else ""))
def test_svdf_int8(tmp_path, shape):
    assert_matches_reference(_svdf_int8(*shape, seed=SVDF_SHAPES.index(shape)), steps=STEPS, workdir=tmp_path)


def test_svdf_int8_saturating_state(tmp_path):
    """A state scale too small for the feature activations: the int16 state clamps."""
    assert_matches_reference(
        _svdf_int8(2, 12, 4, 2, 6, True, seed=9, state_headroom=0.05), steps=STEPS, workdir=tmp_path
    )


def test_svdf_int8_activation_none_computes_what_relu_does(tmp_path):
    """LiteRT runs int8 SVDF only with RELU, which its integer kernel does not apply (neither does
    TFLite Micro, which also takes NONE): NONE gives the same bytes."""
    from microtvm.testing.host import build
    from microtvm.testing.reference import random_input_sequence, run_reference_sequence

    relu = _svdf_int8(2, 6, 4, 2, 3, True, seed=5)
    none = _svdf_int8(2, 6, 4, 2, 3, True, seed=5, activation="NONE")
    sequence = random_input_sequence(relu, 0, STEPS)
    expected = run_reference_sequence(relu, sequence)
    assert any((e[0] < -30).any() for e in expected)  # below every zero point used: RELU is not applied
    for got, want in zip(build(none, tmp_path).run_sequence(sequence), expected):
        np.testing.assert_array_equal(got[0], want[0])


def _compile(model: bytes) -> None:
    compile_model(model, "m.tflite")


def test_svdf_errors():
    with pytest.raises(UnsupportedError, match="fused activation TANH is not supported for int8 SVDF"):
        _compile(_svdf_int8(1, 4, 2, 1, 3, True, seed=0, activation="TANH"))
    rng = np.random.default_rng(0)
    hybrid = single_op_model(
        "SVDF",
        [
            TensorSpec([1, 4], "float32"),
            TensorSpec([2, 4], "int8", scale=0.1, zero_point=0, data=rng.integers(-5, 5, (2, 4), dtype=np.int8)),
            TensorSpec([2, 3], "float32", data=np.ones((2, 3), np.float32)),
            None,
            TensorSpec([1, 6], "float32", is_variable=True),
        ],
        [TensorSpec([1, 2], "float32")],
        {"rank": 1},
    )
    with pytest.raises(UnsupportedError, match="hybrid"):
        _compile(hybrid)
    not_variable = single_op_model(
        "SVDF",
        [
            TensorSpec([1, 4], "float32"),
            TensorSpec([2, 4], "float32", data=np.ones((2, 4), np.float32)),
            TensorSpec([2, 3], "float32", data=np.ones((2, 3), np.float32)),
            None,
            TensorSpec([1, 6], "float32"),  # a graph input, not a variable tensor
        ],
        [TensorSpec([1, 2], "float32")],
        {"rank": 1},
    )
    with pytest.raises(UnsupportedError, match="not a variable tensor"):
        _compile(not_variable)
    rng = np.random.default_rng(1)
    bad_rank = single_op_model(
        "SVDF",
        [
            TensorSpec([1, 4], "float32"),
            TensorSpec([3, 4], "float32", data=rng.standard_normal((3, 4)).astype("f4")),
            TensorSpec([3, 2], "float32", data=rng.standard_normal((3, 2)).astype("f4")),
            None,
            TensorSpec([1, 6], "float32", is_variable=True),
        ],
        [TensorSpec([1, 1], "float32")],
        {"rank": 2},  # 2 does not divide 3 filters
    )
    with pytest.raises(UnsupportedError, match="rank 2 must be positive and divide the 3 filters"):
        _compile(bad_rank)


def test_svdf_stack(tmp_path):
    """Two SVDF layers in a row (a streaming keyword-spotting stack), each with its own state."""
    rng = np.random.default_rng(7)

    def layer(n_in: int, units: int, rank: int, memory: int, base: int) -> tuple[list[TensorSpec], list[int]]:
        filters = units * rank
        specs = [
            TensorSpec([filters, n_in], "float32", data=rng.standard_normal((filters, n_in)).astype("f4") * 0.4),
            TensorSpec([filters, memory], "float32", data=rng.standard_normal((filters, memory)).astype("f4") * 0.4),
            TensorSpec([units], "float32", data=rng.standard_normal(units).astype("f4")),
            TensorSpec([1, memory * filters], "float32", is_variable=True),
        ]
        return specs, [base, base + 1, base + 2, base + 3]

    l1, i1 = layer(6, 5, 2, 4, 1)
    l2, i2 = layer(5, 3, 1, 3, 6)
    tensors = [
        TensorSpec([1, 6], "float32", name="x"),
        *l1,
        TensorSpec([1, 5], "float32", name="h"),
        *l2,
        TensorSpec([1, 3], "float32", name="y"),
    ]
    ops = [
        OpSpec("SVDF", [0, *i1], [5], {"rank": 2, "fused_activation_function": "RELU"}),
        OpSpec("SVDF", [5, *i2], [10], {"rank": 1, "fused_activation_function": "NONE"}),
    ]
    assert_matches_reference(build_model(tensors, ops, inputs=[0], outputs=[10]), steps=STEPS, workdir=tmp_path)


# ---------------------------------------------------------------------------------------------
# UNIDIRECTIONAL_SEQUENCE_LSTM (24 inputs: see ops/recurrent.py for the index map)


def _lstm_float_specs(
    rng: np.random.Generator,
    n_input: int,
    n_cell: int,
    n_output: int,
    n_batch: int,
    *,
    cifg: bool = False,
    peephole: bool = False,
    layer_norm: bool = False,
    projection: bool = False,
    projection_bias: bool = False,
) -> list[Optional[TensorSpec]]:
    """The 23 operands after the input, None where absent."""

    def w(*shape: int) -> TensorSpec:
        return TensorSpec(list(shape), "float32", data=(rng.standard_normal(shape) * 0.4).astype("f4"))

    specs: list[Optional[TensorSpec]] = [None] * 24
    for gate in range(4):
        if gate == 0 and cifg:
            continue
        specs[1 + gate] = w(n_cell, n_input)
        specs[5 + gate] = w(n_cell, n_output)
        specs[12 + gate] = w(n_cell)
        if layer_norm:
            specs[20 + gate] = TensorSpec(
                [n_cell], "float32", data=(1 + 0.3 * rng.standard_normal(n_cell)).astype("f4")
            )
    if peephole:
        for position in (9, 10, 11):
            if position == 9 and cifg:
                continue
            specs[position] = w(n_cell)
    if projection:
        specs[16] = w(n_output, n_cell)
        if projection_bias:
            specs[17] = w(n_output)
    specs[18] = TensorSpec([n_batch, n_output], "float32", is_variable=True)
    specs[19] = TensorSpec([n_batch, n_cell], "float32", is_variable=True)
    return specs[1:]


def _lstm_model(
    layers: list[tuple[list[Optional[TensorSpec]], dict]], input_spec: TensorSpec, outputs: list[TensorSpec]
) -> bytes:
    """LSTM layers in a row: layer k reads the output of layer k - 1."""
    tensors: list[TensorSpec] = [input_spec]
    ops = []
    previous = 0
    for (specs, options), out in zip(layers, outputs):
        inputs = [previous]
        for spec in specs:
            if spec is None:
                inputs.append(-1)
            else:
                inputs.append(len(tensors))
                tensors.append(spec)
        tensors.append(out)
        previous = len(tensors) - 1
        ops.append(OpSpec("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [previous], options))
    return build_model(tensors, ops, inputs=[0], outputs=[previous])


def _lstm_float(
    n_batch: int,
    n_time: int,
    n_input: int,
    n_cell: int,
    n_output: Optional[int] = None,
    *,
    time_major: bool = False,
    activation: str = "TANH",
    cell_clip: float = 0.0,
    proj_clip: float = 0.0,
    seed: int = 0,
    **variant: bool,
) -> bytes:
    rng = np.random.default_rng(seed)
    n_output = n_cell if n_output is None else n_output
    shape_in = [n_time, n_batch, n_input] if time_major else [n_batch, n_time, n_input]
    shape_out = [n_time, n_batch, n_output] if time_major else [n_batch, n_time, n_output]
    specs = _lstm_float_specs(rng, n_input, n_cell, n_output, n_batch, **variant)
    options = {
        "fused_activation_function": activation,
        "cell_clip": cell_clip,
        "proj_clip": proj_clip,
        "time_major": time_major,
    }
    return _lstm_model([(specs, options)], TensorSpec(shape_in, "float32"), [TensorSpec(shape_out, "float32")])


LSTM_FLOAT_CASES = {
    "basic": dict(n_batch=1, n_time=3, n_input=4, n_cell=5),
    "batch_time_major": dict(n_batch=3, n_time=2, n_input=3, n_cell=4, time_major=True),
    "cifg_peephole": dict(n_batch=2, n_time=3, n_input=5, n_cell=4, cifg=True, peephole=True),
    "peephole_clip": dict(n_batch=2, n_time=4, n_input=3, n_cell=6, peephole=True, cell_clip=0.8),
    "projection": dict(n_batch=2, n_time=2, n_input=4, n_cell=6, n_output=3, projection=True, proj_clip=0.5),
    "projection_bias_time_major": dict(
        n_batch=2, n_time=3, n_input=4, n_cell=5, n_output=7, projection=True, projection_bias=True, time_major=True
    ),
    "layer_norm": dict(n_batch=2, n_time=3, n_input=4, n_cell=6, layer_norm=True),
    "layer_norm_cifg_peephole_projection": dict(
        n_batch=1,
        n_time=4,
        n_input=3,
        n_cell=5,
        n_output=4,
        layer_norm=True,
        cifg=True,
        peephole=True,
        projection=True,
        projection_bias=True,
    ),
    "relu_activation": dict(n_batch=2, n_time=2, n_input=3, n_cell=3, activation="RELU"),
    "ones": dict(n_batch=1, n_time=1, n_input=1, n_cell=1),
}


@pytest.mark.parametrize("case", sorted(LSTM_FLOAT_CASES))
def test_lstm_float(tmp_path, case):
    model = _lstm_float(seed=sorted(LSTM_FLOAT_CASES).index(case), **LSTM_FLOAT_CASES[case])
    assert_matches_reference(model, steps=3, atol=1e-5, workdir=tmp_path)


def test_lstm_float_stack(tmp_path):
    """Three LSTMs in a row (different sizes and variants), each with its own state."""
    rng = np.random.default_rng(11)
    n_batch, n_time = 2, 3
    layers = [
        (_lstm_float_specs(rng, 4, 6, 6, n_batch), {"fused_activation_function": "TANH"}),
        (
            _lstm_float_specs(rng, 6, 5, 3, n_batch, projection=True, peephole=True),
            {"fused_activation_function": "TANH"},
        ),
        (_lstm_float_specs(rng, 3, 4, 4, n_batch, cifg=True, layer_norm=True), {"fused_activation_function": "TANH"}),
    ]
    outputs = [TensorSpec([n_batch, n_time, n], "float32") for n in (6, 3, 4)]
    model = _lstm_model(layers, TensorSpec([n_batch, n_time, 4], "float32"), outputs)
    assert_matches_reference(model, steps=3, atol=1e-5, workdir=tmp_path)
