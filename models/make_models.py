#!/usr/bin/env python3
"""Writes the project's own models: real topologies, random (but well-scaled) int8 weights.

    python3 models/make_models.py           # (re)write models/*.tflite
    python3 models/make_models.py --check   # exit 1 if a committed file is not what this script makes

The output is byte-identical on every run and machine (fixed seeds, see model_builder.py), so the
committed .tflite files can always be checked against this script (tools/microtvm/tests/test_models.py
does). The models are made with our own TFLite writer and numpy only: no TensorFlow, and nothing
copied from ../shared/models.

| file                  | topology                                                         | input -> output       |
|-----------------------|------------------------------------------------------------------|-----------------------|
| kws.tflite            | MLPerf Tiny DS-CNN keyword spotting                              | int8[1,49,10,1] -> int8[1,12] |
| sine.tflite           | tflite-micro's sine regressor, FC 1->16->16->1 (a real sine fit) | int8[1,1] -> int8[1,1] |
| sine_float.tflite     | the same in float32                                              | float32[1,1] -> float32[1,1] |
| mobilenet_tiny.tflite | MobileNet-style: depthwise-separable blocks, RELU6, strides 2    | int8[1,32,32,3] -> int8[1,10] |
| residual.tflite       | ResNet-8-style: two residual blocks with ADD (identity and 1x1 projection shortcuts) | int8[1,16,16,3] -> int8[1,10] |
| svdf_kws.tflite       | streaming keyword spotting: two SVDF layers (state), FULLY_CONNECTED, SOFTMAX | int8[1,40] -> int8[1,12] per frame |
| ssd_tiny.tflite       | int8 SSD-style detector: backbone, box and class heads, DEQUANTIZE, TFLite_Detection_PostProcess | int8[1,16,16,3] -> float32 boxes[1,10,4], classes, scores[1,10], count[1] |
| audio_frontend.tflite | TFLite Micro's Signal audio front end: window, FFT, energy, mel filter bank, sqrt, PCAN, log | int16[480] -> int16[20] |
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # model_builder.py, when run as a script

from model_builder import (  # noqa: E402
    ModelBuilder,
    OpSpec,
    TensorSpec,
    build_model,
    classifier_head,
    he_normal,
    int8_calibration,
    snap_up,
)

MODELS_DIR = Path(__file__).resolve().parent
CALIBRATION_BATCH = 16


def _bias(rng: np.random.RandomState, n: int, std: float = 0.1) -> np.ndarray:
    return rng.standard_normal(n) * std


def kws() -> bytes:
    """DS-CNN (MLPerf Tiny keyword spotting), layer for layer as in the reference model:
    CONV_2D 10x4 stride 2 -> 64, four times DEPTHWISE_CONV_2D 3x3 + CONV_2D 1x1 -> 64 (all SAME,
    RELU), AVERAGE_POOL_2D over the 25x5 map, RESHAPE [-1, 64], FULLY_CONNECTED 12, SOFTMAX."""
    rng = np.random.RandomState(1001)
    m = ModelBuilder(quantized=True)
    shape = (1, 49, 10, 1)  # 49 frames x 10 MFCC coefficients
    scale, zero_point = 0.5, 0
    x = m.input("input", shape, int8_calibration(rng, shape, scale, zero_point, CALIBRATION_BATCH), scale, zero_point)
    x = m.conv2d("conv_0", x, he_normal(rng, (64, 10, 4, 1), 10 * 4), _bias(rng, 64), stride=2)
    for block in range(1, 5):
        x = m.depthwise_conv2d(f"dw_{block}", x, he_normal(rng, (1, 3, 3, 64), 9), _bias(rng, 64))
        x = m.conv2d(f"pw_{block}", x, he_normal(rng, (64, 1, 1, 64), 64), _bias(rng, 64))
    x = m.global_average_pool("avg_pool", x)
    x = m.flatten("flatten", x)
    w, b = classifier_head(rng, x.value, 12)
    x = m.fully_connected("logits", x, w, b)
    return m.build([m.softmax("probabilities", x)])


def _sine_layers() -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
    """Exact weights of a ReLU network that interpolates sin(x) linearly at 16 knots on [0, 2*pi].

    Layer 1: unit k is relu(x - c_k) (knots c_k = 2*pi*k/16), in [0, 2*pi - c_k]. Layer 2 scales
    each unit to the same range [0, 2*pi] (h2_k = h1_k * 2*pi / (2*pi - c_k); all non-negative, so
    its ReLU keeps them), which spends the int8 range of the per-tensor quantization evenly.
    Layer 3: the piecewise linear interpolant is sum_k d_k * h1_k with d_k the change of slope at
    knot k, i.e. sum_k d_k / g_k * h2_k. No training, so no floating-point history that could
    differ between machines."""
    units = 16
    span = 2.0 * math.pi
    knots = np.arange(units) * (span / units)
    ends = np.append(knots, span)
    slopes = np.diff(np.sin(ends)) / np.diff(ends)
    kinks = np.diff(np.concatenate(([0.0], slopes)))  # d_k
    w1, b1 = np.ones((units, 1)), -knots
    gains = span / (span - knots)
    w2, b2 = np.diag(gains), np.zeros(units)
    w3, b3 = (kinks / gains).reshape(1, units), np.zeros(1)
    return [(w1, b1), (w2, b2), (w3, b3)], span


def sine(quantized: bool = True) -> bytes:
    """tflite-micro's hello_world topology: FULLY_CONNECTED 1->16 RELU, 16->16 RELU, 16->1."""
    (l1, l2, l3), span = _sine_layers()
    m = ModelBuilder(quantized=quantized)
    # The domain [0, 2*pi] on the int8 range: zero point -128 is x = 0.
    scale, zero_point = snap_up(span / 255.0), -128
    calibration = (np.arange(-128, 128, dtype=np.float64).reshape(-1, 1) - zero_point) * scale
    x = m.input("x", (1, 1), calibration, scale, zero_point)
    x = m.fully_connected("dense_1", x, *l1, activation="RELU")
    x = m.fully_connected("dense_2", x, *l2, activation="RELU")
    return m.build([m.fully_connected("y", x, *l3)])


def sine_float() -> bytes:
    return sine(quantized=False)


def mobilenet_tiny() -> bytes:
    """A small MobileNetV1: CONV_2D 3x3 stride 2 -> 8, then depthwise-separable blocks
    (DEPTHWISE_CONV_2D 3x3 + CONV_2D 1x1, RELU6) 16, 32 (stride 2), 32, 64 (stride 2),
    AVERAGE_POOL_2D over 4x4, RESHAPE, FULLY_CONNECTED 10, SOFTMAX."""
    rng = np.random.RandomState(1002)
    m = ModelBuilder(quantized=True)
    shape = (1, 32, 32, 3)
    scale, zero_point = 1.0 / 128.0, 0  # pixels in [-1, 1)
    x = m.input("image", shape, int8_calibration(rng, shape, scale, zero_point, CALIBRATION_BATCH), scale, zero_point)
    # Gain 3 on the stem: activations of about 2 to 3, so RELU6 really clips somewhere.
    x = m.conv2d("conv_0", x, 3.0 * he_normal(rng, (8, 3, 3, 3), 27), _bias(rng, 8), stride=2, activation="RELU6")
    channels = 8
    for block, (out_channels, stride) in enumerate(((16, 1), (32, 2), (32, 1), (64, 2)), start=1):
        dw = he_normal(rng, (1, 3, 3, channels), 9)
        x = m.depthwise_conv2d(f"dw_{block}", x, dw, _bias(rng, channels), stride=stride, activation="RELU6")
        pw = he_normal(rng, (out_channels, 1, 1, channels), channels)
        x = m.conv2d(f"pw_{block}", x, pw, _bias(rng, out_channels), activation="RELU6")
        channels = out_channels
    x = m.global_average_pool("avg_pool", x)
    x = m.flatten("flatten", x)
    w, b = classifier_head(rng, x.value, 10)
    x = m.fully_connected("logits", x, w, b)
    return m.build([m.softmax("probabilities", x)])


def residual() -> bytes:
    """A small ResNet (the shape of MLPerf Tiny's ResNet-8, narrower): CONV_2D 3x3 -> 8; block 1
    with an identity shortcut; block 2 with stride 2 and a 1x1 stride-2 projection shortcut; each
    block CONV_2D 3x3 RELU, CONV_2D 3x3, ADD with fused RELU; AVERAGE_POOL_2D, RESHAPE,
    FULLY_CONNECTED 10, SOFTMAX."""
    rng = np.random.RandomState(1003)
    m = ModelBuilder(quantized=True)
    shape = (1, 16, 16, 3)
    scale, zero_point = 1.0 / 128.0, 0
    x = m.input("image", shape, int8_calibration(rng, shape, scale, zero_point, CALIBRATION_BATCH), scale, zero_point)
    x = m.conv2d("stem", x, he_normal(rng, (8, 3, 3, 3), 27), _bias(rng, 8))

    y = m.conv2d("block_1/conv_a", x, he_normal(rng, (8, 3, 3, 8), 72), _bias(rng, 8))
    y = m.conv2d("block_1/conv_b", y, he_normal(rng, (8, 3, 3, 8), 72), _bias(rng, 8), activation="NONE")
    x = m.add("block_1/add", x, y, activation="RELU")

    y = m.conv2d("block_2/conv_a", x, he_normal(rng, (16, 3, 3, 8), 72), _bias(rng, 16), stride=2)
    y = m.conv2d("block_2/conv_b", y, he_normal(rng, (16, 3, 3, 16), 144), _bias(rng, 16), activation="NONE")
    shortcut = m.conv2d("block_2/shortcut", x, he_normal(rng, (16, 1, 1, 8), 8), _bias(rng, 16), stride=2, activation="NONE")
    x = m.add("block_2/add", shortcut, y, activation="RELU")

    x = m.global_average_pool("avg_pool", x)
    x = m.flatten("flatten", x)
    w, b = classifier_head(rng, x.value, 10)
    x = m.fully_connected("logits", x, w, b)
    return m.build([m.softmax("probabilities", x)])


STREAM_STEPS = 64  # time steps of the streaming models' calibration sequence


def svdf_kws() -> bytes:
    """A streaming keyword spotter (the shape of tflite-micro's SVDF speech models): one invocation
    per 40-feature audio frame; SVDF 40 -> 32 units (rank 2, memory 8) RELU, SVDF 32 -> 32 units
    (rank 1, memory 8) RELU, FULLY_CONNECTED 12, SOFTMAX. The SVDFs keep their memory in state
    (variable tensors): the model must be run frame after frame, from a reset state."""
    rng = np.random.RandomState(1004)
    m = ModelBuilder(quantized=True)
    frame = 40
    scale, zero_point = 1.0 / 16.0, 0
    # The calibration batch's rows are successive frames of one stream (see ModelBuilder.svdf).
    x = m.input("frame", (1, frame), int8_calibration(rng, (1, frame), scale, zero_point, STREAM_STEPS), scale, zero_point)
    for layer, (units, rank, memory) in enumerate(((32, 2, 8), (32, 1, 8)), start=1):
        features = x.value.shape[1]
        weights_feature = he_normal(rng, (units * rank, features), features)
        weights_time = rng.standard_normal((units * rank, memory)) * math.sqrt(1.0 / memory)
        x = m.svdf(f"svdf_{layer}", x, weights_feature, weights_time, _bias(rng, units), rank)
    w, b = classifier_head(rng, x.value, 12)
    x = m.fully_connected("logits", x, w, b)
    return m.build([m.softmax("probabilities", x)])


def ssd_tiny() -> bytes:
    """A small int8 SSD-style detector ending in TFLite_Detection_PostProcess, as TensorFlow's
    converter writes one: backbone CONV_2D 3x3/2 -> 8, DEPTHWISE_CONV_2D 3x3/2 + CONV_2D 1x1 -> 16
    (RELU6) on a 16x16 image, giving a 4x4 feature map with 2 anchors per cell (32 anchors); a box
    head (CONV_2D 1x1 -> 2 x 4 encodings) and a class head (CONV_2D 1x1 -> 2 x (background + 3
    classes), LOGISTIC), each RESHAPEd to [1, 32, 4] and DEQUANTIZEd to float32;
    TFLite_Detection_PostProcess with regular NMS (every output slot defined), 3 classes,
    10 detections, 5 per class."""
    rng = np.random.RandomState(1005)
    m = ModelBuilder(quantized=True)
    shape = (1, 16, 16, 3)
    scale, zero_point = 1.0 / 128.0, 0
    x = m.input("image", shape, int8_calibration(rng, shape, scale, zero_point, CALIBRATION_BATCH), scale, zero_point)
    x = m.conv2d("conv_0", x, 2.0 * he_normal(rng, (8, 3, 3, 3), 27), _bias(rng, 8), stride=2, activation="RELU6")
    x = m.depthwise_conv2d("dw_1", x, he_normal(rng, (1, 3, 3, 8), 9), _bias(rng, 8), stride=2, activation="RELU6")
    x = m.conv2d("pw_1", x, he_normal(rng, (16, 1, 1, 8), 8), _bias(rng, 16), activation="RELU6")
    cells, per_cell, classes = 4, 2, 3
    anchors_n = cells * cells * per_cell
    boxes = m.conv2d("box_head", x, he_normal(rng, (per_cell * 4, 1, 1, 16), 16), _bias(rng, per_cell * 4), activation="NONE")
    boxes = m.dequantize("box_encodings", m.reshape("box_reshape", boxes, (1, anchors_n, 4)))
    logits = m.conv2d(
        "class_head", x, he_normal(rng, (per_cell * (classes + 1), 1, 1, 16), 16), _bias(rng, per_cell * (classes + 1)),
        activation="NONE",
    )
    scores = m.logistic("class_scores", m.reshape("class_reshape", logits, (1, anchors_n, classes + 1)))
    scores = m.dequantize("class_predictions", scores)
    centers = (np.arange(cells) + 0.5) / cells
    anchors = np.array(
        [[cy, cx, h, w] for cy in centers for cx in centers for h, w in ((0.3, 0.3), (0.45, 0.25))], np.float32
    )
    anchor_index = m.constant(TensorSpec((anchors_n, 4), "float32", data=anchors, name="anchors"))
    max_detections = 10
    outputs = m.custom(
        "TFLite_Detection_PostProcess",
        [boxes.index, scores.index, anchor_index],
        [
            TensorSpec((1, max_detections, 4), "float32", name="detection_boxes"),
            TensorSpec((1, max_detections), "float32", name="detection_classes"),
            TensorSpec((1, max_detections), "float32", name="detection_scores"),
            TensorSpec((1,), "float32", name="num_detections"),
        ],
        {
            "max_detections": max_detections, "max_classes_per_detection": 1, "detections_per_class": 5,
            "use_regular_nms": True, "nms_score_threshold": 0.9, "nms_iou_threshold": 0.5, "num_classes": classes,
            "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0,
        },
    )
    return m.build_indices(outputs)


def audio_frontend() -> bytes:
    """TFLite Micro's audio front end (its Signal library) on one 30 ms frame of 16 kHz audio:
    SignalWindow (Hann, Q12) -> SignalFftAutoScale -> SignalRfft (512) -> SignalEnergy ->
    SignalFilterBank (20 mel-like triangular channels over bins 2..200) ->
    SignalFilterBankSquareRoot (undoing the auto-scale) -> SignalPCAN (a constant noise estimate)
    -> SignalFilterBankLog. int16 samples in, int16 log-mel features out. LiteRT cannot run the
    Signal operators: its golden is TFLite Micro's interpreter."""
    rng = np.random.RandomState(1006)
    frame, n, channels = 480, 512, 20
    bins = n // 2 + 1
    hann = np.round(4096 * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame))).astype(np.int16)
    edges = np.round(np.geomspace(2, 200, channels + 2)).astype(int)
    widths = np.maximum(np.diff(edges), 1).astype(np.int16)
    freq_starts = edges[:-1].astype(np.int16)
    weight_starts = np.concatenate([[0], np.cumsum(widths[:-1])]).astype(np.int16)
    weights = np.concatenate([np.linspace(0, 4096, w, endpoint=False) for w in widths]).astype(np.int16)
    unweights = (4096 - weights).astype(np.int16)
    gain_lut = np.round(np.linspace(1 << 12, 64, 125)).astype(np.int16)
    noise = rng.randint(0, 4000, channels).astype(np.uint32)
    t = [
        TensorSpec((frame,), "int16", name="audio"),  # 0
        TensorSpec((frame,), "int16", data=hann, name="hann"),
        TensorSpec((frame,), "int16", name="windowed"),
        TensorSpec((frame,), "int16", name="scaled"),
        TensorSpec((), "int32", name="scale_bits"),
        TensorSpec((2 * bins,), "int16", name="spectrum"),  # 5
        TensorSpec((bins,), "uint32", name="energy"),
        TensorSpec((len(weights),), "int16", data=weights, name="weights"),
        TensorSpec((len(weights),), "int16", data=unweights, name="unweights"),
        TensorSpec((channels + 1,), "int16", data=freq_starts, name="freq_starts"),
        TensorSpec((channels + 1,), "int16", data=weight_starts, name="weight_starts"),  # 10
        TensorSpec((channels + 1,), "int16", data=widths, name="widths"),
        TensorSpec((channels,), "uint64", name="filterbank"),
        TensorSpec((channels,), "uint32", name="magnitudes"),
        TensorSpec((channels,), "uint32", data=noise, name="noise_estimate"),
        TensorSpec((125,), "int16", data=gain_lut, name="gain_lut"),  # 15
        TensorSpec((channels,), "uint32", name="pcan"),
        TensorSpec((channels,), "int16", name="log_mel"),
    ]
    ops = [
        OpSpec("CUSTOM", [0, 1], [2], {"shift": 12}, custom_code="SignalWindow"),
        OpSpec("CUSTOM", [2], [3, 4], {}, custom_code="SignalFftAutoScale"),
        OpSpec("CUSTOM", [3], [5], {"T": 7, "fft_length": n}, custom_code="SignalRfft"),
        OpSpec("CUSTOM", [5], [6], {"start_index": 0, "end_index": bins}, custom_code="SignalEnergy"),
        OpSpec("CUSTOM", [6, 7, 8, 9, 10, 11], [12], {"num_channels": channels}, custom_code="SignalFilterBank"),
        OpSpec("CUSTOM", [12, 4], [13], {}, custom_code="SignalFilterBankSquareRoot"),
        OpSpec("CUSTOM", [13, 14, 15], [16], {"snr_shift": 6}, custom_code="SignalPCAN"),
        OpSpec("CUSTOM", [16], [17], {"input_correction_bits": 3, "output_scale": 1600}, custom_code="SignalFilterBankLog"),
    ]
    return build_model(t, ops, inputs=[0], outputs=[17])


# File name -> generator. Adding a model: add a function above and a line here, run this script,
# commit the new file, and list it in models/BUILD.bazel.
MODELS: dict[str, Callable[[], bytes]] = {
    "kws.tflite": kws,
    "sine.tflite": sine,
    "sine_float.tflite": sine_float,
    "mobilenet_tiny.tflite": mobilenet_tiny,
    "residual.tflite": residual,
    "svdf_kws.tflite": svdf_kws,
    "ssd_tiny.tflite": ssd_tiny,
    "audio_frontend.tflite": audio_frontend,
}


def make_all() -> dict[str, bytes]:
    return {name: make() for name, make in MODELS.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="directory of the .tflite files (default: next to this script)")
    args = parser.parse_args(argv)
    stale = []
    for name, data in make_all().items():
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
            continue
        tmp = path.with_suffix(".tflite.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: never a half-written model
        print(f"wrote {path} ({len(data)} bytes)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python3 models/make_models.py and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
