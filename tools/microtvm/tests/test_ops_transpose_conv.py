"""TRANSPOSE_CONV (float32, int8, 16x8) against LiteRT's reference kernels.

Operands as TFLite orders them: (output_shape, weights OHWI, input, bias?). Integer outputs must
equal LiteRT's BUILTIN_REF byte for byte, float32 within 1e-5 relative / 1e-6 absolute (our
kernel adds in LiteRT's order, so they agree to the last bit in practice). Grids: strides 1-3
(also unequal), SAME and VALID, non-square inputs and filters, output sizes that SAME leaves
short of in * stride, batches of 2, every fused activation, per-tensor and per-channel weights,
bias or none (three inputs, or a fourth of -1), non-zero int8 zero points, and for 16x8 an int64
bias, an int32 bias with quantized_bias_type INT32, and power-of-two scales that put many
accumulators on rounding ties. Each compiled model holds several independent operators, so one
build serves a whole grid.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pytest

from microtvm.compiler import compile_model
from microtvm.errors import UnsupportedError
from microtvm.frontend import read_tflite
from microtvm.ops import transpose_conv
from microtvm_testing.host import assert_matches_reference
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"
LOWERING = transpose_conv.LOWERINGS[0]
Case = tuple[list[Optional[TensorSpec]], list[TensorSpec], dict[str, Any]]


def out_size(padding: str, size: int, filt: int, stride: int) -> int:
    """The largest output a SAME/VALID convolution of which gives `size` (what LiteRT checks)."""
    return size * stride if padding == "SAME" else (size - 1) * stride + filt


def tconv_case(dtype: str, *, hw: tuple[int, int], channels: int, out_channels: int, kernel: tuple[int, int],
               stride: tuple[int, int] = (1, 1), padding: str = "SAME", activation: str = "NONE",
               per_channel: bool = True, bias: Optional[str] = "default", bias_option: Optional[str] = None,
               batches: int = 1, short: tuple[int, int] = (0, 0), zero_points: tuple[int, int] = (0, 0),
               pow2: bool = False, seed: int = 0) -> Case:
    """One TRANSPOSE_CONV; `short` makes a SAME output that many pixels smaller than in * stride."""
    rng = np.random.default_rng(seed)
    fh, fw = kernel
    oh = out_size(padding, hw[0], fh, stride[0]) - short[0]
    ow = out_size(padding, hw[1], fw, stride[1]) - short[1]
    out_shape = [batches, oh, ow, out_channels]
    w_shape = [out_channels, fh, fw, channels]
    shape_spec = TensorSpec([4], "int32", data=np.array(out_shape, np.int32))
    options: dict[str, Any] = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                               "fused_activation_function": activation}
    if bias_option is not None:
        options["quantized_bias_type"] = bias_option
    # Each output sums about taps_per_output products.
    taps = max(1.0, fh * fw * channels / (stride[0] * stride[1]))
    if dtype == "float32":
        weights = TensorSpec(w_shape, "float32", data=rng.standard_normal(w_shape).astype(np.float32))
        b = TensorSpec([out_channels], "float32", data=rng.standard_normal(out_channels).astype(np.float32))
        return ([shape_spec, weights, TensorSpec([batches, *hw, channels], "float32"),
                 None if bias is None else b], [TensorSpec(out_shape, "float32")], options)
    if pow2:
        scales = [2.0 ** -6] * out_channels
        data = rng.integers(-3, 4, size=w_shape).astype(np.int8)
    else:
        scales = [float(np.float32(s)) for s in rng.uniform(0.002, 0.03, out_channels)]
        scales = scales if per_channel else scales[:1] * out_channels
        data = rng.integers(-127, 128, size=w_shape).astype(np.int8)
    weights = (TensorSpec(w_shape, "int8", scales, [0] * out_channels, 0, data=data) if per_channel
               else TensorSpec(w_shape, "int8", scales[0], 0, data=data))
    if dtype == "int8":
        input_scale, typical_x, typical_out, bias_t = 0.0473, 74.0, 40.0, "int32"
    else:
        input_scale, typical_x, typical_out = (2.0 ** -6 if pow2 else 0.00131), 18900.0, 9000.0
        bias_t = "int32" if bias_option == "INT32" else "int64"
    if bias not in (None, "default"):
        bias_t = bias
    if pow2:  # effective scale 2^-k: one accumulator in 2^k is a tie
        k = max(1, int(np.ceil(np.log2(2.0 * typical_x * np.sqrt(taps) / typical_out))))
        out_scale = input_scale * scales[0] * 2.0 ** k
    else:
        out_scale = float(np.float32(input_scale * np.mean(scales) * typical_x * 74.0 * np.sqrt(taps) / typical_out))
    b_scales = [float(np.float32(input_scale) * np.float32(s)) for s in scales]
    b_data = rng.integers(-20000 if dtype == "int8" else -2_000_000, 20001 if dtype == "int8" else 2_000_001,
                          size=out_channels).astype(bias_t)
    b = (TensorSpec([out_channels], bias_t, b_scales, [0] * out_channels, data=b_data) if per_channel
         else TensorSpec([out_channels], bias_t, b_scales[0], 0, data=b_data))
    return ([shape_spec, weights, TensorSpec([batches, *hw, channels], dtype, input_scale, zero_points[0]),
             None if bias is None else b],
            [TensorSpec(out_shape, dtype, out_scale, zero_points[1])], options)


def multi_model(cases: Sequence[Case], absent_bias_as_minus_one: bool = False) -> bytes:
    """Independent TRANSPOSE_CONVs in one model: each data input and output is graph I/O."""
    tensors: list[TensorSpec] = []
    ops: list[OpSpec] = []
    inputs: list[int] = []
    outputs: list[int] = []
    for k, (op_inputs, op_outputs, options) in enumerate(cases):
        if not absent_bias_as_minus_one:
            while op_inputs and op_inputs[-1] is None:
                op_inputs = op_inputs[:-1]
        indices = []
        for j, spec in enumerate(op_inputs):
            if spec is None:
                indices.append(-1)
                continue
            if spec.data is None:
                inputs.append(len(tensors))
            indices.append(len(tensors))
            tensors.append(TensorSpec(spec.shape, spec.dtype, spec.scale, spec.zero_point, spec.quantized_dimension,
                                      spec.data, f"op{k}_in{j}"))
        outputs.append(len(tensors))
        out = op_outputs[0]
        tensors.append(TensorSpec(out.shape, out.dtype, out.scale, out.zero_point, name=f"op{k}_out"))
        ops.append(OpSpec("TRANSPOSE_CONV", indices, [outputs[-1]], dict(options)))
    return build_model(tensors, ops, inputs, outputs)


GRID = [
    dict(hw=(4, 5), channels=3, out_channels=4, kernel=(3, 3), stride=(2, 2)),
    dict(hw=(4, 3), channels=2, out_channels=3, kernel=(3, 2), stride=(3, 1), padding="VALID", activation="RELU"),
    dict(hw=(3, 3), channels=5, out_channels=2, kernel=(4, 4), stride=(2, 3), bias=None, batches=2),
    dict(hw=(3, 4), channels=2, out_channels=2, kernel=(2, 2), padding="VALID", activation="RELU6"),
    dict(hw=(5, 3), channels=4, out_channels=3, kernel=(3, 5), stride=(3, 2), short=(2, 1), per_channel=False),
    dict(hw=(2, 6), channels=1, out_channels=5, kernel=(5, 3), stride=(1, 3), activation="RELU_N1_TO_1"),
    dict(hw=(1, 1), channels=3, out_channels=2, kernel=(1, 1), padding="VALID"),
    dict(hw=(3, 3), channels=6, out_channels=3, kernel=(3, 3), stride=(2, 2), padding="VALID", short=(0, 0)),
]


def _cases(dtype: str, grid: Sequence[dict], **extra: Any) -> list[Case]:
    return [tconv_case(dtype, seed=k, **{**case, **extra}) for k, case in enumerate(grid)]


def test_transpose_conv_float32(tmp_path: Path) -> None:
    assert_matches_reference(multi_model(_cases("float32", GRID)), workdir=tmp_path)


def test_transpose_conv_int8(tmp_path: Path) -> None:
    zero_points = [(5, -11), (0, 0), (-128, 127), (17, 3), (-3, -128), (0, 9), (1, 1), (-60, 40)]
    cases = [tconv_case("int8", seed=k, zero_points=zp, **case) for k, (case, zp) in enumerate(zip(GRID, zero_points))]
    assert_matches_reference(multi_model(cases), workdir=tmp_path)


def test_transpose_conv_16x8_int64_bias(tmp_path: Path) -> None:
    cases = _cases("int16", GRID) + [tconv_case("int16", hw=(4, 4), channels=8, out_channels=3, kernel=(3, 3),
                                                stride=(2, 2), pow2=True, seed=20)]
    assert_matches_reference(multi_model(cases), workdir=tmp_path)


def test_transpose_conv_16x8_int32_bias(tmp_path: Path) -> None:
    cases = _cases("int16", GRID[:5], bias_option="INT32") + [
        tconv_case("int16", hw=(4, 4), channels=8, out_channels=3, kernel=(3, 3), stride=(2, 2), pow2=True,
                   bias_option="INT32", seed=21),
        tconv_case("int16", hw=(3, 2), channels=2, out_channels=2, kernel=(2, 3), bias=None, bias_option="INT32"),
    ]
    assert_matches_reference(multi_model(cases), workdir=tmp_path)


def test_bias_of_minus_one(tmp_path: Path) -> None:
    """A fourth operand of -1 is an absent bias, like three operands."""
    cases = [tconv_case(dtype, hw=(3, 4), channels=3, out_channels=2, kernel=(3, 3), stride=(2, 1), bias=None,
                        zero_points=(4, -2) if dtype == "int8" else (0, 0), seed=k)
             for k, dtype in enumerate(("int8", "int16"))]
    model = multi_model(cases, absent_bias_as_minus_one=True)
    assert read_tflite(model, "m.tflite").operators[0].inputs[3] == -1
    assert_matches_reference(model, workdir=tmp_path)


def test_ships_only_its_kernel() -> None:
    files = compile_model(multi_model(_cases("int16", GRID[:1])), "m.tflite")
    assert {p for p in files if p.startswith("runtime/")} >= {"runtime/src/transpose_conv_s16.c",
                                                              "runtime/include/mtvm/transpose_conv.h"}
    assert {p for p in files if p.startswith("runtime/src/")} == {"runtime/src/transpose_conv_s16.c"}


def test_macs_and_dtypes() -> None:
    inputs, outputs, options = tconv_case("int8", hw=(4, 5), channels=3, out_channels=4, kernel=(3, 2), stride=(2, 2))
    graph = read_tflite(single_op_model("TRANSPOSE_CONV", inputs, outputs, options), "m.tflite")
    assert LOWERING.macs(graph.operators[0], graph) == (4 * 5 * 3) * (3 * 2) * 4
    assert LOWERING.dtypes == ("int8", "int16", "float32")


# ---- what we reject ----------------------------------------------------------------------------------


def _check(case: Case) -> None:
    inputs, outputs, options = case
    graph = read_tflite(single_op_model("TRANSPOSE_CONV", inputs, outputs, options), "m.tflite")
    LOWERING.check(graph.operators[0], graph)


def _small(dtype: str = "int8", **extra: Any) -> Case:
    return tconv_case(dtype, **{**dict(hw=(3, 3), channels=2, out_channels=2, kernel=(3, 3), stride=(2, 2)), **extra})


def test_rejects_dynamic_or_mismatched_output_shape() -> None:
    inputs, outputs, options = _small()
    dynamic = TensorSpec([4], "int32")
    with pytest.raises(UnsupportedError, match="output_shape operand must be a constant"):
        _check(([dynamic, *inputs[1:]], outputs, options))
    wrong = TensorSpec([4], "int32", data=np.array([1, 5, 6, 2], np.int32))
    with pytest.raises(UnsupportedError, match=r"is not output_shape \[1, 5, 6, 2\]"):
        _check(([wrong, *inputs[1:]], outputs, options))
    # 7x6 is not what a SAME convolution with stride 2 turns into 3x3.
    big = TensorSpec([4], "int32", data=np.array([1, 7, 6, 2], np.int32))
    with pytest.raises(UnsupportedError, match="does not fit input size 3x3"):
        _check(([big, *inputs[1:]], [TensorSpec([1, 7, 6, 2], "int8", 0.1, 0)], options))


def test_rejects_unsupported_types_and_quantization() -> None:
    with pytest.raises(UnsupportedError, match="quantized_bias_type INT32"):
        _check(_small("int16", bias="int32"))
    with pytest.raises(UnsupportedError, match="zero point of 0 on the input"):
        _check(_small("int16", zero_points=(3, 0)))
    inputs, outputs, options = _small()
    inputs[1].zero_point = [1, 0]
    with pytest.raises(UnsupportedError, match="symmetric"):
        _check((inputs, outputs, options))
    inputs, outputs, options = _small("float32")
    hybrid = TensorSpec(inputs[1].shape, "int8", 0.1, 0, data=np.ones(inputs[1].shape, np.int8))
    with pytest.raises(UnsupportedError, match="hybrid"):
        _check(([inputs[0], hybrid, *inputs[2:]], outputs, options))
    with pytest.raises(UnsupportedError, match="fused activation TANH is not supported"):
        _check(_small(activation="TANH"))
    with pytest.raises(UnsupportedError, match="bias int64.*supported"):
        _check(_small(bias="int64"))


def _compilers() -> list[str]:
    names = {os.environ.get("CC") or "gcc", "gcc", "clang"}
    return sorted(name for name in names if shutil.which(name.split()[0]))


@pytest.mark.parametrize("cc", _compilers())
def test_sources_compile_strictly(cc: str, tmp_path: Path) -> None:
    for source in ("transpose_conv_f32.c", "transpose_conv_s8.c", "transpose_conv_s16.c"):
        command = [*cc.split(), "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-c",
                   f"-I{RUNTIME / 'include'}", str(RUNTIME / "src" / source), "-o", str(tmp_path / "out.o")]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
