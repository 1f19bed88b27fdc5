"""The C keyword-spotting front end (frontends/src/mfcc_f32.c and mfcc_fixed.c) on synthetic audio,
against a float64 numpy model of the same pipeline; the generated tables against their generator.

Tolerance on the MFCC, for both variants: |c - ref| <= tol * max(1, |ref|) with tol = 2e-4 for
broadband signals (noise; measured: 7e-6 for both) and 2e-2 for pure tones and DC (measured:
float32 1.9e-3, fixed point 9e-4). Tones leave mel bands 100 dB and more below the peak, where the
arithmetic's rounding noise (float32's 24-bit mantissas; fixed point's 29-bit blocks) is all a
band holds, and log(x + 1e-6) magnifies it (still 1/30 of an int8 step at the model's input scale).
The recordings against TensorFlow's features are test_mfcc_shared.py (CI-only data).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).absolute().parent))  # mfcc_host beside this file (Bazel: runfiles)
import mfcc_host  # noqa: E402

TOL = 2e-4
TOL_NARROWBAND = 2e-2
VARIANTS = ("f32", "fixed")
NARROWBAND = ("tone_440", "tone_3999_full_scale", "dc_min")
SCALE, ZERO_POINT = 0.584703, 83  # kws_ref_model.tflite's input


@pytest.fixture(scope="module")
def exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mfcc_host.build(tmp_path_factory.mktemp("mfcc"))


def _signals() -> dict[str, np.ndarray]:
    t = np.arange(16000) / 16000.0
    out = {
        "zeros": np.zeros(16000, np.int16),
        "tone_440": (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16),
        "tone_3999_full_scale": (32767 * np.sin(2 * np.pi * 3999 * t)).astype(np.int16),
        "dc_min": np.full(16000, -32768, np.int16),
        "one_frame": np.random.default_rng(7).integers(-3000, 3000, 480).astype(np.int16),
        "two_frames_and_a_bit": np.random.default_rng(8).integers(-3000, 3000, 900).astype(np.int16),
    }
    for seed in range(3):
        out[f"noise_seed{seed}"] = np.random.default_rng(seed).integers(-32768, 32768, 16000).astype(np.int16)
    return out


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", list(_signals()))
def test_matches_float64_model(exe: Path, name: str, variant: str) -> None:
    samples = _signals()[name]
    mfcc, q = mfcc_host.run(exe, samples, SCALE, ZERO_POINT, variant)
    ref = mfcc_host.reference_mfcc(samples)
    assert mfcc.shape == ref.shape == ((len(samples) - 480) // 320 + 1, 10)
    err = np.abs(mfcc - ref) / np.maximum(1.0, np.abs(ref))
    tol = TOL_NARROWBAND if name in NARROWBAND else TOL
    assert err.max() <= tol, f"{name}: max scaled error {err.max():.2e} at {np.unravel_index(err.argmax(), err.shape)}"
    # mtvm_mfcc_s8(_fixed) quantizes exactly what mtvm_mfcc_f32 (mtvm_mfcc_fixed) computed.
    np.testing.assert_array_equal(q, mfcc_host.quantize(mfcc, SCALE, ZERO_POINT))


@pytest.mark.parametrize("variant", VARIANTS)
def test_fewer_samples_than_a_frame(exe: Path, variant: str) -> None:
    mfcc, q = mfcc_host.run(exe, np.ones(479, np.int16), SCALE, ZERO_POINT, variant)
    assert mfcc.shape == (0, 10) and q.shape == (0, 10)


@pytest.mark.parametrize("variant", VARIANTS)
def test_quiet_and_full_scale(exe: Path, variant: str) -> None:
    """The fixed-point frame normalization at both ends: +-1 LSB noise and full-scale square waves."""
    rng = np.random.default_rng(5)
    for samples in (
        rng.integers(-1, 2, 4000).astype(np.int16),
        np.where(rng.random(4000) < 0.5, -32768, 32767).astype(np.int16),
    ):
        mfcc, _ = mfcc_host.run(exe, samples, SCALE, ZERO_POINT, variant)
        ref = mfcc_host.reference_mfcc(samples)
        assert (np.abs(mfcc - ref) / np.maximum(1.0, np.abs(ref))).max() <= TOL


def test_quantization_rounds_half_away_and_saturates(exe: Path) -> None:
    # Zeros give log(1e-6) in every band: c0 = 2 * 40 * ln(1e-6) / sqrt(80) = -123.6, far below
    # -128 * scale, so it saturates to -128 with a zero point of 0; the other coefficients are 0.
    mfcc, q = mfcc_host.run(exe, np.zeros(480, np.int16), 0.5, 0)
    assert q[0, 0] == -128 and np.all(q[0, 1:] == 0)
    _, q = mfcc_host.run(exe, np.zeros(480, np.int16), 0.01, -20)
    assert q[0, 0] == -128
    _, q = mfcc_host.run(exe, np.zeros(480, np.int16), 1000.0, 100)
    assert q[0, 0] == 100 and np.all(q[0, 1:] == 100)
    np.testing.assert_array_equal(
        mfcc_host.quantize(np.array([2.5, -2.5, 1.5, 300.0, -300.0]), 1.0, 0), [3, -3, 2, 127, -128]
    )


def test_tables_are_generated() -> None:
    gen = mfcc_host.gen_mfcc_tables
    for name, generated in (("mfcc_tables.c", gen.render()), ("mfcc_fixed_tables.c", gen.render_fixed())):
        committed = (mfcc_host.FRONTENDS / "src" / name).read_text()
        assert committed == generated, f"frontends/src/{name} is stale: run python3 frontends/gen_mfcc_tables.py"
