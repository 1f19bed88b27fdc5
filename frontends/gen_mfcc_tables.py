"""Writes src/mfcc_tables.c and src/mfcc_fixed_tables.c: the constant tables of the MLPerf Tiny
keyword-spotting front end, float32 (mfcc_f32.c) and fixed point (mfcc_fixed.c).

    python3 frontends/gen_mfcc_tables.py            # rewrite both files
    python3 frontends/gen_mfcc_tables.py --check    # exit 1 if a committed file differs

Every table is computed here, once, the way TensorFlow's tf.signal computes it for the training
pipeline (float32 arithmetic where tf.signal uses float32), so the firmware needs no sin, cos or
log at start-up and keeps no state:

- window: periodic Hann window of 480 samples, 0.5 - 0.5 cos(2 pi n / 480), times 1/32768 (the
  int16 -> [-1, 1) scaling of tf.audio.decode_wav, a power of two: exact in float);
- twiddle: cos and sin of 2 pi k / 512 for k < 256 (the 256-point complex FFT uses every second
  one, the real-FFT split step all of them);
- mel: tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20, 4000) (HTK mel scale
  1127 ln(1 + f / 700), triangles between 42 equally spaced mel edges, the DC bin zeroed), stored
  sparsely: every band's first FFT bin, bin count and weights;
- dct: tf.signal.mfccs_from_log_mel_spectrograms' scaled DCT-II, first 10 rows:
  dct[k][n] = 2 cos(pi k (2 n + 1) / 80) / sqrt(2 * 40).

The fixed-point tables are the same values rounded to integers: window Q30 (without the 1/32768:
mfcc_fixed.c keeps its own exponent), twiddles Q30, mel weights Q16, DCT Q30, and
log2(1 + i / 256) for i = 0..256 in Q30 (the logarithm's interpolation table).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

FRAME_LENGTH = 480
FFT_LENGTH = 512
SAMPLE_RATE = 16000
NUM_MEL = 40
LOWER_HZ = 20.0
UPPER_HZ = 4000.0
NUM_COEFFS = 10
OUTPUT = Path(__file__).resolve().parent / "src" / "mfcc_tables.c"
OUTPUT_FIXED = Path(__file__).resolve().parent / "src" / "mfcc_fixed_tables.c"
LOG2_TABLE_BITS = 8


def _f(x: float) -> str:
    """A float32 value as a C literal that reads back to the same float32."""
    v = float(np.float32(x))
    text = f"{v:.9g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return np.float32(1127.0) * np.log1p(hz / np.float32(700.0))


def mel_matrix() -> np.ndarray:
    """[257, 40] float32, as tf.signal.linear_to_mel_weight_matrix computes it in float32."""
    bins = FFT_LENGTH // 2 + 1
    freqs = np.linspace(0.0, SAMPLE_RATE / 2.0, bins, dtype=np.float32)[1:]
    spec_mel = _hz_to_mel(freqs)[:, None]
    edges = np.linspace(_hz_to_mel(np.float32(LOWER_HZ)), _hz_to_mel(np.float32(UPPER_HZ)), NUM_MEL + 2).astype(
        np.float32
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    lower_slopes = (spec_mel - lower) / (center - lower)
    upper_slopes = (upper - spec_mel) / (upper - center)
    weights = np.maximum(np.float32(0.0), np.minimum(lower_slopes, upper_slopes)).astype(np.float32)
    return np.vstack([np.zeros((1, NUM_MEL), np.float32), weights])


def _array(ctype: str, name: str, values: list[str], per_line: int = 6) -> str:
    lines = [f"const {ctype} {name}[{len(values)}] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + " ".join(v + "," for v in values[i : i + per_line]))
    lines.append("};")
    return "\n".join(lines) + "\n"


def _tables() -> dict[str, np.ndarray]:
    """Every table in float64 (the mel weights: float32, as tf.signal computes them)."""
    n = np.arange(FRAME_LENGTH, dtype=np.float64)
    k = np.arange(FFT_LENGTH // 2, dtype=np.float64)
    kk = np.arange(NUM_COEFFS, dtype=np.float64)[:, None]
    nn = np.arange(NUM_MEL, dtype=np.float64)[None, :]
    return {
        "hann": 0.5 - 0.5 * np.cos(2.0 * np.pi * n / FRAME_LENGTH),
        "cos": np.cos(2.0 * np.pi * k / FFT_LENGTH),
        "sin": np.sin(2.0 * np.pi * k / FFT_LENGTH),
        "mel": mel_matrix(),
        "dct": 2.0 * np.cos(np.pi * kk * (2.0 * nn + 1.0) / (2.0 * NUM_MEL)) / np.sqrt(2.0 * NUM_MEL),
    }


def mel_bands() -> tuple[list[int], list[int], list[int], list[float]]:
    """The mel matrix, sparse: (first bin, bin count, offset into the weights, weights) per band."""
    mel = mel_matrix()
    starts, counts, weights = [], [], []
    for band in range(NUM_MEL):
        nz = np.nonzero(mel[:, band])[0]
        first, last = int(nz[0]), int(nz[-1])
        starts.append(first)
        counts.append(last - first + 1)
        weights.extend(float(w) for w in mel[first : last + 1, band])
    offsets = [int(o) for o in np.concatenate([[0], np.cumsum(counts)[:-1]])]
    return starts, counts, offsets, weights


def _q(values: np.ndarray, bits: int) -> list[str]:
    """Rounded to integers with `bits` fraction bits (half away from zero), as C literals."""
    scaled = np.asarray(values, dtype=np.float64) * float(1 << bits)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    assert np.all(np.abs(rounded) < 2**31)
    return [str(int(v)) for v in rounded]


def _header(include: str) -> list[str]:
    return [
        "/* Generated by frontends/gen_mfcc_tables.py: do not edit (see that script for the derivation). */\n",
        f'#include "{include}"\n\n/* clang-format off */',
    ]


def render() -> str:
    t = _tables()
    starts, counts, offsets, weights = mel_bands()
    parts = _header("mfcc_tables.h") + [
        _array("float", "mtvm_mfcc_window", [_f(v) for v in t["hann"] / 32768.0]),
        _array("float", "mtvm_mfcc_cos", [_f(v) for v in t["cos"]]),
        _array("float", "mtvm_mfcc_sin", [_f(v) for v in t["sin"]]),
        _array("uint16_t", "mtvm_mfcc_mel_first_bin", [str(s) for s in starts], 10),
        _array("uint16_t", "mtvm_mfcc_mel_num_bins", [str(c) for c in counts], 10),
        _array("uint16_t", "mtvm_mfcc_mel_offset", [str(o) for o in offsets], 10),
        _array("float", "mtvm_mfcc_mel_weights", [_f(w) for w in weights]),
        _array("float", "mtvm_mfcc_dct", [_f(v) for v in t["dct"].ravel()]),
        "/* clang-format on */\n",
    ]
    return "\n".join(parts)


def render_fixed() -> str:
    t = _tables()
    _, _, _, weights = mel_bands()
    log2 = np.log2(1.0 + np.arange((1 << LOG2_TABLE_BITS) + 1, dtype=np.float64) / (1 << LOG2_TABLE_BITS))
    parts = _header("mfcc_tables.h") + [
        _array("int32_t", "mtvm_mfcc_window_q30", _q(t["hann"], 30)),
        _array("int32_t", "mtvm_mfcc_cos_q30", _q(t["cos"], 30)),
        _array("int32_t", "mtvm_mfcc_sin_q30", _q(t["sin"], 30)),
        _array("uint32_t", "mtvm_mfcc_mel_weights_q16", _q(np.array(weights), 16)),
        _array("int32_t", "mtvm_mfcc_dct_q30", _q(t["dct"].ravel(), 30)),
        _array("int32_t", "mtvm_mfcc_log2_q30", _q(log2, 30)),
        "/* clang-format on */\n",
    ]
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args()
    stale = []
    for path, text in ((OUTPUT, render()), (OUTPUT_FIXED, render_fixed())):
        if args.check:
            if path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
    for path in stale:
        print(f"{path} is out of date: run python3 frontends/gen_mfcc_tables.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
