"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM against LiteRT's reference kernels, over sequences of
invocations (the state persisting on both sides, compared invocation by invocation), 3 seeds
per compiled model: int8 byte for byte, float32 within 1e-5 relative / 1e-6 absolute (TANH
activations and the LSTM's sigmoid/tanh gates go through the C library's expf/tanhf, which may
differ from LiteRT's std::exp/std::tanh by an ulp: 1e-5 relative / 1e-5 absolute there).

The host driver also resets the state on garbage and runs every sequence twice (testing/host.py),
so each case checks tvmgen_<m>_reset_state too.
"""

from __future__ import annotations

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
