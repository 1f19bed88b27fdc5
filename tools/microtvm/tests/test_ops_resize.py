"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: our generated C against LiteRT's reference kernels
(BUILTIN_REF) on random inputs (3 seeds): int8 and int16 byte for byte, float32 within 1e-5
relative / 1e-6 absolute (the tables reproduce LiteRT's float32 coordinates and weights, and the
kernel its order of operations, so float results are in fact identical).

Each compiled model runs many independent resizes side by side: upscaling and downscaling by
integer and fractional factors, to and from a single pixel, identity, batches, and every
align_corners / half_pixel_centers combination TFLite accepts.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model


def parallel_model(cases) -> bytes:
    """One model running independent operators side by side: (opcode, input, constant operands,
    output, options) each; every input is a graph input, every output a graph output."""
    tensors: list[TensorSpec] = []
    ops: list[OpSpec] = []
    inputs: list[int] = []
    outputs: list[int] = []
    for opcode, inp, constants, out, options in cases:
        first = len(tensors)
        tensors += [inp, *constants, out]
        inputs.append(first)
        outputs.append(len(tensors) - 1)
        ops.append(OpSpec(opcode, list(range(first, first + 1 + len(constants))), [len(tensors) - 1], options))
    return build_model(tensors, ops, inputs=inputs, outputs=outputs)


# (input NHWC, output height and width)
GEOMETRIES = [
    ((1, 3, 4, 2), (6, 8)),   # 2x up
    ((2, 5, 7, 3), (3, 4)),   # down by fractional factors, two batches
    ((1, 4, 4, 1), (7, 5)),   # up by fractional factors
    ((1, 1, 1, 2), (3, 2)),   # from one pixel
    ((1, 6, 5, 2), (1, 1)),   # to one pixel (align_corners falls back to in / out)
    ((1, 3, 3, 1), (3, 3)),   # identity
    ((1, 2, 9, 1), (5, 2)),   # up in height, down in width
]

OPTIONS = {
    "RESIZE_NEAREST_NEIGHBOR": [(False, False), (True, False), (False, True), (True, True)],
    "RESIZE_BILINEAR": [(False, False), (True, False), (False, True)],
}

QUANT = {"int8": (0.05, -3), "int16": (0.001, 0), "float32": None}


def _spec(shape, dtype: str) -> TensorSpec:
    q = QUANT[dtype]
    return TensorSpec(tuple(shape), dtype) if q is None else TensorSpec(tuple(shape), dtype, scale=q[0], zero_point=q[1])


def _size(h: int, w: int) -> TensorSpec:
    return TensorSpec((2,), "int32", data=np.array([h, w], np.int32))


def _cases(opcode: str, dtype: str) -> list:
    cases = []
    for align, half in OPTIONS[opcode]:
        for shape, (h, w) in GEOMETRIES:
            out = _spec((shape[0], h, w, shape[3]), dtype)
            cases.append((opcode, _spec(shape, dtype), [_size(h, w)], out, {"align_corners": align, "half_pixel_centers": half}))
    return cases


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
@pytest.mark.parametrize("opcode", ["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"])
def test_resize_matches_reference(opcode: str, dtype: str, tmp_path: Path) -> None:
    assert_matches_reference(parallel_model(_cases(opcode, dtype)), workdir=tmp_path)


def test_int_bilinear_rounds_halves_away_from_zero(tmp_path: Path) -> None:
    """Exact halves between neighbours of opposite signs (random inputs hit few of them)."""
    from microtvm_testing.host import build
    from microtvm_testing.reference import run_reference

    model = single_op_model(
        "RESIZE_BILINEAR", [_spec((1, 1, 4, 1), "int8"), _size(1, 8)], [_spec((1, 1, 8, 1), "int8")],
        {"align_corners": False, "half_pixel_centers": False},
    )
    x = [np.array([-1, 0, 1, -128], np.int8).reshape(1, 1, 4, 1)]
    np.testing.assert_array_equal(build(model, tmp_path).run(x)[0], run_reference(model, x)[0])


@pytest.mark.parametrize(
    "opcode, inp, size, out, options, fragment",
    [
        ("RESIZE_BILINEAR", _spec((1, 2, 2, 1), "float32"), _size(4, 4), _spec((1, 4, 4, 1), "float32"),
         {"align_corners": True, "half_pixel_centers": True}, "align_corners and half_pixel_centers"),
        ("RESIZE_NEAREST_NEIGHBOR", TensorSpec((1, 2, 2, 1), "int32"), _size(4, 4), TensorSpec((1, 4, 4, 1), "int32"),
         {}, "int32"),
        ("RESIZE_BILINEAR", _spec((2, 2, 1), "float32"), _size(4, 4), _spec((4, 4, 1), "float32"), {}, "4-D"),
        ("RESIZE_BILINEAR", _spec((1, 2, 2, 1), "float32"), TensorSpec((2,), "int32"), _spec((1, 4, 4, 1), "float32"),
         {}, "non-constant size"),
    ],
)
def test_unsupported_variants_are_refused(opcode, inp, size, out, options, fragment) -> None:
    model = single_op_model(opcode, [inp, size], [out], options)
    with pytest.raises(UnsupportedError, match=fragment) as info:
        compile_model(model, "test.tflite", CompileOptions())
    assert opcode in str(info.value)
