"""Models made by TensorFlow's own converter (models/converted/, see make_converted_models.py):
each compiles and matches LiteRT's reference kernels on 3 seeds, or is refused with one clear
line while its operators are still missing (microtvm/testing/converted.py has the check and its
tolerances). The vision models (models/converted/vision/) are in test_converted_vision*.py.

These are the closest stand-in for users' models this repository has: real converter output
(fused LSTMs, WHILE loops over resource variables, 16x8 and hybrid quantization, per-channel
weights), not models written by our own writer.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from microtvm_testing.converted import check_converted_model, converted_models_dir

# Under Bazel: the runfiles tree (//models:converted is a data dependency); else the checkout.
MODELS_DIR = converted_models_dir(__file__)
# seq_*.tflite (make_sequence_models.py) are test_converted_sequence_models.py's.
MODELS = sorted(p.stem for p in MODELS_DIR.glob("*.tflite") if not p.stem.startswith("seq_"))

# Inputs that are not free-form numbers: token ids index a 50-row embedding table.
INPUT_RANGES = {"embedding_classifier": (0, 50)}

# Models refused today, with what stops them (for the reader). A model listed here must still be
# refused with one clear UnsupportedError line naming the model, so this list shrinks as support lands.
NOT_YET_SUPPORTED: dict[str, str] = {
    "transformer_block_int16x8": "SQUARED_DIFFERENCE: LiteRT has no int16 version (and aborts on its int16 SUB)",
}


def test_the_converted_models_are_there() -> None:
    assert len(MODELS) >= 20, f"expected the converted models in {MODELS_DIR}"
    assert sorted(set(NOT_YET_SUPPORTED) - set(MODELS)) == []


@pytest.mark.parametrize("name", MODELS)
def test_converted_model(name: str, tmp_path: Path) -> None:
    check_converted_model(MODELS_DIR, name, tmp_path, NOT_YET_SUPPORTED, INPUT_RANGES)
