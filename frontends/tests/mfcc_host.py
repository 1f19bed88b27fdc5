"""Builds frontends/ for the host (gcc, -Wall -Wextra -Werror, ASan/UBSan) and runs it; a float64
numpy model of the same pipeline for the tests."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

FRONTENDS = Path(__file__).resolve().parent.parent
if not (FRONTENDS / "src" / "mfcc_f32.c").is_file():  # Bazel: __file__ is a runfiles symlink
    FRONTENDS = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(FRONTENDS))

import gen_mfcc_tables  # noqa: E402

CFLAGS = [
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wconversion",
    "-Wdouble-promotion",
    "-O1",
    "-g",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
]
NUM_COEFFS = gen_mfcc_tables.NUM_COEFFS


def build(workdir: Path) -> Path:
    """The host driver tests/mfcc_main.c linked with the front end."""
    cc = shlex.split(os.environ.get("CC") or "gcc")
    exe = workdir / "mfcc"
    sources = [
        FRONTENDS / "src" / name for name in ("mfcc_f32.c", "mfcc_tables.c", "mfcc_fixed.c", "mfcc_fixed_tables.c")
    ] + [FRONTENDS / "tests" / "mfcc_main.c"]
    subprocess.run([*cc, *CFLAGS, f"-I{FRONTENDS / 'include'}", *map(str, sources), "-lm", "-o", str(exe)], check=True)
    return exe


def run(
    exe: Path, samples: np.ndarray, scale: float, zero_point: int, variant: str = "f32"
) -> tuple[np.ndarray, np.ndarray]:
    """(MFCC as float32 [frames, 10], int8 features [frames, 10]) of int16 samples; variant "f32" or
    "fixed" (its Q24 MFCC converted to float)."""
    out = subprocess.run(
        [str(exe), repr(scale), str(zero_point), variant],
        input=samples.astype("<i2").tobytes(),
        capture_output=True,
        check=True,
    ).stdout
    frames = len(out) // (5 * NUM_COEFFS)
    mfcc = np.frombuffer(out[: frames * NUM_COEFFS * 4], np.float32).reshape(frames, NUM_COEFFS)
    q = np.frombuffer(out[frames * NUM_COEFFS * 4 :], np.int8).reshape(frames, NUM_COEFFS)
    return mfcc, q


def reference_mfcc(samples: np.ndarray) -> np.ndarray:
    """The pipeline of mtvm/mfcc.h in float64 with numpy's FFT (tables from gen_mfcc_tables)."""
    g = gen_mfcc_tables
    x = samples.astype(np.float64) / 32768.0
    frames = 0 if len(x) < g.FRAME_LENGTH else (len(x) - g.FRAME_LENGTH) // 320 + 1
    n = np.arange(g.FRAME_LENGTH)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / g.FRAME_LENGTH)
    framed = np.stack([x[i * 320 : i * 320 + g.FRAME_LENGTH] * window for i in range(frames)]).reshape(frames, -1)
    magnitude = np.abs(np.fft.rfft(framed, g.FFT_LENGTH)) if frames else np.zeros((0, g.FFT_LENGTH // 2 + 1))
    log_mel = np.log(magnitude @ g.mel_matrix().astype(np.float64) + 1e-6)
    k = np.arange(NUM_COEFFS)[:, None]
    m = np.arange(g.NUM_MEL)[None, :]
    dct = 2 * np.cos(np.pi * k * (2 * m + 1) / (2 * g.NUM_MEL)) / np.sqrt(2 * g.NUM_MEL)
    return log_mel @ dct.T


def quantize(features: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """round-half-away-from-zero(x / scale) + zero point, clamped to int8 (float32 division)."""
    q = features.astype(np.float32) / np.float32(scale)
    q = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5))
    return np.clip(q + zero_point, -128, 127).astype(np.int8)
