"""Vision models made by TensorFlow's own converter (models/converted/vision/, see
make_converted_models.py): cut-down Keras applications (MobileNet v1/v2/v3, EfficientNetB0), a
person-detection-style network, and small networks in the styles of ResNet, SqueezeNet,
DenseNet, ShuffleNet, SSD and U-Net, in float32, int8 (also with uint8 I/O), 16x8 and hybrid
quantization. Each compiles and matches LiteRT's reference kernels on 3 seeds, or is refused
with one clear line (microtvm/testing/converted.py has the check and its tolerances).

Split in two files by model family so each stays fast: this one takes the families whose names
sort before "p" (test_converted_vision_2.py the rest).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from microtvm_testing.converted import check_converted_model, converted_models_dir

# Under Bazel: the runfiles tree (//models:converted_vision is a data dependency); else the checkout.
MODELS_DIR = converted_models_dir(__file__, "vision")
ALL_MODELS = sorted(p.stem for p in MODELS_DIR.glob("*.tflite"))
MODELS = [name for name in ALL_MODELS if name < "p"]

# Models refused today, with what stops them (for the reader); they must be refused with one
# clear UnsupportedError line naming the model, so this list shrinks as support lands.
NOT_YET_SUPPORTED: dict[str, str] = {}


def test_the_vision_models_are_there() -> None:
    assert len(MODELS) >= 20, f"expected the converted vision models in {MODELS_DIR}"
    assert sorted(set(NOT_YET_SUPPORTED) - set(MODELS)) == []


@pytest.mark.parametrize("name", MODELS)
def test_converted_vision_model(name: str, tmp_path: Path) -> None:
    check_converted_model(MODELS_DIR, name, tmp_path, NOT_YET_SUPPORTED)
