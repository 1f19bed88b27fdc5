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


def _model(
    n: int,
    classes: int,
    background: int,
    max_det: int,
    anchors: np.ndarray,
    *,
    stride: int = 4,
    box_dtype: str = "float32",
    score_dtype: str | None = None,
    box_q=(0.05, 0),
    score_q=(0.05, 0),
    anchor_q=(1 / 255, 0),
    **options,
) -> bytes:
    opts = {
        "max_detections": max_det,
        "max_classes_per_detection": 1,
        "use_regular_nms": False,
        "nms_score_threshold": 0.3,
        "nms_iou_threshold": 0.45,
        "num_classes": classes,
        "y_scale": 10.0,
        "x_scale": 10.0,
        "h_scale": 5.0,
        "w_scale": 5.0,
    }
    opts.update(options)
    score_dtype = box_dtype if score_dtype is None else score_dtype

    def q(dtype: str, params) -> dict:
        return {} if dtype == "float32" else {"scale": params[0], "zero_point": params[1]}

    slots = max_det * opts["max_classes_per_detection"]
    return single_op_model(
        "CUSTOM",
        [
            TensorSpec((1, n, stride), box_dtype, **q(box_dtype, box_q)),
            TensorSpec((1, n, classes + background), score_dtype, **q(score_dtype, score_q)),
            TensorSpec((n, 4), anchors.dtype.name, data=anchors, **q(anchors.dtype.name, anchor_q)),
        ],
        [
            TensorSpec((1, slots, 4), "float32"),
            TensorSpec((1, slots), "float32"),
            TensorSpec((1, slots), "float32"),
            TensorSpec((1,), "float32"),
        ],
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
        np.testing.assert_allclose(
            ours[k][0, :limit], theirs[k][0, :limit], rtol=1e-5, atol=1e-6, err_msg=f"{what}, output {k}"
        )
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
def test_postprocess_matches_references(
    regular, background, stride, n, classes, max_det, threshold, tmp_path: Path
) -> None:
    anchors = _anchors(n, np.random.default_rng(n))
    model = _model(
        n,
        classes,
        background,
        max_det,
        anchors,
        stride=stride,
        use_regular_nms=regular,
        detections_per_class=4 if regular else 100,
        nms_score_threshold=threshold,
    )
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
        ({"box_dtype": "int16"}, ["int16 box encodings", "float32, uint8"]),
        ({"box_dtype": "uint8", "score_dtype": "float32"}, ["uint8 box encodings need uint8 anchors", "float32"]),
        ({"max_classes_per_detection": 0}, ["max_classes_per_detection 0", ">= 1"]),
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


# ---------------------------------------------------------------------------------------------
# Every option, quantized inputs and equal scores


def _defined_slots(out: list[np.ndarray], regular: bool, max_det: int, per_det: int, classes: int) -> np.ndarray:
    """The output slots LiteRT writes: regular NMS every slot below max_detections; fast NMS the
    first min(per_det, classes) slots of each of the num_detections selected anchors."""
    if regular:
        return np.arange(max_det)
    count = int(out[3][0])
    cols = min(per_det, classes)
    return np.array([per_det * k + c for k in range(count) for c in range(cols)], dtype=np.int64)


def _compare_slots(ours, theirs, what: str, regular: bool, max_det: int, per_det: int, classes: int) -> None:
    assert ours[3][0] == theirs[3][0], f"{what}: {ours[3][0]} detections, reference {theirs[3][0]}"
    slots = _defined_slots(theirs, regular, max_det, per_det, classes)
    for k in range(3):
        np.testing.assert_allclose(
            ours[k][0, slots], theirs[k][0, slots], rtol=1e-5, atol=1e-6, err_msg=f"{what}, output {k}"
        )
    undefined = np.setdiff1d(np.arange(ours[1].shape[1]), slots)
    for k in range(3):
        assert not ours[k][0, undefined].any(), f"{what}: slots LiteRT leaves unwritten must be 0 here"


def _random_q(rng: np.random.Generator, shape, dtype: str, low: int | None = None, high: int | None = None):
    info = np.iinfo(dtype)
    return rng.integers(info.min if low is None else low, (info.max if high is None else high) + 1, shape).astype(dtype)


def _tie_scores(rng: np.random.Generator, shape) -> np.ndarray:
    """Float scores on a coarse grid: many equal scores, so the tie-breaking orders decide."""
    return (rng.integers(0, 9, shape) / 8.0).astype(np.float32)


# (regular, background, stride, n, classes, max_det, per_det, per_class, score_threshold, iou)
OPTION_CASES = [
    (False, 1, 4, 40, 5, 6, 3, 100, 0.25, 0.5),  # several classes per detection
    (False, 0, 5, 30, 2, 8, 4, 100, 0.0, 0.6),  # more classes per detection than classes
    (True, 1, 4, 50, 4, 5, 1, 3, 0.25, 0.4),  # running top list cut at max_detections
    (True, 0, 6, 60, 3, 1, 2, 2, 0.5, 0.3),  # max_detections 1 (the first maximum); several slots per detection
    (True, 1, 4, 64, 6, 40, 1, 10, 0.1, 0.7),  # long merged lists
]


@pytest.mark.parametrize("case", OPTION_CASES)
def test_every_option_with_equal_scores(case, tmp_path: Path) -> None:
    regular, background, stride, n, classes, max_det, per_det, per_class, threshold, iou = case
    rng = np.random.default_rng(n)
    model = _model(
        n,
        classes,
        background,
        max_det,
        _anchors(n, rng),
        stride=stride,
        use_regular_nms=regular,
        max_classes_per_detection=per_det,
        detections_per_class=per_class,
        nms_score_threshold=threshold,
        nms_iou_threshold=iou,
        y_scale=8.0,
        x_scale=12.0,
        h_scale=4.0,
        w_scale=6.0,
    )
    host = build(model, tmp_path)
    for seed in (0, 1, 2):
        rng = np.random.default_rng([seed, n])
        inputs = [
            rng.standard_normal((1, n, stride)).astype(np.float32),
            _tie_scores(rng, (1, n, classes + background)),
        ]
        ours, theirs = host.run(inputs), run_reference(model, inputs)
        _compare_slots(ours, theirs, f"seed {seed}", regular, max_det, per_det, classes)
        assert theirs[3][0] > 0


# (box dtype, score dtype, regular, per_det)
QUANT_CASES = [
    ("uint8", "uint8", False, 1),
    ("uint8", "uint8", True, 1),
    ("uint8", "float32", False, 2),
    ("float32", "uint8", True, 1),
    ("int8", "int8", False, 1),
    ("int8", "int8", True, 1),
    ("int8", "float32", True, 1),
    ("float32", "int8", False, 3),
]


@pytest.mark.parametrize("box_dtype, score_dtype, regular, per_det", QUANT_CASES)
def test_quantized_inputs(box_dtype, score_dtype, regular, per_det, tmp_path: Path) -> None:
    """uint8 against LiteRT; int8 (which LiteRT's kernel refuses) against LiteRT on the uint8
    encoding of the same real values. Coarse score scales make many scores equal."""
    n, classes, background, max_det, stride = 48, 4, 1, 10, 5
    rng = np.random.default_rng(7)
    box_q, score_q, anchor_q = (0.06, 130), (1 / 12, 3), (1 / 250, 2)
    shift = {"uint8": 0, "int8": 128, "float32": 0}
    anchors_u8 = np.stack(
        [rng.integers(20, 230, n), rng.integers(20, 230, n), rng.integers(12, 100, n), rng.integers(12, 100, n)], 1
    ).astype(np.uint8)
    if box_dtype == "float32":
        anchors = ((anchors_u8.astype(np.float32) - anchor_q[1]) * np.float32(anchor_q[0])).astype(np.float32)
    else:
        anchors = (anchors_u8.astype(np.int16) - shift[box_dtype]).astype(box_dtype)
    options = dict(
        stride=stride,
        use_regular_nms=regular,
        max_classes_per_detection=per_det,
        detections_per_class=5,
        nms_score_threshold=0.3,
        nms_iou_threshold=0.45,
    )

    def shifted(dtype: str, params):
        return (params[0], params[1] - shift[dtype])

    model = _model(
        n,
        classes,
        background,
        max_det,
        anchors,
        box_dtype=box_dtype,
        score_dtype=score_dtype,
        box_q=shifted(box_dtype, box_q),
        score_q=shifted(score_dtype, score_q),
        anchor_q=shifted(box_dtype, anchor_q),
        **options,
    )
    as_u8 = {"int8": "uint8"}
    reference = _model(
        n,
        classes,
        background,
        max_det,
        anchors_u8 if box_dtype != "float32" else anchors,
        box_dtype=as_u8.get(box_dtype, box_dtype),
        score_dtype=as_u8.get(score_dtype, score_dtype),
        box_q=box_q,
        score_q=score_q,
        anchor_q=anchor_q,
        **options,
    )
    host = build(model, tmp_path)
    for seed in (0, 1, 2):
        rng = np.random.default_rng([seed, 3])
        boxes_u8 = _random_q(rng, (1, n, stride), "uint8", 90, 170)
        scores_u8 = _random_q(rng, (1, n, classes + background), "uint8", 0, 15)
        ref_inputs = [
            boxes_u8 if box_dtype != "float32" else ((boxes_u8.astype(np.float32) - box_q[1]) * np.float32(box_q[0])),
            scores_u8 if score_dtype != "float32" else scores_u8.astype(np.float32) / 12,
        ]
        inputs = [
            (x.astype(np.int16) - 128).astype(np.int8) if dtype == "int8" else x
            for x, dtype in zip(ref_inputs, (box_dtype, score_dtype))
        ]
        ours, theirs = host.run(inputs), run_reference(reference, ref_inputs)
        _compare_slots(ours, theirs, f"seed {seed}", regular, max_det, per_det, classes)
        assert theirs[3][0] > 1
