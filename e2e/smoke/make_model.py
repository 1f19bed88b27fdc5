"""Writes anomaly.tflite: this consumer's own model, a small int8 fully-connected autoencoder
(the shape of MLPerf Tiny's anomaly detector, much narrower). Fixed seed: byte-identical output.

    cd e2e/smoke && python3 make_model.py
"""
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1] / "models"), str(HERE.parents[1] / "tools" / "microtvm")]

from model_builder import ModelBuilder, he_normal, int8_calibration  # noqa: E402


def anomaly() -> bytes:
    rng = np.random.RandomState(7)
    m = ModelBuilder(quantized=True)
    shape = (1, 32)
    scale, zero_point = 1.0 / 32.0, 0
    x = m.input("features", shape, int8_calibration(rng, shape, scale, zero_point, 64), scale, zero_point)
    for layer, (width, activation) in enumerate(((16, "RELU"), (8, "RELU"), (16, "RELU"), (32, "NONE"))):
        fan_in = x.value.shape[-1]
        x = m.fully_connected(f"dense_{layer}", x, he_normal(rng, (width, fan_in), fan_in), rng.normal(0, 0.1, width), activation=activation)
    return m.build([x])


if __name__ == "__main__":
    (HERE / "anomaly.tflite").write_bytes(anomaly())
