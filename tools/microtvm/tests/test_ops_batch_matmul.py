"""BATCH_MATMUL against LiteRT's reference kernel (BUILTIN_REF): float32 within 1e-5 relative /
1e-6 absolute, int8 and int16 byte for byte, hybrid (float32 LHS, constant int8 RHS) within
1e-6 relative / 1e-6 absolute (in practice equal).

Each compiled model holds several BATCH_MATMULs (one build, 3 seeds): ranks 2-5, adj_x / adj_y,
broadcast batch dimensions on either side, size-1 dimensions, a constant or variable RHS, the
RHS [..., 1, X, Y] shape LiteRT folds into the LHS rows, and for hybrid symmetric and asymmetric
input quantization with per-tensor and per-column RHS scales, including LHS batches where
LiteRT's row-factor indexing is not the row's own (two batch dimensions above 1).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pytest
from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.passes.validate import validate
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

# (LHS shape, RHS shape, adj_x, adj_y)
SHAPES = [
    ([3, 4], [4, 5], False, False),
    ([1, 1], [1, 1], False, False),
    ([2, 3, 4], [4, 5], False, False),  # RHS broadcast over the LHS batch
    ([4, 3], [2, 4, 5], True, False),  # LHS broadcast over the RHS batch
    ([2, 4, 3], [2, 5, 4], True, True),
    ([2, 1, 3, 4], [3, 5, 4], False, True),  # both broadcast
    ([2, 3, 5, 4], [1, 4, 2], False, False),  # RHS [1, X, Y]: LiteRT folds the LHS batch into rows
    ([2, 3, 5, 4], [4, 2], False, False),  # two LHS batch dimensions above 1
    ([1, 2, 2, 3, 4], [2, 1, 2, 4, 3], False, False),  # rank 5
    ([2, 1, 1, 4, 3], [1, 2, 3, 4, 5], True, False),
]


def _out_shape(lhs: Sequence[int], rhs: Sequence[int], adj_x: bool, adj_y: bool) -> list[int]:
    rank = max(len(lhs), len(rhs))
    el = [1] * (rank - len(lhs)) + list(lhs)
    er = [1] * (rank - len(rhs)) + list(rhs)
    batch = [b if a == 1 else a for a, b in zip(el[:-2], er[:-2])]
    return [*batch, el[-1] if adj_x else el[-2], er[-2] if adj_y else er[-1]]


def _spec(shape, dtype: str, rng: np.random.Generator, constant: bool, q=None) -> TensorSpec:
    data = None
    if constant:
        if dtype == "float32":
            data = rng.standard_normal(shape).astype(np.float32)
        else:
            info = np.iinfo(dtype)
            low = -127 if dtype == "int8" else int(info.min)
            data = rng.integers(low, int(info.max) + 1, size=shape).astype(dtype)
    if q is None:
        return TensorSpec(list(shape), dtype, data=data)
    return TensorSpec(list(shape), dtype, q[0], q[1], q[2] if len(q) > 2 else 0, data=data)


def _matmul(kind: str, lhs, rhs, adj_x: bool, adj_y: bool, rng, constant: bool, asym: bool = False,
            per_channel: bool = False):
    out = _out_shape(lhs, rhs, adj_x, adj_y)
    if kind == "float32":
        specs = [_spec(lhs, "float32", rng, False), _spec(rhs, "float32", rng, constant),
                 _spec(out, "float32", rng, False)]
    elif kind == "int8":
        specs = [_spec(lhs, "int8", rng, False, (0.05, 3)), _spec(rhs, "int8", rng, constant, (0.03, -2)),
                 _spec(out, "int8", rng, False, (0.3, -5))]
    elif kind == "int16":
        specs = [_spec(lhs, "int16", rng, False, (0.002, 0)), _spec(rhs, "int16", rng, constant, (0.001, 0)),
                 _spec(out, "int16", rng, False, (0.04, 0))]
    elif kind == "int16x8":
        specs = [_spec(lhs, "int16", rng, False, (0.002, 0)), _spec(rhs, "int8", rng, constant, (0.01, 0)),
                 _spec(out, "int16", rng, False, (0.02, 0))]
    elif kind == "int8_to_int32":  # LiteRT ignores the quantization of this variant
        specs = [_spec(lhs, "int8", rng, False, (0.05, 3)), _spec(rhs, "int8", rng, constant, (0.03, -2)),
                 _spec(out, "int32", rng, False, (0.0015, 4))]
    else:
        cols = out[-1]
        axis = len(rhs) - (2 if adj_y else 1)
        q = ([float(s) for s in rng.uniform(0.002, 0.05, cols)], [0] * cols, axis) if per_channel else (0.02, 0)
        specs = [_spec(lhs, "float32", rng, False), _spec(rhs, "int8", rng, True, q), _spec(out, "float32", rng, False)]
    options = {"adj_x": adj_x, "adj_y": adj_y, "asymmetric_quantize_inputs": asym}
    return specs, options


def _model(ops) -> bytes:
    tensors, op_specs, inputs, outputs = [], [], [], []
    for k, (specs, options) in enumerate(ops):
        indices = []
        for j, spec in enumerate(specs):
            spec.name = f"op{k}_{j}"
            if j < 2 and spec.data is None:
                inputs.append(len(tensors))
            if j == 2:
                outputs.append(len(tensors))
            indices.append(len(tensors))
            tensors.append(spec)
        op_specs.append(OpSpec("BATCH_MATMUL", indices[:2], indices[2:], options))
    return build_model(tensors, op_specs, inputs, outputs)


KINDS = ["float32", "int8", "int16", "int16x8", "int8_to_int32"]


@pytest.mark.parametrize("kind", KINDS)
def test_batch_matmul(kind: str, tmp_path) -> None:
    rng = np.random.default_rng(KINDS.index(kind))
    ops = [_matmul(kind, lhs, rhs, ax, ay, rng, constant=k % 2 == 1) for k, (lhs, rhs, ax, ay) in enumerate(SHAPES)]
    assert_matches_reference(_model(ops), workdir=tmp_path)


@pytest.mark.parametrize("asym", [False, True], ids=["symmetric", "asymmetric"])
def test_hybrid_batch_matmul(asym: bool, tmp_path) -> None:
    rng = np.random.default_rng([7, asym])
    ops = [_matmul("hybrid", lhs, rhs, ax, ay, rng, True, asym, per_channel=k % 2 == 0)
           for k, (lhs, rhs, ax, ay) in enumerate(SHAPES) if not (asym and len(rhs) == 5)]
    ops.append(_matmul("hybrid", [3, 2, 17], [2, 3, 6, 17], False, True, rng, True, asym, per_channel=True))
    assert_matches_reference(_model(ops), rtol=1e-6, atol=1e-6, workdir=tmp_path)


def test_ships_only_the_variant_it_calls() -> None:
    rng = np.random.default_rng(3)
    specs, options = _matmul("int8", [2, 3], [3, 4], False, False, rng, True)
    files = compile_model(single_op_model("BATCH_MATMUL", specs[:2], specs[2:], options), "bmm.tflite")
    assert sorted(p.rsplit("/", 1)[-1] for p in files if p.startswith("runtime/src/")) == ["batch_matmul_s8.c"]


def _check(specs: list[Optional[TensorSpec]], options: Optional[dict] = None) -> None:
    validate(read_tflite(single_op_model("BATCH_MATMUL", specs[:2], specs[2:], options or {}), "bmm.tflite"), LOWERINGS_BY_OPCODE)


def test_error_paths() -> None:
    rng = np.random.default_rng(4)
    f32 = lambda shape: TensorSpec(shape, "float32")  # noqa: E731
    with pytest.raises(UnsupportedError, match="LHS int8, RHS float32 and output float32 are not supported; supp"):
        _check([TensorSpec([2, 3], "int8", 0.1, 0), f32([3, 4]), f32([2, 4])])
    with pytest.raises(UnsupportedError, match="zero points of 0"):
        _check([TensorSpec([2, 3], "int16", 0.1, 1), TensorSpec([3, 4], "int16", 0.1, 0),
                TensorSpec([2, 4], "int16", 0.1, 0)])
    with pytest.raises(UnsupportedError, match="zero points of 0"):
        _check([TensorSpec([2, 3], "int16", 0.1, 0), TensorSpec([3, 4], "int8", 0.1, 2),
                TensorSpec([2, 4], "int16", 0.1, 0)])
    with pytest.raises(UnsupportedError, match="LHS int16, RHS int8 and output int32 are not supported"):
        _check([TensorSpec([2, 3], "int16", 0.1, 0), TensorSpec([3, 4], "int8", 0.1, 0),
                TensorSpec([2, 4], "int32", 0.1, 0)])
    with pytest.raises(UnsupportedError, match="rank 6; supported: ranks 2 to 5"):
        _check([f32([1, 1, 1, 1, 2, 3]), f32([3, 4]), f32([1, 1, 1, 1, 2, 4])])
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        _check([f32([2, 2, 3]), f32([3, 3, 4]), f32([2, 2, 4])])
    with pytest.raises(UnsupportedError, match="LHS rows have 3 values but the RHS columns 5"):
        _check([f32([2, 3]), f32([5, 4]), f32([2, 4])])
    with pytest.raises(UnsupportedError, match="constant int8 RHS"):
        _check([f32([2, 3]), TensorSpec([3, 4], "int8", 0.1, 0), f32([2, 4])])
    w = rng.integers(-127, 128, (3, 4)).astype(np.int8)
    with pytest.raises(UnsupportedError, match="per-tensor"):
        _check([TensorSpec([2, 3], "int8", 0.1, 0), TensorSpec([3, 4], "int8", [0.1] * 4, [0] * 4, 1, data=w),
                TensorSpec([2, 4], "int8", 0.1, 0)])
    with pytest.raises(UnsupportedError, match="along axis 1"):
        _check([f32([2, 3]), TensorSpec([3, 4], "int8", [0.1] * 3, [0] * 3, 0, data=w), f32([2, 4])])
    w5 = rng.integers(-127, 128, (2, 1, 2, 4, 3)).astype(np.int8)
    with pytest.raises(UnsupportedError, match="weight sums LiteRT never computes"):
        _check([f32([1, 2, 2, 3, 4]), TensorSpec([2, 1, 2, 4, 3], "int8", 0.1, 0, data=w5), f32([2, 2, 2, 3, 3])],
               {"asymmetric_quantize_inputs": True})
