"""Shapes the converter left dynamic (shape_signature -1 beyond the batch, placeholder 1s in
`shape`), worked out from the input shapes as LiteRT's Prepare does (passes/shapes.py).

A Keras model without a fixed batch size whose Reshape layer has a -1 ((batch, -1, 4), as SSD and
YOLO heads write it) converts to RESHAPE(x, PACK(STRIDED_SLICE(SHAPE(x)), -1, 4)) whose output,
and everything downstream of it, has shape_signature [-1, -1, 4] and shape [1, 1, 4]. LiteRT
computes [1, N, 4] when it prepares the model; so must we. Models here are written with our own
writer, with the converter's placeholders, and matched against LiteRT (int8 exact, float32 within
1e-5 relative / 1e-6 absolute).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pytest

from microtvm.compiler import compile_graph, compile_model, read_model
from microtvm.errors import UnsupportedError
from microtvm.ir import Operator, Tensor
from microtvm.passes.shapes import infer_output_shapes
from microtvm_testing.batch import const
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model


def t(dtype: str, shape: Sequence[int], signature: Optional[Sequence[int]] = None, name: str = "") -> TensorSpec:
    """A tensor; `signature` its shape_signature (None: static)."""
    quant = (0.05, -3) if dtype == "int8" else (None, None)
    return TensorSpec(list(shape), dtype, *quant, name=name,
                      shape_signature=None if signature is None else list(signature))


def _ssd_head_model(dtype: str) -> bytes:
    """Two feature maps reshaped to (batch, -1, 4) through computed shapes, concatenated along
    the anchors, a sigmoid; a second output reduces over the anchors (MEAN keep_dims), goes through
    a TRANSPOSE and a FULLY_CONNECTED with keep_num_dims. Every tensor after the RESHAPEs has the
    converter's placeholder shape."""
    rng = np.random.default_rng(0)
    weights = (rng.integers(-127, 128, (5, 1)) if dtype == "int8" else rng.standard_normal((5, 1))).astype(
        np.int8 if dtype == "int8" else np.float32)
    weight_spec = (TensorSpec([5, 1], "int8", 0.02, 0, data=weights) if dtype == "int8"
                   else TensorSpec([5, 1], "float32", data=weights))
    bias = (TensorSpec([5], "int32", 0.05 * 0.02, 0, data=np.arange(5, dtype=np.int32) * 7) if dtype == "int8"
            else TensorSpec([5], "float32", data=np.linspace(-1, 1, 5).astype(np.float32)))
    tensors = [
        t(dtype, [1, 4, 4, 8], [-1, 4, 4, 8], "map_a"),  # 0
        t(dtype, [1, 2, 2, 12], [-1, 2, 2, 12], "map_b"),  # 1
        TensorSpec([4], "int32", name="shape_a"),  # 2
        const([0]), const([1]), const([1]),  # 3-5: STRIDED_SLICE begin, end, strides
        TensorSpec([], "int32", name="batch"),  # 6
        const(-1), const(4),  # 7, 8
        TensorSpec([3], "int32", name="new_shape"),  # 9
        t(dtype, [1, 1, 4], [-1, -1, 4], "boxes_a"),  # 10: really [1, 32, 4]
        t(dtype, [1, 1, 4], [-1, -1, 4], "boxes_b"),  # 11: really [1, 12, 4]
        t(dtype, [1, 1, 4], [-1, -1, 4], "boxes"),  # 12: really [1, 44, 4]
        t(dtype, [1, 1, 4], [-1, -1, 4], "scores"),  # 13
        const([1]),  # 14: MEAN axis
        t(dtype, [1, 1, 4], [-1, 1, 4], "mean"),  # 15
        const([0, 2, 1]),  # 16: TRANSPOSE permutation
        t(dtype, [1, 4, 1], [-1, 4, 1], "transposed"),  # 17
        weight_spec,  # 18
        bias,  # 19
        t(dtype, [1, 4, 5], [-1, 4, 5], "dense"),  # 20
    ]
    ops = [
        OpSpec("SHAPE", [0], [2], {"out_type": "INT32"}),
        OpSpec("STRIDED_SLICE", [2, 3, 4, 5], [6], {"shrink_axis_mask": 1}),
        OpSpec("PACK", [6, 7, 8], [9], {"values_count": 3, "axis": 0}),
        OpSpec("RESHAPE", [0, 9], [10]),
        OpSpec("RESHAPE", [1, 9], [11]),
        OpSpec("CONCATENATION", [10, 11], [12], {"axis": -2}),
        OpSpec("LOGISTIC", [12], [13]),
        OpSpec("MEAN", [13, 14], [15], {"keep_dims": True}),
        OpSpec("TRANSPOSE", [15, 16], [17]),
        OpSpec("FULLY_CONNECTED", [17, 18, 19], [20], {"keep_num_dims": True}),
    ]
    if dtype == "int8":  # LOGISTIC's int8 output scale is fixed by TFLite
        tensors[13] = TensorSpec([1, 1, 4], "int8", 1 / 256, -128, name="scores", shape_signature=[-1, -1, 4])
    return build_model(tensors, ops, [0, 1], [12, 13, 20])


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_shapes_left_dynamic_by_a_computed_reshape_are_worked_out(dtype: str, tmp_path: Path):
    model = _ssd_head_model(dtype)
    graph = compile_graph(read_model(model, "ssd.tflite"), model).graph
    shapes = {graph.tensors[k].name: graph.tensors[k].shape for op in graph.operators for k in op.outputs}
    assert shapes["boxes_a"] == (1, 32, 4) and shapes["boxes_b"] == (1, 12, 4)
    assert shapes["boxes"] == shapes["scores"] == (1, 44, 4)
    assert shapes["mean"] == (1, 1, 4) and shapes["transposed"] == (1, 4, 1) and shapes["dense"] == (1, 4, 5)
    assert_matches_reference(model, seeds=(0, 1, 2), workdir=tmp_path)


def _tensor(index: int, shape: Sequence[int], data: Optional[np.ndarray] = None) -> Tensor:
    return Tensor(index=index, name=f"t{index}", shape=tuple(shape), dtype="float32" if data is None else "int32",
                  data=data)


@pytest.mark.parametrize(
    "opcode, input_shapes, constant, options, expected",
    [
        ("ADD", [[2, 1, 3], [4, 1]], None, {}, (2, 4, 3)),
        ("PRELU", [[1, 5, 5, 2], [1, 1, 2]], None, {}, (1, 5, 5, 2)),
        ("HARD_SWISH", [[1, 7, 3]], None, {}, (1, 7, 3)),
        ("RESHAPE", [[2, 3, 4]], [-1, 6], {}, (4, 6)),
        ("RESHAPE", [[2, 3, 4]], None, {"new_shape": [3, -1, 2]}, (3, 4, 2)),
        ("SQUEEZE", [[1, 3, 1, 2]], None, {"squeeze_dims": [-2]}, (1, 3, 2)),
        ("SQUEEZE", [[1, 3, 1, 2]], None, {}, (3, 2)),
        ("EXPAND_DIMS", [[3, 2]], [-1], {}, (3, 2, 1)),
        ("EXPAND_DIMS", [[3, 2]], [0], {}, (1, 3, 2)),
        ("SUM", [[2, 3, 4]], [0, -1], {"keep_dims": False}, (3,)),
        ("REDUCE_MAX", [[2, 3, 4]], [1], {"keep_dims": True}, (2, 1, 4)),
        ("FULLY_CONNECTED", [[2, 3, 4], [5, 4]], None, {"keep_num_dims": False}, (6, 5)),
        ("CONCATENATION", [[2, 3], [2, 5], [2, 1]], None, {"axis": -1}, (2, 9)),
    ],
)
def test_each_rule_gives_the_shape_tflite_computes(
    opcode: str, input_shapes: list[list[int]], constant: Optional[list[int]], options: dict, expected: tuple
):
    inputs = [_tensor(k, shape) for k, shape in enumerate(input_shapes)]
    if constant is not None:
        inputs.append(_tensor(len(inputs), [len(constant)], np.array(constant, np.int32)))
    out = _tensor(len(inputs), [-1] * len(expected))
    tensors = inputs + [out]
    infer_output_shapes(Operator(0, opcode, tuple(range(len(inputs))), (out.index,), options), tensors)
    assert tensors[out.index].shape == expected


def test_a_shape_that_contradicts_the_fixed_dimensions_stays_dynamic():
    tensors = [_tensor(0, [2, 6]), _tensor(1, [2], np.array([-1, 4], np.int32)), _tensor(2, [-1, 2])]
    infer_output_shapes(Operator(0, "RESHAPE", (0, 1), (2,)), tensors)
    assert tensors[2].shape == (-1, 2)  # the signature fixes 2 where TFLite would compute 4


def test_a_shape_that_depends_on_run_time_data_is_refused_naming_the_tensor():
    """RESHAPE to a shape computed from data (not from shapes): nothing fixes the output size."""
    tensors = [
        t("float32", [1, 6], [-1, 6], "x"),
        TensorSpec([2], "int32", name="runtime_shape"),
        t("float32", [1, 1], [-1, -1], "y"),
    ]
    model = build_model(tensors, [OpSpec("RESHAPE", [0, 1], [2])], [0, 1], [2])
    with pytest.raises(UnsupportedError) as info:
        compile_model(model, "dyn.tflite")
    message = str(info.value)
    assert message.startswith("dyn.tflite: tensor 2 ('y') has a dynamic shape") and "(RESHAPE)" in message
    assert "\n" not in message


def test_a_dynamic_model_input_is_refused_when_read():
    model = build_model([t("float32", [1, 4], [-1, -1], "x"), t("float32", [1, 4], [-1, -1], "y")],
                        [OpSpec("RELU", [0], [1])], [0], [1])
    with pytest.raises(UnsupportedError, match=r"dyn\.tflite: tensor 0 \('x'\) has a dynamic shape"):
        read_model(model, "dyn.tflite")
