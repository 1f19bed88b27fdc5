"""TFLite_Detection_PostProcess (custom operator): SSD box decoding and non-max suppression.
Kernel: runtime/include/mtvm/detection.h, detection_postprocess.c (float32) and
detection_postprocess_q.c (quantized inputs).

The standard is LiteRT's kernel (BUILTIN_REF resolves the custom operator) and, for float32,
TFLite Micro's (tensorflow/lite/micro/kernels/detection_postprocess.cc), which agree: boxes decoded
in double as TFLite does, fast NMS (class-agnostic, max_classes_per_detection classes reported per
anchor) and regular NMS (use_regular_nms with detections_per_class), and TFLite's orders for equal
scores (equal scores in index order in NMS and in regular NMS's running top list; fast NMS's best
classes of an anchor in the order of std::partial_sort, reproduced for GNU libstdc++; see detection.h). They differ in one place: TFLite
Micro also fails on an empty decoded box (ymin == ymax), LiteRT only on an inverted one; this
follows LiteRT (tvmgen_<m>_run returns -1 on an inverted box). Outputs are float32 and compared
within 1e-5 relative / 1e-6 absolute; output slots LiteRT leaves unwritten are zeros.

Quantized inputs: LiteRT's kernel dequantizes uint8 box encodings (with uint8 anchors) and uint8
class predictions, each independently of the other, and runs the float code; the kernel does the
same (anchors, constant, are dequantized here at generation time). int8 inputs are not in LiteRT
(its kernel fails to invoke) nor in TFLite Micro (float32 only); they are accepted here with the
same arithmetic, which equals LiteRT's on the uint8 encoding of the same real values (q + 128,
zero point + 128): that is the tests' reference for int8.

Not supported, with the reason in the message: batches other than 1, per-channel quantized
inputs, quantized box encodings with anchors of another type (LiteRT reads the anchors as the
boxes' type), max_classes_per_detection < 1.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, Operator, Tensor
from . import _emit as e
from .base import EmittedOp, LowerContext, OpLowering

HEADERS = ("mtvm/detection.h",)
SOURCES = ("detection_postprocess.c",)
_DEFAULT_DETECTIONS_PER_CLASS = 100  # TFLite's kNumDetectionsPerClass
_INPUT_TYPES = ("float32", "uint8", "int8")
_C_TYPE = {"float32": "MTVM_DETECTION_F32", "uint8": "MTVM_DETECTION_U8", "int8": "MTVM_DETECTION_S8"}


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
        raise UnsupportedError(
            f"{op.opcode}: the {role} {t.name!r} has shape {list(t.shape)}; expected {list(expected)}"
        )


def _check(op: Operator, graph: Graph) -> None:
    if len(op.inputs) != 3 or len(op.outputs) != 4 or any(i < 0 for i in (*op.inputs, *op.outputs)):
        raise UnsupportedError(f"{op.opcode} needs 3 inputs (box encodings, class predictions, anchors) and 4 outputs")
    boxes, scores, anchors = (graph.tensor(i) for i in op.inputs)
    for t, role in ((boxes, "box encodings"), (scores, "class predictions")):
        if t.dtype not in _INPUT_TYPES:
            raise UnsupportedError(
                f"{op.opcode}: {t.dtype} {role} ({t.name!r}) are not supported; supported: float32, uint8 (as "
                "LiteRT's kernel) and int8"
            )
        if t.dtype != "float32":
            e.per_tensor(op, t, role)
    if boxes.dtype == "float32" and anchors.dtype != "float32":
        raise UnsupportedError(
            f"{op.opcode}: float32 box encodings need float32 anchors, not {anchors.dtype} ({anchors.name!r})"
        )
    if boxes.dtype != "float32":
        if anchors.dtype != boxes.dtype:
            raise UnsupportedError(
                f"{op.opcode}: {boxes.dtype} box encodings need {boxes.dtype} anchors (LiteRT reads the anchors as "
                f"the boxes' type), not {anchors.dtype} ({anchors.name!r})"
            )
        if anchors.data is None:
            raise UnsupportedError(f"{op.opcode}: quantized anchors ({anchors.name!r}) must be constant")
        e.per_tensor(op, anchors, "anchors")
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
    per_detection = _int(op, "max_classes_per_detection")
    if per_detection < 1:
        raise UnsupportedError(f"{op.opcode}: max_classes_per_detection {per_detection} must be >= 1")
    regular = bool(op.options.get("use_regular_nms", False))
    if regular and _int(op, "detections_per_class", _DEFAULT_DETECTIONS_PER_CLASS) < 1:
        raise UnsupportedError(f"{op.opcode}: detections_per_class must be >= 1")
    iou = _f32(_number(op, "nms_iou_threshold"))
    if not 0.0 < iou <= 1.0:
        raise UnsupportedError(f"{op.opcode}: nms_iou_threshold {iou} must be in (0, 1], as TFLite requires")
    for name in ("nms_score_threshold", "y_scale", "x_scale", "h_scale", "w_scale"):
        _number(op, name)
    out_boxes, classes, out_scores, num = (graph.tensor(i) for i in op.outputs)
    slots = max_detections * per_detection  # LiteRT's Prepare sizes the outputs so
    _shape(op, out_boxes, "detection boxes output", (1, slots, 4))
    _shape(op, classes, "detection classes output", (1, slots))
    _shape(op, out_scores, "detection scores output", (1, slots))
    _shape(op, num, "number of detections output", (1,))


def _quantized(op: Operator, graph: Graph) -> bool:
    return any(graph.tensor(i).dtype != "float32" for i in op.inputs[:2])


def _scratch(op: Operator, graph: Graph) -> int:
    n, c = graph.tensor(op.inputs[0]).shape[1], graph.tensor(op.inputs[1]).shape[2]
    d = _int(op, "max_detections")
    size = 4 * (9 * n + 6 * (n + d) + c) + n  # MTVM_DETECTION_SCRATCH_BYTES
    return size + 4 * (4 * n + n * c) if _quantized(op, graph) else size  # MTVM_DETECTION_Q_SCRATCH_BYTES


def _quant_fields(op: Operator, t: Tensor, role: str) -> tuple[str, int, float]:
    if t.dtype == "float32":
        return _C_TYPE[t.dtype], 0, 1.0
    scale, zero_point = e.per_tensor(op, t, role)
    return _C_TYPE[t.dtype], zero_point, _f32(scale)


def _dequantized_anchors(op: Operator, anchors: Tensor) -> np.ndarray:
    """LiteRT's Dequantizer in float32: (float(q) - float(zero point)) * scale, one rounding."""
    scale, zero_point = e.per_tensor(op, anchors, "anchors")
    q = np.asarray(anchors.data).astype(np.float32)
    return ((q - np.float32(zero_point)) * np.float32(scale)).astype(np.float32)


def _emit(op: Operator, ctx: LowerContext) -> EmittedOp:
    graph = ctx.graph
    boxes, scores, anchors = (graph.tensor(i) for i in op.inputs)
    num_classes = _int(op, "num_classes")
    fields = {
        "num_boxes": boxes.shape[1],
        "box_stride": boxes.shape[2],
        "num_classes": num_classes,
        "label_offset": scores.shape[2] - num_classes,
        "max_detections": _int(op, "max_detections"),
        "max_classes_per_detection": _int(op, "max_classes_per_detection"),
        "detections_per_class": _int(op, "detections_per_class", _DEFAULT_DETECTIONS_PER_CLASS),
        "use_regular_nms": bool(op.options.get("use_regular_nms", False)),
        "score_threshold": _f32(_number(op, "nms_score_threshold")),
        "iou_threshold": _f32(_number(op, "nms_iou_threshold")),
        "y_scale": _f32(_number(op, "y_scale")),
        "x_scale": _f32(_number(op, "x_scale")),
        "h_scale": _f32(_number(op, "h_scale")),
        "w_scale": _f32(_number(op, "w_scale")),
    }
    outputs = [ctx.buf(o) for o in op.outputs]
    if not _quantized(op, graph):
        decl, params = e.params_decl(ctx, "mtvm_detection_params_t", fields)
        kernel, sources = "mtvm_detection_postprocess_f32", ()
        anchor_arg = ctx.buf(op.inputs[2])
    else:
        box_type, box_zp, box_scale = _quant_fields(op, boxes, "box encodings")
        score_type, score_zp, score_scale = _quant_fields(op, scores, "class predictions")
        qfields = {
            "base": fields,
            "box_type": box_type,
            "box_zero_point": box_zp,
            "box_scale": box_scale,
            "score_type": score_type,
            "score_zero_point": score_zp,
            "score_scale": score_scale,
        }
        decl, params = e.params_decl(ctx, "mtvm_detection_q_params_t", qfields)
        kernel, sources = "mtvm_detection_postprocess_q", ("detection_postprocess_q.c",)
        anchor_arg = (
            ctx.buf(op.inputs[2])
            if anchors.dtype == "float32"
            else ctx.const("anchors", _dequantized_anchors(op, anchors))
        )
    args = ", ".join([ctx.buf(op.inputs[0]), ctx.buf(op.inputs[1]), anchor_arg, *outputs, ctx.scratch()])
    call = (
        f"    if ({kernel}(&{params}, {args}) != 0) {{\n"
        "      return -1; /* an inverted decoded box: LiteRT fails the invocation */\n"
        "    }"
    )
    return EmittedOp(call=call, decls=decl, sources=sources)


LOWERINGS: list[OpLowering] = [
    OpLowering(
        opcode="TFLite_Detection_PostProcess",
        check=_check,
        emit=_emit,
        headers=HEADERS,
        sources=SOURCES,
        scratch_bytes=_scratch,
        dtypes=("float32", "uint8", "int8"),
    ),
]
