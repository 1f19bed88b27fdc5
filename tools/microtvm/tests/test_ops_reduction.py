"""SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL, ARG_MAX, ARG_MIN, CUMSUM: our
generated C against LiteRT's reference kernels (BUILTIN_REF) on random inputs (3 seeds): integer
and bool outputs byte for byte, float32 within 1e-5 relative / 1e-6 absolute (the kernels keep
LiteRT's order of operations, so float results are in fact identical).

To keep the file fast, each compiled model holds many independent operators (one per case):
every supported type, keep_dims on and off, negative and duplicated axes, an empty axis list,
axis constants of shape [] and [k], all axes (LiteRT's separate all-dimensions path), ranks 1
to 5 and unit dimensions.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

Q = tuple  # (scale, zero_point)


def _spec(shape: Sequence[int], dtype: str, q: Q | None = None) -> TensorSpec:
    if q is None:
        return TensorSpec(tuple(shape), dtype)
    return TensorSpec(tuple(shape), dtype, scale=q[0], zero_point=q[1])


def parallel_model(cases: Sequence[tuple[str, TensorSpec, Sequence[TensorSpec], TensorSpec, dict]]) -> bytes:
    """One model running independent operators side by side: (opcode, input, constant operands,
    output, options) each; every input is a graph input, every output a graph output."""
    tensors: list[TensorSpec] = []
    ops: list[OpSpec] = []
    inputs: list[int] = []
    outputs: list[int] = []
    for opcode, inp, constants, out, options in cases:
        first = len(tensors)
        tensors.append(inp)
        tensors.extend(constants)
        tensors.append(out)
        inputs.append(first)
        outputs.append(len(tensors) - 1)
        ops.append(OpSpec(opcode, list(range(first, first + 1 + len(constants))), [len(tensors) - 1], options))
    return build_model(tensors, ops, inputs=inputs, outputs=outputs)


def _reduced_shape(shape: Sequence[int], axes: Sequence[int], keep_dims: bool) -> tuple[int, ...]:
    rank = len(shape)
    resolved = {a % rank for a in axes} if rank else set()
    if keep_dims:
        return tuple(1 if d in resolved else x for d, x in enumerate(shape))
    return tuple(x for d, x in enumerate(shape) if d not in resolved)


def _axis_spec(axes: Any, dtype: str = "int32") -> TensorSpec:
    data = np.asarray(axes, dtype=dtype)
    return TensorSpec(data.shape, dtype, data=data)


# (input shape, axes as written in the model (a list, or an int for a shape-[] constant), keep_dims)
REDUCE_GEOMETRIES = [
    ((2, 3, 4, 5), [1, 2], True),        # the spatial axes of NHWC
    ((2, 3, 4, 5), [-1, 0, -1], False),  # negative and duplicate axes, non-adjacent
    ((6, 7), 1, False),                  # axis constant of shape []
    ((3, 4), [], False),                 # empty axis list: a copy
    ((2, 3, 4), [0, 1, 2], False),       # every axis (LiteRT's ReduceAllDims): rank-0 output
    ((2, 3, 4), [2, 0, 1], True),        # every axis, keep_dims
    ((2, 1, 3, 2, 2), [1, 3], True),     # rank 5 with a unit dimension
    ((7,), [0], False),                  # rank 1
    ((4, 1, 6), [0], False),             # outermost axis, kept unit dimension
    ((), [], False),                     # a scalar
]


def _reduce_cases(opcode: str, dtype: str, q_in: Q | None = None, q_out: Q | None = None) -> list:
    cases = []
    for shape, axes, keep in REDUCE_GEOMETRIES:
        out_shape = _reduced_shape(shape, [axes] if isinstance(axes, int) else axes, keep)
        cases.append(
            (opcode, _spec(shape, dtype, q_in), [_axis_spec(axes)], _spec(out_shape, dtype, q_out), {"keep_dims": keep})
        )
    return cases


# opcode -> list of (dtype, input quantization, output quantization); one model per opcode.
REDUCE_VARIANTS = {
    "SUM": [
        ("float32", None, None), ("int32", None, None), ("int64", None, None), ("bool", None, None),
        ("int8", (0.05, 3), (0.05, 3)),    # equal quantization: still requantized by LiteRT
        ("int8", (0.05, -4), (0.4, 10)),   # requantized (LiteRT's uint8 reading, reproduced)
        ("int8", (0.02, 7), (0.011, -9)),  # requantized, multiplier > 1
    ],
    "REDUCE_PROD": [
        ("float32", None, None), ("int32", None, None), ("int64", None, None), ("bool", None, None),
        ("int8", (0.05, 3), (0.2, -2)), ("int8", (0.3, -1), (0.01, 5)), ("int16", (0.001, 0), (0.002, 0)),
    ],
    "REDUCE_MAX": [
        ("float32", None, None), ("int32", None, None), ("int64", None, None), ("bool", None, None),
        ("int8", (0.05, 3), (0.05, 3)), ("int16", (0.001, 0), (0.001, 0)),
    ],
    "REDUCE_MIN": [
        ("float32", None, None), ("int32", None, None), ("int64", None, None), ("bool", None, None),
        ("int8", (0.05, -7), (0.05, -7)), ("int16", (0.002, 0), (0.002, 0)),
    ],
    "REDUCE_ANY": [("bool", None, None)],
    "REDUCE_ALL": [("bool", None, None)],
}


@pytest.mark.parametrize("opcode", sorted(REDUCE_VARIANTS))
def test_reduce_matches_reference(opcode: str, tmp_path: Path) -> None:
    cases = [c for dtype, qi, qo in REDUCE_VARIANTS[opcode] for c in _reduce_cases(opcode, dtype, qi, qo)]
    assert_matches_reference(parallel_model(cases), workdir=tmp_path)


def test_reduce_edge_values(tmp_path: Path) -> None:
    """Hand-picked values random inputs rarely give: int32 overflow (wraps), all -inf rows for
    MAX (identity vs first element), int8 sums that wrap, saturating requantized sums."""
    from microtvm_testing.host import build
    from microtvm_testing.reference import run_reference

    cases = [
        ("SUM", _spec((2, 3), "int32"), [_axis_spec([1])], _spec((2,), "int32"), {}),
        ("REDUCE_PROD", _spec((2, 3), "int32"), [_axis_spec([1])], _spec((2,), "int32"), {}),
        ("REDUCE_MAX", _spec((2, 3), "float32"), [_axis_spec([1])], _spec((2,), "float32"), {}),
        ("REDUCE_MAX", _spec((2, 3), "float32"), [_axis_spec([0, 1])], _spec((), "float32"), {}),
        ("SUM", _spec((2, 3), "int8", (0.1, 0)), [_axis_spec([1])], _spec((2,), "int8", (0.1, 0)), {}),
        ("SUM", _spec((2, 3), "int8", (0.1, 0)), [_axis_spec([1])], _spec((2,), "int8", (0.05, 0)), {}),
    ]
    inputs = [
        np.array([[2**31 - 1, 1, 5], [-(2**31), -1, 0]], np.int32),
        np.array([[65536, 65536, 3], [-7, 2**30, 4]], np.int32),
        np.full((2, 3), -np.inf, np.float32),
        np.full((2, 3), -np.inf, np.float32),
        np.array([[100, 100, 100], [-128, -128, -1]], np.int8),
        np.array([[100, 100, 100], [-128, 5, -1]], np.int8),
    ]
    model = parallel_model(cases)
    ours = build(model, tmp_path).run(inputs)
    for mine, theirs in zip(ours, run_reference(model, inputs)):
        np.testing.assert_array_equal(mine, theirs)


# ---------------------------------------------------------------------------------------------
# ARG_MAX / ARG_MIN

# (input shape, axis, axis operand type, index type)
ARG_GEOMETRIES = [
    ((2, 3, 4), -1, "int32", "int32"),
    ((2, 3, 4), 0, "int64", "int64"),
    ((2, 3, 4), 1, "int32", "int64"),
    ((9,), 0, "int32", "int32"),
    ((1, 4, 1, 3, 2), 3, "int64", "int32"),
    ((5, 1), -1, "int32", "int64"),  # axis of size 1: index 0 everywhere
]


@pytest.mark.parametrize("opcode", ["ARG_MAX", "ARG_MIN"])
def test_arg_minmax_matches_reference(opcode: str, tmp_path: Path) -> None:
    cases = []
    for dtype in ("float32", "int8", "int32", "bool"):
        q = (0.1, -3) if dtype == "int8" else None
        for shape, axis, axis_type, index_type in ARG_GEOMETRIES:
            out_shape = tuple(x for d, x in enumerate(shape) if d != axis % len(shape))
            axis_operand = _axis_spec([axis], axis_type) if len(shape) > 1 else _axis_spec(axis, axis_type)
            cases.append(
                (opcode, _spec(shape, dtype, q), [axis_operand], _spec(out_shape, index_type),
                 {"output_type": index_type.upper()})
            )
    assert_matches_reference(parallel_model(cases), workdir=tmp_path)


# ---------------------------------------------------------------------------------------------
# CUMSUM


def test_cumsum_matches_reference(tmp_path: Path) -> None:
    cases = []
    for dtype in ("float32", "int32", "int64"):
        for shape, axis in (((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0), ((3, 1, 4, 2, 2), 0)):
            for exclusive in (False, True):
                for reverse in (False, True):
                    cases.append(
                        ("CUMSUM", _spec(shape, dtype), [_axis_spec(axis)], _spec(shape, dtype),
                         {"exclusive": exclusive, "reverse": reverse})
                    )
    assert_matches_reference(parallel_model(cases), workdir=tmp_path)


# ---------------------------------------------------------------------------------------------
# What is refused, and why


def _compile(model: bytes) -> None:
    compile_model(model, "test.tflite", CompileOptions())


@pytest.mark.parametrize(
    "opcode, inp, axis, out, fragment",
    [
        ("SUM", _spec((2, 3), "int16", (0.1, 0)), _axis_spec([1]), _spec((2,), "int16", (0.1, 0)), "int16"),
        ("SUM", _spec((2, 3), "int8"), _axis_spec([1]), _spec((2,), "int8"), "quantization"),
        ("REDUCE_MAX", _spec((2, 3), "int8", (0.1, 0)), _axis_spec([1]), _spec((2,), "int8", (0.2, 0)),
         "equal input and output quantization"),
        ("REDUCE_PROD", _spec((2, 3), "int8"), _axis_spec([1]), _spec((2,), "int8"), "unquantized"),
        ("REDUCE_ANY", _spec((2, 3), "float32"), _axis_spec([1]), _spec((2,), "float32"), "float32"),
        ("SUM", _spec((2, 3), "float32"), _axis_spec([1], "int64"), _spec((2,), "float32"), "int32"),
        ("ARG_MAX", _spec((2, 3), "int16"), _axis_spec([1]), _spec((2,), "int32"), "int16"),
        ("ARG_MIN", _spec((2, 3), "float32"), _axis_spec([0, 1]), _spec((2,), "int32"), "exactly one axis"),
        ("CUMSUM", _spec((2, 3), "int8", (0.1, 0)), _axis_spec(1), _spec((2, 3), "int8", (0.1, 0)), "int8"),
        ("SUM", _spec((2, 3), "float32"), _axis_spec([5]), _spec((2,), "float32"), "out of range"),
    ],
)
def test_unsupported_variants_are_refused(opcode: str, inp: TensorSpec, axis: TensorSpec, out: TensorSpec, fragment: str) -> None:
    options = {"output_type": out.dtype.upper()} if opcode.startswith("ARG") else {}
    model = single_op_model(opcode, [inp, axis], [out], options)
    with pytest.raises(UnsupportedError, match=fragment) as info:
        _compile(model)
    assert opcode in str(info.value)


def test_non_constant_axis_is_refused() -> None:
    model = single_op_model("SUM", [_spec((2, 3), "float32"), _spec((1,), "int32")], [_spec((2,), "float32")])
    with pytest.raises(UnsupportedError, match="non-constant axis"):
        _compile(model)
