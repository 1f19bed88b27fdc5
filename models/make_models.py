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


# File name -> generator. Adding a model: add a function above and a line here, run this script,
# commit the new file, and list it in models/BUILD.bazel.
MODELS: dict[str, Callable[[], bytes]] = {
    "kws.tflite": kws,
    "sine.tflite": sine,
    "sine_float.tflite": sine_float,
    "mobilenet_tiny.tflite": mobilenet_tiny,
    "residual.tflite": residual,
    "svdf_kws.tflite": svdf_kws,
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
