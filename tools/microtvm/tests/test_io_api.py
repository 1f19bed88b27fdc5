"""The header's per-I/O interface: dtype/shape/quantization macros, the static inline
quantize/dequantize helpers (bit-exact with LiteRT's reference QUANTIZE and DEQUANTIZE, built
with -Wall -Wextra -Werror and ASan/UBSan), input/output renaming, and `inspect`'s listing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from microtvm.cli import main
from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UserError
from microtvm_testing import host
from microtvm_testing.reference import run_reference
from microtvm_testing.tflite_writer import TensorSpec, single_op_model

# (dtype, scale, zero point): power-of-two scales make real / scale exact, so that exact ties
# (k + 0.5) reach the rounding; the others are typical converter scales.
CASES = [
    ("int8", 0.25, -3),
    ("int8", 2.0**-7, -128),
    ("int8", 0.0235294122, 12),
    ("int8", 1.0, 0),
    ("uint8", 0.5, 128),
    ("uint8", 0.00390625, 0),
    ("uint8", 0.0117647061, 77),
    ("int16", 2.0**-12, 0),
    ("int16", 3.0517578e-05, 0),
    ("int16", 0.125, 0),  # TFLite's int16 quantization is symmetric (zero point 0)
]
_LIMITS = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _values(dtype: str, scale: float, zero_point: int) -> np.ndarray:
    """Reals around and beyond the representable range: random ones, exact ties, near-ties,
    signed zeros, tiny values and saturating ones (with |real / scale| < 2^30, where TFLite's own
    conversion to int32 is defined)."""
    rng = np.random.default_rng(7)
    low, high = _LIMITS[dtype]
    span = (high - low) * scale
    k = np.arange(low - zero_point - 3, high - zero_point + 3, dtype=np.float64)
    step = np.float32(scale)
    ties = (k + 0.5) * scale
    values = [
        rng.uniform(-1.5 * span, 1.5 * span, 3000),
        rng.normal(0.0, span / 8, 1000),
        ties,
        np.nextafter(ties.astype(np.float32), np.float32(np.inf)),
        np.nextafter(ties.astype(np.float32), np.float32(-np.inf)),
        k * scale,
        [0.0, -0.0, 1e-30, -1e-30, 1e-42, -1e-42, float(step) / 2, -float(step) / 2],
        [span * 100, -span * 100, float(step) * 2.0**29, -float(step) * 2.0**29],
    ]
    return np.concatenate([np.asarray(v, np.float64) for v in values]).astype(np.float32)


def _header(model: bytes, module: str, **options) -> tuple[str, dict[str, bytes]]:
    files = compile_model(model, f"{module}.tflite", CompileOptions(module_name=module, **options))
    return files[f"codegen/host/include/tvmgen_{module}.h"].decode(), files


def _hex(value: np.float32) -> str:
    return float(value).hex() + "f" if np.isfinite(value) else "0.0f"


def _run_c(tmp_path: Path, headers: dict[str, str], body: str) -> str:
    for name, text in headers.items():
        (tmp_path / name).write_text(text)
    source = tmp_path / "check.c"
    includes = "".join(f'#include "{name}"\n' for name in headers)
    source.write_text(
        "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n"
        + includes
        + "int main(void) {\n"
        + body
        + "  return 0;\n}\n"
    )
    exe = tmp_path / "check"
    command = [*host.c_compiler(), *host.c_flags(), "-pedantic", f"-I{tmp_path}", str(source), "-o", str(exe)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True, env={**host._RUN_ENV}).stdout


def test_helpers_match_litert_quantize_and_dequantize(tmp_path: Path) -> None:
    headers: dict[str, str] = {}
    body = []
    expected_q: list[np.ndarray] = []
    expected_dq: list[np.ndarray] = []
    for n, (dtype, scale, zero_point) in enumerate(CASES):
        values = _values(dtype, scale, zero_point)
        low, high = _LIMITS[dtype]
        codes = np.arange(low, high + 1).astype(dtype)
        # QUANTIZE (float -> q) is LiteRT's side of the input helper: our header for a model
        # whose input is q has tvmgen_<m>_quantize_<input>; DEQUANTIZE's is the output helper's.
        quantize = single_op_model(
            "QUANTIZE",
            [TensorSpec([len(values)], "float32")],
            [TensorSpec([len(values)], dtype, scale=scale, zero_point=zero_point)],
        )
        dequantize = single_op_model(
            "DEQUANTIZE",
            [TensorSpec([len(codes)], dtype, scale=scale, zero_point=zero_point)],
            [TensorSpec([len(codes)], "float32")],
        )
        module_in, module_out = f"qin{n}", f"qout{n}"
        headers[f"tvmgen_{module_in}.h"], _ = _header(dequantize, module_in, input_names=("x",))
        headers[f"tvmgen_{module_out}.h"], _ = _header(quantize, module_out, output_names=("y",))
        assert f"#define TVMGEN_QIN{n}_X_ZERO_POINT" in headers[f"tvmgen_{module_in}.h"]
        expected_q.append(run_reference(quantize, [values])[0])
        expected_dq.append(run_reference(dequantize, [codes])[0].astype(np.float32))

        c_type = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t"}[dtype]
        body.append(f"  {{ static const float v[] = {{{', '.join(_hex(v) for v in values)}}};\n")
        body.append(
            "    for (size_t i = 0; i < sizeof v / sizeof v[0]; ++i)\n"
            f'      printf("%d\\n", (int)tvmgen_{module_in}_quantize_x(v[i]));\n'
        )
        body.append(f"    for (int32_t c = {low}; c <= {high}; ++c) {{\n")
        body.append(
            f"      float r = tvmgen_{module_out}_dequantize_y(({c_type})c); uint32_t bits; memcpy(&bits, &r, 4);\n"
        )
        body.append('      printf("%u\\n", (unsigned)bits);\n    }\n  }\n')
    lines = iter(_run_c(tmp_path, headers, "".join(body)).split())
    for (dtype, scale, zero_point), q_ref, dq_ref in zip(CASES, expected_q, expected_dq):
        got_q = np.array([int(next(lines)) for _ in q_ref])
        bad = np.nonzero(got_q != q_ref.astype(np.int64))[0]
        assert bad.size == 0, (
            f"{dtype} scale {scale} zp {zero_point}: quantize differs at {_values(dtype, scale, zero_point)[bad[:5]]}"
        )
        got_dq = np.array([int(next(lines)) for _ in dq_ref], np.uint32)
        assert np.array_equal(got_dq, dq_ref.view(np.uint32)), f"{dtype} scale {scale}: dequantize differs"


def test_nan_and_infinities_saturate(tmp_path: Path) -> None:
    q = TensorSpec([1], "int8", scale=0.5, zero_point=3)
    header, _ = _header(single_op_model("DEQUANTIZE", [q], [TensorSpec([1], "float32")]), "m", input_names=("x",))
    body = (
        "  volatile float zero = 0.0f;\n"
        '  printf("%d %d %d\\n", tvmgen_m_quantize_x(zero / zero), tvmgen_m_quantize_x(1.0f / zero), '
        "tvmgen_m_quantize_x(-1.0f / zero));\n"
    )
    assert _run_c(tmp_path, {"tvmgen_m.h": header}, body).split() == ["-128", "127", "-128"]


def test_macros_describe_every_io() -> None:
    model = single_op_model(
        "ADD",
        [
            TensorSpec([1, 2, 3], "int8", scale=0.5, zero_point=-1),
            TensorSpec([1, 2, 3], "int8", scale=0.25, zero_point=2),
        ],
        [TensorSpec([1, 2, 3], "int8", scale=0.75, zero_point=0)],
    )
    header, _ = _header(model, "add")
    assert '#define TVMGEN_ADD_INPUT_0_DTYPE "int8"' in header
    assert "#define TVMGEN_ADD_INPUT_0_NDIM 3" in header
    assert "#define TVMGEN_ADD_INPUT_0_SHAPE {1, 2, 3}" in header
    assert "#define TVMGEN_ADD_INPUT_0_SCALE 0.5f" in header
    assert "#define TVMGEN_ADD_INPUT_0_ZERO_POINT (-1)" in header
    assert "#define TVMGEN_ADD_INPUT_1_ZERO_POINT 2" in header
    assert "#define TVMGEN_ADD_OUTPUT_0_SCALE 0.75f" in header
    assert "static inline int8_t tvmgen_add_quantize_input_0(float real)" in header
    assert "static inline int8_t tvmgen_add_quantize_input_1(float real)" in header
    assert "static inline float tvmgen_add_dequantize_output_0(int8_t value)" in header

    floats = single_op_model(
        "ADD", [TensorSpec([4], "float32"), TensorSpec([4], "float32")], [TensorSpec([4], "float32")]
    )
    header, _ = _header(floats, "f")
    assert '#define TVMGEN_F_INPUT_0_DTYPE "float32"' in header and "#define TVMGEN_F_INPUT_0_SHAPE {4}" in header
    assert "_SCALE" not in header and "quantize_" not in header


def test_renamed_io_run_and_keep_the_model_names(tmp_path: Path) -> None:
    model = single_op_model(
        "ADD",
        [
            TensorSpec([1, 4], "int8", scale=0.5, zero_point=-1, name="serving_default_dense_input:0"),
            TensorSpec([1, 4], "int8", scale=0.25, zero_point=2, name="serving_default_other:0"),
        ],
        [TensorSpec([1, 4], "int8", scale=0.75, zero_point=0, name="StatefulPartitionedCall:0")],
    )
    options = dict(input_names=("audio", "gain"), output_names=("score",))
    header, files = _header(model, "kws", **options)
    assert "void* audio;" in header and "void* gain;" in header and "void* score;" in header
    assert "#define TVMGEN_KWS_AUDIO_SIZE 4" in header and "tvmgen_kws_dequantize_score(" in header
    assert "serving_default_dense_input" not in header.split("struct tvmgen_kws_inputs")[1].split("void*")[1]
    assert b'"serving_default_dense_input:0"' in files["codegen/host/src/kws_lib0.c"]  # metadata: the model's name
    host.assert_matches_reference(model, seeds=(0, 1, 2), workdir=tmp_path, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(input_names=("a", "b", "c")), "gives 3 name(s) for the model's 2 input(s)"),
        (dict(input_names=("a", "2b")), "'2b' is not a C identifier"),
        (dict(input_names=("a", "int")), "'int' is not a C identifier (or is a C keyword)"),
        (dict(input_names=("a", "a-b")), "'a-b' is not a C identifier"),
        (dict(input_names=("x", "X")), "'X' and 'x' are the same name"),
        (dict(input_names=("a", "b"), output_names=("A",)), "'A' and 'a' are the same name"),
        (dict(input_names=("workspace", "b")), "'workspace' is reserved"),
        (dict(output_names=("input_0",)), "'input_0' is used twice"),
    ],
)
def test_bad_names_are_refused(options: dict, message: str) -> None:
    model = single_op_model(
        "ADD", [TensorSpec([4], "float32"), TensorSpec([4], "float32")], [TensorSpec([4], "float32")]
    )
    with pytest.raises(UserError) as error:
        compile_model(model, "m.tflite", CompileOptions(module_name="m", **options))
    assert message in str(error.value)


def test_cli_flags_and_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = single_op_model(
        "ADD",
        [TensorSpec([1, 4], "int8", scale=0.5, zero_point=-1), TensorSpec([1, 4], "int8", scale=0.25, zero_point=2)],
        [TensorSpec([1, 4], "int8", scale=0.75, zero_point=0)],
    )
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    flags = ["--module-name", "m", "--input-names", "a,b", "--output-names", "y"]
    assert main(["inspect", str(path), *flags]) == 0
    out = capsys.readouterr().out
    assert "input a: int8[1, 4], scale 0.5, zero point -1; tvmgen_m_quantize_a()" in out
    assert "output y: int8[1, 4], scale 0.75, zero point 0; tvmgen_m_dequantize_y()" in out
    assert main(["compile", str(path), "-o", str(tmp_path / "out"), *flags]) == 0
    assert "void* a;" in (tmp_path / "out/codegen/host/include/tvmgen_m.h").read_text()
    assert main(["compile", str(path), "-o", str(tmp_path / "bad"), "--input-names", "a"]) == 2
    assert "--input-names gives 1 name(s) for the model's 2 input(s)" in capsys.readouterr().err
