"""The fixed-point helpers: Python twin (quant.py) against the C header (mtvm/quant.h).

Both must reproduce TFLite's QuantizeMultiplier / MultiplyByQuantizedMultiplier exactly; the C
side is compiled with sanitizers so that no shift or overflow is undefined behaviour.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from microtvm import quant

RUNTIME_INCLUDE = Path(__file__).resolve().parents[3] / "runtime" / "include"


def test_quantize_multiplier_known_values() -> None:
    # 0.5 is exactly 2^30 * 2^-31 * 2^0; 1.0 needs one more shift; tiny values underflow to 0.
    assert quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert quant.quantize_multiplier(1.0) == (1 << 30, 1)
    assert quant.quantize_multiplier(0.25) == (1 << 30, -1)
    assert quant.quantize_multiplier(0.0) == (0, 0)
    assert quant.quantize_multiplier(1e-12) == (0, 0)
    # Rounds the mantissa half away from zero; a mantissa rounding up to 2^31 renormalises.
    assert quant.quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)


def test_rounding_is_half_away_from_zero() -> None:
    assert quant.rounding_divide_by_pot(5, 1) == 3
    assert quant.rounding_divide_by_pot(-5, 1) == -3
    assert quant.rounding_divide_by_pot(-6, 2) == -2
    assert quant.saturating_rounding_doubling_high_mul(quant.INT32_MIN, quant.INT32_MIN) == quant.INT32_MAX


def test_multiply_by_quantized_multiplier_matches_real_arithmetic() -> None:
    rng = np.random.default_rng(0)
    for real in rng.uniform(1e-4, 4.0, size=200):
        multiplier, shift = quant.quantize_multiplier(float(real))
        for x in rng.integers(-(1 << 20), 1 << 20, size=20):
            got = quant.multiply_by_quantized_multiplier(int(x), multiplier, shift)
            assert abs(got - float(x) * real) <= 1.0 + abs(float(x) * real) * 1e-6


def test_c_header_matches_python(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    cases = []
    for real in np.concatenate([rng.uniform(1e-5, 1.0, 150), rng.uniform(1.0, 100.0, 50)]):
        multiplier, shift = quant.quantize_multiplier(float(real))
        for x in rng.integers(-(1 << 31), (1 << 31) - 1, size=5, dtype=np.int64):
            x = int(x)
            cases.append((x, multiplier, shift))
    cases += [(quant.INT32_MIN, quant.INT32_MIN, 0), (-1, 1 << 30, -31), (1 << 30, (1 << 31) - 1, 0)]
    source = tmp_path / "check.c"
    source.write_text(
        "#include <stdio.h>\n#include \"mtvm/quant.h\"\n"
        "static const int64_t cases[][3] = {\n"
        + "".join(f"  {{{x}LL, {m}LL, {s}}},\n" for x, m, s in cases)
        + "};\nint main(void) {\n"
        "  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {\n"
        "    printf(\"%ld\\n\", (long)mtvm_multiply_by_quantized_multiplier(\n"
        "        (int32_t)cases[i][0], (int32_t)cases[i][1], (int)cases[i][2]));\n"
        "  }\n  return 0;\n}\n"
    )
    binary = tmp_path / "check"
    compiler = os.environ.get("CC", "gcc")
    subprocess.run(
        [compiler, "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
         "-fno-sanitize-recover=all", "-I", str(RUNTIME_INCLUDE), str(source), "-o", str(binary)],
        check=True,
    )
    output = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout.split()
    expected = [quant.multiply_by_quantized_multiplier(x, m, s) for x, m, s in cases]
    assert [int(v) for v in output] == expected


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
