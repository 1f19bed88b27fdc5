"""The C front end on the real recordings of ../shared/audio against TensorFlow's features
(`kws_features.npz`: tf.signal 2.21 on x86-64), and the trained MLPerf Tiny DS-CNN's answer on them.

CI-only data: $MICROTVM_SHARED_AUDIO and $MICROTVM_SHARED_MODELS (`.ci/run` passes them), else
`../shared/{audio,models}` beside the checkout. Missing data fails the tests when they were asked
for explicitly (either variable set, or under Bazel, where the target is "manual"); a plain
`pytest` run without the data skips them.

Required, per clip and per variant (float32 mfcc_f32.c, fixed point mfcc_fixed.c):
- MFCC: |c - tf| <= 2e-4 * max(1, |tf|) (measured on x86-64 gcc: float32 at most 5.7e-5, fixed
  point at most 2.8e-5);
- int8 features: equal to the reference's, except at most MAX_CELLS_OFF cells of the 490 off by
  exactly one (a value within float rounding of a .5 step can round either way; measured: none);
- top class: the model (LiteRT reference kernels) on our int8 features gives the same class as on
  the reference features, which is the class ../shared/audio/README.md's table lists.
"""

from __future__ import annotations

import os
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).absolute().parent))  # mfcc_host beside this file (Bazel: runfiles)
import mfcc_host  # noqa: E402

TOL = 2e-4
MAX_CELLS_OFF = 2
SCALE, ZERO_POINT = 0.584703, 83
LABELS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown")
# ../shared/audio/README.md's table.
EXPECTED = {"yes_1000ms": "yes", "no_1000ms": "go", "noise_1000ms": "unknown", "silence_1000ms": "unknown"}


def _shared(kind: str) -> Path:
    configured = os.environ.get(f"MICROTVM_SHARED_{kind.upper()}")
    if configured:
        return Path(configured)
    here = Path(__file__)
    for p in (here.absolute(), here.resolve()):
        candidate = p.parents[2].parent / "shared" / kind
        if candidate.is_dir():
            return candidate
    return Path("/nonexistent/shared") / kind


AUDIO, MODELS = _shared("audio"), _shared("models")
_MISSING = [str(p) for p in (AUDIO / "kws_features.npz", MODELS / "kws_ref_model.tflite") if not p.is_file()]
_REQUIRED = any(os.environ.get(v) for v in ("MICROTVM_SHARED_AUDIO", "MICROTVM_SHARED_MODELS", "TEST_SRCDIR"))


@pytest.fixture(autouse=True)
def _data_present() -> None:
    if _MISSING:
        message = f"the CI-only data is missing: {', '.join(_MISSING)}"
        if _REQUIRED:
            pytest.fail(message + " (set MICROTVM_SHARED_AUDIO and MICROTVM_SHARED_MODELS to its directories)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mfcc_host.build(tmp_path_factory.mktemp("mfcc"))


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def _top_class(features: np.ndarray) -> tuple[str, np.ndarray]:
    from microtvm_testing.reference import run_reference

    model = (MODELS / "kws_ref_model.tflite").read_bytes()
    (scores,) = run_reference(model, [features.reshape(1, 49, 10, 1)])
    return LABELS[int(np.argmax(scores))], scores


@pytest.mark.parametrize("variant", ["f32", "fixed"])
@pytest.mark.parametrize("clip", list(EXPECTED))
def test_recording(exe: Path, clip: str, variant: str) -> None:
    reference = np.load(AUDIO / "kws_features.npz")
    mfcc, q = mfcc_host.run(exe, _read_wav(AUDIO / f"{clip}.wav"), SCALE, ZERO_POINT, variant)
    ref_mfcc, ref_q = reference[f"{clip}_mfcc_float32"], reference[f"{clip}_int8"]
    assert mfcc.shape == ref_mfcc.shape == (49, 10)

    err = np.abs(mfcc - ref_mfcc) / np.maximum(1.0, np.abs(ref_mfcc))
    assert err.max() <= TOL, f"{clip}: MFCC error {err.max():.2e} at {np.unravel_index(err.argmax(), err.shape)}"

    diff = np.abs(q.astype(int) - ref_q.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= MAX_CELLS_OFF, (
        f"{clip}: {np.count_nonzero(diff)} int8 cells differ, by up to {diff.max()}"
    )
    print(f"{clip} {variant}: max MFCC error {err.max():.2e}, int8 cells off {np.count_nonzero(diff)}")

    ours, scores = _top_class(q)
    theirs, _ = _top_class(ref_q)
    assert ours == theirs == EXPECTED[clip], f"{clip}: ours {ours}, reference {theirs}, README {EXPECTED[clip]}"
