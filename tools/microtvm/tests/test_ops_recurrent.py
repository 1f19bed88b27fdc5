"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM against LiteRT's reference kernels, over sequences of
invocations (the state persisting on both sides, compared invocation by invocation), 3 seeds
per compiled model: int8 byte for byte, float32 within 1e-5 relative / 1e-6 absolute (TANH
activations and the LSTM's sigmoid/tanh gates go through the C library's expf/tanhf, which may
differ from LiteRT's std::exp/std::tanh by an ulp: 1e-5 relative / 1e-5 absolute there).

The host driver also resets the state on garbage and runs every sequence twice (microtvm_testing/host.py),
so each case checks tvmgen_<m>_reset_state too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

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
    from microtvm_testing.host import build
    from microtvm_testing.reference import random_input_sequence, run_reference_sequence

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
    # NONE: LiteRT's hidden state is o .* g (the cell gate), not o .* c (its activation writes nothing)
    "none_activation": dict(n_batch=2, n_time=3, n_input=3, n_cell=4, activation="NONE"),
    "none_activation_cifg_peephole_projection": dict(
        n_batch=2, n_time=2, n_input=3, n_cell=4, n_output=3, activation="NONE", cifg=True, peephole=True,
        projection=True,
    ),
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


# ---------------------------------------------------------------------------------------------
# int8 LSTM (TFLite's integer 8x8_16 LSTM)


def _lstm_int8(
    n_batch: int,
    n_time: int,
    n_input: int,
    n_cell: int,
    n_output: Optional[int] = None,
    *,
    time_major: bool = False,
    cifg: bool = False,
    peephole: bool = False,
    layer_norm: bool = False,
    projection: bool = False,
    projection_bias: bool = False,
    cell_clip: float = 0.0,
    proj_clip: float = 0.0,
    cell_log2: int = -11,
    hidden_zp: int = 3,
    gain: float = 1.0,
    seed: int = 0,
) -> bytes:
    """Scales as a converter would choose them for activations of unit range: input [-4, 4],
    output state and hidden [-1, 1], gates before activation in Q3.12 (or calibrated before a
    layer norm), cell state 2^cell_log2."""
    rng = np.random.default_rng(seed)
    n_output = n_cell if n_output is None else n_output
    s_x, zp_x = 1 / 32, int(rng.integers(-10, 10))
    s_h, zp_h = 1 / 128, int(rng.integers(-10, 10))
    s_hidden = 1 / 128

    def weights(rows: int, cols: int, rms: float) -> TensorSpec:
        scale = gain * rms / (np.sqrt(cols) * 127 / np.sqrt(3))
        return TensorSpec(
            [rows, cols], "int8", scale=scale, zero_point=0, data=rng.integers(-127, 128, (rows, cols), dtype=np.int8)
        )

    def int16_vector(n: int, real_rms: float, mean: float = 0.0) -> TensorSpec:
        real = mean + real_rms * rng.standard_normal(n)
        scale = (abs(mean) + 3 * real_rms) / 32767
        return TensorSpec([n], "int16", scale=scale, zero_point=0, data=np.round(real / scale).astype(np.int16))

    tensors: list[TensorSpec] = []
    specs: list[Optional[TensorSpec]] = [None] * 24
    ln_specs: list[Optional[TensorSpec]] = [None] * 4
    for g in range(4):
        if g == 0 and cifg:
            continue
        wx = weights(n_cell, n_input, 2.0 * 4 / 2.3)
        wh = weights(n_cell, n_output, 1.0 * 2)
        specs[1 + g], specs[5 + g] = wx, wh
        if layer_norm:
            ln = int16_vector(n_cell, 0.3, 1.0)
            ln_specs[g] = ln
            bias_scale = ln.scale * 2.0**-10
        else:
            bias_scale = s_x * wx.scale
        specs[12 + g] = TensorSpec(
            [n_cell],
            "int32",
            scale=bias_scale,
            zero_point=0,
            data=np.round(0.5 * rng.standard_normal(n_cell) / bias_scale).astype(np.int32),
        )
        if layer_norm:
            specs[20 + g] = ln_specs[g]
    if peephole:
        for position in (9, 10, 11):
            if position == 9 and cifg:
                continue
            specs[position] = int16_vector(n_cell, 0.5)
    if projection:
        pw = weights(n_output, n_cell, 1.5)
        specs[16] = pw
        if projection_bias:
            bias_scale = s_hidden * pw.scale
            specs[17] = TensorSpec(
                [n_output],
                "int32",
                scale=bias_scale,
                zero_point=0,
                data=np.round(0.2 * rng.standard_normal(n_output) / bias_scale).astype(np.int32),
            )
    specs[18] = TensorSpec([n_batch, n_output], "int8", scale=s_h, zero_point=zp_h, is_variable=True)
    specs[19] = TensorSpec([n_batch, n_cell], "int16", scale=2.0**cell_log2, zero_point=0, is_variable=True)

    shape_in = [n_time, n_batch, n_input] if time_major else [n_batch, n_time, n_input]
    shape_out = [n_time, n_batch, n_output] if time_major else [n_batch, n_time, n_output]
    tensors.append(TensorSpec(shape_in, "int8", scale=s_x, zero_point=zp_x, name="x"))
    inputs = [0]
    for spec in specs[1:]:
        if spec is None:
            inputs.append(-1)
        else:
            inputs.append(len(tensors))
            tensors.append(spec)
    out_index = len(tensors)
    tensors.append(TensorSpec(shape_out, "int8", scale=s_h, zero_point=zp_h, name="y"))
    intermediates = []
    for k in range(4):
        scale = 2.0**-10 if layer_norm else 2.0**-12
        intermediates.append(len(tensors))
        tensors.append(TensorSpec([0], "int16", scale=scale, zero_point=0, name=f"intermediate_{k}"))
    intermediates.append(len(tensors))
    tensors.append(TensorSpec([0], "int8", scale=s_hidden, zero_point=hidden_zp, name="hidden"))
    options = {
        "fused_activation_function": "TANH",
        "cell_clip": cell_clip,
        "proj_clip": proj_clip,
        "time_major": time_major,
    }
    op = OpSpec("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [out_index], options, intermediates=intermediates)
    return build_model(tensors, [op], inputs=[0], outputs=[out_index])


LSTM_INT8_CASES = {
    "basic": dict(n_batch=1, n_time=3, n_input=4, n_cell=5),
    "batch_time_major": dict(n_batch=3, n_time=2, n_input=3, n_cell=4, time_major=True),
    "batch_major": dict(n_batch=2, n_time=3, n_input=6, n_cell=8),
    "projection": dict(n_batch=2, n_time=2, n_input=4, n_cell=6, n_output=3, projection=True),
    "projection_bias_clip": dict(
        n_batch=2,
        n_time=3,
        n_input=4,
        n_cell=5,
        n_output=7,
        projection=True,
        projection_bias=True,
        proj_clip=0.3,
        time_major=True,
    ),
    "cifg_peephole": dict(n_batch=2, n_time=3, n_input=5, n_cell=4, cifg=True, peephole=True),
    "peephole_cell_clip": dict(n_batch=2, n_time=4, n_input=3, n_cell=6, peephole=True, cell_clip=2.5),
    "layer_norm": dict(n_batch=2, n_time=3, n_input=4, n_cell=8, layer_norm=True),
    "layer_norm_odd_cells_cifg_projection": dict(
        n_batch=1,
        n_time=4,
        n_input=3,
        n_cell=5,
        n_output=4,
        layer_norm=True,
        cifg=True,
        projection=True,
        projection_bias=True,
    ),
    "cell_scale_2^-15_hidden_zp_0": dict(n_batch=1, n_time=3, n_input=3, n_cell=3, cell_log2=-15, hidden_zp=0),
    "cell_scale_2^-9_ones": dict(n_batch=1, n_time=1, n_input=1, n_cell=1, cell_log2=-9),
    # Below 2^-15 LiteRT's tanh of the cell state writes nothing (the input gate stands in for it).
    "cell_scale_2^-16": dict(n_batch=2, n_time=3, n_input=4, n_cell=5, cell_log2=-16),
    "cell_scale_2^-20_projection": dict(
        n_batch=1, n_time=3, n_input=3, n_cell=4, n_output=3, projection=True, cell_log2=-20
    ),
    # Gates far beyond Q3.12's [-8, 8): int16 saturation, sigmoid/tanh at the ends of their range.
    "saturating_gates": dict(n_batch=2, n_time=4, n_input=6, n_cell=5, peephole=True, gain=12.0, cell_log2=-12),
    # The hidden value's int8 saturation with extreme zero points, with and without projection.
    "hidden_zp_127_projection": dict(
        n_batch=2, n_time=3, n_input=4, n_cell=6, n_output=3, projection=True, projection_bias=True, hidden_zp=127
    ),
    "hidden_zp_-128": dict(n_batch=2, n_time=2, n_input=4, n_cell=4, hidden_zp=-128),
}


@pytest.mark.parametrize("case", sorted(LSTM_INT8_CASES))
def test_lstm_int8(tmp_path, case):
    model = _lstm_int8(seed=sorted(LSTM_INT8_CASES).index(case), **LSTM_INT8_CASES[case])
    assert_matches_reference(model, steps=3, workdir=tmp_path)


def test_lstm_int8_stack(tmp_path):
    """An int8 LSTM feeding another (the second reads the first's int8 output as its input)."""
    first = _lstm_int8(n_batch=2, n_time=3, n_input=4, n_cell=6, seed=21)
    second = _lstm_int8(n_batch=2, n_time=3, n_input=6, n_cell=5, n_output=3, projection=True, cifg=True, seed=22)
    assert_matches_reference(_chain(first, second), steps=3, workdir=tmp_path)


def _chain(first: bytes, second: bytes) -> bytes:
    """One model running `first` then `second` on its output: the tensors and operators of both,
    the second's input replaced by the first's output (given the same quantization)."""
    from microtvm.frontend import read_tflite

    specs: list[TensorSpec] = []
    ops: list[OpSpec] = []
    offsets = []
    for model in (first, second):
        graph = read_tflite(model, "m.tflite")
        offsets.append(len(specs))
        for t in graph.tensors:
            q = t.quant
            specs.append(
                TensorSpec(
                    list(t.shape),
                    t.dtype,
                    scale=list(q.scale) if q else None,
                    zero_point=list(q.zero_point) if q else None,
                    data=t.data,
                    name=f"m{len(offsets)}_{t.name}",
                    is_variable=t.is_variable,
                )
            )
        base = offsets[-1]
        for op in graph.operators:
            ops.append(
                OpSpec(
                    op.opcode,
                    [i + base if i >= 0 else -1 for i in op.inputs],
                    [o + base for o in op.outputs],
                    op.options,
                    intermediates=[i + base for i in op.intermediates],
                )
            )
    g1 = read_tflite(first, "a")
    g2 = read_tflite(second, "b")
    out1 = g1.outputs[0] + offsets[0]
    in2 = g2.inputs[0] + offsets[1]
    specs[in2] = dataclasses.replace(specs[out1], name=specs[in2].name)  # same quantization as the producer
    ops[len(g1.operators)].inputs[0] = out1
    return build_model(specs, ops, inputs=[g1.inputs[0]], outputs=[g2.outputs[0] + offsets[1]])


def test_lstm_errors():
    with pytest.raises(UnsupportedError, match="5 intermediate tensors"):
        model = _lstm_int8(n_batch=1, n_time=2, n_input=3, n_cell=3)
        _compile(_without_intermediates(model))
    with pytest.raises(UnsupportedError, match="must be a power of two between 2\\^-30 and 2\\^-9"):
        _compile(_lstm_int8(n_batch=1, n_time=2, n_input=3, n_cell=3, cell_log2=-8))
    with pytest.raises(UnsupportedError, match="CIFG int8 LSTM with a cell state scale below 2\\^-15"):
        _compile(_lstm_int8(n_batch=1, n_time=2, n_input=3, n_cell=3, cifg=True, cell_log2=-16))
    with pytest.raises(UnsupportedError, match="peephole over the output size"):
        _compile(_lstm_int8(n_batch=1, n_time=2, n_input=3, n_cell=4, n_output=3, projection=True, peephole=True))
    with pytest.raises(UnsupportedError, match="diagonal recurrent weights"):
        _compile(_lstm_with_options(_lstm_float(1, 2, 3, 3), diagonal_recurrent_tensors=True))
    _compile(_hybrid_lstm())  # hybrid LSTMs compile (ops/hybrid_recurrent.py, tests/test_ops_hybrid_recurrent.py)


def _without_intermediates(model: bytes) -> bytes:
    return _rebuild(model, lambda op: dataclasses.replace(op, intermediates=[]))


def _lstm_with_options(model: bytes, **options) -> bytes:
    return _rebuild(model, lambda op: dataclasses.replace(op, options={**op.options, **options}))


def _rebuild(model: bytes, change, retype: Optional[dict[str, str]] = None) -> bytes:
    """The model with each operator passed through `change` (and tensors renamed in `retype` given
    that dtype, zero point 0)."""
    from microtvm.frontend import read_tflite

    graph = read_tflite(model, "m.tflite")
    specs = []
    for t in graph.tensors:
        q = t.quant
        dtype = (retype or {}).get(t.name, t.dtype)
        zero_point = list(q.zero_point) if q and dtype == t.dtype else [0] * len(q.scale) if q else None
        specs.append(
            TensorSpec(
                list(t.shape),
                dtype,
                scale=list(q.scale) if q else None,
                zero_point=zero_point,
                data=t.data,
                name=t.name,
                is_variable=t.is_variable,
            )
        )
    ops = [
        change(
            OpSpec(op.opcode, list(op.inputs), list(op.outputs), dict(op.options), intermediates=list(op.intermediates))
        )
        for op in graph.operators
    ]
    return build_model(specs, ops, inputs=list(graph.inputs), outputs=list(graph.outputs))


def _hybrid_lstm() -> bytes:
    model = _lstm_float(1, 2, 3, 3)

    def to_int8(spec: TensorSpec) -> TensorSpec:
        if spec.data is None or len(spec.shape) != 2:
            return spec
        return TensorSpec(
            spec.shape,
            "int8",
            scale=0.01,
            zero_point=0,
            data=np.clip(spec.data * 100, -127, 127).astype(np.int8),
            name=spec.name,
        )

    from microtvm.frontend import read_tflite

    graph = read_tflite(model, "m.tflite")
    specs = [
        to_int8(TensorSpec(list(t.shape), t.dtype, data=t.data, name=t.name, is_variable=t.is_variable))
        for t in graph.tensors
    ]
    ops = [OpSpec(op.opcode, list(op.inputs), list(op.outputs), dict(op.options)) for op in graph.operators]
    return build_model(specs, ops, inputs=list(graph.inputs), outputs=list(graph.outputs))


def test_int16_activations_are_rejected():
    """LiteRT has no 16x8 SVDF or LSTM (their Prepare rejects int16 input): say what is supported."""
    q16 = {"dtype": "int16", "scale": 1 / 4096, "zero_point": 0}
    svdf = single_op_model(
        "SVDF",
        [
            TensorSpec([1, 4], **q16),
            TensorSpec([2, 4], "int8", scale=0.01, zero_point=0, data=np.ones((2, 4), np.int8)),
            TensorSpec([2, 3], "int16", scale=0.01, zero_point=0, data=np.ones((2, 3), np.int16)),
            None,
            TensorSpec([1, 6], "int16", scale=0.01, zero_point=0, is_variable=True),
        ],
        [TensorSpec([1, 2], **q16)],
        {"rank": 1, "fused_activation_function": "RELU"},
    )
    with pytest.raises(UnsupportedError, match="int16 input is not supported; supported: float32, and int8"):
        _compile(svdf)
    lstm = _rebuild(
        _lstm_int8(n_batch=1, n_time=2, n_input=3, n_cell=3),
        lambda op: op,
        retype={"x": "int16", "y": "int16"},
    )
    with pytest.raises(UnsupportedError, match="int16 input is not supported; supported: float32, and int8"):
        _compile(lstm)


# ---------------------------------------------------------------------------------------------
# LSTMs made by TensorFlow's converter (models/converted/): state carried over invocations


CONVERTED = Path(__file__).absolute().parents[3] / "models" / "converted"


@pytest.mark.parametrize("name", ["lstm_stack_float32", "lstm_stack_int8"])
def test_converted_lstm_stack_over_a_sequence(tmp_path, name):
    """Two stacked Keras LSTMs converted by TensorFlow: their states persist from invocation to
    invocation on both sides."""
    model = (CONVERTED / f"{name}.tflite").read_bytes()
    assert_matches_reference(model, steps=4, rtol=1e-4, atol=1e-4, workdir=tmp_path)
