"""ONE_HOT against LiteRT's reference kernel, byte for byte.

One model per output type holds every case: axis -1, 0 and in between, scalar indices, rank-5
outputs, depth 1, int32 and int64 indices, on/off values constant or computed. Indices are drawn
around [0, depth) (negative and too large ones give rows of off_value, in LiteRT too), and int64
indices include values beyond 32 bits, which LiteRT truncates to int before comparing. Then the
folding of an all-constant ONE_HOT and the operands we reject.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pytest
from microtvm.compiler import read_model
from microtvm.errors import UnsupportedError
from microtvm.ops import LOWERINGS_BY_OPCODE
from microtvm.passes import run_all
from microtvm_testing.host import build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

SEEDS = (0, 1, 2)
DTYPES = ("float32", "int32", "int64", "int8", "uint8", "bool")
# (indices shape, index dtype, depth, axis, on/off computed)
CASES = [
    ((4,), "int32", 5, -1, False),
    ((2, 3), "int64", 4, 0, False),
    ((2, 3), "int32", 3, 1, True),
    ((), "int32", 6, -1, False),
    ((1, 2, 2, 2), "int32", 2, -1, False),
    ((3,), "int64", 1, 0, True),
    ((2, 1, 3), "int32", 4, 2, False),
]
_PAIRS = {
    "float32": (1.5, -0.25),
    "int32": (7, -3),
    "int64": (2**40, -1),
    "int8": (127, -128),
    "uint8": (200, 3),
    "bool": (True, False),
}


def _spec(shape, dtype: str, data=None, name: str = "") -> TensorSpec:
    if dtype == "int8":  # (quantized uint8 activations are refused model-wide: passes/validate.py)
        return TensorSpec(list(shape), dtype, 0.1, 3, data=data, name=name)
    return TensorSpec(list(shape), dtype, data=data, name=name)


def _out_shape(shape, depth: int, axis: int) -> tuple[int, ...]:
    axis = len(shape) if axis == -1 else axis
    return (*shape[:axis], depth, *shape[axis:])


def _model(dtype: str) -> bytes:
    tensors: list[TensorSpec] = []
    ops, inputs, outputs = [], [], []
    on, off = _PAIRS[dtype]
    for k, (shape, index_dtype, depth, axis, computed) in enumerate(CASES):
        base = len(tensors)
        tensors.append(TensorSpec(list(shape), index_dtype, name=f"indices{k}"))
        tensors.append(TensorSpec([], "int32", data=np.array(depth, np.int32), name=f"depth{k}"))
        for name, value in (("on", on), ("off", off)):
            data = None if computed else np.array([value], dtype=dtype)
            tensors.append(_spec([1], dtype, data=data, name=f"{name}{k}"))
        tensors.append(_spec(_out_shape(shape, depth, axis), dtype, name=f"out{k}"))
        inputs += [base] + ([base + 2, base + 3] if computed else [])
        ops.append(OpSpec("ONE_HOT", [base, base + 1, base + 2, base + 3], [base + 4], {"axis": axis}))
        outputs.append(base + 4)
    return build_model(tensors, ops, inputs=inputs, outputs=outputs)


def _inputs(dtype: str, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    values = []
    for shape, index_dtype, depth, _, computed in CASES:
        indices = rng.integers(-2, depth + 2, size=shape)
        if index_dtype == "int64":
            wide = np.array([2**32 + 1, -(2**32) + 2, 2**33, 2**31 + 5], np.int64)
            indices = np.where(rng.random(shape) < 0.3, rng.choice(wide, size=shape), indices)
        values.append(np.asarray(indices, dtype=index_dtype))
        if computed:
            pair = _PAIRS[dtype] if seed % 2 == 0 else _PAIRS[dtype][::-1]
            values += [np.array([pair[0]], dtype=dtype), np.array([pair[1]], dtype=dtype)]
    return values


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_hot(dtype: str, tmp_path: Path) -> None:
    model = _model(dtype)
    host = build(model, tmp_path)
    for seed in SEEDS:
        inputs = _inputs(dtype, seed)
        for k, (ours, theirs) in enumerate(zip(host.run(inputs), run_reference(model, inputs))):
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, f"seed {seed}, case {k}"
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{dtype}: seed {seed}, case {k}")


def test_constant_one_hot_folds(tmp_path: Path) -> None:
    """Every operand constant: no ONE_HOT left, and the folded values are LiteRT's."""
    indices = np.array([[0, 3, -1], [2, 2, 7]], np.int64)
    tensors = [
        TensorSpec([1], "float32", name="x"),
        TensorSpec([2, 3], "int64", data=indices, name="indices"),
        TensorSpec([], "int32", data=np.array(4, np.int32), name="depth"),
        TensorSpec([], "float32", data=np.array(2.0, np.float32), name="on"),
        TensorSpec([], "float32", data=np.array(-1.0, np.float32), name="off"),
        TensorSpec([2, 4, 3], "float32", name="hot"),
        TensorSpec([2, 4, 3], "float32", name="out"),
    ]
    ops = [OpSpec("ONE_HOT", [1, 2, 3, 4], [5], {"axis": 1}), OpSpec("ADD", [5, 0], [6])]
    model = build_model(tensors, ops, inputs=[0], outputs=[6])
    graph = run_all(read_model(model, "m.tflite"), LOWERINGS_BY_OPCODE)
    assert [op.opcode for op in graph.operators] == ["ADD"]
    host = build(model, tmp_path)
    x = [np.array([0.5], np.float32)]
    np.testing.assert_array_equal(host.run(x)[0], run_reference(model, x)[0])


def _check(opcode_inputs: list[TensorSpec], output: TensorSpec, axis: Optional[int] = -1) -> None:
    options = {} if axis is None else {"axis": axis}
    graph = read_model(single_op_model("ONE_HOT", opcode_inputs, [output], options), "t.tflite")
    LOWERINGS_BY_OPCODE["ONE_HOT"].check(graph.operators[0], graph)


def test_one_hot_rejections() -> None:
    depth = TensorSpec([], "int32", data=np.array(3, np.int32))
    f_on, f_off = (TensorSpec([], "float32", data=np.array(v, np.float32)) for v in (1.0, 0.0))
    with pytest.raises(UnsupportedError, match="int16 output is not supported"):
        on16, off16 = (TensorSpec([], "int16", 0.01, 0, data=np.array(v, np.int16)) for v in (1, 0))
        _check([TensorSpec([2], "int32"), depth, on16, off16], TensorSpec([2, 3], "int16", 0.01, 0))
    with pytest.raises(UnsupportedError, match="depth computed at run time"):
        _check([TensorSpec([2], "int32"), TensorSpec([], "int32"), f_on, f_off], TensorSpec([2, 3], "float32"))
    with pytest.raises(UnsupportedError, match="axis 2 is not supported for rank-1 indices"):
        _check([TensorSpec([2], "int32"), depth, f_on, f_off], TensorSpec([2, 3], "float32"), axis=2)
    with pytest.raises(UnsupportedError, match="int16 indices"):
        _check([TensorSpec([2], "int16"), depth, f_on, f_off], TensorSpec([2, 3], "float32"))
    with pytest.raises(UnsupportedError, match="must have the output's type"):
        on32 = TensorSpec([], "int32", data=np.array(1, np.int32))
        _check([TensorSpec([2], "int32"), depth, on32, f_off], TensorSpec([2, 3], "float32"))


def test_default_axis_is_zero() -> None:
    """Options absent: the schema's default axis is 0 (LiteRT reads zeroed parameters)."""
    depth = TensorSpec([], "int32", data=np.array(3, np.int32))
    f_on, f_off = (TensorSpec([], "float32", data=np.array(v, np.float32)) for v in (1.0, 0.0))
    _check([TensorSpec([2, 4], "int32"), depth, f_on, f_off], TensorSpec([3, 2, 4], "float32"), axis=None)
