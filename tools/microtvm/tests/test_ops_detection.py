"""TFLite_Detection_PostProcess (float32): our generated C against LiteRT's reference kernel
(BUILTIN_REF) and TFLite Micro's interpreter, 3 random seeds per compiled model. Outputs are
float32, compared within 1e-5 relative / 1e-6 absolute (they are equal in practice: the same
double-precision decoding). Scores are drawn uniformly from a continuum, so ties between scores and
IoUs exactly at the threshold do not occur on these inputs; the selected anchors, their order and
their classes must be identical.

Covered: fast NMS and regular NMS, with and without a background class, box encodings wider than
4 values, fewer detections than max_detections (outputs past num_detections are compared only
where the references define them), hundreds of anchors (the merge sort's long runs), empty and inverted
decoded boxes (an inverted one fails the invocation, as in LiteRT), and the refused variants.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import build
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import TensorSpec, single_op_model
from microtvm_testing.tflm_reference import run_tflm

CODE = "TFLite_Detection_PostProcess"


def _anchors(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.stack(
        [rng.uniform(0.1, 0.9, n), rng.uniform(0.1, 0.9, n), rng.uniform(0.05, 0.4, n), rng.uniform(0.05, 0.4, n)], 1
    ).astype(np.float32)


def _model(n: int, classes: int, background: int, max_det: int, anchors: np.ndarray, *, stride: int = 4,
           box_dtype: str = "float32", **options) -> bytes:
    opts = {
        "max_detections": max_det, "max_classes_per_detection": 1, "use_regular_nms": False,
        "nms_score_threshold": 0.3, "nms_iou_threshold": 0.45, "num_classes": classes,
        "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0,
    }
    opts.update(options)
    q = {"scale": 0.05, "zero_point": 0} if box_dtype == "int8" else {}
    return single_op_model(
        "CUSTOM",
        [TensorSpec((1, n, stride), box_dtype, **q), TensorSpec((1, n, classes + background), box_dtype, **q),
         TensorSpec((n, 4), "float32", data=anchors)],
        [TensorSpec((1, max_det, 4), "float32"), TensorSpec((1, max_det), "float32"), TensorSpec((1, max_det), "float32"),
         TensorSpec((1,), "float32")],
        opts,
        custom_code=CODE,
    )


def _inputs(model_n: int, stride: int, scores_per_anchor: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, 17])
    boxes = rng.standard_normal((1, model_n, stride)).astype(np.float32)
    scores = rng.uniform(0.0, 1.0, (1, model_n, scores_per_anchor)).astype(np.float32)
    return [boxes, scores]


def _compare(ours: list[np.ndarray], theirs: list[np.ndarray], what: str, all_slots: bool) -> None:
    count = int(theirs[3][0])
    assert ours[3][0] == count, f"{what}: {ours[3][0]} detections, reference {count}"
    limit = None if all_slots else count
    for k in range(3):
        np.testing.assert_allclose(ours[k][0, :limit], theirs[k][0, :limit], rtol=1e-5, atol=1e-6, err_msg=f"{what}, output {k}")
        if not all_slots:
            assert not ours[k][0, count:].any(), f"{what}: outputs past num_detections must be 0"


@pytest.mark.parametrize(
    "regular, background, stride, n, classes, max_det, threshold",
    [
        (False, 1, 4, 30, 4, 6, 0.3),
        (False, 0, 6, 25, 3, 10, 0.9),  # fewer detections than slots
        (True, 1, 4, 30, 4, 6, 0.3),
        (True, 0, 5, 40, 5, 20, 0.7),
        (False, 1, 4, 600, 10, 25, 0.5),  # long sorts
        (True, 1, 4, 300, 6, 30, 0.5),
    ],
)
def test_postprocess_matches_references(regular, background, stride, n, classes, max_det, threshold, tmp_path: Path) -> None:
    anchors = _anchors(n, np.random.default_rng(n))
    model = _model(n, classes, background, max_det, anchors, stride=stride, use_regular_nms=regular,
                   detections_per_class=4 if regular else 100, nms_score_threshold=threshold)
    host = build(model, tmp_path)
    for seed in (0, 1, 2):
        inputs = _inputs(n, stride, classes + background, seed)
        ours = host.run(inputs)
        # Regular NMS writes every slot; fast NMS leaves those past num_detections untouched.
        _compare(ours, run_reference(model, inputs), f"seed {seed} vs LiteRT", all_slots=regular)
        _compare(ours, run_tflm(model, inputs), f"seed {seed} vs TFLM", all_slots=regular)
        assert ours[3][0] > 0


def test_empty_and_inverted_boxes(tmp_path: Path) -> None:
    """A zero-height anchor gives an empty box: LiteRT accepts it (TFLite Micro fails), and so do
    we; a negative height gives an inverted box, which fails the invocation in both references."""
    anchors = _anchors(8, np.random.default_rng(1))
    anchors[3, 2] = 0.0
    model = _model(8, 2, 1, 4, anchors)
    inputs = _inputs(8, 4, 3, 0)
    _compare(build(model, tmp_path / "empty").run(inputs), run_reference(model, inputs), "empty box", all_slots=False)
    anchors[3, 2] = -0.1
    model = _model(8, 2, 1, 4, anchors)
    with pytest.raises(RuntimeError, match="ValidateBoxes"):
        run_reference(model, inputs)
    with pytest.raises(AssertionError, match="returned -1"):
        build(model, tmp_path / "inverted").run(inputs)


@pytest.mark.parametrize(
    "kwargs, fragments",
    [
        ({"box_dtype": "int8"}, ["int8 box encodings", "DEQUANTIZE"]),
        ({"max_classes_per_detection": 2}, ["max_classes_per_detection 2", "only 1"]),
        ({"nms_iou_threshold": 0.0}, ["nms_iou_threshold 0.0", "(0, 1]"]),
        ({"num_classes": 5}, ["num_classes 5"]),
        ({"use_regular_nms": True, "detections_per_class": 0}, ["detections_per_class"]),
    ],
)
def test_unsupported_variants_are_refused(kwargs, fragments) -> None:
    model = _model(6, 2, 1, 3, _anchors(6, np.random.default_rng(0)), **kwargs)
    with pytest.raises(UnsupportedError) as info:
        compile_model(model, "test.tflite", CompileOptions())
    for fragment in (CODE, *fragments):
        assert fragment in str(info.value), str(info.value)
