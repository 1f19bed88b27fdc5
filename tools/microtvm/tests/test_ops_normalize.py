"""L2_POOL_2D, L2_NORMALIZATION, LOG_SOFTMAX: our generated C against LiteRT's reference kernels
(BUILTIN_REF) on random inputs (3 seeds). int8 outputs byte for byte; float32 within 1e-5
relative / 1e-6 absolute (sqrtf, expf and logf are the C library's, in LiteRT's order).

Each compiled model runs several independent operators side by side: pooling with SAME/VALID
padding, border windows and every fused activation; normalizations over rows of 1 to 300
elements in ranks 1 to 5; int8 input scales from coarse to fine (LOG_SOFTMAX's fixed-point
thresholds), zero points across the range, and all-equal rows (L2 of zero).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import assert_matches_reference, build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model


def parallel_model(cases) -> bytes:
    """One model running independent operators side by side: (opcode, input, output, options)."""
    tensors: list[TensorSpec] = []
    ops: list[OpSpec] = []
    for opcode, inp, out, options in cases:
        tensors += [inp, out]
        ops.append(OpSpec(opcode, [len(tensors) - 2], [len(tensors) - 1], options))
    return build_model(tensors, ops, inputs=list(range(0, len(tensors), 2)), outputs=list(range(1, len(tensors), 2)))


def _q(shape, scale: float, zero_point: int) -> TensorSpec:
    return TensorSpec(tuple(shape), "int8", scale=scale, zero_point=zero_point)


def _f(shape) -> TensorSpec:
    return TensorSpec(tuple(shape), "float32")


def _pool_out(size: int, f: int, s: int, padding: str) -> int:
    return (size + s - 1) // s if padding == "SAME" else (size + s - f) // s


def test_l2_pool_matches_reference(tmp_path: Path) -> None:
    cases = []
    for shape, filt, stride, padding, activation in [
        ((1, 7, 6, 3), (3, 3), (2, 2), "SAME", "NONE"),
        ((2, 6, 7, 2), (2, 3), (1, 2), "VALID", "RELU6"),
        ((1, 5, 5, 4), (4, 4), (1, 1), "SAME", "RELU_N1_TO_1"),
        ((1, 3, 3, 2), (5, 5), (1, 1), "SAME", "RELU"),  # filter larger than the input
        ((1, 8, 8, 1), (2, 2), (2, 2), "VALID", "NONE"),
    ]:
        out = (shape[0], _pool_out(shape[1], filt[0], stride[0], padding), _pool_out(shape[2], filt[1], stride[1], padding), shape[3])
        options = {
            "padding": padding, "stride_h": stride[0], "stride_w": stride[1], "filter_height": filt[0],
            "filter_width": filt[1], "fused_activation_function": activation,
        }
        cases.append(("L2_POOL_2D", _f(shape), _f(out), options))
    assert_matches_reference(parallel_model(cases), workdir=tmp_path)


SHAPES = [(2, 3, 4), (7,), (5, 1), (1, 2, 1, 3, 300), (4, 16)]


def test_l2_normalization_matches_reference(tmp_path: Path) -> None:
    cases = [("L2_NORMALIZATION", _f(s), _f(s), {}) for s in SHAPES]
    for shape, zero_point in zip(SHAPES, (0, -5, 17, -128, 127)):
        cases.append(("L2_NORMALIZATION", _q(shape, 0.05, zero_point), _q(shape, 1.0 / 128, 0), {}))
    assert_matches_reference(parallel_model(cases), workdir=tmp_path)


def test_log_softmax_matches_reference(tmp_path: Path) -> None:
    cases = [("LOG_SOFTMAX", _f(s), _f(s), {}) for s in SHAPES]
    # Input scales from 1e-3 (nearly flat rows) to 1.0 (one element dominates), odd zero points.
    for shape, scale, zero_point in zip(SHAPES, (0.1, 0.001, 0.5, 0.03, 1.0), (0, 3, -20, 10, -128)):
        cases.append(("LOG_SOFTMAX", _q(shape, scale, zero_point), _q(shape, 16.0 / 256, 127), {}))
    for scale in (0.0123, 0.2, 0.07):
        cases.append(("LOG_SOFTMAX", _q((3, 40), scale, 0), _q((3, 40), 16.0 / 256, 127), {}))
    assert_matches_reference(parallel_model(cases), workdir=tmp_path)


def test_int8_edge_rows(tmp_path: Path) -> None:
    """Rows random inputs rarely give: all equal to the zero point (L2 of 0), one element at
    127 and the rest at -128 (LOG_SOFTMAX below the threshold), all equal."""
    cases = [
        ("L2_NORMALIZATION", _q((4, 5), 0.05, 3), _q((4, 5), 1.0 / 128, 0), {}),
        ("LOG_SOFTMAX", _q((4, 5), 0.4, 0), _q((4, 5), 16.0 / 256, 127), {}),
    ]
    rows = np.array([[3] * 5, [127, -128, -128, -128, -128], [-128] * 5, [4, 3, 3, 3, 2]], np.int8)
    model = parallel_model(cases)
    inputs = [rows, rows]
    for ours, theirs in zip(build(model, tmp_path).run(inputs), run_reference(model, inputs)):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "opcode, inp, out, options, fragment",
    [
        ("LOG_SOFTMAX", _q((2, 3), 0.1, 0), _q((2, 3), 1.0 / 256, -128), {}, "16/256"),
        ("L2_NORMALIZATION", _q((2, 3), 0.1, 0), _q((2, 3), 1.0 / 256, 0), {}, "1/128"),
        ("L2_NORMALIZATION", _f((2, 3)), _f((2, 3)), {"fused_activation_function": "RELU"}, "fused activation"),
        ("L2_POOL_2D", _q((1, 4, 4, 1), 0.1, 0), _q((1, 2, 2, 1), 0.1, 0),
         {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2, "filter_width": 2}, "int8"),
        ("LOG_SOFTMAX", TensorSpec((2, 3), "int16", scale=0.1, zero_point=0),
         TensorSpec((2, 3), "int16", scale=0.1, zero_point=0), {}, "int16"),
    ],
)
def test_unsupported_variants_are_refused(opcode, inp, out, options, fragment) -> None:
    model = single_op_model(opcode, [inp], [out], options)
    with pytest.raises(UnsupportedError, match=fragment) as info:
        compile_model(model, "test.tflite", CompileOptions())
    assert opcode in str(info.value)
