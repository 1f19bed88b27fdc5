"""Audio, sequence, small-MLP and text models made by TensorFlow's own converter
(models/converted/seq_*.tflite, see make_sequence_models.py): TFLite Micro's examples
(micro_speech, magic_wand, hello_world), MLPerf Tiny's anomaly autoencoder, LSTM / GRU /
SimpleRNN / bidirectional and stateful recurrent models, a causal TCN, a transformer encoder over
token and positional embeddings, a text classifier, in-graph signal processing and sequence
operators. Each compiles and matches LiteRT's reference kernels on 3 seeds (a stateful model over
a sequence of invocations), or is refused with one clear line while a feature is still missing.

The same check as test_converted_models.py (which covers the other files of that directory).
Tolerances: integer outputs exact; float32 and hybrid models within 1e-4 relative / 1e-4
absolute (whole models: many float operators whose summation order may differ from LiteRT's).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import build
from microtvm_testing.reference import random_inputs, run_reference, run_reference_sequence

# Under Bazel: the runfiles tree (//models:converted is a data dependency); else the checkout.
MODELS_DIR = Path(__file__).absolute().parents[3] / "models" / "converted"
PREFIX = "seq_"
MODELS = sorted(p.stem for p in MODELS_DIR.glob(f"{PREFIX}*.tflite"))
SEEDS = (0, 1, 2)
STATEFUL_STEPS = 4
FLOAT_TOLERANCE = 1e-4

# Inputs that are not free-form numbers: token ids index the models' embedding tables.
INPUT_RANGES = {"seq_text_transformer": (0, 64), "seq_text_classifier": (0, 100), "seq_masked_text": (0, 40)}

# Models refused today, with what stops them. A model listed here must still be refused with one
# clear UnsupportedError line naming the model, so this list shrinks as support lands.
NOT_YET_SUPPORTED: dict[str, str] = {
    "seq_log_mel_float32": "tf.signal.stft: RFFT2D with COMPLEX64 tensors (and COMPLEX_ABS)",
}


def _inputs(name: str, model: bytes, seed: int) -> list[np.ndarray]:
    inputs = random_inputs(model, seed)
    family = name.rsplit("_", 1)[0]
    if family in INPUT_RANGES:
        low, high = INPUT_RANGES[family]
        rng = np.random.default_rng([seed, 99])
        inputs = [rng.integers(low, high, size=x.shape).astype(x.dtype) for x in inputs]
    return inputs


def test_the_sequence_models_are_there() -> None:
    assert len(MODELS) >= 40, f"expected the converted sequence models in {MODELS_DIR}"
    assert sorted(set(NOT_YET_SUPPORTED) - set(MODELS)) == []


@pytest.mark.parametrize("name", MODELS)
def test_converted_sequence_model(name: str, tmp_path: Path) -> None:
    model = (MODELS_DIR / f"{name}.tflite").read_bytes()
    if name in NOT_YET_SUPPORTED:
        with pytest.raises(UnsupportedError) as info:
            compile_model(model, f"{name}.tflite")
        message = str(info.value)
        assert message.startswith(f"{name}.tflite: ") and "\n" not in message
        return
    host = build(model, tmp_path, source_name=f"{name}.tflite")
    for seed in SEEDS:
        if host.stateful:
            sequence = [_inputs(name, model, seed * 100 + step) for step in range(STATEFUL_STEPS)]
            expected_steps = run_reference_sequence(model, sequence)
            actual_steps = host.run_sequence(sequence)
        else:
            inputs = _inputs(name, model, seed)
            expected_steps, actual_steps = [run_reference(model, inputs)], [host.run(inputs)]
        for step, (expected, actual) in enumerate(zip(expected_steps, actual_steps)):
            for k, (ours, theirs) in enumerate(zip(actual, expected)):
                message = f"{name}: seed {seed}, invocation {step}, output {k}"
                assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, message
                if theirs.dtype.kind == "f":
                    np.testing.assert_allclose(ours, theirs, rtol=FLOAT_TOLERANCE, atol=FLOAT_TOLERANCE, err_msg=message)
                else:
                    np.testing.assert_array_equal(ours, theirs, err_msg=message)
