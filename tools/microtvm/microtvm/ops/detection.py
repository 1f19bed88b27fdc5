"""TFLite_Detection_PostProcess (custom operator): SSD box decoding and non-max suppression,
float32. Kernel: runtime/include/mtvm/detection.h, detection_postprocess.c.

The standard is LiteRT's kernel (BUILTIN_REF resolves the custom operator) and TFLite Micro's
(tensorflow/lite/micro/kernels/detection_postprocess.cc), which agree: boxes decoded in double as
TFLite does, fast NMS (max_classes_per_detection 1) and regular NMS (use_regular_nms with
detections_per_class), TFLite's stable orders for equal scores. They differ in one place: TFLite
Micro also fails on an empty decoded box (ymin == ymax), LiteRT only on an inverted one; this
follows LiteRT (tvmgen_<m>_run returns -1 on an inverted box). Outputs are float32 and compared
within 1e-5 relative / 1e-6 absolute; the tests' inputs keep scores and overlaps away from ties
and thresholds, so the selected boxes, their order and classes are the same.

Not supported, with the reason in the message: quantized box encodings or class predictions
(LiteRT's reference kernel fails to invoke on int8 and TFLite Micro's accepts float32 only, so
there is no reference to match; the TensorFlow converter leaves this operator in float32 behind
DEQUANTIZE), max_classes_per_detection other than 1 with fast NMS (TFLite's output indexing for
several classes per anchor writes past the first max_detections slots), batches other than 1.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/detection.h",)
SOURCES = ("detection_postprocess.c",)
_DEFAULT_DETECTIONS_PER_CLASS = 100  # TFLite's kNumDetectionsPerClass


def _number(op: Operator, name: str, default: float | None = None) -> float:
    value = op.options.get(name, default)
    if value is None:
        raise UnsupportedError(f"{op.opcode}: the option {name!r} is missing from the custom options")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise UnsupportedError(f"{op.opcode}: the option {name!r} must be a number, got {value!r}")
    return float(value)


def _int(op: Operator, name: str, default: int | None = None) -> int:
    value = _number(op, name, default)
    if value != int(value):
        raise UnsupportedError(f"{op.opcode}: the option {name!r} must be an integer, got {value!r}")
    return int(value)


def _f32(value: float) -> float:
    """TFLite reads the float options with flexbuffers' AsFloat: float32."""
    return float(np.float32(value))


def _shape(op: Operator, t: Tensor, role: str, expected: tuple[int, ...]) -> None:
    if tuple(t.shape) != expected:
        raise UnsupportedError(f"{op.opcode}: the {role} {t.name!r} has shape {list(t.shape)}; expected {list(expected)}")


def _check(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 3 or len(op.outputs) != 4 or any(i < 0 for i in (*op.inputs, *op.outputs)):
        raise UnsupportedError(f"{op.opcode} needs 3 inputs (box encodings, class predictions, anchors) and 4 outputs")
    boxes, scores, anchors = (graph.tensor(i) for i in op.inputs)
    for t, role in ((boxes, "box encodings"), (scores, "class predictions"), (anchors, "anchors")):
        if t.dtype != "float32":
            raise UnsupportedError(
                f"{op.opcode}: {t.dtype} {role} ({t.name!r}) are not supported; only float32 inputs are: LiteRT's "
                "reference kernel fails on int8 and TFLite Micro's takes float32 only, so quantized inputs have no "
                "reference. Dequantize them first (DEQUANTIZE), as the TensorFlow converter does"
            )
    for t in (graph.tensor(i) for i in op.outputs):
        if t.dtype != "float32":
            raise UnsupportedError(f"{op.opcode}: the output {t.name!r} is {t.dtype}; the outputs are float32")
    if len(boxes.shape) != 3 or boxes.shape[0] != 1 or boxes.shape[2] < 4:
        raise UnsupportedError(
            f"{op.opcode}: box encodings must have shape [1, anchors, >= 4] (batch 1), got {list(boxes.shape)}"
        )
    n = boxes.shape[1]
    num_classes = _int(op, "num_classes")
    if len(scores.shape) != 3 or scores.shape[0] != 1 or scores.shape[1] != n:
        raise UnsupportedError(
            f"{op.opcode}: class predictions must have shape [1, {n}, classes], got {list(scores.shape)}"
        )
    if num_classes < 1 or scores.shape[2] - num_classes not in (0, 1):
        raise UnsupportedError(
            f"{op.opcode}: num_classes {num_classes} must be >= 1 and the class predictions must hold num_classes "
            f"or num_classes + 1 (background) scores per anchor, not {scores.shape[2]}"
        )
    _shape(op, anchors, "anchors", (n, 4))
    max_detections = _int(op, "max_detections")
    if max_detections < 1:
        raise UnsupportedError(f"{op.opcode}: max_detections {max_detections} must be >= 1")
    regular = bool(op.options.get("use_regular_nms", False))
    if regular:
        if _int(op, "detections_per_class", _DEFAULT_DETECTIONS_PER_CLASS) < 1:
            raise UnsupportedError(f"{op.opcode}: detections_per_class must be >= 1")
    elif _int(op, "max_classes_per_detection") != 1:
        raise UnsupportedError(
            f"{op.opcode}: max_classes_per_detection {_int(op, 'max_classes_per_detection')} is not supported with "
            "fast NMS; only 1 is (TFLite's outputs for several classes per anchor overrun max_detections)"
        )
    iou = _f32(_number(op, "nms_iou_threshold"))
    if not 0.0 < iou <= 1.0:
        raise UnsupportedError(f"{op.opcode}: nms_iou_threshold {iou} must be in (0, 1], as TFLite requires")
    for name in ("nms_score_threshold", "y_scale", "x_scale", "h_scale", "w_scale"):
        _number(op, name)
    out_boxes, classes, out_scores, num = (graph.tensor(i) for i in op.outputs)
    _shape(op, out_boxes, "detection boxes output", (1, max_detections, 4))
    _shape(op, classes, "detection classes output", (1, max_detections))
    _shape(op, out_scores, "detection scores output", (1, max_detections))
    _shape(op, num, "number of detections output", (1,))


def scratch_bytes(n: int, d: int) -> int:
    """MTVM_DETECTION_SCRATCH_BYTES(N, D) of mtvm/detection.h (tests/test_c_constants.py)."""
    return 4 * (9 * n + 6 * (n + d)) + n


def _scratch(op: Operator, graph: Graph) -> int:
    return scratch_bytes(int(graph.tensor(op.inputs[0]).shape[1]), _int(op, "max_detections"))


def _emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    boxes, scores = ctx.graph.tensor(op.inputs[0]), ctx.graph.tensor(op.inputs[1])
    num_classes = _int(op, "num_classes")
    fields = {
        "num_boxes": boxes.shape[1],
        "box_stride": boxes.shape[2],
        "num_classes": num_classes,
        "label_offset": scores.shape[2] - num_classes,
        "max_detections": _int(op, "max_detections"),
        "detections_per_class": _int(op, "detections_per_class", _DEFAULT_DETECTIONS_PER_CLASS),
        "use_regular_nms": bool(op.options.get("use_regular_nms", False)),
        "score_threshold": _f32(_number(op, "nms_score_threshold")),
        "iou_threshold": _f32(_number(op, "nms_iou_threshold")),
        "y_scale": _f32(_number(op, "y_scale")),
        "x_scale": _f32(_number(op, "x_scale")),
        "h_scale": _f32(_number(op, "h_scale")),
        "w_scale": _f32(_number(op, "w_scale")),
    }
    params = ctx.params("mtvm_detection_params_t", fields)
    args = ", ".join([*(ctx.buf(i) for i in op.inputs), *(ctx.buf(o) for o in op.outputs), ctx.scratch()])
    call = (
        f"    if (mtvm_detection_postprocess_f32(&{params}, {args}) != 0) {{\n"
        "      return -1; /* an inverted decoded box: LiteRT fails the invocation */\n"
        "    }"
    )
    return EmittedOp(call=call)


LOWERINGS: list[OpLowering] = [
    OpLowering(
        opcode="TFLite_Detection_PostProcess",
        check=_check,
        emit=_emit,
        headers=HEADERS,
        sources=SOURCES,
        scratch_bytes=_scratch,
        dtypes=("float32",),
    ),
]
